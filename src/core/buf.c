#include "core/buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"

#define BUF_DEFAULT_MAX ((size_t)1 << 62)

void buf_init(buf_t *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max ? max : BUF_DEFAULT_MAX;
}

void buf_cleanup(buf_t *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void buf_cleanup_secure(buf_t *b) {
  if (b->data) OPENSSL_cleanse(b->data, b->cap);
  buf_cleanup(b);
}

void buf_reset(buf_t *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

static int reserve(buf_t *b, size_t extra) {
  if (extra > b->max - b->len) return CUSTOS_ETOOBIG;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return CUSTOS_OK;
  size_t ncap = b->cap ? b->cap : 64;
  while (ncap < need) ncap *= 2;
  char *p = realloc(b->data, ncap);
  if (!p) return CUSTOS_ENOMEM;
  b->data = p;
  b->cap = ncap;
  return CUSTOS_OK;
}

int buf_reserve(buf_t *b, size_t extra) { return reserve(b, extra); }

int buf__append_slow(buf_t *b, const void *p, size_t n) {
  int rc = reserve(b, n);
  if (rc) return rc;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return CUSTOS_OK;
}

int buf_puts(buf_t *b, const char *s) { return buf_append(b, s, strlen(s)); }

int buf_vprintf(buf_t *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return CUSTOS_EINVAL;
  int rc = reserve(b, (size_t)n);
  if (rc) return rc;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return CUSTOS_OK;
}

int buf_printf(buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

/* 1 for bytes JSON strings must escape: controls, quote, backslash; and
 * DEL, which JSON allows raw but an HTTP header value does not, so that
 * escaped text (an error body) can also travel in a header. */
static const unsigned char NEEDS_ESCAPE[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1, [0x7f] = 1};

int buf_json_escape(buf_t *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!NEEDS_ESCAPE[c]) continue;
    int rc = buf_append(b, s + start, i - start);
    if (rc) return rc;
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    size_t elen = 2;
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
      esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
      esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
      elen = 6;
    }
    rc = buf_append(b, esc, elen);
    if (rc) return rc;
    start = i + 1;
  }
  return buf_append(b, s + start, n - start);
}

char *buf_take(buf_t *b) {
  char *p = b->data;
  if (!p) p = calloc(1, 1);
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

const char *buf_str(const buf_t *b) { return b->data ? b->data : ""; }
