/*
 * client.h — the CLI's HTTP client for the admin API (libcurl + jansson).
 *
 * One client_t per command run: a base URL, an optional bearer token and
 * one curl handle (so a `--all` walk reuses its connection). Every request
 * sends `User-Agent: custos-cli/VERSION`, `Accept: application/json` and,
 * when a token was given, `Authorization: Bearer <token>`; redirects are
 * never followed (the token must not travel to another host), only http
 * and https are spoken, and connect and total time are capped.
 *
 * Not thread-safe: one client per thread.
 */
#ifndef CUSTOS_CLI_CLIENT_H
#define CUSTOS_CLI_CLIENT_H

#include <curl/curl.h>
#include <jansson.h>

#define CLIENT_MAX_URL 2048               /* base URL + path + query, bytes */
#define CLIENT_MAX_TOKEN 512              /* bearer token, bytes */
#define CLIENT_MAX_RESPONSE (8 << 20)     /* response body, bytes */
#define CLIENT_CONNECT_TIMEOUT_MS 10000   /* TCP + TLS connect */
#define CLIENT_TIMEOUT_MS 60000           /* whole request */
#define CLIENT_ERROR_MAX (CLIENT_MAX_URL + CURL_ERROR_SIZE + 64)

typedef struct client {
  CURL *curl;                   /* private; one handle, connections reused */
  struct curl_slist *headers;   /* private; request headers, token included */
  char base[CLIENT_MAX_URL];    /* base URL without trailing '/', NUL-terminated */
  char shown[CLIENT_MAX_URL];   /* base for messages: a user:password@ becomes ***@ */
  char error[CLIENT_ERROR_MAX]; /* why the last call failed, for humans; "" if it did not */
} client_t;

typedef struct client_resp {
  long status;  /* HTTP status of the answer */
  json_t *json; /* parsed body (owned, json_decref), NULL if empty or not JSON */
} client_resp_t;

/*
 * Prepares `c` for `base_url` ("http://host:port", optionally with a path
 * prefix; trailing '/' dropped) and `token` (may be NULL: no Authorization
 * header). The token is copied into the header list and wiped on cleanup.
 * CUSTOS_OK; CUSTOS_EINVAL (URL not http(s), too long, token too long or
 * with a control character; c->error says which); CUSTOS_ENOMEM. After a
 * failure client_cleanup is still safe to call.
 */
int client_init(client_t *c, const char *base_url, const char *token)
    __attribute__((warn_unused_result));

/* Releases the handle and wipes the token. Accepts a zeroed client. */
void client_cleanup(client_t *c);

/*
 * Sends `method` to base + `path` ("/admin/v1/keys?limit=5": path and query
 * already escaped, starting with '/'), with `body` serialized as the JSON
 * request body when not NULL.
 *
 * Returns CUSTOS_OK when the server answered, whatever the status: out->status
 * and out->json are set and out->json belongs to the caller. Otherwise out
 * is zeroed and c->error names the URL and the cause:
 * CUSTOS_EIO (could not connect, timed out, connection broke),
 * CUSTOS_ETOOBIG (answer over CLIENT_MAX_RESPONSE), CUSTOS_EINVAL (URL too
 * long), CUSTOS_ENOMEM. The raw response bytes are wiped before they are
 * freed, since creation answers carry secrets.
 */
int client_request(client_t *c, const char *method, const char *path, const json_t *body,
                   client_resp_t *out) __attribute__((warn_unused_result));

/* A malloc'd copy of `s` percent-encoded for a URL path segment or query
 * value (everything but A-Z a-z 0-9 - . _ ~). NULL on ENOMEM. */
char *client_escape(const char *s);

#endif
