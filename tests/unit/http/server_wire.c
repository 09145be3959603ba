/* The HTTP/1.1 server on the wire: bytes written by a raw-socket client,
 * answers parsed from what comes back. Covers what an HTTP library client
 * (tests/unit/http/server.c) cannot show: pipelining, heads and bodies in
 * odd pieces, 1.0 keep-alive, 100-continue, a slow reader of a large
 * answer, idle timeouts, the strict refusals (each closing the connection
 * with its answer intact), query and path decoding, response splitting,
 * and concurrent keep-alive clients followed by a clean drain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/server.h"

#define MAX_BODY 4096
#define MAX_HEAD 2048
#define BIG_LEN ((size_t)8 << 20)
#define WAIT_MS 5000 /* the longest any answer may take */

static router_t g_router;
static metrics_t *g_metrics;
static http_server_t *g_srv;
static uint16_t g_port;

/* ---- the routes ------------------------------------------------------------ */

static void h_hello(http_req_t *r, void *ctx) {
  (void)ctx;
  http_reply_text(r, 200, "text/plain", "hello");
}

static void h_echo(http_req_t *r, void *ctx) {
  (void)ctx;
  buf_t b;
  buf_init(&b, 0);
  if (r->body.len && buf_append(&b, r->body.data, r->body.len) != 0) {
    buf_cleanup(&b);
    http_reply_text(r, 500, "text/plain", "oom");
    return;
  }
  http_reply(r, 200, "application/octet-stream", &b);
}

static const char *or_null(const char *s) { return s ? s : "<null>"; }

/* What http_query answers for a fixed set of names, and the decoded path. */
static void h_query(http_req_t *r, void *ctx) {
  (void)ctx;
  char out[512];
  snprintf(out, sizeof out, "a=%s|b=%s|c=%s|d=%s|e=%s|empty=%s|zz=%s|path=%s", or_null(http_query(r, "a")),
           or_null(http_query(r, "b")), or_null(http_query(r, "c")), or_null(http_query(r, "d")),
           or_null(http_query(r, "e")), or_null(http_query(r, "")), or_null(http_query(r, "zz")), r->path);
  http_reply_text(r, 200, "text/plain", out);
}

static void h_path(http_req_t *r, void *ctx) {
  (void)ctx;
  char x[64], out[160];
  if (route_param(&r->params, "x", x, sizeof x) < 0) x[0] = 0;
  snprintf(out, sizeof out, "path=%s x=%s", r->path, x);
  http_reply_text(r, 200, "text/plain", out);
}

static unsigned char pattern_byte(size_t i) { return (unsigned char)((i * 7u + (i >> 13)) & 0xffu); }

static void h_big(http_req_t *r, void *ctx) {
  (void)ctx;
  char *p = malloc(BIG_LEN + 1);
  if (!p) {
    http_reply_text(r, 500, "text/plain", "oom");
    return;
  }
  for (size_t i = 0; i < BIG_LEN; i++) p[i] = (char)pattern_byte(i);
  p[BIG_LEN] = 0;
  buf_t b = {.data = p, .len = BIG_LEN, .cap = BIG_LEN + 1, .max = 0};
  http_reply(r, 200, "application/octet-stream", &b);
}

/* Headers a stored value could smuggle into a reply: CR LF, a bare LF,
 * nothing at all. Only the sane one may reach the wire. */
static void h_headers(http_req_t *r, void *ctx) {
  (void)ctx;
  assert_int_equal(http_add_header(r, "X-Evil", "a\r\nSet-Cookie: pwned=1"), 0);
  assert_int_equal(http_add_header(r, "X-Empty", ""), 0);
  assert_int_equal(http_add_header(r, "X-Lf", "a\nInjected: 1"), 0);
  assert_int_equal(http_add_header(r, "X-Good", "yes"), 0);
  /* Names that are not tokens (RFC 9110 §5.6.2): not HTTP either. */
  assert_int_equal(http_add_header(r, "X-Paren(1)", "v"), 0);
  assert_int_equal(http_add_header(r, "X-Quote\"", "v"), 0);
  assert_int_equal(http_add_header(r, "X/Slash", "v"), 0);
  http_reply_text(r, 200, "text/plain", "intact");
}

static int setup(void **state) {
  (void)state;
  log_set_level(LOG_ERROR);
  router_init(&g_router);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/hello", h_hello, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_POST, "/echo", h_echo, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/q", h_query, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/p/{x}", h_path, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/big", h_big, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/headers", h_headers, NULL, NULL), 0);
  g_metrics = metrics_new();
  assert_non_null(g_metrics);
  http_server_opts_t o = {.listen = "127.0.0.1:0", .threads = 2, .max_body_bytes = MAX_BODY,
                          .max_header_bytes = MAX_HEAD, .max_headers = 32,
                          .connection_timeout_s = 1, .access_log = false};
  char err[256];
  g_srv = http_server_start(&o, &g_router, g_metrics, NULL, err, sizeof err);
  assert_non_null(g_srv);
  g_port = http_server_port(g_srv);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  http_server_stop(g_srv);
  metrics_free(g_metrics);
  return 0;
}

/* ---- a raw-socket client ----------------------------------------------------- */

typedef struct {
  int fd;
  char *buf; /* received, not yet parsed into answers */
  size_t len, cap;
  bool eof;   /* the server closed (FIN) */
  bool reset; /* ECONNRESET: an answer may have been destroyed */
} wc_t;

typedef struct {
  int status;
  char *head; /* status line and header lines, NUL-terminated */
  char *body; /* NUL-terminated */
  size_t body_len;
} ans_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* Connects; rcvbuf > 0 shrinks the receive buffer first (a slow reader
 * whose window fills). */
static int wc_open(wc_t *c, int rcvbuf) {
  memset(c, 0, sizeof *c);
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0) return -1;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (rcvbuf > 0) setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(g_port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(c->fd);
    c->fd = -1;
    return -1;
  }
  return 0;
}

static void wc_close(wc_t *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  free(c->buf);
  c->buf = NULL;
  c->len = c->cap = 0;
}

static int wc_send(wc_t *c, const void *p, size_t n) {
  const char *s = p;
  while (n) {
    ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    s += k;
    n -= (size_t)k;
  }
  return 0;
}

static int wc_sends(wc_t *c, const char *s) { return wc_send(c, s, strlen(s)); }

/* One recv of at most `max` bytes within timeout_ms. Returns the bytes
 * read, 0 at EOF, -1 on timeout or error. */
static ssize_t wc_fill(wc_t *c, int timeout_ms, size_t max) {
  if (c->eof) return 0;
  struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
  int pr;
  do pr = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
  while (pr < 0 && errno == EINTR);
  if (pr <= 0) return -1;
  if (c->len + max + 1 > c->cap) {
    size_t cap = c->cap ? c->cap : 65536;
    while (cap < c->len + max + 1) cap *= 2;
    char *b = realloc(c->buf, cap);
    if (!b) return -1;
    c->buf = b;
    c->cap = cap;
  }
  ssize_t n;
  do n = recv(c->fd, c->buf + c->len, max, 0);
  while (n < 0 && errno == EINTR);
  if (n == 0) c->eof = true;
  if (n < 0) {
    if (errno == ECONNRESET) c->reset = true;
    return -1;
  }
  c->len += (size_t)n;
  c->buf[c->len] = 0;
  return n;
}

static void ans_free(ans_t *a) {
  free(a->head);
  free(a->body);
  memset(a, 0, sizeof *a);
}

static size_t content_length(const char *head) {
  for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n"))
    if (strncasecmp(p + 2, "Content-Length:", 15) == 0) return (size_t)strtoull(p + 17, NULL, 10);
  return 0;
}

/* Takes one complete answer off the front of c->buf: 1 when one was
 * there, 0 when more bytes are needed. 1xx answers have no body; every
 * other answer is framed by its Content-Length (absent: empty). */
static int wc_take(wc_t *c, ans_t *a) {
  memset(a, 0, sizeof *a);
  if (!c->len) return 0;
  char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
  if (!end) return 0;
  size_t hlen = (size_t)(end - c->buf) + 4;
  char *head = strndup(c->buf, hlen - 2); /* keeps the last header's CRLF */
  if (!head) return 0;
  int status = 0;
  if (sscanf(head, "HTTP/1.1 %3d ", &status) != 1) status = -1;
  size_t blen = status >= 100 && status < 200 ? 0 : content_length(head);
  if (c->len < hlen + blen) {
    free(head);
    return 0;
  }
  a->status = status;
  a->head = head;
  a->body = malloc(blen + 1);
  if (a->body) {
    memcpy(a->body, c->buf + hlen, blen);
    a->body[blen] = 0;
  }
  a->body_len = blen;
  memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
  c->len -= hlen + blen;
  return 1;
}

/* Reads until n answers are parsed, the server closes, or timeout_ms
 * passes. Returns how many answers were parsed into out[]. */
static int wc_answers(wc_t *c, ans_t *out, int n, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  int got = 0;
  for (;;) {
    while (got < n && wc_take(c, &out[got]) == 1) got++;
    if (got == n || c->eof) return got;
    if (wc_fill(c, (int)(deadline - now_ms()), 65536) < 0) return got;
  }
}

/* Waits for the server to close the connection; true when it did (a
 * clean FIN) within timeout_ms with nothing more sent before it. */
static bool wc_closed(wc_t *c, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  while (!c->eof) {
    if (wc_fill(c, (int)(deadline - now_ms()), 65536) < 0) return false;
  }
  return c->len == 0 && !c->reset;
}

/* A header's value (the first of that name), NULL when absent. */
static const char *hdr(const ans_t *a, const char *name) {
  static char v[256];
  size_t n = strlen(name);
  for (const char *p = strstr(a->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
    if (strncasecmp(p + 2, name, n) != 0 || p[2 + n] != ':') continue;
    const char *s = p + 3 + n;
    while (*s == ' ') s++;
    const char *e = strstr(s, "\r\n");
    size_t len = (size_t)(e - s) < sizeof v - 1 ? (size_t)(e - s) : sizeof v - 1;
    memcpy(v, s, len);
    v[len] = 0;
    return v;
  }
  return NULL;
}

/* Sends `req` on a new connection and reads n answers. */
static void exchange(wc_t *c, const char *req, ans_t *out, int n) {
  assert_int_equal(wc_open(c, 0), 0);
  assert_int_equal(wc_sends(c, req), 0);
  assert_int_equal(wc_answers(c, out, n, WAIT_MS), n);
}

static void assert_answer(const ans_t *a, int status, const char *body) {
  assert_int_equal(a->status, status);
  assert_non_null(hdr(a, "Content-Length"));
  assert_string_equal(a->body, body);
  assert_int_equal(a->body_len, strlen(body));
}

#define GET_HELLO "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"

/* ---- 1. pipelining and heads in pieces -------------------------------------- */

static void test_pipelined_gets_answer_in_order(void **state) {
  (void)state;
  wc_t c;
  ans_t a[3];
  exchange(&c,
           "GET /p/one HTTP/1.1\r\nHost: t\r\n\r\n"
           "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
           "GET /p/three HTTP/1.1\r\nHost: t\r\n\r\n",
           a, 3);
  assert_answer(&a[0], 200, "path=/p/one x=one");
  assert_answer(&a[1], 200, "hello");
  assert_answer(&a[2], 200, "path=/p/three x=three");
  for (int i = 0; i < 3; i++) {
    assert_null(hdr(&a[i], "Connection")); /* 1.1 keep-alive is implied */
    ans_free(&a[i]);
  }
  /* Nothing more, and the connection still serves. */
  assert_int_equal(c.len, 0);
  assert_int_equal(wc_sends(&c, GET_HELLO), 0);
  assert_int_equal(wc_answers(&c, a, 1, WAIT_MS), 1);
  assert_answer(&a[0], 200, "hello");
  ans_free(&a[0]);
  wc_close(&c);
}

static void test_head_split_across_writes(void **state) {
  (void)state;
  wc_t c;
  ans_t a;
  assert_int_equal(wc_open(&c, 0), 0);
  assert_int_equal(wc_sends(&c, "GET /p/split HTTP/1.1\r\nHo"), 0);
  sleep_ms(50);
  assert_int_equal(wc_fill(&c, 0, 65536), -1); /* no answer to half a head */
  assert_int_equal(wc_sends(&c, "st: t\r\n\r"), 0);
  sleep_ms(50);
  assert_int_equal(wc_sends(&c, "\n"), 0);
  assert_int_equal(wc_answers(&c, &a, 1, WAIT_MS), 1);
  assert_answer(&a, 200, "path=/p/split x=split");
  ans_free(&a);

  /* Byte by byte, then a second request the same way. */
  static const char REQ[] = "GET /p/bytes?a=1 HTTP/1.1\r\nHost: t\r\nX-Some: value\r\n\r\n";
  for (int round = 0; round < 2; round++) {
    for (size_t i = 0; i < sizeof REQ - 1; i++) assert_int_equal(wc_send(&c, REQ + i, 1), 0);
    assert_int_equal(wc_answers(&c, &a, 1, WAIT_MS), 1);
    assert_answer(&a, 200, "path=/p/bytes x=bytes");
    ans_free(&a);
  }
  wc_close(&c);
}

/* ---- 2. bodies followed by a pipelined request ------------------------------ */

static void test_length_body_then_pipelined_get(void **state) {
  (void)state;
  wc_t c;
  ans_t a[2];
  exchange(&c,
           "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world"
           GET_HELLO,
           a, 2);
  assert_answer(&a[0], 200, "hello world");
  assert_answer(&a[1], 200, "hello");
  ans_free(&a[0]);
  ans_free(&a[1]);
  wc_close(&c);
}

static void test_chunked_body_then_pipelined_get(void **state) {
  (void)state;
  wc_t c;
  ans_t a[2];
  exchange(&c,
           "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
           "5;name=value\r\nhello\r\n"
           "6\r\n world\r\n"
           "0\r\nX-Trailer: dropped\r\n\r\n"
           GET_HELLO,
           a, 2);
  assert_answer(&a[0], 200, "hello world");
  assert_null(hdr(&a[0], "X-Trailer"));
  assert_answer(&a[1], 200, "hello");
  ans_free(&a[0]);
  ans_free(&a[1]);

  /* The same body cut in the middle of a chunk line and of its data. */
  assert_int_equal(wc_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;na"), 0);
  sleep_ms(20);
  assert_int_equal(wc_sends(&c, "me=value\r\nhel"), 0);
  sleep_ms(20);
  assert_int_equal(wc_sends(&c, "lo\r\n0\r\n\r\n" GET_HELLO), 0);
  assert_int_equal(wc_answers(&c, a, 2, WAIT_MS), 2);
  assert_answer(&a[0], 200, "hello");
  assert_answer(&a[1], 200, "hello");
  ans_free(&a[0]);
  ans_free(&a[1]);
  wc_close(&c);
}

/* ---- 3, 4. HTTP/1.0 and Connection: close ------------------------------------ */

static void test_http10_closes_by_default(void **state) {
  (void)state;
  wc_t c;
  ans_t a;
  exchange(&c, "GET /hello HTTP/1.0\r\n\r\n", &a, 1);
  assert_answer(&a, 200, "hello");
  assert_string_equal(hdr(&a, "Connection"), "close");
  assert_true(wc_closed(&c, WAIT_MS));
  ans_free(&a);
  wc_close(&c);
}

static void test_http10_keep_alive_serves_two(void **state) {
  (void)state;
  wc_t c;
  ans_t a;
  assert_int_equal(wc_open(&c, 0), 0);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(wc_sends(&c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 0);
    assert_int_equal(wc_answers(&c, &a, 1, WAIT_MS), 1);
    assert_answer(&a, 200, "hello");
    assert_string_equal(hdr(&a, "Connection"), "keep-alive");
    ans_free(&a);
  }
  assert_false(c.eof);
  wc_close(&c);
}

static void test_connection_close_is_honoured(void **state) {
  (void)state;
  wc_t c;
  ans_t a[2];
  /* What was pipelined behind it is never answered. */
  assert_int_equal(wc_open(&c, 0), 0);
  assert_int_equal(wc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" GET_HELLO), 0);
  assert_int_equal(wc_answers(&c, a, 2, WAIT_MS), 1);
  assert_answer(&a[0], 200, "hello");
  assert_string_equal(hdr(&a[0], "Connection"), "close");
  assert_true(c.eof);
  assert_int_equal(c.len, 0);
  assert_false(c.reset);
  ans_free(&a[0]);
  wc_close(&c);
}

/* A client that sends its request and half-closes at once: the FIN often
 * arrives with the request, in the one EPOLLIN edge that announced both,
 * and no other edge follows. The server must still see it and close once
 * the answer is out, not leave the connection open until the idle
 * timeout (1 s here; 30 s by default). Repeated: the FIN must race the
 * server's read to show the fault. */
static void test_half_close_is_seen_at_once(void **state) {
  (void)state;
  for (int i = 0; i < 5; i++) {
    wc_t c;
    ans_t a;
    assert_int_equal(wc_open(&c, 0), 0);
    assert_int_equal(wc_sends(&c, GET_HELLO), 0);
    assert_int_equal(shutdown(c.fd, SHUT_WR), 0);
    assert_int_equal(wc_answers(&c, &a, 1, WAIT_MS), 1);
    assert_answer(&a, 200, "hello");
    ans_free(&a);
    int64_t t0 = now_ms();
    assert_true(wc_closed(&c, 3000));
    assert_in_range(now_ms() - t0, 0, 500);
    wc_close(&c);
  }
}

/* ---- 5. Expect: 100-continue -------------------------------------------------- */

static void test_expect_100_continue(void **state) {
  (void)state;
  wc_t c;
  ans_t a;
  assert_int_equal(wc_open(&c, 0), 0);
  assert_int_equal(wc_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n"), 0);
  assert_int_equal(wc_answers(&c, &a, 1, WAIT_MS), 1);
  assert_int_equal(a.status, 100);
  assert_true(strncmp(a.head, "HTTP/1.1 100 Continue\r\n", 23) == 0);
  assert_int_equal(a.body_len, 0);
  ans_free(&a);
  assert_int_equal(c.len, 0); /* nothing else before the body is sent */
  assert_int_equal(wc_sends(&c, "payload"), 0);
  assert_int_equal(wc_answers(&c, &a, 1, WAIT_MS), 1);
  assert_answer(&a, 200, "payload");
  ans_free(&a);
  wc_close(&c);
}

/* ---- 6. a large answer to a slow reader --------------------------------------- */

static void test_large_answer_to_slow_reader(void **state) {
  (void)state;
  wc_t c;
  ans_t a;
  /* A small receive window: the server's socket fills and the rest of
   * the answer waits for EPOLLOUT. */
  assert_int_equal(wc_open(&c, 65536), 0);
  assert_int_equal(wc_sends(&c, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
  int64_t deadline = now_ms() + 20000;
  int got = 0;
  while (!got && now_ms() < deadline) {
    if (wc_fill(&c, WAIT_MS, 65536) <= 0) break;
    sleep_ms(2);
    got = wc_take(&c, &a);
  }
  assert_int_equal(got, 1);
  assert_int_equal(a.status, 200);
  assert_int_equal(a.body_len, BIG_LEN);
  size_t bad = 0;
  for (size_t i = 0; i < BIG_LEN; i++)
    if ((unsigned char)a.body[i] != pattern_byte(i)) bad++;
  assert_int_equal(bad, 0);
  ans_free(&a);
  assert_int_equal(c.len, 0);
  assert_int_equal(wc_sends(&c, GET_HELLO), 0);
  assert_int_equal(wc_answers(&c, &a, 1, WAIT_MS), 1);
  assert_answer(&a, 200, "hello");
  ans_free(&a);
  wc_close(&c);
}

/* ---- 7. idle timeouts ----------------------------------------------------------- */

/* Waits until CLOCK_MONOTONIC (the server's idle clock, in whole seconds)
 * is just short of its next second: activity now is the worst case for a
 * timeout counted in whole seconds. */
static void align_to_second_end(void) {
  while (now_ms() % 1000 < 900) sleep_ms(5);
}

/* Both at once (connection_timeout_s = 1): one silent, one with half a
 * head. Each is closed, without an answer, after 1 to 3 seconds of
 * idleness: never sooner, even when it went idle just before the
 * server's clock ticked. */
static void test_idle_connections_are_closed(void **state) {
  (void)state;
  wc_t c[2];
  align_to_second_end();
  int64_t t0 = now_ms();
  assert_int_equal(wc_open(&c[0], 0), 0);
  assert_int_equal(wc_open(&c[1], 0), 0);
  assert_int_equal(wc_sends(&c[1], "GET /hello HTTP/1.1\r\nHost: t\r\n"), 0);
  for (int i = 0; i < 2; i++) {
    assert_true(wc_closed(&c[i], 4000));
    int64_t took = now_ms() - t0;
    assert_in_range(took, 950, 3500);
    wc_close(&c[i]);
  }
}

/* ---- 8. refusals ------------------------------------------------------------------ */

/* One answer with this status and exact body, "Connection: close", then
 * a clean close (no reset destroying the answer). */
static void expect_refusal(const char *req, size_t len, int status, const char *body) {
  wc_t c;
  ans_t a;
  assert_int_equal(wc_open(&c, 0), 0);
  assert_int_equal(wc_send(&c, req, len), 0);
  assert_int_equal(wc_answers(&c, &a, 1, WAIT_MS), 1);
  assert_int_equal(a.status, status);
  assert_string_equal(hdr(&a, "Connection"), "close");
  assert_string_equal(hdr(&a, "Content-Type"), "application/json");
  assert_non_null(hdr(&a, "Content-Length"));
  assert_string_equal(a.body, body);
  assert_true(wc_closed(&c, WAIT_MS));
  ans_free(&a);
  wc_close(&c);
}

#define REFUSE(req, status, body) expect_refusal(req, sizeof req - 1, status, body)
#define RID "X-Request-Id: wire-1\r\n"
#define ERR(code, msg) "{\"error\":{\"code\":\"" code "\",\"message\":\"" msg "\"},\"request_id\":\"wire-1\"}"
#define FRAMING ERR("bad_request", "malformed request: conflicting or invalid body framing")

static void test_refusals_close_the_connection(void **state) {
  (void)state;
  REFUSE("POST /echo HTTP/1.1\r\nHost: t\r\n" RID "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
         "0\r\n\r\n" GET_HELLO,
         400, FRAMING);
  REFUSE("POST /echo HTTP/1.1\r\nHost: t\r\n" RID "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400, FRAMING);
  REFUSE("POST /echo HTTP/1.1\r\nHost: t\r\n" RID "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400, FRAMING);
  REFUSE("POST /echo HTTP/1.1\r\nHost: t\r\n" RID "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400,
         ERR("bad_request", "malformed chunked body"));
  REFUSE("GET /hello HTTP/1.1\r\n" RID "\r\n", 400, ERR("bad_request", "malformed request: no Host header"));
}

/* Heads refused before they are parsed get a fresh request id: the body
 * is compared with that id cut out. */
static void expect_unparsed_refusal(const char *req, size_t len, int status, const char *code, const char *msg) {
  wc_t c;
  ans_t a;
  assert_int_equal(wc_open(&c, 0), 0);
  assert_int_equal(wc_send(&c, req, len), 0);
  assert_int_equal(wc_answers(&c, &a, 1, WAIT_MS), 1);
  assert_int_equal(a.status, status);
  assert_string_equal(hdr(&a, "Connection"), "close");
  const char *rid = hdr(&a, "X-Request-Id");
  assert_non_null(rid);
  char want[512];
  snprintf(want, sizeof want, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"},\"request_id\":\"%s\"}", code, msg, rid);
  assert_string_equal(a.body, want);
  assert_true(wc_closed(&c, WAIT_MS));
  ans_free(&a);
  wc_close(&c);
}

#define UNPARSED(req, status, code, msg) expect_unparsed_refusal(req, sizeof req - 1, status, code, msg)

static void test_malformed_heads_are_refused(void **state) {
  (void)state;
  UNPARSED("GET /hello HTTP/2.0\r\nHost: t\r\n\r\n", 505, "http_version_not_supported",
           "only HTTP/1.0 and HTTP/1.1 are served");
  UNPARSED("GET /hello HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n", 400, "bad_request", "malformed request");
  /* Bare LF line endings: a client that uses them never sends a CRLFCRLF,
   * so it must be refused on sight rather than left to time out. */
  UNPARSED("GET /hello HTTP/1.1\nHost: t\n\n", 400, "bad_request", "malformed request");
  UNPARSED("GET /hello HTTP/1.1\r\nHost: t\n\r\n", 400, "bad_request", "malformed request");
}

/* A head over max_header_bytes, sent whole: more than the server reads
 * before refusing, so input is left unread when it answers. Lingering
 * close keeps the kernel from resetting the connection over the answer. */
static void test_head_over_limit_is_431_whole(void **state) {
  (void)state;
  for (size_t size = MAX_HEAD + 100; size <= 256 * 1024; size *= 10) {
    char *req = malloc(size + 64);
    assert_non_null(req);
    int n = snprintf(req, size + 64, "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(req + n, 'z', size);
    memcpy(req + n + size, "\r\n\r\n", 4);
    expect_unparsed_refusal(req, (size_t)n + size + 4, 431, "headers_too_large", "request header fields too large");
    free(req);
  }
}

/* ---- 9. query and path decoding ------------------------------------------------------ */

static void test_query_and_path_decoding(void **state) {
  (void)state;
  wc_t c;
  ans_t a[3];
  exchange(&c,
           "GET /q?a=1&b=x+y&c=%41&d&=e&a=2 HTTP/1.1\r\nHost: t\r\n\r\n"
           "GET /p/%41b HTTP/1.1\r\nHost: t\r\n\r\n"
           "GET /p/Ab HTTP/1.1\r\nHost: t\r\n\r\n",
           a, 3);
  assert_answer(&a[0], 200, "a=1|b=x y|c=A|d=<null>|e=<null>|empty=<null>|zz=<null>|path=/q");
  assert_answer(&a[1], 200, "path=/p/Ab x=Ab");
  assert_answer(&a[2], 200, "path=/p/Ab x=Ab");
  for (int i = 0; i < 3; i++) ans_free(&a[i]);
  wc_close(&c);
}

/* ---- 10. response splitting --------------------------------------------------------- */

static void test_unsafe_response_headers_dropped(void **state) {
  (void)state;
  wc_t c;
  ans_t a[2];
  exchange(&c, "GET /headers HTTP/1.1\r\nHost: t\r\n\r\n" GET_HELLO, a, 2);
  assert_answer(&a[0], 200, "intact");
  assert_string_equal(hdr(&a[0], "X-Good"), "yes");
  assert_null(hdr(&a[0], "X-Evil"));
  assert_null(hdr(&a[0], "Set-Cookie"));
  assert_null(hdr(&a[0], "X-Empty"));
  assert_null(hdr(&a[0], "X-Lf"));
  assert_null(strstr(a[0].head, "Injected"));
  assert_null(strstr(a[0].head, "pwned"));
  assert_null(strstr(a[0].head, "X-Paren"));
  assert_null(strstr(a[0].head, "X-Quote"));
  assert_null(strstr(a[0].head, "X/Slash"));
  assert_string_equal(hdr(&a[0], "Content-Type"), "text/plain");
  /* The connection is still in step: the next answer is the next request's. */
  assert_answer(&a[1], 200, "hello");
  ans_free(&a[0]);
  ans_free(&a[1]);
  wc_close(&c);
}

/* ---- 11. stress, then drain ------------------------------------------------------------ */

#define STRESS_THREADS 8
#define STRESS_REQUESTS 500

typedef struct {
  int id;
  int ok;
  char failure[256]; /* the first, for the report: cmocka cannot assert off the main thread */
} stress_t;

static void *stress_client(void *arg) {
  stress_t *s = arg;
  wc_t c;
  if (wc_open(&c, 0) != 0) {
    snprintf(s->failure, sizeof s->failure, "client %d: cannot connect", s->id);
    return NULL;
  }
  char req[4096], want[MAX_BODY + 1];
  for (int i = 0; i < STRESS_REQUESTS; i++) {
    int n;
    if (i % 2 == 0) {
      snprintf(want, sizeof want, "path=/p/c%d-%d x=c%d-%d", s->id, i, s->id, i);
      n = snprintf(req, sizeof req, "GET /p/c%d-%d HTTP/1.1\r\nHost: t\r\n\r\n", s->id, i);
    } else {
      size_t blen = (size_t)(i * 37 % 3000) + 1;
      int k = snprintf(want, sizeof want, "c%d-%d:", s->id, i);
      for (size_t j = (size_t)k; j < blen; j++) want[j] = (char)('a' + (j + (size_t)i) % 26);
      want[blen] = 0;
      n = snprintf(req, sizeof req, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", strlen(want));
    }
    ans_t a;
    int sent = wc_send(&c, req, (size_t)n);
    if (sent == 0 && i % 2) sent = wc_sends(&c, want);
    if (sent != 0 || wc_answers(&c, &a, 1, WAIT_MS) != 1) {
      snprintf(s->failure, sizeof s->failure, "client %d request %d: no answer (eof %d reset %d)", s->id, i, c.eof,
               c.reset);
      break;
    }
    if (a.status != 200 || !a.body || strcmp(a.body, want) != 0)
      snprintf(s->failure, sizeof s->failure, "client %d request %d: status %d body '%.40s'", s->id, i, a.status,
               a.body ? a.body : "");
    else
      s->ok++;
    ans_free(&a);
    if (s->failure[0]) break;
  }
  wc_close(&c);
  return NULL;
}

/* Runs last: it drains the shared server. */
static void test_stress_then_drain(void **state) {
  (void)state;
  pthread_t t[STRESS_THREADS];
  stress_t s[STRESS_THREADS];
  for (int i = 0; i < STRESS_THREADS; i++) {
    s[i] = (stress_t){.id = i};
    assert_int_equal(pthread_create(&t[i], NULL, stress_client, &s[i]), 0);
  }
  for (int i = 0; i < STRESS_THREADS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < STRESS_THREADS; i++) {
    if (s[i].failure[0]) fail_msg("%s", s[i].failure);
    assert_int_equal(s[i].ok, STRESS_REQUESTS);
  }
  assert_int_equal(http_server_drain(g_srv, 3000), 0);
  assert_int_equal(atomic_load(&g_metrics->in_flight), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pipelined_gets_answer_in_order),
      cmocka_unit_test(test_head_split_across_writes),
      cmocka_unit_test(test_length_body_then_pipelined_get),
      cmocka_unit_test(test_chunked_body_then_pipelined_get),
      cmocka_unit_test(test_http10_closes_by_default),
      cmocka_unit_test(test_http10_keep_alive_serves_two),
      cmocka_unit_test(test_connection_close_is_honoured),
      cmocka_unit_test(test_half_close_is_seen_at_once),
      cmocka_unit_test(test_expect_100_continue),
      cmocka_unit_test(test_large_answer_to_slow_reader),
      cmocka_unit_test(test_idle_connections_are_closed),
      cmocka_unit_test(test_refusals_close_the_connection),
      cmocka_unit_test(test_malformed_heads_are_refused),
      cmocka_unit_test(test_head_over_limit_is_431_whole),
      cmocka_unit_test(test_query_and_path_decoding),
      cmocka_unit_test(test_unsafe_response_headers_dropped),
      cmocka_unit_test(test_stress_then_drain),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
