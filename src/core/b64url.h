/*
 * b64url.h — base64url (RFC 4648 §5) without padding, as JOSE uses it.
 *
 * Decoding is strict so that every byte string has exactly one accepted
 * text form: no '=' padding, no characters outside A-Z a-z 0-9 - _, no
 * whitespace, no length with n % 4 == 1, and the unused low bits of the
 * last character must be zero. Token comparisons and signature checks can
 * then rely on the text being canonical.
 *
 * All functions are thread-safe and allocate nothing unless they say so.
 */
#ifndef CUSTOS_CORE_B64URL_H
#define CUSTOS_CORE_B64URL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Characters b64url_encode writes for n input bytes (no NUL counted).
 * Valid for n <= SIZE_MAX / 4 * 3. */
static inline size_t b64url_encoded_len(size_t n) {
  return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* Bytes b64url_decode writes at most for n input characters; exact for any
 * input it accepts. */
static inline size_t b64url_decoded_max(size_t n) {
  return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
}

/*
 * Encodes `n` bytes of `in` into `out`, which must hold
 * b64url_encoded_len(n) chars. Writes no NUL, so it can compose into a
 * larger buffer. Returns the number of chars written. Cannot fail.
 */
size_t b64url_encode(const unsigned char *in, size_t n, char *out);

/*
 * Appends the encoding of `in` to `b`. Returns CUSTOS_OK, CUSTOS_ETOOBIG
 * (b's cap) or CUSTOS_ENOMEM; on failure `b` is unchanged.
 */
int b64url_encode_buf(buf_t *b, const unsigned char *in, size_t n)
    __attribute__((warn_unused_result));

/*
 * Decodes `n` chars of `in` (need not be NUL-terminated) into `out`, which
 * must hold b64url_decoded_max(n) bytes, and stores the byte count in
 * *outlen. Returns CUSTOS_OK or CUSTOS_EINVAL for anything not canonical
 * unpadded base64url (see above). On failure *outlen is untouched and the
 * contents of `out` are unspecified (it may hold a partial decode).
 */
int b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen)
    __attribute__((warn_unused_result));

/*
 * True when `n` chars of `s` could be canonical unpadded base64url: only
 * A-Z a-z 0-9 - _ and a length with n % 4 != 1. A cheap pre-check (no
 * decode, no trailing-bit check) for text whose full decode waits until it
 * is needed, e.g. a JWS payload until its signature is known good.
 */
bool b64url_shape_ok(const char *s, size_t n);

#endif
