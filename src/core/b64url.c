#include "core/b64url.h"

#include <stdint.h>
#include <stdlib.h>

#include "custos.h"

static const char ENC[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Character -> 6-bit value; 0x80 marks anything outside the alphabet, so
 * OR-ing four lookups and testing one bit validates a whole quad. */
#define X 0x80
static const unsigned char DEC[256] = {
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x00 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x10 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,  /* 0x20 '-' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,  /* 0x30 0-9 */
    X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, /* 0x40 A-O */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  63, /* 0x50 P-Z _ */
    X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* 0x60 a-o */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,  /* 0x70 p-z */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x80.. */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
};
#undef X

size_t b64url_encode(const unsigned char *in, size_t n, char *out) {
  char *o = out;
  size_t i = 0;
  for (; n - i >= 3; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    o[0] = ENC[v >> 18];
    o[1] = ENC[(v >> 12) & 63];
    o[2] = ENC[(v >> 6) & 63];
    o[3] = ENC[v & 63];
    o += 4;
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    o[0] = ENC[v >> 18];
    o[1] = ENC[(v >> 12) & 63];
    o += 2;
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    o[0] = ENC[v >> 18];
    o[1] = ENC[(v >> 12) & 63];
    o[2] = ENC[(v >> 6) & 63];
    o += 3;
  }
  return (size_t)(o - out);
}

int b64url_encode_buf(buf_t *b, const unsigned char *in, size_t n) {
  size_t elen = b64url_encoded_len(n);
  if (elen == 0) return CUSTOS_OK;
  /* Encode to a temporary so `b` changes in one buf_append or not at all. */
  char *tmp = malloc(elen);
  if (!tmp) return CUSTOS_ENOMEM;
  b64url_encode(in, n, tmp);
  int rc = buf_append(b, tmp, elen);
  free(tmp);
  return rc;
}

int b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen) {
  const unsigned char *s = (const unsigned char *)in;
  if (n % 4 == 1) return CUSTOS_EINVAL; /* 6 bits cannot make a byte */
  unsigned char *o = out;
  size_t i = 0;
  for (; n - i >= 4; i += 4) {
    unsigned a = DEC[s[i]], b = DEC[s[i + 1]], c = DEC[s[i + 2]], d = DEC[s[i + 3]];
    if ((a | b | c | d) & 0x80) return CUSTOS_EINVAL;
    uint32_t v = a << 18 | b << 12 | c << 6 | d;
    o[0] = (unsigned char)(v >> 16);
    o[1] = (unsigned char)(v >> 8);
    o[2] = (unsigned char)v;
    o += 3;
  }
  if (n - i == 2) {
    unsigned a = DEC[s[i]], b = DEC[s[i + 1]];
    /* The low 4 bits of `b` are padding; non-zero would be a second
     * spelling of the same byte. */
    if ((a | b) & 0x80 || (b & 0x0F)) return CUSTOS_EINVAL;
    *o++ = (unsigned char)(a << 2 | b >> 4);
  } else if (n - i == 3) {
    unsigned a = DEC[s[i]], b = DEC[s[i + 1]], c = DEC[s[i + 2]];
    if ((a | b | c) & 0x80 || (c & 0x03)) return CUSTOS_EINVAL;
    uint32_t v = a << 18 | b << 12 | c << 6;
    o[0] = (unsigned char)(v >> 16);
    o[1] = (unsigned char)(v >> 8);
    o += 2;
  }
  *outlen = (size_t)(o - out);
  return CUSTOS_OK;
}

bool b64url_shape_ok(const char *s, size_t n) {
  if (n % 4 == 1) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  }
  return true;
}
