/*
 * authreq.c — the request being authorized (authreq.h): built from the
 * request itself or from a gateway's description of the original one.
 * Runs on every gateway check: fixed buffers, no allocation.
 */
#include "perm/authreq.h"

#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "custos.h"

#define MISSING_MSG                                                                                   \
  "the original request is required: X-Original-Method and X-Original-URI (nginx), X-Forwarded-Method " \
  "and X-Forwarded-Uri (Traefik, Caddy), or the original path after " AUTHREQ_CHECK_PATH " (Envoy)"

/* Decodes %XX in src[0..n) into out (cap bytes, NUL-terminated); '+' is a
 * space when `plus`. Length, or -1 for a bad escape, a NUL or no room. */
static int pct_decode(const char *src, size_t n, bool plus, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c == '%') {
      if (n - i < 3) return -1;
      int hi = hex_digit((unsigned char)src[i + 1]), lo = hex_digit((unsigned char)src[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      c = (unsigned char)(hi << 4 | lo);
      i += 2;
    } else if (c == '+' && plus) {
      c = ' ';
    }
    if (c == '\0' || o + 1 >= cap) return -1;
    out[o++] = (char)c;
  }
  out[o] = '\0';
  return (int)o;
}

static bool has_dot_segment(const char *path) {
  for (const char *p = path; *p;) {
    /* p is just after a '/' (path[0] is '/'). */
    if (*p == '/') p++;
    size_t l = strcspn(p, "/");
    if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.')) return true;
    p += l;
  }
  return false;
}

static int bad(cerr_t *e, const char *msg) {
  cerr_set(e, 400, CERR_BAD_REQUEST, NULL, "%s", msg);
  return CUSTOS_EINVAL;
}

static int set_method(authreq_t *rq, const char *m, cerr_t *e) {
  size_t n = strnlen(m, AUTHREQ_METHOD_MAX);
  if (n == 0 || n >= AUTHREQ_METHOD_MAX) return bad(e, "the original method must be 1 to 15 letters");
  for (size_t i = 0; i < n; i++) {
    char c = m[i];
    if (c >= 'a' && c <= 'z') c = (char)(c - 32);
    if (c < 'A' || c > 'Z') return bad(e, "the original method must be 1 to 15 letters");
    rq->method[i] = c;
  }
  rq->method[n] = '\0';
  return CUSTOS_OK;
}

int authreq_set(authreq_t *rq, const char *method, const char *uri, size_t len, cerr_t *e) {
  if (set_method(rq, method, e) != CUSTOS_OK) return CUSTOS_EINVAL;
  if (len == 0 || uri[0] != '/') return bad(e, "the original URI must start with '/'");
  if (memchr(uri, '\0', len)) return bad(e, "the original URI contains a NUL byte");
  const char *q = memchr(uri, '?', len);
  size_t plen = q ? (size_t)(q - uri) : len;
  if (plen >= AUTHREQ_PATH_MAX) return bad(e, "the original path is too long");
  if (pct_decode(uri, plen, false, rq->path, sizeof rq->path) < 0)
    return bad(e, "the original path has an invalid percent-encoding or a NUL byte");
  if (has_dot_segment(rq->path)) return bad(e, "the original path has a '.' or '..' segment");
  size_t qlen = q ? len - plen - 1 : 0;
  if (qlen >= AUTHREQ_QUERY_MAX) return bad(e, "the original query string is too long");
  if (qlen) memcpy(rq->query, q + 1, qlen);
  rq->query[qlen] = '\0';
  rq->direct = false;
  return CUSTOS_OK;
}

int authreq_from_request(authreq_t *rq, const http_req_t *r, cerr_t *e) {
  rq->http = r;
  rq->header = NULL;
  rq->header_ctx = NULL;
  if (set_method(rq, r->method, e) != CUSTOS_OK) return CUSTOS_EINVAL;
  size_t n = strnlen(r->path, AUTHREQ_PATH_MAX);
  if (n >= AUTHREQ_PATH_MAX) return bad(e, "the path is too long");
  memcpy(rq->path, r->path, n + 1);
  if (has_dot_segment(rq->path)) return bad(e, "the path has a '.' or '..' segment");
  rq->query[0] = '\0';
  rq->direct = true;
  return CUSTOS_OK;
}

int authreq_from_check(authreq_t *rq, const http_req_t *r, cerr_t *e) {
  rq->http = r;
  rq->header = NULL;
  rq->header_ctx = NULL;
  /* Method/URI pairs: nginx's, then Traefik's and Caddy's. Read in one
   * walk over the headers (each http_header is a walk of its own). */
  static const char *const NAMES[] = {"X-Original-Method", "X-Original-URI", "X-Forwarded-Method",
                                      "X-Forwarded-Uri"};
  const char *got[sizeof NAMES / sizeof *NAMES];
  http_headers(r, NAMES, sizeof NAMES / sizeof *NAMES, got);
  const char *method = NULL, *uri = NULL;
  size_t ulen = 0;
  for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i += 2) {
    const char *m = got[i], *u = got[i + 1];
    if (!m && !u) continue;
    if (!m || !u) {
      cerr_set(e, 400, "missing_original_request", NULL, "%s is required with %s", NAMES[m ? i + 1 : i],
               NAMES[m ? i : i + 1]);
      return CUSTOS_EINVAL;
    }
    if (method && (strcasecmp(method, m) != 0 || strcmp(uri, u) != 0))
      return bad(e, "the gateway headers describe different original requests");
    method = m;
    uri = u;
    ulen = strlen(u);
  }
  /* Envoy: the target after /v1/check, as received (not decoded). */
  const char *raw = http_raw_uri(r);
  size_t cp = sizeof AUTHREQ_CHECK_PATH - 1;
  if (raw && strncmp(raw, AUTHREQ_CHECK_PATH, cp) == 0 && raw[cp] == '/') {
    const char *eu = raw + cp;
    if (method && (strcasecmp(method, r->method) != 0 || strcmp(uri, eu) != 0))
      return bad(e, "the gateway headers describe different original requests");
    if (!method) {
      method = r->method;
      uri = eu;
      ulen = strlen(eu);
    }
  }
  if (!method) {
    cerr_set(e, 400, "missing_original_request", NULL, "%s", MISSING_MSG);
    return CUSTOS_EINVAL;
  }
  return authreq_set(rq, method, uri, ulen, e);
}

int authreq_from_parts(authreq_t *rq, const char *method, const char *uri, authreq_header_fn header, void *ctx,
                       cerr_t *e) {
  rq->http = NULL;
  rq->header = header;
  rq->header_ctx = ctx;
  /* One byte past both caps is enough for authreq_set to refuse a target
   * that is too long, without reading all of an unbounded string. */
  size_t len = strnlen(uri, AUTHREQ_PATH_MAX + AUTHREQ_QUERY_MAX + 1);
  return authreq_set(rq, method, uri, len, e);
}

const char *authreq_header(const authreq_t *rq, const char *name) {
  if (rq->http) return http_header(rq->http, name);
  return rq->header ? rq->header(rq->header_ctx, name) : NULL;
}

int authreq_query(const authreq_t *rq, const char *name, char *out, size_t outlen) {
  if (!outlen) return -1;
  if (rq->direct) {
    const char *v = rq->http ? http_query(rq->http, name) : NULL;
    if (!v) return -1;
    size_t n = strlen(v);
    if (n >= outlen) return -1;
    memcpy(out, v, n + 1);
    return (int)n;
  }
  size_t nl = strlen(name);
  char key[256];
  for (const char *p = rq->query; *p;) {
    size_t l = strcspn(p, "&");
    const char *eq = memchr(p, '=', l);
    size_t kl = eq ? (size_t)(eq - p) : l;
    int k = pct_decode(p, kl, true, key, sizeof key);
    if (k >= 0 && (size_t)k == nl && memcmp(key, name, nl) == 0) {
      if (!eq) {
        out[0] = '\0';
        return 0;
      }
      return pct_decode(eq + 1, l - kl - 1, true, out, outlen);
    }
    p += l;
    if (*p == '&') p++;
  }
  return -1;
}
