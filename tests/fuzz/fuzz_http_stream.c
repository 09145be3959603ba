/*
 * fuzz_http_stream — the HTTP/1.1 server end to end: its connection state
 * machine (server.c: head, body by length or chunks, dispatch, write,
 * keep-alive, pipelining, lingering close) and request.c's replies, driven
 * over a real loopback socket by a byte stream.
 *
 * One server runs for the whole process (started on the first input): one
 * thread, small limits, a router with handlers that reply text, echo the
 * body, echo a query argument and a header, refuse with http_reply_error
 * (and the X-Custos-Error-Headers copy), never reply (500), reply 204/304,
 * and add response headers made of request bytes.
 *
 * The input: byte 0 gives the number of writes (1..8), the next bytes where
 * the stream is cut, the rest is the stream. Each input connects, sends
 * the pieces back to back (no sleeps: pauses would make it too slow to be
 * useful), half-closes, and reads until the server closes or a hard cap.
 * Aborts when what came back breaks HTTP/1.1:
 *  - an answer not starting with "HTTP/1.1 ddd ", a head cut short before
 *    a clean close, a head line with a bare CR or LF or a control byte, a
 *    header name not among those the server and these handlers send (a
 *    request byte that split a response header would make one);
 *  - not exactly one Content-Length (none for 1xx, 204, 304), or one that
 *    does not frame the answer: the next answer must start right after the
 *    body (answers never interleaved). A HEAD answer carries the length of
 *    a body it does not send: allowed only as often as the stream says HEAD;
 *  - anything after an answer carrying "Connection: close";
 *  - no close within FIN_WAIT_MS of silence after our FIN (the server must
 *    see it, not wait for its idle timeout); a reset (the server lingers so
 *    that none destroys an answer) or a failed send (it closed first),
 *    unless the input took long enough for its timeouts to explain them;
 *  - the error copy (X-Custos-Status) disagreeing with the status line.
 * ASan and UBSan (this build has -fno-sanitize-recover) abort the process
 * from the server's thread too; libFuzzer's death callback then saves the
 * input being run.
 *
 * Leaks: each input waits, after closing its socket, until the allocator's
 * live bytes are back where they were before it connected, so a
 * connection's memory is freed within the input that made it and
 * libFuzzer's -detect_leaks sees balanced mallocs and frees (a connection
 * still alive is reachable, never reported; one leaked is).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sanitizer/allocator_interface.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/server.h"

#define MAX_BODY 2048
#define MAX_HEAD 1024
#define MAX_HEADERS 16
#define MAX_PIECES 8
/* After our FIN the server must close before this much silence; less
 * than its idle timeout (1 s), which would close it anyway. */
#define FIN_WAIT_MS 800
#define HEAD_WAIT_MS 2      /* after a piece that ends a head, at most */
#define HARD_CAP_MS 5000   /* one input never takes longer (run.sh's -timeout is 10 s) */
#define FREE_WAIT_MS 200   /* for the server to free a closed connection */
#define RX_MAX ((size_t)16 << 20)

static router_t g_router;
static metrics_t *g_metrics;
static http_server_t *g_srv;
static uint16_t g_port;

/* ---- the handlers ------------------------------------------------------------ */

static void h_text(http_req_t *r, void *ctx) {
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

/* A decoded query argument and a request header, echoed in the body. */
static void h_query(http_req_t *r, void *ctx) {
  (void)ctx;
  const char *a = http_query(r, "a"), *h = http_header(r, "X-A");
  buf_t b;
  buf_init(&b, 0);
  if (buf_puts(&b, "a=") != 0 || buf_puts(&b, a ? a : "-") != 0 || buf_puts(&b, "|h=") != 0 ||
      buf_puts(&b, h ? h : "-") != 0) {
    buf_cleanup(&b);
    http_reply_text(r, 500, "text/plain", "oom");
    return;
  }
  http_reply(r, 200, "text/plain", &b);
}

/* A refusal whose status, code, field and message come from the query,
 * rendered in the profile the path names (/err/a: assetpay, …). With
 * "X-Custos-Error-Headers: 1" the body is copied into the headers, if
 * every byte may go there. */
static void h_error(http_req_t *r, void *ctx) {
  (void)ctx;
  static const int STATUS[] = {400, 401, 403, 404, 409, 413, 422, 429, 500, 503};
  static const char *const PROFILE[] = {"custos", "thelayer", "assetpay", "openledger", "nosuch"};
  char p[16];
  if (route_param(&r->params, "p", p, sizeof p) > 0)
    http_set_error_profile(r, PROFILE[(unsigned char)p[0] % (sizeof PROFILE / sizeof PROFILE[0])]);
  const char *s = http_query(r, "s"), *c = http_query(r, "c"), *f = http_query(r, "f"), *m = http_query(r, "m");
  int status = STATUS[s && *s ? (unsigned char)*s % 10 : 0];
  cerr_t e;
  cerr_set(&e, status, c ? c : CERR_FORBIDDEN, f, "%s", m ? m : "refused");
  if (status == 429 || status == 503) e.retry_after_s = 7;
  http_reply_error(r, &e);
}

/* Returns without replying: the server answers 500 (with this header). */
static void h_none(http_req_t *r, void *ctx) {
  (void)ctx;
  if (http_add_header(r, "X-Echo", "before-500") != 0) return;
}

/* Response headers made of request bytes: copied (X-Echo, X-N-<n>) and
 * borrowed (X-Ref). Any holding a byte a header may not is dropped. */
static void h_headers(http_req_t *r, void *ctx) {
  (void)ctx;
  const char *v = http_query(r, "v"), *n = http_query(r, "n"), *x = http_header(r, "X-V");
  if (v && http_add_header(r, "X-Echo", v) != 0) return;
  if (n) {
    char name[256];
    snprintf(name, sizeof name, "X-N-%s", n);
    if (http_add_header(r, name, "1") != 0) return;
  }
  if (x && http_add_header_ref(r, "X-Ref", x) != 0) return;
  http_reply_text(r, 200, "text/plain", "headers");
}

/* A status from the query, some without a body (204, 304). */
static void h_status(http_req_t *r, void *ctx) {
  (void)ctx;
  static const int STATUS[] = {200, 201, 204, 304, 202, 418};
  const char *s = http_query(r, "s");
  http_reply_text(r, STATUS[s && *s ? (unsigned char)*s % 6 : 0], "text/plain", "status body");
}

static void server_start(void) {
  log_set_level(LOG_ERROR + 1); /* dropped headers and refusals are expected here: no log lines */
  router_init(&g_router);
  if (router_add(&g_router, HTTP_GET | HTTP_HEAD, "/t", h_text, NULL, NULL) != 0 ||
      router_add(&g_router, HTTP_POST | HTTP_PUT, "/echo", h_echo, NULL, NULL) != 0 ||
      router_add(&g_router, HTTP_GET, "/q", h_query, NULL, NULL) != 0 ||
      router_add(&g_router, HTTP_GET | HTTP_POST, "/err", h_error, NULL, NULL) != 0 ||
      router_add(&g_router, HTTP_GET | HTTP_POST, "/err/{p}", h_error, NULL, "assetpay") != 0 ||
      router_add(&g_router, HTTP_GET | HTTP_DELETE, "/none", h_none, NULL, NULL) != 0 ||
      router_add(&g_router, HTTP_GET, "/h", h_headers, NULL, NULL) != 0 ||
      router_add(&g_router, HTTP_GET | HTTP_HEAD, "/s", h_status, NULL, NULL) != 0)
    abort();
  g_metrics = metrics_new();
  if (!g_metrics) abort();
  http_server_opts_t o = {.listen = "127.0.0.1:0", .threads = 1, .max_body_bytes = MAX_BODY,
                          .max_header_bytes = MAX_HEAD, .max_headers = MAX_HEADERS,
                          .connection_timeout_s = 1, .access_log = false};
  char err[256];
  g_srv = http_server_start(&o, &g_router, g_metrics, NULL, err, sizeof err);
  if (!g_srv) {
    fprintf(stderr, "fuzz_http_stream: %s\n", err);
    abort();
  }
  g_port = http_server_port(g_srv);
}

/* ---- the client --------------------------------------------------------------- */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What came back; static, so an input allocates nothing of its own. */
static char rx_buf[RX_MAX];
typedef struct {
  size_t len;
  bool eof;   /* a clean FIN */
  bool reset; /* ECONNRESET or another error */
  bool full;  /* RX_MAX reached: the rest is not read */
} rx_t;

/* Reads what is there without waiting. */
static void rx_read(int fd, rx_t *rx) {
  while (!rx->eof && !rx->reset && !rx->full) {
    ssize_t n = recv(fd, rx_buf + rx->len, RX_MAX - rx->len, 0);
    if (n > 0) {
      rx->len += (size_t)n;
      rx->full = rx->len == RX_MAX;
    } else if (n == 0) {
      rx->eof = true;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;
    } else if (errno != EINTR) {
      rx->reset = true;
    }
  }
}

/* Waits up to ms for something to read; false on silence. */
static bool rx_wait(int fd, int ms) {
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  int pr;
  do pr = poll(&pfd, 1, ms < 0 ? 0 : ms);
  while (pr < 0 && errno == EINTR);
  return pr > 0;
}

/* Sends all of p, reading answers while the socket is full (a server that
 * cannot write stops reading). False when the server is gone. */
static bool send_all(int fd, const uint8_t *p, size_t n, rx_t *rx, int64_t deadline) {
  while (n) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k > 0) {
      p += k;
      n -= (size_t)k;
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int64_t left = deadline - now_ms();
      if (left <= 0) return false;
      struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLOUT};
      if (poll(&pfd, 1, (int)left) > 0 && (pfd.revents & POLLIN)) rx_read(fd, rx);
      if (rx->full) return false;
      continue;
    }
    return false;
  }
  return true;
}

/* ---- the checks ------------------------------------------------------------------ */

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      fprintf(stderr, "fuzz_http_stream: check failed at line %d: %s\n", __LINE__, #cond); \
      abort();                                                                          \
    }                                                                                   \
  } while (0)

static bool is_tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Every name an answer may carry: the server's, request.c's and these
 * handlers'. A request byte that split a header would add another. */
static bool name_known(const char *n, size_t len) {
  static const char *const NAMES[] = {"Date", "Content-Length", "Content-Type", "X-Request-Id", "Cache-Control",
                                      "Connection", "Allow", "Retry-After", "X-Custos-Status",
                                      "X-Custos-Error-Body", "X-Echo", "X-Ref"};
  for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
    if (strlen(NAMES[i]) == len && strncmp(NAMES[i], n, len) == 0) return true;
  return len >= 4 && strncmp(n, "X-N-", 4) == 0;
}

static bool starts_answer(const char *p, size_t n) { return n >= 9 && memcmp(p, "HTTP/1.1 ", 9) == 0; }

typedef struct {
  int status;
  size_t head_len;
  size_t content_length;
  bool has_length;
  bool close;
} answer_t;

/* Checks one answer head [p, p+len) (len includes the final CRLFCRLF). */
static void check_head(const char *p, size_t len, answer_t *a) {
  memset(a, 0, sizeof *a);
  a->head_len = len;
  CHECK(len >= 13 && memcmp(p, "HTTP/1.1 ", 9) == 0);
  CHECK(p[9] >= '1' && p[9] <= '5' && p[10] >= '0' && p[10] <= '9' && p[11] >= '0' && p[11] <= '9' && p[12] == ' ');
  a->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  int lengths = 0, ids = 0, copy_status = -1, copy_body = 0;
  size_t end = len - 2; /* the lines, each ending in CRLF */
  size_t at = 0;
  bool first = true;
  while (at < end) {
    size_t e = at;
    while (e < end && p[e] != '\r' && p[e] != '\n') {
      unsigned char c = (unsigned char)p[e];
      CHECK(c >= 0x20 || c == '\t');
      CHECK(c != 0x7f);
      e++;
    }
    CHECK(e + 1 < len && p[e] == '\r' && p[e + 1] == '\n'); /* no bare CR or LF */
    if (!first) {
      const char *colon = memchr(p + at, ':', e - at);
      CHECK(colon && colon > p + at);
      size_t nlen = (size_t)(colon - (p + at));
      for (size_t i = 0; i < nlen; i++) CHECK(is_tchar((unsigned char)p[at + i]));
      CHECK(name_known(p + at, nlen));
      const char *v = colon + 1;
      size_t vlen = (size_t)(p + e - v);
      /* "Name: value". A value made of request bytes may start or end
       * with spaces (recipients strip them; header_ok allows them). */
      CHECK(vlen >= 2 && v[0] == ' ');
      v++;
      vlen--;
      if (nlen == 14 && strncasecmp(p + at, "Content-Length", 14) == 0) {
        lengths++;
        size_t cl = 0;
        for (size_t i = 0; i < vlen; i++) {
          CHECK(v[i] >= '0' && v[i] <= '9' && i < 12);
          cl = cl * 10 + (size_t)(v[i] - '0');
        }
        a->content_length = cl;
      } else if (nlen == 10 && strncasecmp(p + at, "Connection", 10) == 0) {
        bool close = vlen == 5 && memcmp(v, "close", 5) == 0;
        CHECK(close || (vlen == 10 && memcmp(v, "keep-alive", 10) == 0));
        a->close = a->close || close;
      } else if (nlen == 12 && strncasecmp(p + at, "X-Request-Id", 12) == 0) {
        ids++;
      } else if (nlen == 15 && strncasecmp(p + at, "X-Custos-Status", 15) == 0) {
        CHECK(vlen == 3);
        copy_status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
      } else if (nlen == 19 && strncasecmp(p + at, "X-Custos-Error-Body", 19) == 0) {
        copy_body++;
      }
    }
    first = false;
    at = e + 2;
  }
  CHECK(at == end);
  if (a->status < 200) {
    /* 100 Continue: the status line alone. */
    CHECK(a->status == 100 && len == 25 && memcmp(p, "HTTP/1.1 100 Continue\r\n\r\n", 25) == 0);
    return;
  }
  CHECK(ids == 1);
  if (a->status == 204 || a->status == 304) {
    CHECK(lengths == 0);
  } else {
    CHECK(lengths == 1);
    a->has_length = true;
  }
  /* The error copy: both headers or neither, the status's own, no body. */
  CHECK((copy_status >= 0) == (copy_body == 1));
  if (copy_status >= 0) CHECK(copy_status == a->status && a->content_length == 0);
}

static size_t count_heads(const uint8_t *s, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i + 4 <= n; i++)
    if (memcmp(s + i, "HEAD", 4) == 0) k++;
  return k;
}

/* Walks the answers in rx_buf; `heads` is how many HEAD answers (a length
 * without its body) the stream could have asked for. */
static void check_answers(const rx_t *rx, size_t heads) {
  const char *b = rx_buf;
  size_t n = rx->len, at = 0;
  bool closed = false;
  /* A clean close ends the stream: nothing may be cut short before it. */
  bool whole = rx->eof;
  while (at < n) {
    CHECK(!closed); /* nothing after "Connection: close" */
    CHECK(starts_answer(b + at, n - at) || (!whole && n - at < 9 && memcmp(b + at, "HTTP/1.1 ", n - at) == 0));
    const char *end = memmem(b + at, n - at, "\r\n\r\n", 4);
    if (!end) {
      CHECK(!whole); /* a head cut short */
      break;
    }
    answer_t a;
    check_head(b + at, (size_t)(end - (b + at)) + 4, &a);
    size_t body = at + a.head_len;
    size_t next = body + a.content_length;
    bool fits = next == n || (next < n && starts_answer(b + next, n - next)) ||
                (!whole && next < n && n - next < 9 && memcmp(b + next, "HTTP/1.1 ", n - next) == 0);
    if (!fits && a.content_length > 0 && heads > 0 && (body == n || starts_answer(b + body, n - body))) {
      heads--; /* an answer to HEAD: the length of a body not sent */
      next = body;
    } else if (next > n) {
      CHECK(!whole); /* a body cut short */
      break;
    } else {
      CHECK(fits); /* answers are framed by their lengths, never interleaved */
    }
    closed = a.close;
    at = next;
  }
}

/* ---- one input --------------------------------------------------------------------- */

static int client_connect(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) abort();
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* Closing with a reset leaves no TIME_WAIT: thousands of inputs a second
   * would otherwise run out of local ports. The server has closed (or
   * shut down its side) by then, or was silent too long. */
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(g_port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc;
  do rc = connect(fd, (struct sockaddr *)&a, sizeof a);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    fprintf(stderr, "fuzz_http_stream: connect: %s\n", strerror(errno));
    abort();
  }
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) abort();
  return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_srv) server_start();
  if (size < 1) return 0;
  size_t npieces = 1 + data[0] % MAX_PIECES;
  if (size < npieces) return 0;
  const uint8_t *stream = data + npieces;
  size_t len = size - npieces;
  size_t cut[MAX_PIECES + 1];
  cut[0] = 0;
  for (size_t i = 1; i < npieces; i++) {
    size_t c = len * data[i] / 256, j = i;
    for (; j > 1 && cut[j - 1] > c; j--) cut[j] = cut[j - 1]; /* kept sorted */
    cut[j] = c;
  }
  cut[npieces] = len;

  size_t live = __sanitizer_get_current_allocated_bytes();
  int64_t start = now_ms(), deadline = start + HARD_CAP_MS;
  int fd = client_connect();
  rx_t rx = {0};
  bool sent = true;
  for (size_t i = 0; i < npieces && sent; i++) {
    size_t a = cut[i], b = cut[i + 1];
    if (b == a) continue;
    sent = send_all(fd, stream + a, b - a, &rx, deadline);
    /* A piece that ends a head: give the server a moment to take it
     * alone, as a client waiting for "100 Continue" would (back to back,
     * the next piece usually arrives in the same read). */
    if (sent && b < len && b - a >= 4 && memcmp(stream + b - 4, "\r\n\r\n", 4) == 0) rx_wait(fd, HEAD_WAIT_MS);
    rx_read(fd, &rx);
  }
  /* Only a server that closed on its own makes a send fail: it never does
   * before our FIN, short of its idle timeout (1 s: only a client starved
   * of CPU that long) or a limit this stream cannot reach. */
  bool quick = now_ms() - start < 1000;
  CHECK(sent || rx.full || !quick);
  shutdown(fd, SHUT_WR);
  /* Our FIN is the end: the server answers what it has and closes. */
  int64_t last = now_ms();
  while (!rx.eof && !rx.reset && !rx.full && now_ms() < deadline) {
    int left = (int)(last + FIN_WAIT_MS - now_ms());
    if (left <= 0 || !rx_wait(fd, left)) break;
    size_t before = rx.len;
    rx_read(fd, &rx);
    if (rx.len != before) last = now_ms();
  }
  if (getenv("FUZZ_HTTP_STREAM_DUMP")) { /* for reading a crash input's answers */
    fprintf(stderr, "--- %zu bytes back (eof %d reset %d full %d):\n", rx.len, rx.eof, rx.reset, rx.full);
    fwrite(rx_buf, 1, rx.len, stderr);
    fputs("\n---\n", stderr);
  }
  /* A reset would destroy answers (the server lingers so that none
   * does); its timeouts excepted, as above. */
  quick = now_ms() - start < 1000;
  CHECK(!rx.reset || !quick);
  /* No close within FIN_WAIT_MS of silence after our FIN: the server
   * missed it (its idle timeout, 1 s at the least, closes later). */
  CHECK(rx.eof || rx.reset || rx.full);
  check_answers(&rx, count_heads(stream, len));
  close(fd);

  /* The server frees the connection on its thread once it sees the close:
   * wait for that, so this input's mallocs and frees balance. */
  int64_t free_deadline = now_ms() + FREE_WAIT_MS;
  while (__sanitizer_get_current_allocated_bytes() > live && now_ms() < free_deadline) sched_yield();
  return 0;
}
