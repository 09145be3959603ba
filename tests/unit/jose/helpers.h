/*
 * helpers.h — small builders shared by the tests in tests/unit/jose/.
 * Header-only (static inline) so each test file stays one executable.
 */
#ifndef CUSTOS_TEST_JOSE_HELPERS_H
#define CUSTOS_TEST_JOSE_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64url.h"
#include "custos.h"
#include "jose/jwk.h"
#include "jose/jwks.h"
#include "jose/jws.h"

/* Parses a JWK literal that the test knows to be good. */
static inline jose_jwk_t *key_from(const char *text) {
  jose_jwk_t *k = NULL;
  assert_int_equal(jose_jwk_parse(text, strlen(text), &k), CUSTOS_OK);
  return k;
}

/* A set holding the given keys (NULL-terminated); the set takes its own
 * references, so the caller's are released here. */
static inline jose_jwks_t *set_of(jose_jwk_t *first, ...) {
  jose_jwks_t *s = jose_jwks_new();
  assert_non_null(s);
  va_list ap;
  va_start(ap, first);
  for (jose_jwk_t *k = first; k; k = va_arg(ap, jose_jwk_t *)) {
    assert_int_equal(jose_jwks_add(s, k), CUSTOS_OK);
    jose_jwk_free(k);
  }
  va_end(ap);
  return s;
}

/* base64url of a C string, malloc'd. */
static inline char *b64s(const char *s, size_t n) {
  char *o = malloc(b64url_encoded_len(n) + 1);
  assert_non_null(o);
  o[b64url_encode((const unsigned char *)s, n, o)] = '\0';
  return o;
}

/* "b64(header).b64(payload)." with no signature, malloc'd. */
static inline char *unsigned_token(const char *header, const char *payload) {
  char *h = b64s(header, strlen(header)), *p = b64s(payload, strlen(payload));
  size_t n = strlen(h) + strlen(p) + 3;
  char *t = malloc(n);
  assert_non_null(t);
  strcpy(t, h);
  strcat(t, ".");
  strcat(t, p);
  strcat(t, ".");
  free(h);
  free(p);
  return t;
}

/* Signs exactly `header` and `payload` text with `key` under `alg`.
 * noinline: inlined, gcc 12's -Wdangling-pointer takes the returned heap
 * pointer for a pointer to the local `t`. */
__attribute__((noinline, unused)) static char *signed_token(const jose_jwk_t *key, jose_alg_t alg,
                                                            const char *header,
                                                            const char *payload) {
  char *t = NULL;
  assert_int_equal(jose_jws_sign(key, alg, header, strlen(header), payload, strlen(payload), &t,
                                 NULL),
                   CUSTOS_OK);
  return t;
}

#endif
