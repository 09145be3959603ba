/* Tests for src/jose/keygen.c and jose_jwk_from_pkey (src/jose/jwk.c). */
#include "jose/helpers.h"

#include <jansson.h>
#include <openssl/evp.h>

#include "jose/jwt.h"
#include "jose/keygen.h"

static const jose_alg_t SIGNING_ALGS[] = {JOSE_ALG_RS256, JOSE_ALG_PS256, JOSE_ALG_ES256,
                                          JOSE_ALG_ES384, JOSE_ALG_EDDSA};

/* Every generated key: private, alg and use set, kid = thumbprint, and its
 * private JWK text parses back to a key that signs what the public half
 * verifies. */
static void test_keygen_each_alg_round_trips(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof SIGNING_ALGS / sizeof SIGNING_ALGS[0]; i++) {
    jose_alg_t alg = SIGNING_ALGS[i];
    jose_jwk_t *k = NULL, *back = NULL, *pub = NULL;
    char tp[JOSE_THUMBPRINT_LEN + 1], *token = NULL;
    assert_int_equal(jose_keygen(alg, &k), CUSTOS_OK);
    assert_true(jose_jwk_has_private(k));
    assert_int_equal(jose_jwk_alg(k), alg);
    assert_string_equal(jose_jwk_use(k), "sig");
    assert_int_equal(jose_jwk_thumbprint(k, tp), CUSTOS_OK);
    assert_string_equal(jose_jwk_kid(k), tp);
    if (alg == JOSE_ALG_RS256) assert_int_equal(EVP_PKEY_get_bits(jose_jwk__pkey(k)), 2048);

    json_t *priv = jose_jwk_to_json(k, JOSE_JWK_PRIVATE);
    json_t *pubj = jose_jwk_to_json(k, JOSE_JWK_PUBLIC);
    assert_non_null(priv);
    assert_non_null(pubj);
    assert_non_null(json_object_get(priv, "d"));
    assert_null(json_object_get(pubj, "d"));
    assert_int_equal(jose_jwk_from_json(priv, &back), CUSTOS_OK);
    assert_int_equal(jose_jwk_from_json(pubj, &pub), CUSTOS_OK);
    assert_string_equal(jose_jwk_kid(back), tp);

    json_t *claims = json_pack("{s:s,s:I}", "sub", "u1", "exp", (json_int_t)4000000000);
    assert_int_equal(jose_jwt_sign(back, alg, claims, NULL, &token), CUSTOS_OK);
    jose_jwks_t *set = set_of(pub, NULL);
    assert_int_equal(jose_jwt_verify(token, strlen(token), set, NULL, NULL, NULL, NULL),
                     CUSTOS_OK);
    jose_jwks_free(set);
    free(token);
    json_decref(claims);
    json_decref(priv);
    json_decref(pubj);
    jose_jwk_free(back);
    jose_jwk_free(k);
  }
}

static void test_keygen_two_keys_differ(void **state) {
  (void)state;
  jose_jwk_t *a = NULL, *b = NULL;
  assert_int_equal(jose_keygen(JOSE_ALG_EDDSA, &a), CUSTOS_OK);
  assert_int_equal(jose_keygen(JOSE_ALG_EDDSA, &b), CUSTOS_OK);
  assert_string_not_equal(jose_jwk_kid(a), jose_jwk_kid(b));
  jose_jwk_free(a);
  jose_jwk_free(b);
}

static void test_keygen_rejects_hmac_and_unset(void **state) {
  (void)state;
  jose_jwk_t *k = (jose_jwk_t *)(uintptr_t)1;
  assert_int_equal(jose_keygen(JOSE_ALG_HS256, &k), CUSTOS_EALG);
  assert_int_equal(jose_keygen(JOSE_ALG_UNSET, &k), CUSTOS_EALG);
  assert_int_equal(jose_keygen(JOSE_ALG_COUNT_, &k), CUSTOS_EALG);
  assert_ptr_equal(k, (jose_jwk_t *)(uintptr_t)1); /* untouched */
}

/* from_pkey applies the parser's acceptance rules. */
static void test_jwk_from_pkey_refuses_what_parsing_refuses(void **state) {
  (void)state;
  jose_jwk_t *k = NULL;
  EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
  EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
  EVP_PKEY *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
  EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  assert_non_null(rsa1024);
  assert_non_null(p521);
  assert_non_null(x25519);
  assert_non_null(p256);
  assert_int_equal(jose_jwk_from_pkey(rsa1024, JOSE_ALG_RS256, NULL, &k), CUSTOS_EKEY);
  assert_int_equal(jose_jwk_from_pkey(p521, JOSE_ALG_ES256, NULL, &k), CUSTOS_EKEY);
  assert_int_equal(jose_jwk_from_pkey(x25519, JOSE_ALG_EDDSA, NULL, &k), CUSTOS_EKEY);
  assert_int_equal(jose_jwk_from_pkey(p256, JOSE_ALG_ES384, NULL, &k), CUSTOS_EALG);
  assert_int_equal(jose_jwk_from_pkey(p256, JOSE_ALG_RS256, NULL, &k), CUSTOS_EALG);
  assert_int_equal(jose_jwk_from_pkey(p256, JOSE_ALG_HS256, NULL, &k), CUSTOS_EALG);
  assert_null(k);
  /* An explicit kid is kept; the caller's reference stays valid. */
  assert_int_equal(jose_jwk_from_pkey(p256, JOSE_ALG_ES256, "k-1", &k), CUSTOS_OK);
  assert_string_equal(jose_jwk_kid(k), "k-1");
  EVP_PKEY_free(p256);
  assert_true(jose_jwk_has_private(k));
  jose_jwk_free(k);
  EVP_PKEY_free(rsa1024);
  EVP_PKEY_free(p521);
  EVP_PKEY_free(x25519);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keygen_each_alg_round_trips),
      cmocka_unit_test(test_keygen_two_keys_differ),
      cmocka_unit_test(test_keygen_rejects_hmac_and_unset),
      cmocka_unit_test(test_jwk_from_pkey_refuses_what_parsing_refuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
