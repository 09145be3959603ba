/*
 * authreq.h — the request being authorized, whichever way it reached us.
 *
 * Directly (a profile's own endpoint), the request is the HTTP request
 * itself. Through a gateway (/v1/check), method and URI are the original
 * request's (X-Original-Method/-URI from nginx, X-Forwarded-Method/-Uri
 * from Traefik and Caddy, or the path after /v1/check from Envoy), while
 * the credential headers are the ones the gateway copied onto the
 * subrequest. Profiles read everything through this view so one check
 * serves both.
 */
#ifndef CUSTOS_PERM_AUTHREQ_H
#define CUSTOS_PERM_AUTHREQ_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "http/server.h"

#define AUTHREQ_PATH_MAX 2048
#define AUTHREQ_QUERY_MAX 4096
#define AUTHREQ_METHOD_MAX 16
#define AUTHREQ_CHECK_PATH "/v1/check"   /* the gateway check; Envoy appends the original path */

/* A header source that is not an HTTP request (libcustos's in-process
 * check): the value of header `name` (case-insensitive), NULL when absent.
 * The value must stay valid while the authreq_t is in use. */
typedef const char *(*authreq_header_fn)(void *ctx, const char *name);

typedef struct authreq {
  char method[16];                  /* original method, upper-case */
  char path[AUTHREQ_PATH_MAX];      /* original path, percent-decoded once, no query */
  char query[AUTHREQ_QUERY_MAX];    /* original raw query string without '?', "" if none */
  const http_req_t *http;           /* where headers are read from; NULL: from `header` */
  authreq_header_fn header;         /* used when http is NULL; NULL = no headers at all */
  void *header_ctx;                 /* passed to header */
  bool direct;                      /* built from the request itself: query from the HTTP layer */
} authreq_t;

/*
 * From the request itself (a profile's own endpoint): its method, its
 * (already decoded) path; query parameters are read through the HTTP
 * layer. CUSTOS_OK, or CUSTOS_EINVAL with a 400 in *e (path too long, dot
 * segments). *rq is only meaningful on CUSTOS_OK.
 */
int authreq_from_request(authreq_t *rq, const http_req_t *r, cerr_t *e)
    __attribute__((warn_unused_result));

/*
 * From a gateway subrequest to AUTHREQ_CHECK_PATH. The original request is
 * read from whichever of these is present:
 *   X-Original-Method + X-Original-URI      nginx auth_request
 *   X-Forwarded-Method + X-Forwarded-Uri    Traefik ForwardAuth, Caddy forward_auth
 *   the target after /v1/check + the method Envoy ext_authz (HTTP service)
 * When several are present they must agree exactly (a client could slip
 * one gateway's header through another), else 400. A header of a pair
 * without its partner is 400; none at all is 400 missing_original_request.
 * The URI is then parsed by authreq_set_uri(). No allocation.
 */
int authreq_from_check(authreq_t *rq, const http_req_t *r, cerr_t *e) __attribute__((warn_unused_result));

/*
 * Sets method (1..15 letters, upper-cased) and the original request target
 * `uri` (`len` bytes: "/path?query", as sent, percent-encoded): the path is
 * percent-decoded once; NUL (raw or %00), a bad %-escape, a "." or ".."
 * segment, a path or query over its cap, or a target not starting with '/'
 * give CUSTOS_EINVAL and a 400 in *e. The query is kept raw. The parser the
 * fuzzer drives (tests/fuzz/fuzz_authreq.c).
 */
int authreq_set(authreq_t *rq, const char *method, const char *uri, size_t len, cerr_t *e)
    __attribute__((warn_unused_result));

/*
 * From parts handed over in-process (libcustos custos_check): the original
 * method and request target `uri` (NUL-terminated "/path?query", as sent,
 * parsed by authreq_set()), headers read through `header(ctx, name)`
 * (NULL = none). Nothing is copied from the headers and nothing is
 * allocated. CUSTOS_OK, or CUSTOS_EINVAL with a 400 in *e exactly as
 * authreq_from_check() would give for the same method and URI.
 */
int authreq_from_parts(authreq_t *rq, const char *method, const char *uri, authreq_header_fn header, void *ctx,
                       cerr_t *e) __attribute__((warn_unused_result));

/* Request header `name` (case-insensitive), NULL when absent: from the
 * HTTP request when there is one, else from the header callback. */
const char *authreq_header(const authreq_t *rq, const char *name);

/* Query parameter `name` of the original URI, percent-decoded into out
 * (NUL-terminated). Returns its length, or -1 when absent, malformed or
 * longer than outlen-1. */
int authreq_query(const authreq_t *rq, const char *name, char *out, size_t outlen);

#endif
