/*
 * helpers.h — keys, key sets and tokens for the libcustos tests in
 * tests/unit/lib/. Header-only (static) so each test file stays one
 * executable. Keys are the RFC 7515/8037 private JWKs from
 * tests/unit/jose/vectors.h, given a kid and alg here.
 */
#ifndef CUSTOS_TEST_LIB_HELPERS_H
#define CUSTOS_TEST_LIB_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64url.h"
#include "custos.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/jwt.h"
#include "jose/vectors.h"

/* A private key from JWK text with "kid" and "alg" added. */
static inline jose_jwk_t *lib_key(const char *jwk, const char *kid, const char *alg) {
  json_t *o = json_loads(jwk, 0, NULL);
  assert_non_null(o);
  if (kid) json_object_set_new(o, "kid", json_string(kid));
  if (alg) json_object_set_new(o, "alg", json_string(alg));
  jose_jwk_t *k = NULL;
  assert_int_equal(jose_jwk_from_json(o, &k), CUSTOS_OK);
  json_decref(o);
  return k;
}

/* JWKS text (malloc'd) holding the public forms of the NULL-terminated
 * keys. */
static inline char *lib_jwks(jose_jwk_t *first, ...) {
  json_t *keys = json_array();
  va_list ap;
  va_start(ap, first);
  for (jose_jwk_t *k = first; k; k = va_arg(ap, jose_jwk_t *))
    json_array_append_new(keys, jose_jwk_to_json(k, JOSE_JWK_PUBLIC));
  va_end(ap);
  json_t *set = json_pack("{s:o}", "keys", keys);
  char *s = json_dumps(set, JSON_COMPACT);
  json_decref(set);
  assert_non_null(s);
  return s;
}

/* A token over claims `claims_json` (a JSON object literal) signed with
 * `k` under its alg; header {"alg","typ":"JWT","kid"}. malloc'd. */
static inline char *lib_token(const jose_jwk_t *k, const char *claims_json) {
  json_t *c = json_loads(claims_json, 0, NULL);
  assert_non_null(c);
  char *t = NULL;
  assert_int_equal(jose_jwt_sign(k, jose_jwk_alg(k), c, NULL, &t), CUSTOS_OK);
  json_decref(c);
  return t;
}

/* Claims {"sub":"u1","iss":"https://iss","aud":"api","iat":now,
 * "exp":now+ttl}. Static buffer: use before the next call. */
static inline const char *lib_claims_at(int64_t now, int64_t ttl) {
  static char buf[256];
  snprintf(buf, sizeof buf,
           "{\"sub\":\"u1\",\"iss\":\"https://iss\",\"aud\":\"api\",\"iat\":%lld,\"exp\":%lld}",
           (long long)now, (long long)(now + ttl));
  return buf;
}

static inline const char *lib_claims(int64_t ttl) { return lib_claims_at((int64_t)time(NULL), ttl); }

/* The raw HMAC secret of the RFC 7515 A.1 key (64 bytes). */
static inline size_t lib_a1_secret(unsigned char out[64]) {
  static const char k[] =
      "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
  size_t n = 0;
  assert_int_equal(b64url_decode(k, strlen(k), out, &n), CUSTOS_OK);
  return n;
}

/* Copies `t` with the last character of the signature changed. */
static inline char *lib_forge(const char *t) {
  char *f = strdup(t);
  size_t n = strlen(f);
  f[n - 2] = f[n - 2] == 'A' ? 'B' : 'A';
  return f;
}

#endif
