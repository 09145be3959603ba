#include "http/server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"
#include "http/lograte.h"
#include "http/render.h"

struct http_server {
  struct MHD_Daemon *d;
  const router_t *router;
  metrics_t *metrics;
  void *app;
  http_server_opts_t o;
  uint16_t port;
  _Atomic bool draining;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- request ids ------------------------------------------------------- */

bool http_request_id_sane(const char *s) {
  size_t n = 0;
  for (; s[n]; n++) {
    char c = s[n];
    if (n >= HTTP_REQUEST_ID_MAX - 1) return false;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_' || c == '.' || c == ':'))
      return false;
  }
  return n > 0;
}

/* A per-thread random prefix plus a counter: unique without a CSPRNG call
 * per request. The counter is written by hand (lower-case hex, at least 8
 * digits, as "%08llx" would): snprintf was ~1,100 instructions of every
 * request. */
static void request_id_new(char out[HTTP_REQUEST_ID_MAX]) {
  static _Thread_local char prefix[13];
  static _Thread_local uint64_t counter;
  static const char HEX[] = "0123456789abcdef";
  if (!prefix[0] && rand_base62(prefix, 12) != 0) memcpy(prefix, "000000000000", 13);
  char digits[16];
  int n = 0;
  uint64_t c = ++counter;
  do {
    digits[n++] = HEX[c & 15];
    c >>= 4;
  } while (c || n < 8);
  memcpy(out, prefix, 12);
  for (int i = 0; i < n; i++) out[12 + i] = digits[n - 1 - i];
  out[12 + n] = '\0';
}

/* ---- replies ------------------------------------------------------------- */

int http_add_header(http_req_t *r, const char *name, const char *value) {
  if (r->nextra >= HTTP_MAX_EXTRA_HEADERS) return -1;
  char *n = strdup(name), *v = strdup(value);
  if (!n || !v) {
    free(n);
    free(v);
    return -1;
  }
  r->extra[r->nextra].name = n;
  r->extra[r->nextra].value = v;
  r->extra[r->nextra].borrowed = false;
  r->nextra++;
  return 0;
}

int http_add_header_ref(http_req_t *r, const char *name, const char *value) {
  if (r->nextra >= HTTP_MAX_EXTRA_HEADERS) return -1;
  r->extra[r->nextra].name = (char *)name;
  r->extra[r->nextra].value = (char *)value;
  r->extra[r->nextra].borrowed = true;
  r->nextra++;
  return 0;
}

static bool has_extra(const http_req_t *r, const char *name) {
  for (int i = 0; i < r->nextra; i++)
    if (strcasecmp(r->extra[i].name, name) == 0) return true;
  return false;
}

void http_reply(http_req_t *r, int status, const char *content_type, buf_t *body) {
  if (r->replied) {
    if (body) buf_cleanup(body);
    return;
  }
  r->replied = true;
  size_t len = body ? body->len : 0;
  char *data = body ? buf_take(body) : NULL;
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, data ? data : (void *)"", data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!resp) {
    free(data);
    r->status = 500;
    return;
  }
  if (content_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  MHD_add_response_header(resp, "X-Request-Id", r->request_id);
  /* Auth answers are per-caller: never let a cache keep them by default. */
  if (!has_extra(r, "Cache-Control")) MHD_add_response_header(resp, "Cache-Control", "no-store");
  for (int i = 0; i < r->nextra; i++) MHD_add_response_header(resp, r->extra[i].name, r->extra[i].value);
  if (atomic_load(&r->srv->draining)) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  r->status = status;
  r->bytes_out = len;
  if (MHD_queue_response(r->conn, (unsigned)status, resp) != MHD_YES) r->status = 500;
  MHD_destroy_response(resp);
}

void http_reply_text(http_req_t *r, int status, const char *content_type, const char *text) {
  buf_t b;
  buf_init(&b, 0);
  if (buf_puts(&b, text) != 0) {
    buf_cleanup(&b);
    http_reply(r, 500, NULL, NULL);
    return;
  }
  http_reply(r, status, content_type, &b);
}

void http_reply_json(http_req_t *r, int status, json_t *obj) {
  char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
  json_decref(obj);
  if (!s) {
    cerr_t e;
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    http_reply_error(r, &e);
    return;
  }
  buf_t b = {.data = s, .len = strlen(s), .cap = strlen(s) + 1, .max = 0};
  http_reply(r, status, "application/json", &b);
}

void http_set_error_profile(http_req_t *r, const char *profile) { r->error_profile = profile; }

/* A header value may hold visible ASCII, spaces and obs-text (bytes >=
 * 0x80: a UTF-8 message passes through gateways byte for byte); never a
 * control byte or DEL. The renderers escape those, so this only guards. */
static bool header_safe(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) return false;
  }
  return n > 0 && s[0] != ' ' && s[n - 1] != ' ';
}

/* The error copy (server.h, HTTP_ERROR_COPY_REQUEST): both headers or
 * neither, so a gateway never answers a status without its body. True
 * when both were added. */
static bool add_error_copy(http_req_t *r, int status, const buf_t *body) {
  const char *want = http_header(r, HTTP_ERROR_COPY_REQUEST);
  if (!want || strcmp(want, "1") != 0) return false;
  if (body->len > HTTP_ERROR_COPY_MAX || !header_safe(buf_str(body), body->len)) {
    log_msg(LOG_WARN, "error body of %zu bytes not copied into headers (limit %d, or a byte not allowed in a header)",
            body->len, HTTP_ERROR_COPY_MAX);
    return false;
  }
  char st[8];
  snprintf(st, sizeof st, "%d", status);
  int mark = r->nextra;
  if (http_add_header(r, "X-Custos-Status", st) != 0 || http_add_header(r, "X-Custos-Error-Body", buf_str(body)) != 0) {
    for (int i = mark; i < r->nextra; i++) {
      free(r->extra[i].name);
      free(r->extra[i].value);
    }
    r->nextra = mark;
    return false;
  }
  return true;
}

void http_reply_error(http_req_t *r, const cerr_t *e) {
  buf_t b;
  buf_init(&b, 0);
  if (e->retry_after_s > 0 && !has_extra(r, "Retry-After")) {
    char ra[16];
    snprintf(ra, sizeof ra, "%d", e->retry_after_s);
    (void)http_add_header(r, "Retry-After", ra);
  }
  render_fn fn = render_for_profile(r->error_profile ? r->error_profile : r->route ? r->route->profile : NULL);
  if (fn(e, r->request_id, &b) != 0) {
    buf_reset(&b);
    if (buf_puts(&b, "{\"error\":{\"code\":\"internal_error\",\"message\":\"internal error\"}}") != 0) {
      buf_cleanup(&b);
      http_reply(r, 500, NULL, NULL);
      return;
    }
  }
  if (add_error_copy(r, e->status, &b)) {
    /* The body travels in the header only: nginx's auth_request reads no
     * body, and an unread one makes it close its keep-alive connection
     * to custos after every refusal. */
    buf_cleanup(&b);
    http_reply(r, e->status, NULL, NULL);
    return;
  }
  http_reply(r, e->status, "application/json", &b);
}

static void reply_simple_error(http_req_t *r, int status, const char *code, const char *msg) {
  cerr_t e;
  /* Refused before dispatch (a body too large): still answer in the shape
   * of the route the request was for, so an Open Ledger client gets its
   * own envelope. Only the route is looked up, never its handler run. */
  if (!r->route && r->srv && r->path && r->method) {
    const route_t *rt = NULL;
    char allow[ROUTER_ALLOW_MAX];
    if (router_match(r->srv->router, r->method, r->path, &rt, NULL, allow) == ROUTE_FOUND) r->route = rt;
  }
  cerr_set(&e, status, code, NULL, "%s", msg);
  http_reply_error(r, &e);
}

const char *http_header(const http_req_t *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct hdr_pick {
  const char *const *names;
  size_t *lens;
  size_t n;
  const char **out;
};

static enum MHD_Result pick_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                   const char *value, size_t value_size) {
  (void)kind;
  (void)value_size;
  struct hdr_pick *p = cls;
  for (size_t i = 0; i < p->n; i++)
    if (!p->out[i] && key_size == p->lens[i] && strncasecmp(key, p->names[i], key_size) == 0) {
      p->out[i] = value;
      break;
    }
  return MHD_YES;
}

void http_headers(const http_req_t *r, const char *const *names, size_t n, const char **out) {
  size_t lens[HTTP_HEADERS_PICK_MAX];
  assert(n <= HTTP_HEADERS_PICK_MAX);
  for (size_t i = 0; i < n; i++) {
    lens[i] = strlen(names[i]);
    out[i] = NULL;
  }
  struct hdr_pick p = {.names = names, .lens = lens, .n = n, .out = out};
  MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, pick_header, &p);
}

const char *http_query(const http_req_t *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- access log ------------------------------------------------------------ */

struct hdr_scan {
  int count;
  size_t bytes;
  buf_t *log; /* non-NULL: collect credential header names */
  bool first;
  int rc;     /* non-zero once an append to log failed */
};

/* MHD knows every name's and value's length: the _n walk spares a strlen
 * of each on every request. */
static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                   const char *value, size_t value_size) {
  (void)kind;
  (void)value;
  struct hdr_scan *st = cls;
  st->count++;
  st->bytes += key_size + value_size + 4; /* ": " and CRLF */
  if (st->log && log_header_is_secret(key)) {
    char lower[64];
    size_t n = key_size < sizeof lower - 1 ? key_size : sizeof lower - 1;
    for (size_t i = 0; i < n; i++) lower[i] = (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] + 32 : key[i]);
    lower[n] = '\0';
    st->rc |= buf_puts(st->log, st->first ? "\"" : ",\"");
    st->rc |= buf_json_escape(st->log, lower, n);
    st->rc |= buf_puts(st->log, "\":\"[redacted]\"");
    st->first = false;
  }
  return MHD_YES;
}

static int json_str_member(buf_t *b, const char *name, const char *v) {
  if (!v) return 0;
  int rc = buf_printf(b, ",\"%s\":\"", name);
  rc |= buf_json_escape(b, v, strnlen(v, 512));
  rc |= buf_puts(b, "\"");
  return rc;
}

void http_remote_addr(const http_req_t *r, char *out, size_t outlen) {
  if (outlen == 0) return;
  out[0] = '\0';
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr) return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)outlen);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)outlen);
}

static void access_log(http_server_t *s, http_req_t *r, uint64_t dur_us) {
  if (!s->o.access_log || !log_enabled(LOG_INFO)) return;
  buf_t b;
  buf_init(&b, 16384);
  char addr[INET6_ADDRSTRLEN];
  http_remote_addr(r, addr, sizeof addr);
  int rc = log_begin(&b, LOG_INFO);
  rc |= buf_puts(&b, ",\"msg\":\"access\"");
  rc |= json_str_member(&b, "request_id", r->request_id);
  rc |= json_str_member(&b, "method", r->method);
  rc |= json_str_member(&b, "path", r->path);
  rc |= json_str_member(&b, "route", r->route ? r->route->pattern : "");
  rc |= buf_printf(&b, ",\"status\":%d,\"duration_us\":%llu,\"bytes_in\":%zu,\"bytes_out\":%zu",
                   r->status, (unsigned long long)dur_us, r->body.len + r->discarded, r->bytes_out);
  rc |= json_str_member(&b, "remote", addr);
  rc |= json_str_member(&b, "user_agent", http_header(r, MHD_HTTP_HEADER_USER_AGENT));
  /* Which credentials were presented, never their values. */
  rc |= buf_puts(&b, ",\"credentials\":{");
  struct hdr_scan st = {.log = &b, .first = true};
  MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, scan_header, &st);
  rc |= st.rc;
  rc |= buf_puts(&b, "}");
  /* A line cut short by the cap would be invalid JSON: drop it whole. */
  if (rc == 0) log_end(&b);
  buf_cleanup(&b);
}

/* ---- MHD callbacks ------------------------------------------------------- */

static void req_free(http_req_t *r) {
  free(r->raw_uri);
  buf_cleanup(&r->body);
  for (int i = 0; i < r->nextra; i++) {
    if (r->extra[i].borrowed) continue;
    free(r->extra[i].name);
    free(r->extra[i].value);
  }
  free(r);
}

static void dispatch(http_server_t *s, http_req_t *r) {
  if (r->too_large) {
    reply_simple_error(r, 413, CERR_BODY_TOO_LARGE, "request body too large");
    return;
  }
  char allow[ROUTER_ALLOW_MAX];
  const route_t *rt = NULL;
  switch (router_match(s->router, r->method, r->path, &rt, &r->params, allow)) {
  case ROUTE_FOUND:
    r->route = rt;
    rt->handler(r, rt->ctx);
    if (!r->replied) reply_simple_error(r, 500, CERR_INTERNAL, "internal error");
    return;
  case ROUTE_METHOD_NOT_ALLOWED:
    (void)http_add_header(r, "Allow", allow);
    reply_simple_error(r, 405, CERR_METHOD_NOT_ALLOWED, "method not allowed");
    return;
  case ROUTE_NOT_FOUND:
    reply_simple_error(r, 404, CERR_NOT_FOUND, "no such route");
    return;
  }
}

/* Checks done once the head is in, before any body is read: limits the
 * handler would otherwise have to trust. Returns true when it replied. */
static bool reject_head(http_server_t *s, http_req_t *r) {
  struct hdr_scan st = {0};
  MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, scan_header, &st);
  size_t head = strlen(r->method) + strlen(r->path) + 12 + st.bytes;
  if (st.count > s->o.max_headers || head > s->o.max_header_bytes) {
    reply_simple_error(r, 431, CERR_HEADERS_TOO_LARGE, "request header fields too large");
    return true;
  }
  const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (cl) {
    char *end;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    if (errno || *end || n > s->o.max_body_bytes) {
      /* Answering now makes MHD close with the body unread, and the
       * kernel's RST can destroy the answer before the client reads it.
       * So a body we can afford to drain is read and dropped, then
       * answered on a connection that stays open; only a client that
       * waits for "100 Continue", or a body too large to drain, is
       * answered at once. */
      const char *expect = http_header(r, MHD_HTTP_HEADER_EXPECT);
      if (errno || *end || n > HTTP_DISCARD_MAX || (expect && strcasecmp(expect, "100-continue") == 0)) {
        reply_simple_error(r, 413, CERR_BODY_TOO_LARGE, "request body too large");
        return true;
      }
      r->too_large = true;
    }
  }
  return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls) {
  (void)version;
  http_server_t *s = cls;
  http_req_t *r = *con_cls;
  if (!r || !r->started) {
    if (!r) r = calloc(1, sizeof *r);
    if (!r) return MHD_NO;
    r->started = true;
    r->conn = c;
    r->srv = s;
    r->app = s->app;
    r->method = method;
    r->path = url;
    r->method_id = http_method_parse(method);
    r->start_ns = now_ns();
    buf_init(&r->body, s->o.max_body_bytes);
    const char *rid = http_header(r, "X-Request-Id");
    if (rid && http_request_id_sane(rid))
      snprintf(r->request_id, sizeof r->request_id, "%s", rid);
    else
      request_id_new(r->request_id);
    *con_cls = r;
    atomic_fetch_add(&s->metrics->in_flight, 1);
    /* Error replies may be queued now (MHD then closes the connection,
     * which is right for a client over the limits). */
    reject_head(s, r);
    return MHD_YES;
  }
  if (*upload_size) {
    if (!r->replied && !r->too_large && buf_append(&r->body, upload_data, *upload_size) != 0) {
      r->too_large = true;
      buf_cleanup(&r->body);
      buf_init(&r->body, 1);
    }
    if (r->too_large || r->replied) {
      r->discarded += *upload_size;
      if (r->discarded > HTTP_DISCARD_MAX) return MHD_NO;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (!r->replied) dispatch(s, r);
  return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)c;
  (void)toe;
  http_server_t *s = cls;
  http_req_t *r = *con_cls;
  if (!r) return;
  *con_cls = NULL;
  if (!r->started) {
    /* Made by on_uri for a request that never reached the handler. */
    req_free(r);
    return;
  }
  uint64_t dur_us = (now_ns() - r->start_ns) / 1000;
  if (!r->replied) r->status = 499; /* client went away before an answer */
  metrics_record(s->metrics, r->route ? r->route->index : -1, r->status, dur_us);
  access_log(s, r, dur_us);
  atomic_fetch_sub(&s->metrics->in_flight, 1);
  req_free(r);
}

/* MHD calls this with the request target before decoding it in place;
 * what it returns becomes the request's context. Only targets under
 * raw_uri_prefix are kept (one copy), so other requests cost nothing. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)c;
  http_server_t *s = cls;
  const char *pre = s->o.raw_uri_prefix;
  if (!pre || !*pre || !uri || strncmp(uri, pre, strlen(pre)) != 0) return NULL;
  http_req_t *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->raw_uri = strdup(uri);
  if (!r->raw_uri) {
    free(r);
    return NULL;
  }
  return r;
}

const char *http_raw_uri(const http_req_t *r) { return r->raw_uri; }

/* libmicrohttpd logs some events once per request that causes them (an
 * over-large head, which it answers 431 itself): limited per format
 * string, so a client cannot flood our log (http/lograte.h). */
static lograte_t mhd_lograte = LOGRATE_INIT;

static void mhd_log_summary(const lograte_summary_t *sum) {
  log_msg(LOG_WARN, "http: %llu more like \"%s\" suppressed", (unsigned long long)sum->count, sum->sample);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char msg[512];
  lograte_summary_t sum;
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
  bool ok = lograte_allow(&mhd_lograte, fmt, (int64_t)(now_ns() / 1000000000u), msg, &sum);
  if (sum.count) mhd_log_summary(&sum);
  if (ok) log_msg(LOG_WARN, "http: %s", msg);
}

/* ---- life cycle ------------------------------------------------------------ */

static int parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6) {
  char host[128];
  const char *colon;
  memset(ss, 0, sizeof *ss);
  if (listen[0] == '[') {
    const char *close = strchr(listen, ']');
    if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host) return -1;
    memcpy(host, listen + 1, (size_t)(close - listen - 1));
    host[close - listen - 1] = '\0';
    colon = close + 1;
    *v6 = true;
  } else {
    colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host) return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    *v6 = false;
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || colon[1] == '\0' || port < 0 || port > 65535) return -1;
  if (*v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return -1;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a->sin_addr) != 1) return -1;
  }
  return 0;
}

http_server_t *http_server_start(const http_server_opts_t *o, const router_t *router,
                                 metrics_t *metrics, void *app, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  bool v6;
  if (parse_listen(o->listen, &ss, &v6) != 0) {
    snprintf(err, errlen, "invalid listen address '%s' (want host:port)", o->listen);
    return NULL;
  }
  http_server_t *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->router = router;
  s->metrics = metrics;
  s->app = app;
  s->o = *o;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned threads = o->threads > 0 ? (unsigned)o->threads : (unsigned)(ncpu > 0 ? ncpu : 1);
  /* The pool holds the request head plus MHD's own buffers: room for our
   * head limit so we, not MHD, answer 431 (with JSON) for heads up to it. */
  size_t pool = o->max_header_bytes + HTTP_POOL_SLACK;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (v6) flags |= MHD_USE_IPv6;
  struct MHD_OptionItem opts[] = {
      {MHD_OPTION_SOCK_ADDR, 0, &ss},
      {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
      {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, s},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool, NULL},
      {MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS, NULL},
      {MHD_OPTION_CONNECTION_TIMEOUT, o->connection_timeout_s > 0 ? o->connection_timeout_s : 30, NULL},
      {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
      {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
      {MHD_OPTION_END, 0, NULL},
  };
  s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                          /* MHD wants the logger first, before anything that may log. */
                          MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                          MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
  if (!s->d) {
    snprintf(err, errlen, "cannot listen on %s: %s", o->listen, strerror(errno ? errno : EADDRINUSE));
    free(s);
    return NULL;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : 0;
  return s;
}

uint16_t http_server_port(const http_server_t *s) { return s->port; }

int64_t http_server_drain(http_server_t *s, int grace_ms) {
  atomic_store(&s->draining, true);
  MHD_socket fd = MHD_quiesce_daemon(s->d);
  if (fd != MHD_INVALID_SOCKET) close(fd);
  uint64_t deadline = now_ns() + (uint64_t)(grace_ms > 0 ? grace_ms : 0) * 1000000u;
  int64_t left;
  while ((left = atomic_load(&s->metrics->in_flight)) > 0 && now_ns() < deadline) {
    struct timespec ts = {0, 10 * 1000000};
    nanosleep(&ts, NULL);
  }
  return left;
}

void http_server_stop(http_server_t *s) {
  if (!s) return;
  MHD_stop_daemon(s->d);
  lograte_summary_t sum;
  while (lograte_flush(&mhd_lograte, &sum)) mhd_log_summary(&sum); /* nothing left untold */
  free(s);
}
