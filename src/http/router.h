/*
 * router.h — method + path-pattern routing with path parameters.
 *
 * Patterns are literal segments and `{name}` parameters, e.g.
 * "/admin/v1/apps/{id}". A parameter matches one non-empty segment. A
 * final `{name...}` is a catch-all: it matches the rest of the path, zero
 * or more segments taken as they are (empty segments and a trailing slash
 * included, no segment or length cap), and its value is that rest without
 * the leading '/': "/v1/check/{path...}" gives path = "a/b" for
 * "/v1/check/a/b", "" for "/v1/check" and "/v1/check/". Routes are tried in
 * registration order, so register literals before parameters where both
 * could match. The router is built once at start-up and read concurrently
 * afterwards without locks.
 */
#ifndef CUSTOS_HTTP_ROUTER_H
#define CUSTOS_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#define ROUTER_MAX_ROUTES 256
#define ROUTER_MAX_SEGMENTS 16
#define ROUTER_MAX_PARAMS 8
#define ROUTER_MAX_PATH 2048   /* longer paths never match: 404 */
#define ROUTER_ALLOW_MAX 96    /* "GET, HEAD, POST, …" */

typedef enum http_method {
  HTTP_GET = 1 << 0,
  HTTP_HEAD = 1 << 1,
  HTTP_POST = 1 << 2,
  HTTP_PUT = 1 << 3,
  HTTP_PATCH = 1 << 4,
  HTTP_DELETE = 1 << 5,
  HTTP_OPTIONS = 1 << 6,
  HTTP_OTHER = 1 << 7,
} http_method_t;

struct http_req;
typedef void (*http_handler_fn)(struct http_req *req, void *ctx);

typedef struct route {
  unsigned methods;             /* bitmask of http_method_t */
  const char *pattern;          /* static string, also the metrics label */
  http_handler_fn handler;
  void *ctx;                    /* passed to handler */
  const char *profile;          /* error renderer for this route, NULL = default */
  int index;                    /* position, for per-route metrics */
  int nseg;                     /* segments before the catch-all, if any */
  bool rest;                    /* pattern ends in a {name...} catch-all */
  const char *rest_name;        /* its name (points into pattern) */
  size_t rest_name_len;
  struct { const char *s; size_t len; bool param; } seg[ROUTER_MAX_SEGMENTS];
} route_t;

typedef struct router {
  route_t routes[ROUTER_MAX_ROUTES];
  int n;
} router_t;

typedef struct route_params {
  int n;
  struct { const char *name; size_t name_len; const char *value; size_t len; } p[ROUTER_MAX_PARAMS];
} route_params_t;

typedef enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED } route_result_t;

void router_init(router_t *r);
/* Adds a route. `pattern` must stay valid for the router's life. Returns
 * 0, or -1 for a malformed pattern or a full table (a programming error). */
int router_add(router_t *r, unsigned methods, const char *pattern, http_handler_fn fn,
               void *ctx, const char *profile);
/* Matches `method` (a request's method text) and `path` (no query string).
 * On ROUTE_FOUND sets *out and fills params, whose values point into `path`.
 * On ROUTE_METHOD_NOT_ALLOWED writes the Allow header value into allow. */
route_result_t router_match(const router_t *r, const char *method, const char *path,
                            const route_t **out, route_params_t *params,
                            char allow[ROUTER_ALLOW_MAX]);
http_method_t http_method_parse(const char *method);
/* Copies param `name` into out (NUL-terminated). Returns its length, or -1
 * when absent or longer than outlen-1. */
int route_param(const route_params_t *p, const char *name, char *out, size_t outlen);

#endif
