/*
 * h1parse.h — the HTTP/1.1 request parser: a request head, the body's
 * framing, and a chunked body. Pure functions over a buffer (no I/O, no
 * allocation), so each is fuzzed alone (tests/fuzz/fuzz_h1parse.c).
 *
 * Strict where RFC 9112 lets a server choose, because a gateway and custos
 * must never disagree about where a request ends (request smuggling): bare
 * LF, obs-fold, whitespace before a colon, control bytes, two
 * Content-Lengths, Transfer-Encoding other than exactly "chunked", and
 * Transfer-Encoding together with Content-Length are all refused.
 */
#ifndef CUSTOS_HTTP_H1PARSE_H
#define CUSTOS_HTTP_H1PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H1_MAX_HEADERS 256 /* hard cap; the server's configured limit may be lower */

typedef struct h1_header {
  const char *name; /* NUL-terminated in the parsed buffer */
  size_t name_len;
  const char *value; /* NUL-terminated, surrounding whitespace removed */
  size_t value_len;
} h1_header_t;

typedef struct h1_request {
  const char *method; /* NUL-terminated token */
  size_t method_len;
  const char *target; /* NUL-terminated, as received (not decoded) */
  size_t target_len;
  int minor;          /* HTTP/1.<minor>: 0 or 1 */
  size_t head_len;    /* bytes from the buffer's start through the blank line */
  size_t nheaders;
  h1_header_t headers[H1_MAX_HEADERS];
} h1_request_t;

typedef enum {
  H1_OK = 0,
  H1_INCOMPLETE = -1,      /* no blank line yet: read more */
  H1_BAD = -2,             /* malformed: 400 and close */
  H1_TOO_MANY_HEADERS = -3, /* more than max_headers: 431 and close */
  H1_BAD_VERSION = -4,     /* not HTTP/1.0 or 1.1: 505 and close */
} h1_status_t;

/* Finds the end of a head in buf[0..len): the offset just past the first
 * CRLFCRLF, or 0 when there is none yet. `from` is where the previous call
 * stopped looking (0 the first time), so a head arriving in pieces is
 * scanned once, not once per piece. Leading CRLFs (RFC 9112 §2.2: a
 * server should ignore empty lines before a request) are not a blank line. */
size_t h1_head_end(const char *buf, size_t len, size_t *from);

/* Parses a complete head, buf[0..head_end) as found by h1_head_end (with
 * head_end > 0), in place: NULs are written after the method, target,
 * each header name and each value, so out's strings point into buf and
 * live as long as it does. At most max_headers (<= H1_MAX_HEADERS)
 * headers. */
h1_status_t h1_parse_head(char *buf, size_t head_end, size_t max_headers, h1_request_t *out);

/* How the body is delimited (RFC 9112 §6.3, strictly). */
typedef enum { H1_BODY_NONE, H1_BODY_LENGTH, H1_BODY_CHUNKED } h1_body_kind_t;
typedef struct h1_framing {
  h1_body_kind_t kind;
  uint64_t length; /* H1_BODY_LENGTH: Content-Length (may be 0) */
} h1_framing_t;
/* H1_OK, or H1_BAD for: Content-Length not all digits (or too large for
 * uint64), more than one Content-Length, Transfer-Encoding other than one
 * "chunked" (case-insensitive), Transfer-Encoding with Content-Length, or
 * Transfer-Encoding on HTTP/1.0. */
h1_status_t h1_framing(const h1_request_t *req, h1_framing_t *out);

/* True for a byte of a token (RFC 9110 §5.6.2 tchar): what a field name,
 * a method, a chunk extension name are made of. */
bool h1_is_tchar(unsigned char c);

/* The value of the first header named `name` (case-insensitive), NULL when
 * absent. */
const char *h1_header(const h1_request_t *req, const char *name, size_t name_len);

/* True when the connection may serve another request after this one:
 * HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
 * "Connection: keep-alive". Connection is a comma-separated list. */
bool h1_keep_alive(const h1_request_t *req);

/* Chunked body decoder (RFC 9112 §7.1). Chunk extensions are skipped
 * (bounded), trailer fields are read and dropped (bounded). Both bounds
 * count the bytes of lines before their CRLF. */
#define H1_CHUNK_LINE_MAX 1024   /* a chunk-size line, extensions included */
#define H1_TRAILERS_MAX 8192     /* all trailer lines together */
typedef struct h1_chunked {
  int state;
  uint64_t remaining; /* data bytes left in the current chunk */
  size_t line;        /* bytes of the current size/trailer line so far */
  size_t trailers;    /* trailer bytes so far */
  int digits;         /* hex digits of the current size */
} h1_chunked_t;
#define H1_CHUNKED_INIT {0}

/* Decodes buf[0..len) in place: the body's data bytes are moved to the
 * front of buf and their count stored in *data_len. Returns the number of
 * input bytes consumed (== len unless the body ended inside buf; what
 * follows is the next request), with *done set once the last chunk and
 * trailers are in; or -1 for a malformed body (400 and close). Safe to call
 * with the input in arbitrary pieces. */
long h1_chunked_decode(h1_chunked_t *c, char *buf, size_t len, size_t *data_len, bool *done);

#endif
