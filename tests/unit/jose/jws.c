/* Tests for src/jose/jws.c and src/jose/sig.c: RFC vectors and round
 * trips for every algorithm. RFC 7515 A.4 (ES512) is skipped: custos does
 * not implement P-521. */
#include "jose/helpers.h"
#include "jose/vectors.h"

#include <jansson.h>

#include "jose/jwt.h"
#include "jose/sig.h"

static jose_policy_t rfc_policy(const jose_alg_t *algs, size_t n) {
  jose_policy_t p;
  jose_policy_init(&p);
  p.algs = algs;
  p.nalgs = n;
  p.now = RFC7515_EXP - 60; /* the RFC tokens expired in 2011 */
  return p;
}

static void expect_verify(const char *token, const char *jwk, jose_alg_t alg, int want) {
  jose_jwks_t *s = set_of(key_from(jwk), NULL);
  jose_policy_t p = rfc_policy(&alg, 1);
  json_t *claims = NULL;
  int rc = jose_jwt_verify(token, strlen(token), s, &p, &claims, NULL, NULL);
  assert_int_equal(rc, want);
  if (want == CUSTOS_OK) {
    assert_string_equal(json_string_value(json_object_get(claims, "iss")), "joe");
    assert_true(json_is_true(json_object_get(claims, "http://example.com/is_root")));
  } else {
    assert_null(claims);
  }
  json_decref(claims);
  jose_jwks_free(s);
}

static void test_jws_rfc7515_a1_hs256_verifies(void **state) {
  (void)state;
  expect_verify(RFC7515_A1_TOKEN, RFC7515_A1_JWK, JOSE_ALG_HS256, CUSTOS_OK);
}

static void test_jws_rfc7515_a1_hs256_sign_reproduces(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A1_JWK);
  char *t = signed_token(k, JOSE_ALG_HS256, RFC7515_A1_HEADER, RFC7515_PAYLOAD);
  assert_string_equal(t, RFC7515_A1_TOKEN);
  free(t);
  jose_jwk_free(k);
}

static void test_jws_rfc7515_a1_expired_by_the_clock(void **state) {
  (void)state;
  jose_jwks_t *s = set_of(key_from(RFC7515_A1_JWK), NULL);
  jose_alg_t alg = JOSE_ALG_HS256;
  jose_policy_t p = rfc_policy(&alg, 1);
  p.now = 0; /* real clock: long past 2011 */
  assert_int_equal(jose_jwt_verify(RFC7515_A1_TOKEN, strlen(RFC7515_A1_TOKEN), s, &p, NULL, NULL,
                                   NULL),
                   CUSTOS_EEXPIRED);
  jose_jwks_free(s);
}

static void test_jws_rfc7515_a2_rs256_sign_reproduces(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A2_JWK);
  char *t = signed_token(k, JOSE_ALG_RS256, RFC7515_A2_HEADER, RFC7515_PAYLOAD);
  assert_string_equal(t, RFC7515_A2_TOKEN);
  free(t);
  jose_jwk_free(k);
}

static void test_jws_rfc7515_a2_rs256_verifies_with_public_key(void **state) {
  (void)state;
  expect_verify(RFC7515_A2_TOKEN, RFC7515_A2_PUBLIC_JWK, JOSE_ALG_RS256, CUSTOS_OK);
}

static void test_jws_rfc7515_a3_es256_verifies(void **state) {
  (void)state;
  expect_verify(RFC7515_A3_TOKEN, RFC7515_A3_JWK, JOSE_ALG_ES256, CUSTOS_OK);
}

static void test_jws_rfc8037_ed25519_sign_reproduces_and_verifies(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC8037_JWK);
  char *t = signed_token(k, JOSE_ALG_EDDSA, RFC8037_HEADER, RFC8037_PAYLOAD);
  assert_string_equal(t, RFC8037_TOKEN);
  free(t);
  /* The payload is not JSON, so check at the JWS layer. */
  jose_jws_t j;
  assert_int_equal(jose_jws_parse(RFC8037_TOKEN, strlen(RFC8037_TOKEN), 0, 0, &j), CUSTOS_OK);
  assert_int_equal(j.alg, JOSE_ALG_EDDSA);
  assert_int_equal(jose_jws_verify(&j, k), CUSTOS_OK);
  unsigned char *payload = NULL;
  size_t plen = 0;
  assert_int_equal(jose_jws_payload(&j, &payload, &plen), CUSTOS_OK);
  assert_int_equal(plen, strlen(RFC8037_PAYLOAD));
  assert_memory_equal(payload, RFC8037_PAYLOAD, plen);
  free(payload);
  jose_jws_cleanup(&j);
  jose_jws_cleanup(&j); /* twice is fine */
  jose_jwk_free(k);
}

/* Every algorithm: sign a JWT, verify it, and check a flipped signature
 * byte and another key of the same type are both EBADSIG. */
static void test_jws_roundtrip_every_alg(void **state) {
  (void)state;
  static const struct {
    jose_alg_t alg;
    const char *key, *other;
  } cases[] = {
      {JOSE_ALG_HS256, RFC7515_A1_JWK, "{\"kty\":\"oct\",\"k\":\"" RFC7515_A2_N "\"}"},
      {JOSE_ALG_HS384, RFC7515_A1_JWK, "{\"kty\":\"oct\",\"k\":\"" RFC7515_A2_N "\"}"},
      {JOSE_ALG_HS512, RFC7515_A1_JWK, "{\"kty\":\"oct\",\"k\":\"" RFC7515_A2_N "\"}"},
      {JOSE_ALG_RS256, RFC7515_A2_JWK, RFC7638_JWK},
      {JOSE_ALG_RS384, RFC7515_A2_JWK, RFC7515_A2_PUBLIC_JWK /* same key: flip only */},
      {JOSE_ALG_RS512, RFC7515_A2_JWK, RFC7515_A2_PUBLIC_JWK},
      {JOSE_ALG_PS256, RFC7515_A2_JWK, RFC7515_A2_PUBLIC_JWK},
      {JOSE_ALG_PS384, RFC7515_A2_JWK, RFC7515_A2_PUBLIC_JWK},
      {JOSE_ALG_PS512, RFC7515_A2_JWK, RFC7515_A2_PUBLIC_JWK},
      {JOSE_ALG_ES256, RFC7515_A3_JWK, RFC7515_A3_JWK},
      {JOSE_ALG_ES384, TEST_P384_JWK, TEST_P384_JWK},
      {JOSE_ALG_EDDSA, RFC8037_JWK, RFC8037_JWK},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    jose_alg_t alg = cases[i].alg;
    jose_jwk_t *k = key_from(cases[i].key);
    json_t *claims = json_pack("{s:s, s:I, s:I}", "sub", "u1", "exp", (json_int_t)2000000000,
                               "iat", (json_int_t)1700000000);
    char *t = NULL;
    assert_int_equal(jose_jwt_sign(k, alg, claims, NULL, &t), CUSTOS_OK);

    jose_jwks_t *s = set_of(jose_jwk_ref(k), NULL);
    jose_policy_t p;
    jose_policy_init(&p);
    p.algs = &alg;
    p.nalgs = 1;
    p.now = 1700000000;
    p.typ = "JWT";
    json_t *out = NULL, *hdr = NULL;
    const jose_jwk_t *used = NULL;
    int rc = jose_jwt_verify(t, strlen(t), s, &p, &out, &hdr, &used);
    if (rc) fail_msg("%s: verify %d", jose_alg_name(alg), rc);
    assert_true(json_equal(out, claims));
    assert_string_equal(json_string_value(json_object_get(hdr, "alg")), jose_alg_name(alg));
    assert_ptr_equal(used, k);
    json_decref(out);
    json_decref(hdr);

    /* Flip one bit in the middle of the signature (the last char may carry
     * padding bits, so stay clear of it). */
    char *dot = strrchr(t, '.');
    size_t sl = strlen(dot + 1);
    char *c = dot + 1 + sl / 2;
    *c = *c == 'A' ? 'B' : 'A';
    rc = jose_jwt_verify(t, strlen(t), s, &p, NULL, NULL, NULL);
    if (rc != CUSTOS_EBADSIG) fail_msg("%s: flipped sig gave %d", jose_alg_name(alg), rc);
    free(t);
    jose_jwks_free(s);

    /* Tokens from the other key do not verify under this one (when
     * different), and signing again verifies under a public-only copy. */
    jose_jwk_t *o = key_from(cases[i].other);
    if (jose_jwk_has_private(o) && jose_jwk_fits(o, alg) && strcmp(cases[i].other, cases[i].key)) {
      assert_int_equal(jose_jwt_sign(o, alg, claims, NULL, &t), CUSTOS_OK);
      s = set_of(jose_jwk_ref(k), NULL);
      assert_int_equal(jose_jwt_verify(t, strlen(t), s, &p, NULL, NULL, NULL), CUSTOS_EBADSIG);
      jose_jwks_free(s);
      free(t);
    }
    jose_jwk_free(o);
    json_decref(claims);
    jose_jwk_free(k);
  }
}

static void test_sig_ecdsa_wrong_length_is_badsig(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A3_JWK);
  unsigned char sig[JOSE_SIG_MAX_BYTES];
  size_t n = 0;
  const char *msg = "hello";
  assert_int_equal(jose_sig_sign(k, JOSE_ALG_ES256, msg, 5, sig, sizeof sig, &n), CUSTOS_OK);
  assert_int_equal(n, 64);
  assert_int_equal(jose_sig_verify(k, JOSE_ALG_ES256, msg, 5, sig, 64), CUSTOS_OK);
  assert_int_equal(jose_sig_verify(k, JOSE_ALG_ES256, msg, 5, sig, 63), CUSTOS_EBADSIG);
  sig[64] = 0;
  assert_int_equal(jose_sig_verify(k, JOSE_ALG_ES256, msg, 5, sig, 65), CUSTOS_EBADSIG);
  /* An all-zero r||s is never valid. */
  memset(sig, 0, 64);
  assert_int_equal(jose_sig_verify(k, JOSE_ALG_ES256, msg, 5, sig, 64), CUSTOS_EBADSIG);
  /* The key does not fit ES384. */
  assert_int_equal(jose_sig_verify(k, JOSE_ALG_ES384, msg, 5, sig, 96), CUSTOS_EALG);
  jose_jwk_free(k);
}

static void test_sig_ecdsa_der_signature_is_refused(void **state) {
  (void)state;
  /* A DER-encoded ECDSA signature (what OpenSSL produces natively) is 70-72
   * bytes, never the 64 JWS requires. */
  jose_jwk_t *k = key_from(RFC7515_A3_JWK);
  unsigned char der[72] = {0x30, 0x46, 0x02, 0x21, 0x00};
  assert_int_equal(jose_sig_verify(k, JOSE_ALG_ES256, "x", 1, der, 72), CUSTOS_EBADSIG);
  jose_jwk_free(k);
}

static void test_sig_hmac_wrong_length_is_badsig(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A1_JWK);
  unsigned char sig[64];
  size_t n = 0;
  assert_int_equal(jose_sig_sign(k, JOSE_ALG_HS256, "m", 1, sig, sizeof sig, &n), CUSTOS_OK);
  assert_int_equal(n, 32);
  assert_int_equal(jose_sig_verify(k, JOSE_ALG_HS256, "m", 1, sig, 31), CUSTOS_EBADSIG);
  assert_int_equal(jose_sig_verify(k, JOSE_ALG_HS256, "m", 1, sig, 32), CUSTOS_OK);
  jose_jwk_free(k);
}

static void test_sig_public_key_cannot_sign(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A2_PUBLIC_JWK);
  unsigned char sig[JOSE_SIG_MAX_BYTES];
  size_t n = 0;
  assert_int_equal(jose_sig_sign(k, JOSE_ALG_RS256, "m", 1, sig, sizeof sig, &n), CUSTOS_EKEY);
  assert_int_equal(jose_sig_sign(k, JOSE_ALG_HS256, "m", 1, sig, sizeof sig, &n), CUSTOS_EALG);
  jose_jwk_free(k);
}

static void test_jwt_sign_refuses_alg_and_crit_overrides(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A1_JWK);
  json_t *claims = json_object();
  json_t *h1 = json_pack("{s:s}", "alg", "none"), *h2 = json_pack("{s:[s]}", "crit", "exp");
  char *t = NULL;
  assert_int_equal(jose_jwt_sign(k, JOSE_ALG_HS256, claims, h1, &t), CUSTOS_EINVAL);
  assert_int_equal(jose_jwt_sign(k, JOSE_ALG_HS256, claims, h2, &t), CUSTOS_EINVAL);
  assert_int_equal(jose_jwt_sign(k, JOSE_ALG_UNSET, claims, NULL, &t), CUSTOS_EALG);
  assert_null(t);
  json_decref(h1);
  json_decref(h2);
  json_decref(claims);
  jose_jwk_free(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jws_rfc7515_a1_hs256_verifies),
      cmocka_unit_test(test_jws_rfc7515_a1_hs256_sign_reproduces),
      cmocka_unit_test(test_jws_rfc7515_a1_expired_by_the_clock),
      cmocka_unit_test(test_jws_rfc7515_a2_rs256_sign_reproduces),
      cmocka_unit_test(test_jws_rfc7515_a2_rs256_verifies_with_public_key),
      cmocka_unit_test(test_jws_rfc7515_a3_es256_verifies),
      cmocka_unit_test(test_jws_rfc8037_ed25519_sign_reproduces_and_verifies),
      cmocka_unit_test(test_jws_roundtrip_every_alg),
      cmocka_unit_test(test_sig_ecdsa_wrong_length_is_badsig),
      cmocka_unit_test(test_sig_ecdsa_der_signature_is_refused),
      cmocka_unit_test(test_sig_hmac_wrong_length_is_badsig),
      cmocka_unit_test(test_sig_public_key_cannot_sign),
      cmocka_unit_test(test_jwt_sign_refuses_alg_and_crit_overrides),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
