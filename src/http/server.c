/* The event loop: one epoll per worker thread, all sharing one listening
 * socket (EPOLLEXCLUSIVE wakes one worker per connection). Connections are
 * edge-triggered for input and output, registered once; a request is read,
 * parsed (h1parse.c), handled and answered on the worker that accepted it,
 * usually with one recv and one sendmsg. Idle connections are closed after
 * connection_timeout_s from a list kept in order of last activity. */
#include "http/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/conn.h"
#include "http/lograte.h"

typedef struct conn_list {
  http_conn_t *oldest, *newest;
} conn_list_t;

/* How long, and how much, a closing connection's input is read and
 * dropped (nginx's lingering close does the same). */
#define HTTP_LINGER_S 2
#define HTTP_LINGER_MAX ((size_t)1 << 20)

struct http_worker {
  http_server_t *s;
  pthread_t thread;
  int ep;
  int wake; /* eventfd: stop, drain */
  bool listening;
  conn_list_t active;  /* by last activity, oldest first */
  conn_list_t linger;  /* by start of lingering, oldest first */
};

/* epoll data for the two non-connection fds: their own addresses. */
static char LISTEN_TAG, WAKE_TAG;

static uint64_t mono_s(void) { return http_now_ns() / 1000000000u; }

/* ---- the activity list (idle timeouts) ------------------------------------ */

static void list_unlink(conn_list_t *l, http_conn_t *c) {
  if (c->prev) c->prev->next = c->next; else l->oldest = c->next;
  if (c->next) c->next->prev = c->prev; else l->newest = c->prev;
  c->prev = c->next = NULL;
}

static void list_push(conn_list_t *l, http_conn_t *c) {
  c->prev = l->newest;
  c->next = NULL;
  if (l->newest) l->newest->next = c; else l->oldest = c;
  l->newest = c;
}

static conn_list_t *list_of(http_conn_t *c) { return c->state == CONN_LINGER ? &c->w->linger : &c->w->active; }

static void touch(http_conn_t *c, uint64_t now) {
  c->last_s = now;
  if (c->w->active.newest != c) {
    list_unlink(&c->w->active, c);
    list_push(&c->w->active, c);
  }
}

/* ---- connections ------------------------------------------------------------ */

static void conn_free(http_conn_t *c) {
  http_worker_t *w = c->w;
  http_request_end(w->s, c);
  atomic_fetch_sub(&w->s->nconns, 1);
  close(c->fd); /* also takes it out of the epoll set */
  free(c->in);
  free(c->out);
  free(c->body);
  free(c->scratch);
  free(c);
}

static void conn_close(http_conn_t *c) {
  list_unlink(list_of(c), c);
  conn_free(c);
}

/* Closes the oldest connection of l (taken off l first). */
static void close_oldest(conn_list_t *l) {
  http_conn_t *c = l->oldest;
  l->oldest = c->next;
  if (l->oldest) l->oldest->prev = NULL; else l->newest = NULL;
  c->next = c->prev = NULL;
  conn_free(c);
}

/* The status line's reason phrase (RFC 9110 §15). */
static const char *reason(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 411: return "Length Required";
  case 412: return "Precondition Failed";
  case 413: return "Content Too Large";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Content";
  case 428: return "Precondition Required";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  default: return "Unknown";
  }
}

/* "Date: …\r\n", formatted once a second per thread (RFC 9110 §6.6.1: an
 * origin server with a clock sends it). */
static const char *date_line(size_t *len) {
  static _Thread_local time_t last;
  static _Thread_local char line[48];
  static _Thread_local size_t n;
  time_t now = time(NULL);
  if (now != last || !n) {
    struct tm tm;
    gmtime_r(&now, &tm);
    n = strftime(line, sizeof line, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    last = now;
  }
  *len = n;
  return line;
}

/* Appends to c->out; the head is small, so growth is rare. */
static bool out_put(http_conn_t *c, const char *p, size_t n) {
  if (c->out_len + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 1024;
    while (cap < c->out_len + n) cap *= 2;
    char *o = realloc(c->out, cap);
    if (!o) return false;
    c->out = o;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
  return true;
}

static bool out_str(http_conn_t *c, const char *s) { return out_put(c, s, strlen(s)); }

/* A header a handler added: a token name (RFC 9110 §5.6.2; a name holding
 * '(', '/', '"', … is not HTTP, and what a proxy or client makes of it is
 * anyone's guess) and a non-empty value without CR, LF or other control
 * bytes (no response splitting, whatever a stored identity holds). */
static bool header_ok(const char *name, const char *value) {
  if (!*name || !*value) return false;
  for (const char *p = name; *p; p++)
    if (!h1_is_tchar((unsigned char)*p)) return false;
  for (const char *p = value; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    if ((ch < 0x20 && ch != '\t') || ch == 0x7f) return false;
  }
  return true;
}

static bool write_head(http_conn_t *c, int status, const char *content_type, size_t body_len) {
  http_req_t *r = &c->r;
  http_server_t *s = c->w->s;
  char line[96];
  size_t dn;
  int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, reason(status));
  bool ok = out_put(c, line, (size_t)n);
  const char *d = date_line(&dn);
  ok = ok && out_put(c, d, dn);
  if (status >= 200 && status != 204 && status != 304) {
    n = snprintf(line, sizeof line, "Content-Length: %zu\r\n", body_len);
    ok = ok && out_put(c, line, (size_t)n);
  }
  if (content_type) ok = ok && out_str(c, "Content-Type: ") && out_str(c, content_type) && out_str(c, "\r\n");
  ok = ok && out_str(c, "X-Request-Id: ") && out_str(c, r->request_id) && out_str(c, "\r\n");
  /* Auth answers are per-caller: never let a cache keep them by default. */
  if (!http_req_has_header(r, "Cache-Control")) ok = ok && out_str(c, "Cache-Control: no-store\r\n");
  for (int i = 0; i < r->nextra && ok; i++) {
    if (!header_ok(r->extra[i].name, r->extra[i].value)) {
      log_msg(LOG_WARN, "http: response header '%.64s' dropped (empty, or a byte a header may not hold)",
              r->extra[i].name);
      continue;
    }
    ok = out_str(c, r->extra[i].name) && out_str(c, ": ") && out_str(c, r->extra[i].value) && out_str(c, "\r\n");
  }
  if (atomic_load(&s->draining) || !c->keep_alive) c->close_after = true;
  if (c->close_after)
    ok = ok && out_str(c, "Connection: close\r\n");
  else if (c->req.minor == 0)
    ok = ok && out_str(c, "Connection: keep-alive\r\n");
  return ok && out_put(c, "\r\n", 2);
}

void http_conn_queue(http_conn_t *c, int status, const char *content_type, char *body, size_t body_len) {
  c->out_len = c->out_off = 0;
  if (!write_head(c, status, content_type, body_len)) {
    /* Out of memory for a few hundred bytes: nothing sensible to send. */
    free(body);
    c->out_len = 0;
    c->close_after = true;
    c->state = CONN_WRITE;
    return;
  }
  if (c->r.method_id == HTTP_HEAD || status == 204 || status == 304) {
    free(body);
    body = NULL;
    body_len = 0;
  }
  free(c->body);
  c->body = body;
  c->body_len = body_len;
  c->body_off = 0;
  c->state = CONN_WRITE;
}

/* Sends what is queued. 1: all sent; 0: the socket is full (wait for
 * EPOLLOUT); -1: the connection is gone. */
static int conn_flush(http_conn_t *c) {
  while (c->out_off < c->out_len || c->body_off < c->body_len) {
    struct iovec iov[2];
    int n = 0;
    if (c->out_off < c->out_len) iov[n++] = (struct iovec){c->out + c->out_off, c->out_len - c->out_off};
    if (c->body_off < c->body_len) iov[n++] = (struct iovec){c->body + c->body_off, c->body_len - c->body_off};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t sent = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -1;
    }
    size_t left = (size_t)sent, h = c->out_len - c->out_off;
    if (left >= h) {
      c->out_off = c->out_len;
      c->body_off += left - h;
    } else {
      c->out_off += left;
    }
  }
  return 1;
}

/* A refusal before any handler ran (malformed head, too large, wrong
 * version): answered, then the connection is closed, since where the next
 * request would start is unknown. */
static void refuse_and_close(http_conn_t *c, bool parsed, int status, const char *code, const char *msg) {
  if (!c->in_request) http_request_begin(c->w->s, c, parsed);
  c->keep_alive = false;
  c->close_after = true;
  http_request_refuse(&c->r, status, code, msg);
}

/* "100 Continue" for a client that waits for it before sending its body:
 * queued like an answer (a socket with little room left must not get half
 * of it), then back to reading the body (c->interim). */
static void queue_continue(http_conn_t *c) {
  static const char CONT[] = "HTTP/1.1 100 Continue\r\n\r\n";
  c->out_len = c->out_off = 0;
  if (!out_put(c, CONT, sizeof CONT - 1)) return; /* the client sends its body after a while anyway */
  c->interim = true;
  c->state = CONN_WRITE;
}

static void start_request(http_server_t *s, http_conn_t *c, size_t head_end) {
  h1_status_t st = h1_parse_head(c->in, head_end, (size_t)s->o.max_headers, &c->req);
  if (st == H1_TOO_MANY_HEADERS) {
    refuse_and_close(c, false, 431, CERR_HEADERS_TOO_LARGE, "request header fields too large");
    return;
  }
  if (st == H1_BAD_VERSION) {
    refuse_and_close(c, false, 505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
    return;
  }
  if (st != H1_OK) {
    refuse_and_close(c, false, 400, CERR_BAD_REQUEST, "malformed request");
    return;
  }
  http_request_begin(s, c, true);
  if (head_end > s->o.max_header_bytes) {
    refuse_and_close(c, true, 431, CERR_HEADERS_TOO_LARGE, "request header fields too large");
    return;
  }
  if (h1_framing(&c->req, &c->framing) != H1_OK) {
    refuse_and_close(c, true, 400, CERR_BAD_REQUEST, "malformed request: conflicting or invalid body framing");
    return;
  }
  /* RFC 9112 §3.2: a 1.1 request without Host gets 400. */
  if (c->req.minor == 1 && !h1_header(&c->req, "host", 4)) {
    refuse_and_close(c, true, 400, CERR_BAD_REQUEST, "malformed request: no Host header");
    return;
  }
  c->keep_alive = h1_keep_alive(&c->req);
  c->close_after = false;
  c->body_left = c->framing.kind == H1_BODY_LENGTH ? c->framing.length : 0;
  c->chunked = (h1_chunked_t)H1_CHUNKED_INIT;
  bool has_body = c->framing.kind == H1_BODY_CHUNKED || c->body_left > 0;
  if (http_request_check_head(s, c)) return;
  if (!has_body) {
    http_request_dispatch(s, c);
    return;
  }
  c->state = CONN_BODY;
  if (c->req.minor == 1 && c->in_len == head_end && http_request_expects_continue(c)) queue_continue(c);
}

/* Moves the body bytes that follow the head into the request. Returns false
 * when the connection must close (malformed chunked body, too much to
 * discard). */
static bool take_body(http_server_t *s, http_conn_t *c) {
  http_req_t *r = &c->r;
  size_t base = c->req.head_len;
  char *p = c->in + base;
  size_t avail = c->in_len - base, used, data;
  bool done;
  if (c->framing.kind == H1_BODY_CHUNKED) {
    long n = h1_chunked_decode(&c->chunked, p, avail, &data, &done);
    if (n < 0) {
      refuse_and_close(c, true, 400, CERR_BAD_REQUEST, "malformed chunked body");
      return true;
    }
    used = (size_t)n;
  } else {
    used = avail < c->body_left ? avail : (size_t)c->body_left;
    data = used;
    c->body_left -= used;
    done = c->body_left == 0;
  }
  if (data) {
    if (!r->too_large && buf_append(&r->body, p, data) != 0) {
      r->too_large = true;
      buf_cleanup(&r->body);
      buf_init(&r->body, 1);
    }
    if (r->too_large) {
      r->discarded += data;
      if (r->discarded > HTTP_DISCARD_MAX) return false;
    }
  }
  /* What follows the body (a pipelined request) moves up behind the head. */
  memmove(p, p + used, avail - used);
  c->in_len -= used;
  if (done) http_request_dispatch(s, c);
  return true;
}

static void request_done(http_conn_t *c);

static void linger_start(http_conn_t *c) {
  http_request_end(c->w->s, c);
  shutdown(c->fd, SHUT_WR);
  list_unlink(&c->w->active, c);
  c->state = CONN_LINGER;
  c->last_s = mono_s();
  list_push(&c->w->linger, c);
  c->readable = true;
}

/* Drops input until the client closes, or the limits are reached. False
 * once c is closed. */
static bool linger_read(http_conn_t *c) {
  for (;;) {
    ssize_t n = recv(c->fd, c->in, c->in_cap, 0);
    if (n > 0) {
      c->lingered += (size_t)n;
      if (c->lingered <= HTTP_LINGER_MAX) continue;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c->readable = false;
      return true;
    }
    conn_close(c);
    return false;
  }
}

/* The offset just past the first LF in buf[from..len) not preceded by a
 * CR, or 0 when there is none. */
static size_t bare_lf(const char *buf, size_t from, size_t len) {
  for (size_t i = from; i < len; i++) {
    const char *lf = memchr(buf + i, '\n', len - i);
    if (!lf) return 0;
    i = (size_t)(lf - buf);
    if (i == 0 || buf[i - 1] != '\r') return i + 1;
  }
  return 0;
}

/* Runs the state machine over what is buffered until it needs more input or
 * an answer is waiting to be written. Returns false once c is closed. */
static bool conn_process(http_conn_t *c) {
  http_server_t *s = c->w->s;
  for (;;) {
    if (c->state == CONN_WRITE) {
      int f = conn_flush(c);
      if (f < 0) {
        conn_close(c);
        return false;
      }
      if (f == 0) return true;
      if (c->interim) { /* the 100 is out: now the body */
        c->interim = false;
        c->out_len = c->out_off = 0;
        c->state = CONN_BODY;
        continue;
      }
      if (c->close_after) {
        /* Half-close, then drop what the client still sends for a
         * moment: closing with unread input would send a reset, which can
         * destroy our answer before the client reads it. */
        linger_start(c);
        return linger_read(c);
      }
      request_done(c);
      continue;
    }
    if (c->state == CONN_LINGER) return true;
    if (c->state == CONN_BODY) {
      if (c->in_len == c->req.head_len) return true;
      if (!take_body(s, c)) {
        conn_close(c);
        return false;
      }
      if (c->state == CONN_BODY) return true;
      continue;
    }
    /* CONN_HEAD */
    if (c->in_len == 0) return true;
    size_t from = c->scan;
    size_t end = h1_head_end(c->in, c->in_len, &c->scan);
    if (!end) {
      size_t lf = bare_lf(c->in, from, c->in_len);
      if (lf) {
        /* A client ending lines with bare LFs never sends the CRLFCRLF
         * that ends a head: rather than leave it to time out, the head so
         * far goes to the parser, which refuses it (its last byte is a
         * bare LF, so it can never be a head h1_parse_head accepts). */
        start_request(s, c, lf);
        continue;
      }
      if (c->in_len >= c->in_cap) {
        refuse_and_close(c, false, 431, CERR_HEADERS_TOO_LARGE, "request header fields too large");
        continue;
      }
      return true;
    }
    start_request(s, c, end);
  }
}

/* The answer is out and the connection stays: forget the request, keep
 * what a pipelining client sent after it. */
static void request_done(http_conn_t *c) {
  http_request_end(c->w->s, c);
  size_t keep = c->in_len - c->req.head_len;
  if (keep) memmove(c->in, c->in + c->req.head_len, keep);
  c->in_len = keep;
  c->scan = 0;
  c->req.head_len = 0;
  c->req.nheaders = 0;
  free(c->body);
  c->body = NULL;
  c->body_len = c->body_off = 0;
  c->out_len = c->out_off = 0;
  c->state = CONN_HEAD;
}

/* Reads while the socket has data and the state machine wants it. */
static void conn_readable(http_conn_t *c) {
  if (c->state == CONN_LINGER) {
    if (c->readable) linger_read(c);
    return;
  }
  while (c->readable && c->state != CONN_WRITE) {
    size_t space = c->in_cap - c->in_len;
    if (space == 0) {
      /* Only reachable mid-head: conn_process answers 431 for a full
       * buffer; nothing more to read until that answer is out. */
      return;
    }
    ssize_t n = recv(c->fd, c->in + c->in_len, space, 0);
    if (n > 0) {
      c->in_len += (size_t)n;
      /* A short read emptied the socket: the next byte will bring a new
       * edge, so no recv just to see EAGAIN. Not when the FIN came in
       * with the data: the edge that announced both has been used, so
       * only reading on to the 0 tells this connection its client is
       * done (else it stays open until the idle timeout). */
      if ((size_t)n < space && !c->peer_fin) c->readable = false;
      touch(c, mono_s());
      if (!conn_process(c)) return;
      continue;
    }
    if (n == 0) {
      c->peer_closed = true;
      c->readable = false;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      c->readable = false;
      break;
    }
    conn_close(c);
    return;
  }
  if (c->peer_closed && c->state != CONN_WRITE) conn_close(c);
}

static void conn_event(http_conn_t *c, uint32_t ev) {
  if (ev & (EPOLLIN | EPOLLRDHUP)) c->readable = true; /* a peer's close is read as 0 */
  if (ev & EPOLLRDHUP) c->peer_fin = true;
  if ((ev & (EPOLLERR | EPOLLHUP)) && !(ev & EPOLLIN)) {
    conn_close(c);
    return;
  }
  if (c->state == CONN_WRITE && (ev & EPOLLOUT)) {
    touch(c, mono_s());
    if (!conn_process(c)) return;
  }
  conn_readable(c);
}

static lograte_t accept_lograte = LOGRATE_INIT;

static void accept_all(http_worker_t *w) {
  http_server_t *s = w->s;
  for (;;) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int fd = accept4(s->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* The listening socket stays readable: without a pause this
         * worker would spin. Logged at most a few times a second. */
        lograte_summary_t sum;
        bool ok = lograte_allow(&accept_lograte, "accept", (int64_t)mono_s(), strerror(errno), &sum);
        if (sum.count) log_msg(LOG_WARN, "http: %llu more accept failures suppressed", (unsigned long long)sum.count);
        if (ok) log_msg(LOG_WARN, "http: cannot accept a connection: %s", strerror(errno));
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
      }
      return; /* EAGAIN: all taken */
    }
    if (atomic_fetch_add(&s->nconns, 1) >= HTTP_MAX_CONNECTIONS) {
      atomic_fetch_sub(&s->nconns, 1);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    http_conn_t *c = calloc(1, sizeof *c);
    char *in = malloc(s->o.max_header_bytes + HTTP_POOL_SLACK);
    if (!c || !in) {
      free(c);
      free(in);
      close(fd);
      atomic_fetch_sub(&s->nconns, 1);
      continue;
    }
    c->fd = fd;
    c->w = w;
    c->peer = peer;
    c->in = in;
    c->in_cap = s->o.max_header_bytes + HTTP_POOL_SLACK;
    c->state = CONN_HEAD;
    c->last_s = mono_s();
    list_push(&w->active, c);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) conn_close(c);
  }
}

static void sweep_idle(http_worker_t *w, uint64_t now) {
  uint64_t limit = (uint64_t)(w->s->o.connection_timeout_s > 0 ? w->s->o.connection_timeout_s : 30);
  /* last_s is a whole second: a connection active at x.99 has last_s = x.
   * "<=" would close it at x + limit, after as little as limit - 1 s of
   * idleness (a keep-alive client between two requests, with a 1 s
   * timeout, reset at once); "<" waits at least the full limit. */
  while (w->active.oldest && w->active.oldest->last_s + limit < now) close_oldest(&w->active);
  while (w->linger.oldest && w->linger.oldest->last_s + HTTP_LINGER_S <= now) close_oldest(&w->linger);
}

static void *worker_main(void *arg) {
  http_worker_t *w = arg;
  http_server_t *s = w->s;
  struct epoll_event evs[128];
  uint64_t last_sweep = mono_s();
  while (!atomic_load(&s->stopping)) {
    int n = epoll_wait(w->ep, evs, 128, 1000);
    for (int i = 0; i < n; i++) {
      void *tag = evs[i].data.ptr;
      if (tag == &LISTEN_TAG) {
        if (w->listening) accept_all(w);
      } else if (tag == &WAKE_TAG) {
        uint64_t v;
        if (read(w->wake, &v, sizeof v) < 0) { /* nothing to do: a wake-up */ }
      } else {
        conn_event(tag, evs[i].events);
      }
    }
    if (atomic_load(&s->draining) && w->listening) {
      epoll_ctl(w->ep, EPOLL_CTL_DEL, s->lfd, NULL);
      w->listening = false;
      atomic_fetch_add(&s->unlistened, 1);
    }
    uint64_t now = mono_s();
    if (now != last_sweep) {
      sweep_idle(w, now);
      last_sweep = now;
    }
  }
  while (w->active.oldest) close_oldest(&w->active);
  while (w->linger.oldest) close_oldest(&w->linger);
  return NULL;
}

/* ---- life cycle ------------------------------------------------------------ */

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen) {
  char host[128];
  const char *colon;
  bool v6;
  memset(ss, 0, sizeof *ss);
  if (listen[0] == '[') {
    const char *close = strchr(listen, ']');
    if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host) return -1;
    memcpy(host, listen + 1, (size_t)(close - listen - 1));
    host[close - listen - 1] = '\0';
    colon = close + 1;
    v6 = true;
  } else {
    colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host) return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    v6 = false;
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || colon[1] == '\0' || port < 0 || port > 65535) return -1;
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return -1;
    *sslen = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a->sin_addr) != 1) return -1;
    *sslen = sizeof *a;
  }
  return 0;
}

static int listen_on(const struct sockaddr_storage *ss, socklen_t sslen, uint16_t *port) {
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (const struct sockaddr *)ss, sslen) != 0 || listen(fd, 1024) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  memset(&bound, 0, sizeof bound);
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) bound = *ss;
  *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                            : ((struct sockaddr_in *)&bound)->sin_port);
  return fd;
}

/* Wakes the first n workers to look at stopping/draining (each loop also
 * wakes once a second, so a failed write only delays). */
static void wake_workers(http_server_t *s, int n) {
  for (int i = 0; i < n; i++) {
    uint64_t one = 1;
    if (write(s->workers[i].wake, &one, sizeof one) < 0) { /* woken within a second anyway */ }
  }
}

static void stop_workers(http_server_t *s, int started) {
  atomic_store(&s->stopping, true);
  wake_workers(s, started);
  for (int i = 0; i < started; i++) pthread_join(s->workers[i].thread, NULL);
  for (int i = 0; i < s->nworkers; i++) {
    if (s->workers[i].ep >= 0) close(s->workers[i].ep);
    if (s->workers[i].wake >= 0) close(s->workers[i].wake);
  }
}

http_server_t *http_server_start(const http_server_opts_t *o, const router_t *router,
                                 metrics_t *metrics, void *app, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (parse_listen(o->listen, &ss, &sslen) != 0) {
    snprintf(err, errlen, "invalid listen address '%s' (want host:port)", o->listen);
    return NULL;
  }
  http_server_t *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->router = router;
  s->metrics = metrics;
  s->app = app;
  s->o = *o;
  if (s->o.max_headers <= 0 || s->o.max_headers > H1_MAX_HEADERS) s->o.max_headers = H1_MAX_HEADERS;
  s->lfd = listen_on(&ss, sslen, &s->port);
  if (s->lfd < 0) {
    snprintf(err, errlen, "cannot listen on %s: %s", o->listen, strerror(errno));
    free(s);
    return NULL;
  }
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  s->nworkers = o->threads > 0 ? o->threads : (int)(ncpu > 0 ? ncpu : 1);
  s->workers = calloc((size_t)s->nworkers, sizeof *s->workers);
  if (!s->workers) {
    snprintf(err, errlen, "out of memory");
    close(s->lfd);
    free(s);
    return NULL;
  }
  for (int i = 0; i < s->nworkers; i++) s->workers[i].ep = s->workers[i].wake = -1;
  int started = 0;
  for (; started < s->nworkers; started++) {
    http_worker_t *w = &s->workers[started];
    w->s = s;
    w->listening = true;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &LISTEN_TAG};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &WAKE_TAG};
    if (w->ep < 0 || w->wake < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, s->lfd, &lev) != 0 ||
        epoll_ctl(w->ep, EPOLL_CTL_ADD, w->wake, &wev) != 0 || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
      snprintf(err, errlen, "cannot start the server's threads: %s", strerror(errno));
      stop_workers(s, started);
      close(s->lfd);
      free(s->workers);
      free(s);
      return NULL;
    }
  }
  return s;
}

uint16_t http_server_port(const http_server_t *s) { return s->port; }

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

int64_t http_server_drain(http_server_t *s, int grace_ms) {
  if (!atomic_exchange(&s->draining, true)) {
    wake_workers(s, s->nworkers);
    /* The listening socket closes once no worker can be inside accept(). */
    for (int waited = 0; atomic_load(&s->unlistened) < s->nworkers && waited < 2000; waited++) sleep_ms(1);
    if (atomic_load(&s->unlistened) == s->nworkers) {
      close(s->lfd);
      s->lfd = -1;
    }
  }
  uint64_t deadline = http_now_ns() + (uint64_t)(grace_ms > 0 ? grace_ms : 0) * 1000000u;
  int64_t left;
  while ((left = atomic_load(&s->metrics->in_flight)) > 0 && http_now_ns() < deadline) sleep_ms(10);
  return left;
}

void http_server_stop(http_server_t *s) {
  if (!s) return;
  stop_workers(s, s->nworkers);
  if (s->lfd >= 0) close(s->lfd);
  free(s->workers);
  free(s);
}
