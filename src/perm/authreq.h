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

#include <stddef.h>

#include "http/server.h"

#define AUTHREQ_PATH_MAX 2048
#define AUTHREQ_QUERY_MAX 4096

typedef struct authreq {
  char method[16];                  /* original method, upper-case */
  char path[AUTHREQ_PATH_MAX];      /* original path, percent-decoded once, no query */
  char query[AUTHREQ_QUERY_MAX];    /* original raw query string without '?', "" if none */
  const http_req_t *http;           /* where headers are read from */
} authreq_t;

/* Request header `name` (case-insensitive), NULL when absent. */
const char *authreq_header(const authreq_t *rq, const char *name);

/* Query parameter `name` of the original URI, percent-decoded into out
 * (NUL-terminated). Returns its length, or -1 when absent, malformed or
 * longer than outlen-1. */
int authreq_query(const authreq_t *rq, const char *name, char *out, size_t outlen);

#endif
