/*
 * server.h — custos's HTTP/1.1 server: request life cycle, limits, request
 * ids, access log, metrics and graceful shutdown.
 *
 * One event loop (epoll) per thread; handlers run on those threads and must
 * answer by calling one of the http_reply_* functions exactly once before
 * returning; a handler that returns without replying produces a 500.
 * Connections stay open (keep-alive, pipelining) unless the client or an
 * error says otherwise. Why custos has its own server rather than
 * libmicrohttpd: docs/performance.md ("HTTP server").
 */
#ifndef CUSTOS_HTTP_SERVER_H
#define CUSTOS_HTTP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "http/metrics.h"
#include "http/router.h"

#define HTTP_REQUEST_ID_MAX 65    /* 64 chars + NUL */
#define HTTP_MAX_EXTRA_HEADERS 12
#define HTTP_MAX_CONNECTIONS 4096
/* A connection's input buffer holds the head limit plus this: room for the
 * start of a body or a pipelined request behind a head at the limit. */
#define HTTP_POOL_SLACK 4096
#define HTTP_DISCARD_MAX ((size_t)16 << 20) /* bytes read past the body limit before hanging up */
/* A request carrying this header with the value "1" gets every error reply
 * twice: the body as usual, and also in the response headers
 * X-Custos-Status (the status) and X-Custos-Error-Body (the body's exact
 * bytes). For gateways that keep only a subrequest's headers (nginx
 * auth_request): they answer the client from these, so a refusal costs one
 * check (docs/gateway/nginx.md). On request only, because gateways that
 * pass custos's refusal on whole (Caddy, Traefik, Envoy) would hand the
 * copy to their clients too. Bodies are single-line JSON; one longer than
 * HTTP_ERROR_COPY_MAX bytes (more than any renderer makes: a 255-byte
 * message of control bytes escaped six-fold, a 127-byte field likewise,
 * a request id), or with a byte a header may not hold, is not copied, and
 * neither is the status (custos logs a warning). The limit keeps custos's
 * whole response head inside nginx's default proxy_buffer_size (4k).
 * When copied, the reply's body is empty: nginx's auth_request reads no
 * body, and an unread one closes its keep-alive connection to custos. */
#define HTTP_ERROR_COPY_REQUEST "X-Custos-Error-Headers"
#define HTTP_ERROR_COPY_MAX 2600

struct http_conn;
typedef struct http_server http_server_t;

typedef struct http_req {
  struct http_conn *conn;
  http_server_t *srv;
  void *app;                              /* the server's app pointer */
  const char *method;                     /* valid during the request */
  const char *path;                       /* decoded path, no query string */
  const char *raw_uri;                    /* the request target as received (path and query, not
                                             decoded), only under opts.raw_uri_prefix; else NULL */
  const char *query;                      /* raw query string after '?', NULL when none */
  char *query_decoded;                    /* http_query's decoded pairs, made on first use */
  const char *error_profile;              /* renders http_reply_error when set, else the route's
                                             profile; static string (http_set_error_profile) */
  http_method_t method_id;
  const route_t *route;                   /* NULL until matched */
  route_params_t params;
  buf_t body;                             /* request body, capped at max_body_bytes */
  char request_id[HTTP_REQUEST_ID_MAX];
  uint64_t start_ns;                      /* CLOCK_MONOTONIC */
  int status;                             /* response status, 0 until replied */
  size_t bytes_out;
  bool replied;
  bool too_large;                         /* body passed the limit: answer 413 */
  size_t discarded;                       /* bytes dropped after too_large */
  int nextra;
  struct { char *name; char *value; bool borrowed; } extra[HTTP_MAX_EXTRA_HEADERS];
} http_req_t;

typedef struct http_server_opts {
  const char *listen;          /* "host:port", "[v6]:port"; port 0 = any free port */
  int threads;                 /* polling threads, 0 = one per core */
  size_t max_body_bytes;
  size_t max_header_bytes;     /* request line + headers */
  int max_headers;
  int connection_timeout_s;
  bool access_log;
  const char *raw_uri_prefix;  /* static; requests whose target starts with this keep it raw (http_raw_uri); NULL = none */
} http_server_opts_t;

/* Starts listening and serving. `router` and `metrics` must outlive the
 * server. Returns NULL with a message in err on failure (bad address,
 * port in use). */
http_server_t *http_server_start(const http_server_opts_t *o, const router_t *router,
                                 metrics_t *metrics, void *app, char *err, size_t errlen);
/* The bound port (useful with port 0). */
uint16_t http_server_port(const http_server_t *s);
/* Graceful shutdown, step one: stop accepting, mark responses
 * "Connection: close", and wait up to grace_ms for in-flight requests.
 * Returns the number of requests still in flight when it gave up. */
int64_t http_server_drain(http_server_t *s, int grace_ms);
/* Stops the threads and frees the server (NULL ok). */
void http_server_stop(http_server_t *s);

/* Replies. Each takes ownership of what it is given and may be called once
 * per request; later calls are ignored. */
void http_reply(http_req_t *r, int status, const char *content_type, buf_t *body);
void http_reply_text(http_req_t *r, int status, const char *content_type, const char *text);
/* Serialises `obj` compactly and takes the reference (json_decref's it). */
void http_reply_json(http_req_t *r, int status, json_t *obj);
/* Renders `e` in the shape of the request's error profile (see
 * http_set_error_profile), else the route's profile. e->retry_after_s > 0
 * adds a Retry-After header; HTTP_ERROR_COPY_REQUEST adds the copy. */
void http_reply_error(http_req_t *r, const cerr_t *e);
/* Chooses, at run time, the profile whose shape renders this request's
 * errors (e.g. /v1/check, whose profile is known only once a route policy
 * matched). `profile` must be static (or outlive the request); NULL goes
 * back to the route's. */
void http_set_error_profile(http_req_t *r, const char *profile);
/* Adds a response header (copied) for the coming reply; -1 when full. */
int http_add_header(http_req_t *r, const char *name, const char *value);
/* The same without the copy: name and value must stay valid until the
 * reply is queued (http_reply copies them into the response). For a hot
 * path that answers from a buffer of its own stack frame (/v1/check). */
int http_add_header_ref(http_req_t *r, const char *name, const char *value);

/* True when a client-supplied request id (X-Request-Id) may be echoed:
 * 1..HTTP_REQUEST_ID_MAX-1 characters of [A-Za-z0-9._:-], nothing that
 * could break a log line or a header. Otherwise custos makes its own. */
bool http_request_id_sane(const char *s);

/* Request header value (case-insensitive name), NULL when absent. */
const char *http_header(const http_req_t *r, const char *name);
#define HTTP_HEADERS_PICK_MAX 8   /* names one http_headers call may ask for */
/* Several at once: out[i] gets what http_header(r, names[i]) would (the
 * first header of that name, NULL when absent), in one walk over the
 * request's headers instead of one per name. n <= HTTP_HEADERS_PICK_MAX. */
void http_headers(const http_req_t *r, const char *const *names, size_t n, const char **out);
/* The request target exactly as received (path and query, not decoded)
 * when it starts with opts.raw_uri_prefix, else NULL. */
const char *http_raw_uri(const http_req_t *r);
/* Query argument value (decoded), NULL when absent. */
const char *http_query(const http_req_t *r, const char *name);
/* The client's IP address as text into out ("" when unknown). */
void http_remote_addr(const http_req_t *r, char *out, size_t outlen);

#endif
