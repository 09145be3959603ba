/* A small libcurl client for unit tests that speak real HTTP to a server
 * on loopback. */
#ifndef CUSTOS_TEST_HTTPC_H
#define CUSTOS_TEST_HTTPC_H
#include <curl/curl.h>
#include <stddef.h>

typedef struct httpc_resp {
  long status;
  char *body;      /* NUL-terminated, malloc'd */
  size_t body_len;
  char *headers;   /* raw response head, malloc'd */
  long new_conns;  /* connections opened for this request */
} httpc_resp_t;

/* One handle per test so connections can be reused (keep-alive). */
CURL *httpc_new(void);
/* headers: NULL-terminated array of "Name: value" lines, may be NULL.
 * body may be NULL; chunked = send with Transfer-Encoding: chunked. */
int httpc_do(CURL *h, const char *method, const char *url, const char *const *headers,
             const char *body, size_t body_len, int chunked, httpc_resp_t *out);
/* Value of response header `name` (case-insensitive), copied into out. */
int httpc_header(const httpc_resp_t *r, const char *name, char *out, size_t outlen);
void httpc_resp_free(httpc_resp_t *r);
#endif
