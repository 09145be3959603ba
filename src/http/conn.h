/*
 * conn.h — internal to src/http: one client connection and the server that
 * owns it, shared by the event loop (server.c) and the request/reply side
 * (request.c). Nothing outside src/http includes this.
 */
#ifndef CUSTOS_HTTP_CONN_H
#define CUSTOS_HTTP_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http/h1parse.h"
#include "http/server.h"

typedef struct http_worker http_worker_t;

/* CONN_LINGER: answered and half-closed; what the client still sends is
 * read and dropped for a moment before the close, so the kernel does not
 * answer unread input with a reset that destroys our answer. */
typedef enum { CONN_HEAD, CONN_BODY, CONN_WRITE, CONN_LINGER } conn_state_t;

typedef struct http_conn {
  int fd;
  http_worker_t *w;
  struct http_conn *prev, *next; /* the worker's list (active or lingering), oldest first */
  uint64_t last_s;               /* monotonic second of the last progress */
  struct sockaddr_storage peer;

  /* Input: the request head (its strings point here until the request is
   * done), then the body's bytes passing through, then what a pipelining
   * client sent next. in_cap = max_header_bytes + HTTP_POOL_SLACK. */
  char *in;
  size_t in_len, in_cap, scan;
  bool readable;    /* an EPOLLIN edge not yet read to exhaustion */
  bool peer_closed; /* read 0 */
  bool peer_fin;    /* EPOLLRDHUP: the client's FIN is in, behind whatever data
                       is buffered; no further edge will announce it */
  size_t lingered;  /* bytes dropped while lingering */

  conn_state_t state;
  bool in_request;  /* a head was parsed: counted in_flight, gets metrics + log */
  h1_request_t req;
  h1_framing_t framing;
  uint64_t body_left; /* H1_BODY_LENGTH: bytes still to read */
  h1_chunked_t chunked;
  bool keep_alive;    /* this request allows another after it */
  bool close_after;   /* close once the answer is written */
  bool interim;       /* what is being written is a 100 Continue: then CONN_BODY */

  /* Output: the answer's head, then its body (owned), sent with sendmsg. */
  char *out;
  size_t out_len, out_off, out_cap;
  char *body;
  size_t body_len, body_off;

  char *scratch; /* the decoded path and query (request.c), grown on demand */
  size_t scratch_cap;

  http_req_t r;
} http_conn_t;

struct http_server {
  const router_t *router;
  metrics_t *metrics;
  void *app;
  http_server_opts_t o;
  uint16_t port;
  int lfd;
  int nworkers;
  http_worker_t *workers;
  _Atomic bool draining;
  _Atomic bool stopping;
  _Atomic int unlistened; /* workers that have let go of the listening socket */
  _Atomic int nconns;
};

/* request.c: a request's life on its connection. */
/* Sets up c->r for the head just parsed (or, with parsed == false, for a
 * malformed one that will only get an error). */
void http_request_begin(http_server_t *s, http_conn_t *c, bool parsed);
/* The limits checked before any body is read; true when it replied. */
bool http_request_check_head(http_server_t *s, http_conn_t *c);
/* Routes and runs the handler (or answers 413 for a body over the limit). */
void http_request_dispatch(http_server_t *s, http_conn_t *c);
/* Metrics, access log, in_flight; frees what the request owned. */
void http_request_end(http_server_t *s, http_conn_t *c);
/* Answers with a JSON error in the request's profile (server.c's early
 * refusals: malformed head, 431, 505). */
void http_request_refuse(http_req_t *r, int status, const char *code, const char *msg);

/* CLOCK_MONOTONIC in nanoseconds (request.c). */
uint64_t http_now_ns(void);
/* True when a handler already added a response header of that name. */
bool http_req_has_header(const http_req_t *r, const char *name);
/* True when the client sent "Expect: 100-continue". */
bool http_request_expects_continue(const http_conn_t *c);

/* server.c: hands an answer to the connection's writer. `body` is owned. */
void http_conn_queue(http_conn_t *c, int status, const char *content_type, char *body, size_t body_len);

#endif
