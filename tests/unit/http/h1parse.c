/* h1parse: the HTTP/1.1 request head, framing and chunked-body parser.
 * Every case asserts the exact status, offsets, strings and lengths the
 * server will act on; malformed input must be refused, never guessed at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1parse.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---- h1_head_end --------------------------------------------------- */

static const char GET_REQ[] = "GET /v1/check HTTP/1.1\r\nHost: a\r\nX-Y: 1\r\n\r\n";
#define GET_REQ_END (sizeof GET_REQ - 1)

static void test_head_end_one_piece(void **s) {
  (void)s;
  char buf[128];
  size_t n = (size_t)snprintf(buf, sizeof buf, "%sBODY", GET_REQ);
  size_t from = 0;
  assert_int_equal(h1_head_end(buf, n, &from), GET_REQ_END);
  /* A head with no fields: the request line's CRLF then the blank line. */
  from = 0;
  assert_int_equal(h1_head_end(S("GET / HTTP/1.1\r\n\r\n"), &from), 18);
}

/* Feeds growing prefixes of `in` with one `from` cursor: 0 (and from ==
 * the prefix length) until the head is complete, then exactly `want`. */
static void check_prefixes(const char *in, size_t len, size_t want) {
  size_t from = 0;
  for (size_t k = 0; k <= len; k++) {
    char *b = malloc(k ? k : 1); /* exactly k bytes, so ASan sees over-reads */
    assert_non_null(b);
    memcpy(b, in, k);
    size_t got = h1_head_end(b, k, &from);
    free(b);
    if (k < want) {
      if (got != 0) fail_msg("prefix %zu: end %zu before the head is complete (%zu)", k, got, want);
      assert_int_equal(from, k);
    } else if (got != want) {
      fail_msg("prefix %zu: end %zu, want %zu", k, got, want);
    }
  }
}

static void test_head_end_split_everywhere(void **s) {
  (void)s;
  char buf[128];
  size_t n = (size_t)snprintf(buf, sizeof buf, "%sPOST", GET_REQ);
  check_prefixes(buf, n, GET_REQ_END);
  /* Lines that look almost like the end: CR CR LF, CRLF CR, LF CRLF. */
  static const char tricky[] = "GET / HTTP/1.1\r\nA: \r\r\nB: \r\n\rC\nD: x\r\n\r\nrest";
  check_prefixes(S(tricky), sizeof tricky - 1 - 4);
  /* Leading empty lines, then the head. */
  static const char lead[] = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
  check_prefixes(S(lead), sizeof lead - 1);

  /* Two pieces, every split, each with a fresh cursor. */
  for (size_t k = 0; k <= n; k++) {
    size_t from = 0;
    size_t first = h1_head_end(buf, k, &from);
    if (k < GET_REQ_END) {
      assert_int_equal(first, 0);
      assert_int_equal(h1_head_end(buf, n, &from), GET_REQ_END);
    } else {
      assert_int_equal(first, GET_REQ_END);
    }
  }
}

static void test_head_end_leading_crlf_ignored(void **s) {
  (void)s;
  size_t from = 0;
  /* Empty lines before the request line are not a blank line ending it. */
  assert_int_equal(h1_head_end(S("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), &from), 22);
  from = 0;
  assert_int_equal(h1_head_end(S("\r\n\r\n"), &from), 0);
  from = 0;
  assert_int_equal(h1_head_end(S("\r\n\r\n\r\n\r\n"), &from), 0);
  from = 0;
  assert_int_equal(h1_head_end(S("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), &from), 29);

  /* ... and h1_parse_head skips them too. */
  char buf[] = "\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n";
  from = 0;
  size_t end = h1_head_end(buf, sizeof buf - 1, &from);
  assert_int_equal(end, sizeof buf - 1);
  h1_request_t r;
  assert_int_equal(h1_parse_head(buf, end, H1_MAX_HEADERS, &r), H1_OK);
  assert_string_equal(r.method, "GET");
  assert_string_equal(r.target, "/x");
  assert_int_equal(r.head_len, end);
  assert_int_equal(r.nheaders, 1);
}

static void test_head_end_no_end(void **s) {
  (void)s;
  size_t from = 0;
  assert_int_equal(h1_head_end(S("GET / HTTP/1.1\r\nHost: a\r\n"), &from), 0);
  assert_int_equal(from, 25);
  from = 0;
  assert_int_equal(h1_head_end(S("GET / HTTP/1.1\r\nHost: a\r\n\r"), &from), 0);
  assert_int_equal(from, 26);
  /* Bare LFs never end a head. */
  from = 0;
  assert_int_equal(h1_head_end(S("GET / HTTP/1.1\n\nHost: a\n\n"), &from), 0);
  from = 0;
  assert_int_equal(h1_head_end(S("GET / HTTP/1.1\r\n\n\r\n"), &from), 0);
  from = 0;
  assert_int_equal(h1_head_end("", 0, &from), 0);
  assert_int_equal(from, 0);
}

/* ---- h1_parse_head ------------------------------------------------- */

/* Copies `in` into buf (which must outlive *r), finds the head and parses
 * it. The head must be complete. */
static h1_status_t parse_n(char *buf, size_t cap, const char *in, size_t len, size_t max, h1_request_t *r) {
  assert_true(len < cap);
  memcpy(buf, in, len);
  buf[len] = 'Z'; /* not a NUL: the parser must not rely on one */
  size_t from = 0;
  size_t end = h1_head_end(buf, len, &from);
  if (end == 0) fail_msg("no head end in test input: %.*s", (int)len, in);
  return h1_parse_head(buf, end, max, r);
}

static h1_status_t parse(char *buf, size_t cap, const char *in, h1_request_t *r) {
  return parse_n(buf, cap, in, strlen(in), H1_MAX_HEADERS, r);
}

static void assert_header(const h1_request_t *r, size_t i, const char *name, const char *value, size_t value_len) {
  assert_true(i < r->nheaders);
  assert_string_equal(r->headers[i].name, name);
  assert_int_equal(r->headers[i].name_len, strlen(name));
  assert_memory_equal(r->headers[i].value, value, value_len + 1); /* and the NUL */
  assert_int_equal(r->headers[i].value_len, value_len);
}

static void test_parse_typical_get(void **s) {
  (void)s;
  static const char in[] =
      "GET /v1/check?app=a%20b&x=1 HTTP/1.1\r\n"
      "Host: auth.example.com\r\n"
      "X-Empty:\r\n"
      "X-Blank:  \t \r\n"
      "X-Ows: \t padded  value \t\r\n"
      "X-Tab:a\tb\r\n"
      "X-Obs: caf\xc3\xa9\r\n"
      "authorization: Bearer abc.def\r\n"
      "\r\n"
      "next";
  char buf[512];
  h1_request_t r;
  assert_int_equal(parse(buf, sizeof buf, in, &r), H1_OK);
  assert_string_equal(r.method, "GET");
  assert_int_equal(r.method_len, 3);
  assert_string_equal(r.target, "/v1/check?app=a%20b&x=1");
  assert_int_equal(r.target_len, 23);
  assert_int_equal(r.minor, 1);
  assert_int_equal(r.head_len, sizeof in - 1 - 4);
  assert_int_equal(r.nheaders, 7);
  assert_header(&r, 0, "Host", "auth.example.com", 16);
  assert_header(&r, 1, "X-Empty", "", 0);
  assert_header(&r, 2, "X-Blank", "", 0);
  assert_header(&r, 3, "X-Ows", "padded  value", 13);
  assert_header(&r, 4, "X-Tab", "a\tb", 3);
  assert_header(&r, 5, "X-Obs", "caf\xc3\xa9", 5);
  assert_header(&r, 6, "authorization", "Bearer abc.def", 14);
  /* Every string lies inside the head. */
  assert_true(r.headers[6].value + r.headers[6].value_len < buf + r.head_len);
  /* The body's bytes are untouched. */
  assert_memory_equal(buf + r.head_len, "next", 4);

  /* h1_header: case-insensitive, whole name, first match. */
  assert_string_equal(h1_header(&r, S("host")), "auth.example.com");
  assert_string_equal(h1_header(&r, S("AUTHORIZATION")), "Bearer abc.def");
  assert_string_equal(h1_header(&r, S("x-empty")), "");
  assert_null(h1_header(&r, S("Hos")));
  assert_null(h1_header(&r, S("Hostx")));
  assert_null(h1_header(&r, S("Content-Length")));
}

static void test_parse_first_header_wins_and_methods(void **s) {
  (void)s;
  char buf[256];
  h1_request_t r;
  assert_int_equal(parse(buf, sizeof buf, "DELETE /admin/v1/apps/app_1 HTTP/1.1\r\nX: 1\r\nx: 2\r\n\r\n", &r), H1_OK);
  assert_string_equal(r.method, "DELETE");
  assert_int_equal(r.method_len, 6);
  assert_string_equal(h1_header(&r, S("X")), "1");
  /* Any token is a method (the router decides which it serves). */
  assert_int_equal(parse(buf, sizeof buf, "M-SEARCH * HTTP/1.1\r\n\r\n", &r), H1_OK);
  assert_string_equal(r.method, "M-SEARCH");
  assert_string_equal(r.target, "*");
  assert_int_equal(r.nheaders, 0);
  assert_int_equal(r.head_len, 23);
}

static void test_parse_http10(void **s) {
  (void)s;
  char buf[256];
  h1_request_t r;
  assert_int_equal(parse(buf, sizeof buf, "GET /healthz HTTP/1.0\r\nUser-Agent: probe/1\r\n\r\n", &r), H1_OK);
  assert_int_equal(r.minor, 0);
  assert_string_equal(r.target, "/healthz");
  assert_int_equal(r.nheaders, 1);
  assert_header(&r, 0, "User-Agent", "probe/1", 7);
  assert_int_equal(parse(buf, sizeof buf, "GET / HTTP/1.0\r\n\r\n", &r), H1_OK);
  assert_int_equal(r.minor, 0);
  assert_int_equal(r.nheaders, 0);
}

static void test_parse_refusals(void **s) {
  (void)s;
  static const struct {
    const char *in;
    size_t len;
    h1_status_t want;
  } T[] = {
      /* bare LF, bare CR */
      {S("GET / HTTP/1.1\nHost: a\r\n\r\n"), H1_BAD},
      {S("GET /\n HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nHost: a\nb\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nHost: a\n\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\n\nHost: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n"), H1_BAD},
      /* obs-fold */
      {S("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), H1_BAD},
      /* whitespace before the colon, no name, no colon */
      {S("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\n: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nHost a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nHost\r\n\r\n"), H1_BAD},
      /* non-token name bytes */
      {S("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX/Y: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX@Y: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX\"Y: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX\x01: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX\x7f: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nH\xc3\xb6st: a\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX\0Y: a\r\n\r\n"), H1_BAD},
      /* control bytes / DEL in values */
      {S("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX: a\x1f b\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1\r\nX: \x0b\r\n\r\n"), H1_BAD},
      /* request line: spaces */
      {S("GET  / HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET /  HTTP/1.1\r\n\r\n"), H1_BAD},
      {S(" GET / HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.1 \r\n\r\n"), H1_BAD},
      {S("GET /HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET/ HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET\t/ HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET /\tHTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET / \r\n\r\n"), H1_BAD},
      {S("GET /\r\n\r\n"), H1_BAD},
      {S("GET\r\n\r\n"), H1_BAD},
      {S("/ HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("G(T / HTTP/1.1\r\n\r\n"), H1_BAD},
      /* target: space, control bytes, DEL, non-ASCII */
      {S("GET /a b HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET /a\x01 HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET /a\x7f HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET /a\0 HTTP/1.1\r\n\r\n"), H1_BAD},
      {S("GET /\xc3\xa9 HTTP/1.1\r\n\r\n"), H1_BAD},
      /* version */
      {S("GET / http/1.1\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/2.0\r\n\r\n"), H1_BAD_VERSION},
      {S("GET / HTTP/1.2\r\n\r\n"), H1_BAD_VERSION},
      {S("GET / HTTP/1.9\r\n\r\n"), H1_BAD_VERSION},
      {S("GET / HTTP/0.9\r\n\r\n"), H1_BAD_VERSION},
      {S("GET / HTTP/3.0\r\n\r\n"), H1_BAD_VERSION},
      {S("GET / HTTP/1.x\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.10\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1.\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/11.1\r\n\r\n"), H1_BAD},
      {S("GET / HTTPS/1.1\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/a.1\r\n\r\n"), H1_BAD},
      {S("GET / HTTP/1,1\r\n\r\n"), H1_BAD},
  };
  for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
    char buf[256];
    h1_request_t r;
    h1_status_t got = parse_n(buf, sizeof buf, T[i].in, T[i].len, H1_MAX_HEADERS, &r);
    if (got != T[i].want) fail_msg("case %zu (%.*s): got %d want %d", i, (int)T[i].len, T[i].in, got, T[i].want);
  }
}

/* The head must end exactly at head_end's blank line. */
static void test_parse_head_end_must_be_the_blank_line(void **s) {
  (void)s;
  char buf[] = "GET / HTTP/1.1\r\n\r\n\r\n";
  h1_request_t r;
  assert_int_equal(h1_parse_head(buf, sizeof buf - 1, H1_MAX_HEADERS, &r), H1_BAD);
}

/* A head with n fields "H<i>: v<i>". */
static size_t many_headers(char *buf, size_t cap, size_t n) {
  size_t len = (size_t)snprintf(buf, cap, "GET / HTTP/1.1\r\n");
  for (size_t i = 0; i < n; i++) len += (size_t)snprintf(buf + len, cap - len, "H%zu: v%zu\r\n", i, i);
  len += (size_t)snprintf(buf + len, cap - len, "\r\n");
  assert_true(len < cap);
  return len;
}

static void test_parse_max_headers(void **s) {
  (void)s;
  static char in[32 * (H1_MAX_HEADERS + 2)], buf[sizeof in];
  h1_request_t r;
  size_t len = many_headers(in, sizeof in, 10);
  assert_int_equal(parse_n(buf, sizeof buf, in, len, 10, &r), H1_OK);
  assert_int_equal(r.nheaders, 10);
  assert_header(&r, 9, "H9", "v9", 2);
  assert_int_equal(parse_n(buf, sizeof buf, in, len, 9, &r), H1_TOO_MANY_HEADERS);
  assert_int_equal(parse_n(buf, sizeof buf, in, len, 0, &r), H1_TOO_MANY_HEADERS);
  len = many_headers(in, sizeof in, 0);
  assert_int_equal(parse_n(buf, sizeof buf, in, len, 0, &r), H1_OK);
  assert_int_equal(r.nheaders, 0);

  /* max_headers above H1_MAX_HEADERS is capped there. */
  len = many_headers(in, sizeof in, H1_MAX_HEADERS);
  assert_int_equal(parse_n(buf, sizeof buf, in, len, 1000, &r), H1_OK);
  assert_int_equal(r.nheaders, H1_MAX_HEADERS);
  char last_name[16], last_value[16];
  snprintf(last_name, sizeof last_name, "H%d", H1_MAX_HEADERS - 1);
  int vl = snprintf(last_value, sizeof last_value, "v%d", H1_MAX_HEADERS - 1);
  assert_header(&r, H1_MAX_HEADERS - 1, last_name, last_value, (size_t)vl);
  len = many_headers(in, sizeof in, H1_MAX_HEADERS + 1);
  assert_int_equal(parse_n(buf, sizeof buf, in, len, 1000, &r), H1_TOO_MANY_HEADERS);
  assert_int_equal(parse_n(buf, sizeof buf, in, len, H1_MAX_HEADERS, &r), H1_TOO_MANY_HEADERS);
  assert_int_equal(parse_n(buf, sizeof buf, in, len, (size_t)-1, &r), H1_TOO_MANY_HEADERS);
}

/* ---- h1_framing ---------------------------------------------------- */

/* Parses "<reqline>\r\n<fields>\r\n" and returns h1_framing's status. */
static h1_status_t framing(const char *reqline, const char *fields, h1_framing_t *f) {
  static char in[1024], buf[1024];
  h1_request_t r;
  int n = snprintf(in, sizeof in, "%s\r\n%s\r\n", reqline, fields);
  assert_true(n > 0 && (size_t)n < sizeof in);
  assert_int_equal(parse_n(buf, sizeof buf, in, (size_t)n, H1_MAX_HEADERS, &r), H1_OK);
  f->kind = (h1_body_kind_t)99;
  f->length = 12345;
  return h1_framing(&r, f);
}

#define R11 "POST /v1/token HTTP/1.1"
#define R10 "POST /v1/token HTTP/1.0"

static void test_framing_none_and_length(void **s) {
  (void)s;
  h1_framing_t f;
  assert_int_equal(framing(R11, "Host: a\r\n", &f), H1_OK);
  assert_int_equal(f.kind, H1_BODY_NONE);
  assert_int_equal(f.length, 0);
  assert_int_equal(framing(R11, "Content-Length: 0\r\n", &f), H1_OK);
  assert_int_equal(f.kind, H1_BODY_LENGTH);
  assert_int_equal(f.length, 0);
  assert_int_equal(framing(R11, "Content-Length: 42\r\n", &f), H1_OK);
  assert_int_equal(f.kind, H1_BODY_LENGTH);
  assert_int_equal(f.length, 42);
  assert_int_equal(framing(R10, "content-LENGTH:  \t1048576 \r\n", &f), H1_OK);
  assert_int_equal(f.kind, H1_BODY_LENGTH);
  assert_int_equal(f.length, 1048576);
  assert_int_equal(framing(R11, "Content-Length: 007\r\n", &f), H1_OK);
  assert_int_equal(f.length, 7);
  /* 19 digits always fit in uint64. */
  assert_int_equal(framing(R11, "Content-Length: 9999999999999999999\r\n", &f), H1_OK);
  assert_true(f.length == UINT64_C(9999999999999999999));
  /* A look-alike name is not Content-Length. */
  assert_int_equal(framing(R11, "Content-Lengths: 5\r\nX-Content-Length: x\r\n", &f), H1_OK);
  assert_int_equal(f.kind, H1_BODY_NONE);
}

static void test_framing_bad_content_length(void **s) {
  (void)s;
  static const char *const T[] = {
      "Content-Length: 5\r\nContent-Length: 5\r\n",
      "Content-Length: 5\r\ncontent-length: 6\r\n",
      "Content-Length: 5\r\nX: y\r\nCONTENT-LENGTH: 0\r\n",
      "Content-Length: abc\r\n",
      "Content-Length: 5a\r\n",
      "Content-Length: 0x10\r\n",
      "Content-Length: 1.0\r\n",
      "Content-Length: -1\r\n",
      "Content-Length: +1\r\n",
      "Content-Length: 1 2\r\n",
      "Content-Length: 1\t2\r\n",
      "Content-Length: 5,5\r\n",
      "Content-Length: 5, 5\r\n",
      "Content-Length:\r\n",
      "Content-Length:   \r\n",
      "Content-Length: 12345678901234567890\r\n",
      "Content-Length: 00000000000000000001\r\n",
      "Content-Length: 99999999999999999999999\r\n",
  };
  for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
    h1_framing_t f;
    h1_status_t got = framing(R11, T[i], &f);
    if (got != H1_BAD) fail_msg("case %zu (%s): got %d want H1_BAD", i, T[i], got);
  }
}

static void test_framing_transfer_encoding(void **s) {
  (void)s;
  h1_framing_t f;
  static const char *const ok[] = {
      "Transfer-Encoding: chunked\r\n",
      "transfer-encoding: Chunked\r\n",
      "TRANSFER-ENCODING: CHUNKED\r\n",
      "Transfer-Encoding:  chunked \t\r\n",
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    h1_status_t got = framing(R11, ok[i], &f);
    if (got != H1_OK) fail_msg("ok case %zu (%s): got %d", i, ok[i], got);
    assert_int_equal(f.kind, H1_BODY_CHUNKED);
  }
  static const char *const bad[] = {
      "Transfer-Encoding: gzip, chunked\r\n",
      "Transfer-Encoding: chunked, chunked\r\n",
      "Transfer-Encoding: chunked,\r\n",
      "Transfer-Encoding: identity\r\n",
      "Transfer-Encoding: chunkedx\r\n",
      "Transfer-Encoding: chunke\r\n",
      "Transfer-Encoding: chunked;q=1\r\n",
      "Transfer-Encoding: \"chunked\"\r\n",
      "Transfer-Encoding:\r\n",
      "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
      "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    h1_status_t got = framing(R11, bad[i], &f);
    if (got != H1_BAD) fail_msg("bad case %zu (%s): got %d want H1_BAD", i, bad[i], got);
  }
  /* HTTP/1.0 has no chunked coding: a 1.0 peer would read the body
   * as ending at close. */
  assert_int_equal(framing(R10, "Transfer-Encoding: chunked\r\n", &f), H1_BAD);
}

/* ---- h1_keep_alive ------------------------------------------------- */

static bool keep(const char *reqline, const char *fields) {
  static char in[1024], buf[1024];
  h1_request_t r;
  int n = snprintf(in, sizeof in, "%s\r\n%s\r\n", reqline, fields);
  assert_true(n > 0 && (size_t)n < sizeof in);
  assert_int_equal(parse_n(buf, sizeof buf, in, (size_t)n, H1_MAX_HEADERS, &r), H1_OK);
  return h1_keep_alive(&r);
}

static void test_keep_alive(void **s) {
  (void)s;
  const char *g11 = "GET / HTTP/1.1", *g10 = "GET / HTTP/1.0";
  assert_true(keep(g11, ""));
  assert_true(keep(g11, "Host: a\r\n"));
  assert_false(keep(g11, "Connection: close\r\n"));
  assert_false(keep(g11, "connection: CLOSE\r\n"));
  assert_false(keep(g11, "Connection: Keep-Alive, close\r\n"));
  assert_false(keep(g11, "Connection: keep-alive,close\r\n"));
  assert_false(keep(g11, "Connection: ,, close ,\r\n"));
  assert_false(keep(g11, "Connection: upgrade\r\nConnection: close\r\n"));
  assert_true(keep(g11, "Connection: keep-alive\r\n"));
  assert_true(keep(g11, "Connection: closed\r\n"));       /* not the token */
  assert_true(keep(g11, "Connection: close-ish, x\r\n")); /* nor this */
  assert_true(keep(g11, "X-Connection: close\r\n"));
  assert_true(keep(g11, "Connection:\r\n"));
  assert_false(keep(g10, ""));
  assert_false(keep(g10, "Connection: upgrade\r\n"));
  assert_true(keep(g10, "Connection: keep-alive\r\n"));
  assert_true(keep(g10, "Connection: Keep-Alive\r\n"));
  assert_true(keep(g10, "Connection: foo, keep-alive\r\n"));
  assert_false(keep(g10, "Connection: keep-alive, close\r\n"));
  assert_false(keep(g10, "Connection: keep-alive\r\nConnection: close\r\n"));
  assert_false(keep(g10, "Connection: keep-alives\r\n"));
}

/* ---- h1_chunked_decode --------------------------------------------- */

/* One call over a copy of in[0..len) in a buffer of exactly len bytes.
 * The data (moved to the front) is copied to out. */
static long decode1(const char *in, size_t len, char *out, size_t *data_len, bool *done) {
  h1_chunked_t c = H1_CHUNKED_INIT;
  char *b = malloc(len ? len : 1);
  assert_non_null(b);
  memcpy(b, in, len);
  *data_len = 12345;
  long n = h1_chunked_decode(&c, b, len, data_len, done);
  if (n >= 0) {
    assert_true(*data_len <= (size_t)n);
    memcpy(out, b, *data_len);
  }
  free(b);
  return n;
}

static void expect_body(const char *in, size_t len, long want_end, const char *want, size_t want_len) {
  char out[16384];
  size_t dl;
  bool done;
  long n = decode1(in, len, out, &dl, &done);
  if (n != want_end) fail_msg("%.*s: consumed %ld want %ld", (int)(len > 80 ? 80 : len), in, n, want_end);
  assert_true(done);
  assert_int_equal(dl, want_len);
  assert_memory_equal(out, want, want_len);
}

/* The whole input is one body. */
static void expect_whole(const char *in, size_t len, const char *want, size_t want_len) {
  expect_body(in, len, (long)len, want, want_len);
}

static void expect_refused(const char *in, size_t len) {
  char out[16384];
  size_t dl;
  bool done;
  long n = decode1(in, len, out, &dl, &done);
  if (n != -1) fail_msg("%.*s: got %ld, want -1 (refused)", (int)(len > 80 ? 80 : len), in, n);
}

static void test_chunked_simple(void **s) {
  (void)s;
  expect_whole(S("5\r\nhello\r\n0\r\n\r\n"), S("hello"));
  expect_whole(S("0\r\n\r\n"), "", 0);
  expect_whole(S("5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n"), S("hello world!"));
  /* Data bytes are opaque: CR, LF, NUL inside a chunk are data. */
  expect_whole(S("4\r\n\r\n\0\n\r\n0\r\n\r\n"), "\r\n\0\n", 4);
}

static void test_chunked_extensions_trailers_hex(void **s) {
  (void)s;
  expect_whole(S("5;name=val\r\nhello\r\n3 ; a=\"q s\"\r\nabc\r\n0;last\r\n\r\n"), S("helloabc"));
  expect_whole(S("5\t;x\r\nhello\r\n0\r\n\r\n"), S("hello"));
  expect_whole(S("5;a\tb\r\nhello\r\n0\r\n\r\n"), S("hello"));
  expect_whole(S("5;\xc3\xa9\r\nhello\r\n0\r\n\r\n"), S("hello"));
  expect_whole(S("5\r\nhello\r\n0\r\nX-Sum: abc\r\nY:\r\nz:\t\xff \r\n\r\n"), S("hello"));
  static const char az[] = "abcdefghijklmnopqrstuvwxyz";
  char in[512];
  int n = snprintf(in, sizeof in, "1a\r\n%s\r\n1A\r\n%s\r\n0000a\r\n0123456789\r\n0\r\n\r\n", az, az);
  char want[64];
  snprintf(want, sizeof want, "%s%s0123456789", az, az);
  expect_body(in, (size_t)n, n, want, 62);
  n = snprintf(in, sizeof in, "fF\r\n%0255d\r\n0\r\n\r\n", 0);
  assert_true(n > 0 && (size_t)n < sizeof in);
  char zeros[256];
  memset(zeros, '0', 255);
  expect_body(in, (size_t)n, n, zeros, 255);
}

static void test_chunked_stops_at_end(void **s) {
  (void)s;
  /* The next request follows the body: it is neither consumed nor moved. */
  static const char in[] = "3\r\nabc\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.1\r\n\r\n";
  char b[sizeof in];
  memcpy(b, in, sizeof in);
  h1_chunked_t c = H1_CHUNKED_INIT;
  size_t dl = 0;
  bool done = false;
  long n = h1_chunked_decode(&c, b, sizeof in - 1, &dl, &done);
  assert_int_equal(n, 19);
  assert_true(done);
  assert_int_equal(dl, 3);
  assert_memory_equal(b, "abc", 3);
  assert_string_equal(b + n, "GET / HTTP/1.1\r\n\r\n");

  /* Not done: everything is consumed, done stays false. */
  h1_chunked_t c2 = H1_CHUNKED_INIT;
  memcpy(b, in, sizeof in);
  assert_int_equal(h1_chunked_decode(&c2, b, 12, &dl, &done), 12);
  assert_false(done);
  assert_int_equal(dl, 3);
  assert_int_equal(h1_chunked_decode(&c2, b + 12, sizeof in - 1 - 12, &dl, &done), 7);
  assert_true(done);
  assert_int_equal(dl, 0);
}

/* Feeds in[0..len) in the pieces cut at cuts[0..ncuts) (ascending), each
 * in its own exact-size buffer; returns total consumed (or -1), the data
 * gathered in out, and the offset just past the piece in which done came. */
static long feed_pieces(const char *in, size_t len, const size_t *cuts, size_t ncuts, char *out, size_t *out_len,
                        bool *done) {
  h1_chunked_t c = H1_CHUNKED_INIT;
  size_t at = 0, total = 0;
  *out_len = 0;
  *done = false;
  for (size_t k = 0; k <= ncuts && !*done; k++) {
    size_t to = k < ncuts ? cuts[k] : len;
    size_t plen = to - at;
    char *b = malloc(plen ? plen : 1);
    assert_non_null(b);
    memcpy(b, in + at, plen);
    size_t dl = 0;
    long n = h1_chunked_decode(&c, b, plen, &dl, done);
    if (n < 0) {
      free(b);
      return -1;
    }
    assert_true((size_t)n <= plen);
    if (!*done) assert_int_equal((size_t)n, plen); /* all consumed until the end */
    memcpy(out + *out_len, b, dl);
    *out_len += dl;
    total += (size_t)n;
    free(b);
    at = to;
  }
  return (long)total;
}

static void test_chunked_any_split(void **s) {
  (void)s;
  static const char body[] =
      "7;ext=\"v\"\r\nhello, \r\n"
      "1B\r\nchunked world, split often!\r\n"
      "a \t;x;y=z\r\n0123456789\r\n"
      "0;fin\r\nX-Trailer: one\r\nY:two\r\n\r\n";
  static const char next[] = "GET /next HTTP/1.1\r\n\r\n";
  static const char want[] = "hello, chunked world, split often!0123456789";
  const size_t end = sizeof body - 1, wlen = sizeof want - 1;
  char in[256];
  memcpy(in, body, end);
  memcpy(in + end, next, sizeof next - 1);
  const size_t len = end + sizeof next - 1;
  char out[256];
  size_t ol;
  bool done;

  expect_body(in, len, (long)end, want, wlen);
  for (size_t k = 0; k <= len; k++) {
    long n = feed_pieces(in, len, &k, 1, out, &ol, &done);
    if (n != (long)end) fail_msg("split at %zu: consumed %ld want %zu", k, n, end);
    assert_true(done);
    assert_int_equal(ol, wlen);
    assert_memory_equal(out, want, wlen);
  }
  /* Byte by byte: done exactly with the last LF of the body. */
  size_t cuts[256];
  for (size_t k = 0; k < len - 1; k++) cuts[k] = k + 1;
  long n = feed_pieces(in, len, cuts, len - 1, out, &ol, &done);
  assert_int_equal(n, end);
  assert_true(done);
  assert_int_equal(ol, wlen);
  assert_memory_equal(out, want, wlen);
  for (size_t k = 0; k + 1 < end; k++) {
    /* No prefix of the body is a whole body. */
    n = feed_pieces(in, k + 1, cuts, k, out, &ol, &done);
    assert_int_equal(n, k + 1);
    assert_false(done);
  }
}

static void test_chunked_refusals(void **s) {
  (void)s;
  expect_refused(S("\r\n"));
  expect_refused(S(";x\r\nhello\r\n0\r\n\r\n"));
  expect_refused(S(" 5\r\nhello\r\n0\r\n\r\n"));
  expect_refused(S("g\r\n"));
  expect_refused(S("-5\r\n"));
  expect_refused(S("+5\r\n"));
  expect_refused(S("0x5\r\nhello\r\n0\r\n\r\n"));
  /* At most 15 hex digits, leading zeros included (remaining < 2^60). */
  expect_refused(S("1000000000000000\r\n"));
  expect_refused(S("0000000000000005\r\nhello\r\n0\r\n\r\n"));
  expect_refused(S("ffffffffffffffffff\r\n"));
  expect_whole(S("000000000000005\r\nhello\r\n0\r\n\r\n"), S("hello"));
  {
    char out[4];
    size_t dl;
    bool done;
    assert_int_equal(decode1(S("fffffffffffffff\r\nab"), out, &dl, &done), 19);
    assert_false(done);
    assert_int_equal(dl, 2);
  }
  /* Whitespace after the size only before ';' (RFC 9112 BWS). */
  expect_refused(S("1 2\r\nxx\r\n0\r\n\r\n"));
  expect_refused(S("5 x\r\nhello\r\n0\r\n\r\n"));
  expect_refused(S("5 \r\nhello\r\n0\r\n\r\n"));
  /* Missing or wrong CRLF after the data. */
  expect_refused(S("5\r\nhelloX\r\n0\r\n\r\n"));
  expect_refused(S("5\r\nhello0\r\n\r\n"));
  expect_refused(S("5\r\nhello\r0\r\n\r\n"));
  expect_refused(S("5\r\nhello\n0\r\n\r\n"));
  /* Bare LF (or bare CR) anywhere in the framing. */
  expect_refused(S("5\nhello\r\n0\r\n\r\n"));
  expect_refused(S("5;ext\nhello\r\n0\r\n\r\n"));
  expect_refused(S("5\r\r\nhello\r\n0\r\n\r\n"));
  expect_refused(S("0\n\r\n"));
  expect_refused(S("0\r\n\n"));
  expect_refused(S("0\r\nX: a\n\r\n"));
  expect_refused(S("0\r\nX: a\r\n\n"));
  expect_refused(S("0\r\n\rX"));
  /* Control bytes in an extension (HTAB is allowed, above). */
  expect_refused(S("5;a\x01\r\nhello\r\n0\r\n\r\n"));
  expect_refused(S("5;a\x7f\r\nhello\r\n0\r\n\r\n"));
  expect_refused(S("5;a\0b\r\nhello\r\n0\r\n\r\n"));
  expect_refused(S("5;a\x1b\r\nhello\r\n0\r\n\r\n"));
  /* A trailer must be a field: tchar name, ':' right after it. */
  expect_refused(S("0\r\nX-Foo bar\r\n\r\n"));
  expect_refused(S("0\r\nX-Foo\r\n\r\n"));
  expect_refused(S("0\r\nX-Foo : bar\r\n\r\n"));
  expect_refused(S("0\r\n: bar\r\n\r\n"));
  expect_refused(S("0\r\n bar: x\r\n\r\n"));
  expect_refused(S("0\r\nX: a\r\n\tb\r\n\r\n"));
  expect_refused(S("0\r\nX(: a\r\n\r\n"));
  expect_refused(S("0\r\nX: a\x01\r\n\r\n"));
  expect_refused(S("0\r\nX: a\x7f\r\n\r\n"));
}

static void test_chunked_line_limits(void **s) {
  (void)s;
  static char in[3 * H1_TRAILERS_MAX];
  /* The size line: "1;" then extensions, H1_CHUNK_LINE_MAX bytes before
   * the CRLF at most. */
  for (size_t extra = 0; extra <= 1; extra++) {
    size_t linelen = H1_CHUNK_LINE_MAX + extra, n = 0;
    in[n++] = '1';
    in[n++] = ';';
    memset(in + n, 'e', linelen - 2);
    n += linelen - 2;
    memcpy(in + n, "\r\nx\r\n0\r\n\r\n", 10);
    n += 10;
    if (extra)
      expect_refused(in, n);
    else
      expect_body(in, n, (long)n, "x", 1);
    /* The bound holds across pieces too (the count lives in the state). */
    char out[4];
    size_t ol;
    bool done;
    size_t cuts[] = {1, 100, linelen - 1};
    long got = feed_pieces(in, n, cuts, 3, out, &ol, &done);
    assert_int_equal(got, extra ? -1 : (long)n);
  }
  /* Size-line counters restart for each chunk. */
  {
    size_t n = 0;
    for (int k = 0; k < 3; k++) {
      in[n++] = '1';
      in[n++] = ';';
      memset(in + n, 'e', H1_CHUNK_LINE_MAX - 2);
      n += H1_CHUNK_LINE_MAX - 2;
      memcpy(in + n, "\r\nx\r\n", 5);
      n += 5;
    }
    memcpy(in + n, "0\r\n\r\n", 5);
    n += 5;
    expect_body(in, n, (long)n, "xxx", 3);
  }

  /* Trailers: H1_TRAILERS_MAX bytes of trailer lines (before their CRLFs)
   * in all, whether in one line or two. */
  for (size_t extra = 0; extra <= 1; extra++) {
    size_t n = 0;
    memcpy(in, "0\r\nX:", 5);
    n = 5;
    memset(in + n, 'v', H1_TRAILERS_MAX - 2 + extra);
    n += H1_TRAILERS_MAX - 2 + extra;
    memcpy(in + n, "\r\n\r\n", 4);
    n += 4;
    if (extra)
      expect_refused(in, n);
    else
      expect_body(in, n, (long)n, "", 0);

    n = 0;
    memcpy(in, "0\r\n", 3);
    n = 3;
    for (int k = 0; k < 2; k++) {
      memcpy(in + n, "Y:", 2);
      n += 2;
      size_t v = H1_TRAILERS_MAX / 2 - 2 + (k ? extra : 0);
      memset(in + n, 'w', v);
      n += v;
      memcpy(in + n, "\r\n", 2);
      n += 2;
    }
    memcpy(in + n, "\r\n", 2);
    n += 2;
    if (extra)
      expect_refused(in, n);
    else
      expect_body(in, n, (long)n, "", 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_head_end_one_piece),
      cmocka_unit_test(test_head_end_split_everywhere),
      cmocka_unit_test(test_head_end_leading_crlf_ignored),
      cmocka_unit_test(test_head_end_no_end),
      cmocka_unit_test(test_parse_typical_get),
      cmocka_unit_test(test_parse_first_header_wins_and_methods),
      cmocka_unit_test(test_parse_http10),
      cmocka_unit_test(test_parse_refusals),
      cmocka_unit_test(test_parse_head_end_must_be_the_blank_line),
      cmocka_unit_test(test_parse_max_headers),
      cmocka_unit_test(test_framing_none_and_length),
      cmocka_unit_test(test_framing_bad_content_length),
      cmocka_unit_test(test_framing_transfer_encoding),
      cmocka_unit_test(test_keep_alive),
      cmocka_unit_test(test_chunked_simple),
      cmocka_unit_test(test_chunked_extensions_trailers_hex),
      cmocka_unit_test(test_chunked_stops_at_end),
      cmocka_unit_test(test_chunked_any_split),
      cmocka_unit_test(test_chunked_refusals),
      cmocka_unit_test(test_chunked_line_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
