/*
 * fuzz_h1parse — the input is a request stream. Every copy handed to the
 * parser lives in a malloc'd buffer of exactly its length, so ASan catches
 * any read past the bytes a call was given. Aborts when:
 *  - h1_head_end fed prefix by prefix (cuts derived from the input)
 *    disagrees with one call over the whole input, or finds the end early;
 *  - a head h1_parse_head accepts breaks the contract: strings not
 *    NUL-terminated inside the head, lengths not their strlen, name bytes
 *    not tchar, whitespace left around a value, head_len != the end, or
 *    the raw head holds a bare CR/LF or a control byte;
 *  - h1_framing / h1_keep_alive contradict the headers they were given;
 *  - h1_chunked_decode over the rest of the input (or all of it, when it
 *    holds no valid head) gives a different result whole, in two pieces,
 *    and byte by byte.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/h1parse.h"

/* xorshift64 seeded from the input (FNV-1a): the cuts follow the input. */
static uint64_t rng_state;
static void rng_seed(const uint8_t *d, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ d[i]) * 1099511628211ULL;
  rng_state = h | 1;
}
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static char *dup_exact(const uint8_t *d, size_t n) {
  char *b = malloc(n ? n : 1);
  if (!b) abort();
  if (n) memcpy(b, d, n);
  return b;
}

static bool is_tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* One call over the whole input vs. a few growing prefixes. */
static size_t head_end_checked(const uint8_t *data, size_t size) {
  char *all = dup_exact(data, size);
  size_t from = 0;
  size_t end = h1_head_end(all, size, &from);
  free(all);
  if (end > size || (end && end < 4)) abort();
  if (!end && from != size) abort();

  from = 0;
  size_t at = 0;
  for (int step = 0; step < 8 && at < size; step++) {
    size_t left = size - at;
    at = step == 7 ? size : at + 1 + (size_t)(rng() % (left < 64 ? left : left / 2 + 1));
    if (at > size) at = size;
    char *p = dup_exact(data, at);
    size_t got = h1_head_end(p, at, &from);
    free(p);
    if (end && at >= end) {
      if (got != end) abort();
      break;
    }
    if (got != 0 || from != at) abort();
  }
  return end;
}

static void check_head(const uint8_t *data, const char *buf, size_t end, size_t max, const h1_request_t *r) {
  if (r->head_len != end) abort();
  if (r->nheaders > max || r->nheaders > H1_MAX_HEADERS) abort();
  if (r->minor != 0 && r->minor != 1) abort();
  const char *lim = buf + end;

  if (r->method < buf || r->method + r->method_len >= lim || r->method[r->method_len] != '\0') abort();
  if (r->method_len == 0 || strlen(r->method) != r->method_len) abort();
  for (size_t i = 0; i < r->method_len; i++)
    if (!is_tchar((unsigned char)r->method[i])) abort();
  if (r->target < buf || r->target + r->target_len >= lim || r->target[r->target_len] != '\0') abort();
  if (r->target_len == 0 || strlen(r->target) != r->target_len) abort();
  for (size_t i = 0; i < r->target_len; i++) {
    unsigned char c = (unsigned char)r->target[i];
    if (c <= 0x20 || c >= 0x7f) abort();
  }

  for (size_t k = 0; k < r->nheaders; k++) {
    const h1_header_t *h = &r->headers[k];
    if (h->name < buf || h->name + h->name_len >= lim || h->name[h->name_len] != '\0') abort();
    if (h->name_len == 0 || strlen(h->name) != h->name_len) abort();
    for (size_t i = 0; i < h->name_len; i++)
      if (!is_tchar((unsigned char)h->name[i])) abort();
    if (h->value < buf || h->value + h->value_len >= lim || h->value[h->value_len] != '\0') abort();
    if (strlen(h->value) != h->value_len) abort();
    for (size_t i = 0; i < h->value_len; i++) {
      unsigned char c = (unsigned char)h->value[i];
      if ((c < 0x20 && c != '\t') || c == 0x7f) abort();
    }
    if (h->value_len && (h->value[0] == ' ' || h->value[0] == '\t' || h->value[h->value_len - 1] == ' ' ||
                         h->value[h->value_len - 1] == '\t'))
      abort();
    if (k && h->name <= r->headers[k - 1].value) abort(); /* in order, not overlapping */
    /* The first field of this name answers h1_header. */
    const char *v = h1_header(r, h->name, h->name_len);
    if (!v) abort();
    for (size_t j = 0; j < k; j++)
      if (r->headers[j].name_len == h->name_len && strcasecmp(r->headers[j].name, h->name) == 0) {
        if (v != r->headers[j].value) abort();
        break;
      }
  }

  /* The raw head: CR only before LF, LF only after CR, no other CTL but HTAB, no DEL. */
  for (size_t i = 0; i < end; i++) {
    unsigned char c = data[i];
    if (c == '\r' && (i + 1 >= end || data[i + 1] != '\n')) abort();
    if (c == '\n' && (i == 0 || data[i - 1] != '\r')) abort();
    if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f) abort();
  }
}

static void check_framing(const h1_request_t *r) {
  h1_framing_t f;
  h1_status_t st = h1_framing(r, &f);
  if (st != H1_OK && st != H1_BAD) abort();
  const char *cl = h1_header(r, "content-length", 14), *te = h1_header(r, "transfer-encoding", 17);
  if (st == H1_OK) {
    switch (f.kind) {
    case H1_BODY_NONE:
      if (cl || te || f.length != 0) abort();
      break;
    case H1_BODY_LENGTH: {
      if (!cl || te) abort();
      size_t n = strlen(cl);
      if (n == 0 || n > 19) abort();
      uint64_t v = 0;
      for (size_t i = 0; i < n; i++) {
        if (cl[i] < '0' || cl[i] > '9') abort();
        v = v * 10 + (uint64_t)(cl[i] - '0');
      }
      if (v != f.length) abort();
      break;
    }
    case H1_BODY_CHUNKED:
      if (cl || !te || r->minor != 1 || strcasecmp(te, "chunked") != 0) abort();
      break;
    default:
      abort();
    }
  } else if (!cl && !te) {
    abort(); /* nothing to refuse */
  }

  bool ka = h1_keep_alive(r);
  if (!h1_header(r, "connection", 10) && ka != (r->minor == 1)) abort();
}

/* Result of decoding a whole chunked stream. */
typedef struct {
  long n; /* consumed, or -1 */
  bool done;
  size_t dlen;
  char *data; /* dlen bytes */
} decoded_t;

/* Feeds d[0..n) cut at cuts[0..ncuts) (ascending), each piece in its own
 * exact buffer. */
static decoded_t decode_pieces(const uint8_t *d, size_t n, const size_t *cuts, size_t ncuts) {
  decoded_t o = {0, false, 0, malloc(n ? n : 1)};
  if (!o.data) abort();
  h1_chunked_t c = H1_CHUNKED_INIT;
  size_t at = 0;
  for (size_t k = 0; k <= ncuts && !o.done; k++) {
    size_t to = k < ncuts ? cuts[k] : n;
    size_t plen = to - at;
    char *p = dup_exact(d + at, plen);
    size_t dl = (size_t)-1;
    bool done = false;
    long got = h1_chunked_decode(&c, p, plen, &dl, &done);
    if (got < 0) {
      free(p);
      o.n = -1;
      return o;
    }
    if ((size_t)got > plen || dl > (size_t)got) abort();
    if (!done && (size_t)got != plen) abort(); /* only the end stops early */
    memcpy(o.data + o.dlen, p, dl);
    o.dlen += dl;
    o.n += got;
    o.done = done;
    free(p);
    at = to;
  }
  return o;
}

static void same(const decoded_t *a, const decoded_t *b) {
  if (a->n != b->n) abort();
  if (a->n < 0) return;
  if (a->done != b->done || a->dlen != b->dlen) abort();
  if (a->dlen && memcmp(a->data, b->data, a->dlen) != 0) abort();
}

static void check_chunked(const uint8_t *d, size_t n) {
  decoded_t whole = decode_pieces(d, n, NULL, 0);
  if (whole.n >= 0 && !whole.done && (size_t)whole.n != n) abort();

  size_t cut = n ? (size_t)(rng() % (n + 1)) : 0;
  decoded_t two = decode_pieces(d, n, &cut, 1);
  same(&whole, &two);
  free(two.data);

  if (n > 1 && n <= 4096) {
    size_t *cuts = malloc((n - 1) * sizeof *cuts);
    if (!cuts) abort();
    for (size_t i = 0; i + 1 < n; i++) cuts[i] = i + 1;
    decoded_t bytes = decode_pieces(d, n, cuts, n - 1);
    same(&whole, &bytes);
    free(bytes.data);
    free(cuts);
  }
  free(whole.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rng_seed(data, size);
  size_t end = head_end_checked(data, size);
  if (!end) {
    check_chunked(data, size); /* no head: the input as a chunked body */
    return 0;
  }

  char *buf = dup_exact(data, size);
  size_t max = (size_t)(rng() % (H1_MAX_HEADERS + 20));
  h1_request_t *r = malloc(sizeof *r);
  if (!r) abort();
  h1_status_t st = h1_parse_head(buf, end, max, r);
  if (st == H1_OK) {
    check_head(data, buf, end, max, r);
    check_framing(r);
    check_chunked(data + end, size - end);
  } else if (st == H1_BAD || st == H1_TOO_MANY_HEADERS || st == H1_BAD_VERSION) {
    check_chunked(data, size); /* not a head: the input as a chunked body */
  } else {
    abort();
  }
  /* The parser writes only inside the head. */
  if (size > end && memcmp(buf + end, data + end, size - end) != 0) abort();
  free(r);
  free(buf);
  return 0;
}
