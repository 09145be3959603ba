/* A request's life on its connection: set-up from the parsed head, the
 * limits checked before the body, dispatch, replies, header and query
 * access, and what is recorded at the end (metrics, access log). The event
 * loop and the bytes on the wire are server.c's. */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/rand.h"
#include "http/conn.h"
#include "http/render.h"
#include "http/urldecode.h"

uint64_t http_now_ns(void) {
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

/* ---- decoding the target ----------------------------------------------- */

static char *scratch(http_conn_t *c, size_t need) {
  if (need > c->scratch_cap) {
    char *p = realloc(c->scratch, need);
    if (!p) return NULL;
    c->scratch = p;
    c->scratch_cap = need;
  }
  return c->scratch;
}

/* ---- set-up, limits, dispatch, end -------------------------------------- */

static void reset_request(http_req_t *r) {
  buf_cleanup(&r->body);
  for (int i = 0; i < r->nextra; i++) {
    if (r->extra[i].borrowed) continue;
    free(r->extra[i].name);
    free(r->extra[i].value);
  }
  free(r->query_decoded);
  memset(r, 0, sizeof *r);
}

void http_request_begin(http_server_t *s, http_conn_t *c, bool parsed) {
  http_req_t *r = &c->r;
  reset_request(r);
  r->conn = c;
  r->srv = s;
  r->app = s->app;
  r->start_ns = http_now_ns();
  buf_init(&r->body, s->o.max_body_bytes);
  c->in_request = true;
  atomic_fetch_add(&s->metrics->in_flight, 1);
  if (!parsed) {
    c->req.nheaders = 0;
    r->method = "";
    r->path = "";
    r->method_id = http_method_parse("");
    request_id_new(r->request_id);
    return;
  }
  const h1_request_t *q = &c->req;
  r->method = q->method;
  r->method_id = http_method_parse(q->method);
  const char *t = q->target;
  const char *qm = memchr(t, '?', q->target_len);
  size_t plen = qm ? (size_t)(qm - t) : q->target_len;
  r->query = qm ? qm + 1 : NULL;
  char *p = scratch(c, plen + 1);
  if (p) {
    url_pct_decode(t, plen, p, false);
    r->path = p;
  } else {
    r->path = "";
  }
  const char *pre = s->o.raw_uri_prefix;
  if (pre && *pre && strncmp(t, pre, strlen(pre)) == 0) r->raw_uri = t;
  const char *rid = h1_header(q, "x-request-id", 12);
  if (rid && http_request_id_sane(rid))
    snprintf(r->request_id, sizeof r->request_id, "%s", rid);
  else
    request_id_new(r->request_id);
}

void http_request_refuse(http_req_t *r, int status, const char *code, const char *msg) {
  cerr_t e;
  /* Refused before dispatch (a body too large): still answer in the shape
   * of the route the request was for, so an Open Ledger client gets its
   * own envelope. Only the route is looked up, never its handler run. */
  if (!r->route && r->srv && r->path && r->path[0] && r->method) {
    const route_t *rt = NULL;
    char allow[ROUTER_ALLOW_MAX];
    if (router_match(r->srv->router, r->method, r->path, &rt, NULL, allow) == ROUTE_FOUND) r->route = rt;
  }
  cerr_set(&e, status, code, NULL, "%s", msg);
  http_reply_error(r, &e);
}

bool http_request_expects_continue(const http_conn_t *c) {
  const char *expect = h1_header(&c->req, "expect", 6);
  return expect && strcasecmp(expect, "100-continue") == 0;
}

bool http_request_check_head(http_server_t *s, http_conn_t *c) {
  http_req_t *r = &c->r;
  if (c->framing.kind == H1_BODY_LENGTH && c->framing.length > s->o.max_body_bytes) {
    /* Answering now means closing with the body unread, and the kernel's
     * RST can destroy the answer before the client reads it. So a body we
     * can afford to drain is read and dropped, then answered on a
     * connection that stays open; only a client that waits for
     * "100 Continue", or a body too large to drain, is answered at once. */
    if (c->framing.length > HTTP_DISCARD_MAX || http_request_expects_continue(c)) {
      c->keep_alive = false; /* the body stays unread: close after the answer */
      http_request_refuse(r, 413, CERR_BODY_TOO_LARGE, "request body too large");
      return true;
    }
    r->too_large = true;
  }
  return false;
}

void http_request_dispatch(http_server_t *s, http_conn_t *c) {
  http_req_t *r = &c->r;
  if (r->too_large) {
    http_request_refuse(r, 413, CERR_BODY_TOO_LARGE, "request body too large");
    return;
  }
  char allow[ROUTER_ALLOW_MAX];
  const route_t *rt = NULL;
  switch (router_match(s->router, r->method, r->path, &rt, &r->params, allow)) {
  case ROUTE_FOUND:
    r->route = rt;
    rt->handler(r, rt->ctx);
    if (!r->replied) http_request_refuse(r, 500, CERR_INTERNAL, "internal error");
    return;
  case ROUTE_METHOD_NOT_ALLOWED:
    (void)http_add_header(r, "Allow", allow);
    http_request_refuse(r, 405, CERR_METHOD_NOT_ALLOWED, "method not allowed");
    return;
  case ROUTE_NOT_FOUND:
    http_request_refuse(r, 404, CERR_NOT_FOUND, "no such route");
    return;
  }
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

void http_reply(http_req_t *r, int status, const char *content_type, buf_t *body) {
  if (r->replied) {
    if (body) buf_cleanup(body);
    return;
  }
  r->replied = true;
  size_t len = body ? body->len : 0;
  char *data = body ? buf_take(body) : NULL;
  r->status = status;
  r->bytes_out = len;
  /* The answer's head is written now, while borrowed header values
   * (http_add_header_ref) are still valid. */
  http_conn_queue(r->conn, status, content_type, data, len);
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

bool http_req_has_header(const http_req_t *r, const char *name) {
  for (int i = 0; i < r->nextra; i++)
    if (strcasecmp(r->extra[i].name, name) == 0) return true;
  return false;
}

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
  if (e->retry_after_s > 0 && !http_req_has_header(r, "Retry-After")) {
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

/* ---- headers and query --------------------------------------------------- */

const char *http_header(const http_req_t *r, const char *name) {
  return h1_header(&r->conn->req, name, strlen(name));
}

void http_headers(const http_req_t *r, const char *const *names, size_t n, const char **out) {
  size_t lens[HTTP_HEADERS_PICK_MAX];
  assert(n <= HTTP_HEADERS_PICK_MAX);
  for (size_t i = 0; i < n; i++) {
    lens[i] = strlen(names[i]);
    out[i] = NULL;
  }
  const h1_request_t *q = &r->conn->req;
  for (size_t h = 0; h < q->nheaders; h++)
    for (size_t i = 0; i < n; i++)
      if (!out[i] && q->headers[h].name_len == lens[i] && strcasecmp(q->headers[h].name, names[i]) == 0) {
        out[i] = q->headers[h].value;
        break;
      }
}

const char *http_raw_uri(const http_req_t *r) { return r->raw_uri; }

/* The query is decoded once, on first use (urldecode.h). */
const char *http_query(const http_req_t *r, const char *name) {
  http_req_t *m = (http_req_t *)r;
  if (!r->query) return NULL;
  if (!m->query_decoded) {
    size_t n = strlen(r->query);
    m->query_decoded = malloc(URL_QUERY_DECODED_MAX(n));
    if (!m->query_decoded) return NULL;
    url_query_decode(r->query, n, m->query_decoded);
  }
  return url_query_find(m->query_decoded, name);
}

/* ---- the end of a request: metrics and access log ---------------------- */

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
  const struct sockaddr *sa = (const struct sockaddr *)&r->conn->peer;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)outlen);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)outlen);
}

/* Which credentials were presented, never their values. */
static int credential_names(buf_t *b, const h1_request_t *q) {
  int rc = 0;
  bool first = true;
  for (size_t i = 0; i < q->nheaders; i++) {
    const h1_header_t *h = &q->headers[i];
    if (!log_header_is_secret(h->name)) continue;
    char lower[64];
    size_t n = h->name_len < sizeof lower - 1 ? h->name_len : sizeof lower - 1;
    for (size_t j = 0; j < n; j++) lower[j] = (char)((h->name[j] >= 'A' && h->name[j] <= 'Z') ? h->name[j] + 32 : h->name[j]);
    lower[n] = '\0';
    rc |= buf_puts(b, first ? "\"" : ",\"");
    rc |= buf_json_escape(b, lower, n);
    rc |= buf_puts(b, "\":\"[redacted]\"");
    first = false;
  }
  return rc;
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
  rc |= json_str_member(&b, "user_agent", http_header(r, "User-Agent"));
  rc |= buf_puts(&b, ",\"credentials\":{");
  rc |= credential_names(&b, &r->conn->req);
  rc |= buf_puts(&b, "}");
  /* A line cut short by the cap would be invalid JSON: drop it whole. */
  if (rc == 0) log_end(&b);
  buf_cleanup(&b);
}

void http_request_end(http_server_t *s, http_conn_t *c) {
  if (!c->in_request) return;
  c->in_request = false;
  http_req_t *r = &c->r;
  uint64_t dur_us = (http_now_ns() - r->start_ns) / 1000;
  if (!r->replied) r->status = 499; /* the client went away before an answer */
  metrics_record(s->metrics, r->route ? r->route->index : -1, r->status, dur_us);
  access_log(s, r, dur_us);
  atomic_fetch_sub(&s->metrics->in_flight, 1);
  reset_request(r);
}
