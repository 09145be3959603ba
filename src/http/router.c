#include "http/router.h"

#include <stdio.h>
#include <string.h>

static const struct { http_method_t m; const char *name; } METHODS[] = {
    {HTTP_GET, "GET"},     {HTTP_HEAD, "HEAD"},     {HTTP_POST, "POST"},
    {HTTP_PUT, "PUT"},     {HTTP_PATCH, "PATCH"},   {HTTP_DELETE, "DELETE"},
    {HTTP_OPTIONS, "OPTIONS"},
};
#define NMETHODS (sizeof METHODS / sizeof *METHODS)

http_method_t http_method_parse(const char *method) {
  for (size_t i = 0; i < NMETHODS; i++)
    if (strcmp(method, METHODS[i].name) == 0) return METHODS[i].m;
  return HTTP_OTHER;
}

void router_init(router_t *r) { memset(r, 0, sizeof *r); }

int router_add(router_t *r, unsigned methods, const char *pattern, http_handler_fn fn,
               void *ctx, const char *profile) {
  if (r->n >= ROUTER_MAX_ROUTES || pattern[0] != '/' || !fn || !methods) return -1;
  route_t *rt = &r->routes[r->n];
  memset(rt, 0, sizeof *rt);
  rt->methods = methods;
  /* HEAD is served wherever GET is (RFC 9110 §9.3.2). */
  if (methods & HTTP_GET) rt->methods |= HTTP_HEAD;
  rt->pattern = pattern;
  rt->handler = fn;
  rt->ctx = ctx;
  rt->profile = profile;
  rt->index = r->n;
  const char *p = pattern + 1;
  while (*p) {
    if (rt->nseg >= ROUTER_MAX_SEGMENTS) return -1;
    const char *e = strchr(p, '/');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == 0) return -1;
    bool param = p[0] == '{';
    if (param && len >= 6 && memcmp(p + len - 4, "...}", 4) == 0) {
      /* The catch-all: last, and only once. */
      if (p[len] != '\0') return -1;
      rt->rest = true;
      rt->rest_name = p + 1;
      rt->rest_name_len = len - 5;
      break;
    }
    if (param) {
      if (memchr(p, '.', len)) return -1;
      if (len < 3 || p[len - 1] != '}') return -1;
      rt->seg[rt->nseg].s = p + 1;
      rt->seg[rt->nseg].len = len - 2;
    } else {
      rt->seg[rt->nseg].s = p;
      rt->seg[rt->nseg].len = len;
    }
    rt->seg[rt->nseg].param = param;
    rt->nseg++;
    p += len;
    if (*p == '/') p++;
  }
  r->n++;
  return 0;
}

/* Splits path into segments; "/" has zero segments. A trailing slash or an
 * empty segment makes the path unroutable (no route has empty segments). */
static int split(const char *path, const char *seg[], size_t len[]) {
  if (path[0] != '/') return -1;
  int n = 0;
  const char *p = path + 1;
  if (!*p) return 0;
  for (;;) {
    if (n >= ROUTER_MAX_SEGMENTS) return -1;
    const char *e = strchr(p, '/');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == 0) return -1;
    seg[n] = p;
    len[n] = l;
    n++;
    if (!e) return n;
    p = e + 1;
  }
}

/* A catch-all route against the raw path: its fixed segments one by one,
 * then whatever is left. Independent of split(), so the rest may hold
 * empty segments and any number of them. */
static bool match_rest(const route_t *rt, const char *path, route_params_t *params) {
  if (path[0] != '/') return false;
  const char *p = path + 1;
  int np = 0;
  route_params_t tmp;
  for (int i = 0; i < rt->nseg; i++) {
    const char *e = strchr(p, '/');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == 0) return false;
    if (rt->seg[i].param) {
      if (np >= ROUTER_MAX_PARAMS - 1) return false;
      tmp.p[np].name = rt->seg[i].s;
      tmp.p[np].name_len = rt->seg[i].len;
      tmp.p[np].value = p;
      tmp.p[np].len = l;
      np++;
    } else if (rt->seg[i].len != l || memcmp(rt->seg[i].s, p, l) != 0) {
      return false;
    }
    p += l;
    if (*p == '/') p++;
    else if (i + 1 < rt->nseg) return false;
  }
  /* "/v1/check" (no slash after the last fixed segment) leaves p at the
   * end; "/v1/checkx" never gets here (the literal compare fails). */
  tmp.p[np].name = rt->rest_name;
  tmp.p[np].name_len = rt->rest_name_len;
  tmp.p[np].value = p;
  tmp.p[np].len = strlen(p);
  tmp.n = np + 1;
  if (params) *params = tmp;
  return true;
}

static bool match_route(const route_t *rt, int n, const char *seg[], const size_t len[],
                        route_params_t *params) {
  if (rt->rest || rt->nseg != n) return false;
  int np = 0;
  for (int i = 0; i < n; i++) {
    if (rt->seg[i].param) {
      if (np >= ROUTER_MAX_PARAMS) return false;
      if (params) {
        params->p[np].name = rt->seg[i].s;
        params->p[np].name_len = rt->seg[i].len;
        params->p[np].value = seg[i];
        params->p[np].len = len[i];
      }
      np++;
    } else if (rt->seg[i].len != len[i] || memcmp(rt->seg[i].s, seg[i], len[i]) != 0) {
      return false;
    }
  }
  if (params) params->n = np;
  return true;
}

static void allow_header(unsigned methods, char allow[ROUTER_ALLOW_MAX]) {
  size_t off = 0;
  allow[0] = '\0';
  for (size_t i = 0; i < NMETHODS; i++) {
    if (!(methods & METHODS[i].m)) continue;
    int w = snprintf(allow + off, ROUTER_ALLOW_MAX - off, "%s%s", off ? ", " : "", METHODS[i].name);
    if (w < 0 || (size_t)w >= ROUTER_ALLOW_MAX - off) break;
    off += (size_t)w;
  }
}

route_result_t router_match(const router_t *r, const char *method, const char *path,
                            const route_t **out, route_params_t *params,
                            char allow[ROUTER_ALLOW_MAX]) {
  const char *seg[ROUTER_MAX_SEGMENTS];
  size_t len[ROUTER_MAX_SEGMENTS];
  /* Paths too long or oddly shaped for fixed routes may still reach a
   * catch-all, which takes the rest as it is. */
  int n = strnlen(path, ROUTER_MAX_PATH + 1) > ROUTER_MAX_PATH ? -1 : split(path, seg, len);
  http_method_t m = http_method_parse(method);
  unsigned allowed = 0;
  for (int i = 0; i < r->n; i++) {
    const route_t *rt = &r->routes[i];
    route_params_t tmp;
    if (rt->rest ? !match_rest(rt, path, &tmp) : (n < 0 || !match_route(rt, n, seg, len, &tmp))) continue;
    if (rt->methods & m) {
      if (params) *params = tmp;
      *out = rt;
      return ROUTE_FOUND;
    }
    allowed |= rt->methods;
  }
  if (!allowed) return ROUTE_NOT_FOUND;
  if (allow) allow_header(allowed, allow);
  return ROUTE_METHOD_NOT_ALLOWED;
}

int route_param(const route_params_t *p, const char *name, char *out, size_t outlen) {
  size_t nl = strlen(name);
  for (int i = 0; i < p->n; i++) {
    if (p->p[i].name_len != nl || memcmp(p->p[i].name, name, nl) != 0) continue;
    if (p->p[i].len >= outlen) return -1;
    memcpy(out, p->p[i].value, p->p[i].len);
    out[p->p[i].len] = '\0';
    return (int)p->p[i].len;
  }
  return -1;
}
