/* Tests for src/jose/jwk.c and src/jose/jwks.c. */
#include "jose/helpers.h"
#include "jose/vectors.h"

#include <jansson.h>

static void test_jwk_rfc7638_thumbprint(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7638_JWK);
  char tp[JOSE_THUMBPRINT_LEN + 1];
  assert_int_equal(jose_jwk_thumbprint(k, tp), CUSTOS_OK);
  assert_string_equal(tp, RFC7638_THUMBPRINT);
  assert_string_equal(jose_jwk_kid(k), "2011-04-29");
  assert_int_equal(jose_jwk_alg(k), JOSE_ALG_RS256);
  assert_false(jose_jwk_has_private(k));
  jose_jwk_free(k);
}

static void test_jwk_rfc8037_thumbprint(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC8037_JWK);
  char tp[JOSE_THUMBPRINT_LEN + 1];
  assert_int_equal(jose_jwk_thumbprint(k, tp), CUSTOS_OK);
  assert_string_equal(tp, RFC8037_THUMBPRINT);
  assert_true(jose_jwk_has_private(k));
  jose_jwk_free(k);
}

static void test_jwk_emits_public_members_in_rfc7638_order(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7638_JWK);
  json_t *j = jose_jwk_to_json(k, JOSE_JWK_PUBLIC);
  assert_non_null(j);
  char *s = json_dumps(j, JSON_COMPACT);
  assert_non_null(s);
  assert_true(strncmp(s, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", 33) == 0);
  assert_non_null(strstr(s, "\",\"kid\":\"2011-04-29\",\"alg\":\"RS256\"}"));
  free(s);
  json_decref(j);
  jose_jwk_free(k);
}

/* Public emission never carries private members; private emission does
 * and re-parses to the same key. */
static void test_jwk_private_members_only_when_asked(void **state) {
  (void)state;
  static const char *const texts[] = {RFC7515_A2_JWK, RFC7515_A3_JWK, TEST_P384_JWK, RFC8037_JWK};
  static const char *const privs[] = {"d", "p", "q", "dp", "dq", "qi", "k"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    jose_jwk_t *k = key_from(texts[i]);
    json_t *pub = jose_jwk_to_json(k, JOSE_JWK_PUBLIC);
    assert_non_null(pub);
    for (size_t m = 0; m < sizeof privs / sizeof privs[0]; m++)
      assert_null(json_object_get(pub, privs[m]));
    json_t *priv = jose_jwk_to_json(k, JOSE_JWK_PRIVATE);
    assert_non_null(priv);
    assert_non_null(json_object_get(priv, "d"));
    /* Both forms parse back to a key with the same thumbprint. */
    char t0[JOSE_THUMBPRINT_LEN + 1], t1[JOSE_THUMBPRINT_LEN + 1], t2[JOSE_THUMBPRINT_LEN + 1];
    jose_jwk_t *kp = NULL, *kq = NULL;
    assert_int_equal(jose_jwk_from_json(pub, &kp), CUSTOS_OK);
    assert_int_equal(jose_jwk_from_json(priv, &kq), CUSTOS_OK);
    assert_false(jose_jwk_has_private(kp));
    assert_true(jose_jwk_has_private(kq));
    assert_int_equal(jose_jwk_thumbprint(k, t0), CUSTOS_OK);
    assert_int_equal(jose_jwk_thumbprint(kp, t1), CUSTOS_OK);
    assert_int_equal(jose_jwk_thumbprint(kq, t2), CUSTOS_OK);
    assert_string_equal(t0, t1);
    assert_string_equal(t0, t2);
    /* A public-only key cannot be asked for private members. */
    assert_null(jose_jwk_to_json(kp, JOSE_JWK_PRIVATE));
    jose_jwk_free(kp);
    jose_jwk_free(kq);
    json_decref(pub);
    json_decref(priv);
    jose_jwk_free(k);
  }
}

static void test_jwk_rsa_private_emission_has_crt_members(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A2_JWK);
  json_t *priv = jose_jwk_to_json(k, JOSE_JWK_PRIVATE);
  json_error_t je;
  json_t *orig = json_loads(RFC7515_A2_JWK, 0, &je);
  assert_non_null(priv);
  assert_non_null(orig);
  static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
  for (size_t i = 0; i < 8; i++)
    assert_string_equal(json_string_value(json_object_get(priv, names[i])),
                        json_string_value(json_object_get(orig, names[i])));
  json_decref(orig);
  json_decref(priv);
  jose_jwk_free(k);
}

static void test_jwk_oct_has_no_public_form(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A1_JWK);
  assert_null(jose_jwk_to_json(k, JOSE_JWK_PUBLIC));
  json_t *j = jose_jwk_to_json(k, JOSE_JWK_PRIVATE);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "kty")), "oct");
  json_decref(j);
  char tp[JOSE_THUMBPRINT_LEN + 1];
  assert_int_equal(jose_jwk_thumbprint(k, tp), CUSTOS_OK);
  assert_int_equal(strlen(tp), JOSE_THUMBPRINT_LEN);
  jose_jwk_free(k);
}

static void test_jwk_fits_and_allows(void **state) {
  (void)state;
  jose_jwk_t *rsa = key_from(RFC7638_JWK), *oct = key_from(RFC7515_A1_JWK),
             *ec = key_from(RFC7515_A3_JWK);
  assert_true(jose_jwk_fits(rsa, JOSE_ALG_PS512));
  assert_false(jose_jwk_fits(rsa, JOSE_ALG_HS256));
  assert_true(jose_jwk_allows(rsa, JOSE_ALG_RS256));
  assert_false(jose_jwk_allows(rsa, JOSE_ALG_PS256)); /* JWK says RS256 */
  assert_true(jose_jwk_fits(oct, JOSE_ALG_HS512));    /* 64-byte secret */
  assert_false(jose_jwk_allows(oct, JOSE_ALG_HS256)); /* no "alg": needs a list */
  assert_true(jose_jwk_fits(ec, JOSE_ALG_ES256));
  assert_false(jose_jwk_fits(ec, JOSE_ALG_ES384));
  jose_jwk_free(rsa);
  jose_jwk_free(oct);
  jose_jwk_free(ec);
}

typedef struct bad_jwk {
  const char *what;
  const char *text;
  int rc;
} bad_jwk_t;

static void test_jwk_rejects_table(void **state) {
  (void)state;
  static const bad_jwk_t cases[] = {
      {"RSA 1024-bit modulus", TEST_RSA1024_JWK, CUSTOS_EKEY},
      {"oct 31 bytes", "{\"kty\":\"oct\",\"k\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg\"}",
       CUSTOS_EKEY},
      {"oct 32 bytes for HS384",
       "{\"kty\":\"oct\",\"alg\":\"HS384\",\"k\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"}",
       CUSTOS_EKEY},
      {"EC point off the curve",
       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}",
       CUSTOS_EINVAL /* last char has nonzero unused bits: not canonical */},
      {"EC point off the curve (canonical)",
       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}",
       CUSTOS_EKEY},
      {"EC x too short",
       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVA\","
       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
       CUSTOS_EINVAL},
      {"EC d not matching the point",
       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
       "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LA\"}",
       CUSTOS_EKEY},
      {"P-521 unsupported", TEST_P521_JWK, CUSTOS_EKEY},
      {"unknown kty", "{\"kty\":\"PQC\",\"x\":\"AA\"}", CUSTOS_EKEY},
      {"kty not a string", "{\"kty\":1}", CUSTOS_EINVAL},
      {"no kty", "{\"n\":\"AQAB\"}", CUSTOS_EINVAL},
      {"RSA key with alg HS256", "{\"kty\":\"RSA\",\"alg\":\"HS256\",\"n\":\"" RFC7515_A2_N
                                 "\",\"e\":\"AQAB\"}",
       CUSTOS_EALG},
      {"alg none", "{\"kty\":\"RSA\",\"alg\":\"none\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
       CUSTOS_EALG},
      {"P-256 key with alg ES384",
       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\","
       "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
       CUSTOS_EALG},
      {"RSA missing e", "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\"}", CUSTOS_EINVAL},
      {"RSA padded e", "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB=\"}",
       CUSTOS_EINVAL},
      {"RSA empty e", "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"\"}", CUSTOS_EINVAL},
      {"RSA even e", "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAA\"}", CUSTOS_EKEY},
      {"RSA e = 1", "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQ\"}", CUSTOS_EKEY},
      {"RSA multi-prime", "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\",\"oth\":[]}",
       CUSTOS_EKEY},
      {"RSA partial CRT",
       "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\",\"d\":\"AQAB\",\"p\":\"AQAB\"}",
       CUSTOS_EINVAL},
      {"Ed25519 d not deriving x",
       "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\","
       "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
       CUSTOS_EKEY},
      {"X25519 unsupported",
       "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
       CUSTOS_EKEY},
      {"kid not a string", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":7,"
                           "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
       CUSTOS_EINVAL},
      {"duplicate member", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"crv\":\"Ed25519\","
                           "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
       CUSTOS_EDUP},
      {"too deep", "{\"kty\":\"oct\",\"x\":[[[[[[1]]]]]]}", CUSTOS_EDEPTH},
      {"array, not object", "[1]", CUSTOS_EINVAL},
      {"not JSON", "{kty:oct}", CUSTOS_EINVAL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    jose_jwk_t *k = (jose_jwk_t *)0x1;
    int rc = jose_jwk_parse(cases[i].text, strlen(cases[i].text), &k);
    if (rc != cases[i].rc) fail_msg("%s: got %d (%s), want %d", cases[i].what, rc,
                                    custos_strerror(rc), cases[i].rc);
    assert_ptr_equal(k, (jose_jwk_t *)0x1); /* untouched on failure */
  }
}

static void test_jwk_parse_rejects_oversized_text_before_parsing(void **state) {
  (void)state;
  size_t n = JOSE_JWK_MAX_BYTES + 1;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, '[', n); /* would be EDEPTH or EINVAL if it were read */
  jose_jwk_t *k = NULL;
  assert_int_equal(jose_jwk_parse(big, n, &k), CUSTOS_ETOOBIG);
  free(big);
}

static void test_jwk_ref_counts(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A1_JWK);
  assert_ptr_equal(jose_jwk_ref(k), k);
  jose_jwk_free(k);
  assert_int_equal(jose_jwk_kty(k), JOSE_KTY_OCT); /* still alive */
  jose_jwk_free(k);
  jose_jwk_free(NULL);
  assert_null(jose_jwk_ref(NULL));
}

/* ---- JWKS ---------------------------------------------------------------- */

#define JWKS_MIXED                                                                            \
  "{\"keys\":["                                                                               \
  "{\"kty\":\"RSA\",\"kid\":\"rsa1\",\"alg\":\"RS256\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}," \
  "{\"kty\":\"EC\",\"kid\":\"ec1\",\"crv\":\"P-256\","                                        \
  "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","                                    \
  "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},"                                   \
  "{\"kty\":\"PQC\",\"kid\":\"future\"},"                                                     \
  "{\"kty\":\"EC\",\"kid\":\"p521\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"},"            \
  "{\"kty\":\"RSA\",\"kid\":\"enc1\",\"use\":\"enc\",\"alg\":\"RSA-OAEP\",\"n\":\"" RFC7515_A2_N \
  "\",\"e\":\"AQAB\"},"                                                                       \
  "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}" \
  "]}"

static void test_jwks_skips_unknown_and_keeps_going(void **state) {
  (void)state;
  jose_jwks_t *s = NULL;
  size_t skipped = 99;
  assert_int_equal(jose_jwks_parse(JWKS_MIXED, strlen(JWKS_MIXED), &s, &skipped), CUSTOS_OK);
  assert_int_equal(jose_jwks_count(s), 3);
  assert_int_equal(skipped, 3);
  assert_non_null(jose_jwks_find(s, "rsa1"));
  assert_non_null(jose_jwks_find(s, "ec1"));
  assert_null(jose_jwks_find(s, "enc1"));
  assert_null(jose_jwks_at(s, 3));

  const jose_jwk_t *k = NULL;
  /* by kid */
  assert_int_equal(jose_jwks_select(s, JOSE_ALG_ES256, "ec1", &k), CUSTOS_OK);
  assert_ptr_equal(k, jose_jwks_find(s, "ec1"));
  assert_int_equal(jose_jwks_select(s, JOSE_ALG_ES256, "nope", &k), CUSTOS_EKEY);
  /* kid names a key of another type: returned, caller reports EALG */
  assert_int_equal(jose_jwks_select(s, JOSE_ALG_HS256, "rsa1", &k), CUSTOS_OK);
  /* no kid: the single key that fits */
  assert_int_equal(jose_jwks_select(s, JOSE_ALG_EDDSA, NULL, &k), CUSTOS_OK);
  assert_int_equal(jose_jwk_kty(k), JOSE_KTY_OKP);
  assert_int_equal(jose_jwks_select(s, JOSE_ALG_RS256, NULL, &k), CUSTOS_OK);
  assert_int_equal(jose_jwks_select(s, JOSE_ALG_PS256, NULL, &k), CUSTOS_EKEY); /* rsa1 is RS256 */
  assert_int_equal(jose_jwks_select(s, JOSE_ALG_HS256, NULL, &k), CUSTOS_EKEY);
  assert_int_equal(jose_jwks_select(s, JOSE_ALG_ES384, NULL, &k), CUSTOS_EKEY);
  jose_jwks_free(s);
}

static void test_jwks_select_without_kid_is_ambiguous_with_two_fits(void **state) {
  (void)state;
  jose_jwks_t *s = set_of(key_from(RFC7515_A3_JWK), key_from(RFC7515_A3_JWK), NULL);
  const jose_jwk_t *k = NULL;
  assert_int_equal(jose_jwks_select(s, JOSE_ALG_ES256, NULL, &k), CUSTOS_EKEY);
  assert_null(k);
  jose_jwks_free(s);
}

static void test_jwks_rejects_bad_sets(void **state) {
  (void)state;
  static const struct {
    const char *what, *text;
    int rc;
  } cases[] = {
      {"no keys", "{}", CUSTOS_EINVAL},
      {"keys not array", "{\"keys\":{}}", CUSTOS_EINVAL},
      {"entry not object", "{\"keys\":[1]}", CUSTOS_EINVAL},
      {"weak key fails the set", "{\"keys\":[" TEST_RSA1024_JWK "]}", CUSTOS_EKEY},
      {"duplicate kid",
       "{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"a\",\"crv\":\"Ed25519\","
       "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},"
       "{\"kty\":\"OKP\",\"kid\":\"a\",\"crv\":\"Ed25519\","
       "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}",
       CUSTOS_EEXISTS},
      {"duplicate member", "{\"keys\":[],\"keys\":[]}", CUSTOS_EDUP},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    jose_jwks_t *s = NULL;
    int rc = jose_jwks_parse(cases[i].text, strlen(cases[i].text), &s, NULL);
    if (rc != cases[i].rc) fail_msg("%s: got %d, want %d", cases[i].what, rc, cases[i].rc);
    assert_null(s);
  }
}

static void test_jwks_caps_key_count(void **state) {
  (void)state;
  json_t *keys = json_array();
  for (int i = 0; i <= JOSE_JWKS_MAX_KEYS; i++)
    json_array_append_new(keys, json_pack("{s:s}", "kty", "PQC"));
  json_t *o = json_pack("{s:o}", "keys", keys);
  jose_jwks_t *s = NULL;
  assert_int_equal(jose_jwks_from_json(o, &s, NULL), CUSTOS_ETOOBIG);
  assert_null(s);
  /* exactly the cap is fine (all skipped) */
  json_array_remove(keys, 0);
  size_t skipped = 0;
  assert_int_equal(jose_jwks_from_json(o, &s, &skipped), CUSTOS_OK);
  assert_int_equal(skipped, JOSE_JWKS_MAX_KEYS);
  jose_jwks_free(s);
  json_decref(o);
}

static void test_jwks_emits_public_set_without_secrets(void **state) {
  (void)state;
  jose_jwks_t *s = set_of(key_from(RFC7515_A2_JWK), key_from(RFC7515_A1_JWK),
                          key_from(RFC8037_JWK), NULL);
  json_t *j = jose_jwks_to_json(s, JOSE_JWK_PUBLIC);
  assert_non_null(j);
  char *text = json_dumps(j, JSON_COMPACT);
  assert_int_equal(json_array_size(json_object_get(j, "keys")), 2); /* oct left out */
  assert_null(strstr(text, "\"d\""));
  assert_null(strstr(text, "\"k\""));
  jose_jwks_t *back = NULL;
  assert_int_equal(jose_jwks_parse(text, strlen(text), &back, NULL), CUSTOS_OK);
  assert_int_equal(jose_jwks_count(back), 2);
  jose_jwks_free(back);
  free(text);
  json_decref(j);
  jose_jwks_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jwk_rfc7638_thumbprint),
      cmocka_unit_test(test_jwk_rfc8037_thumbprint),
      cmocka_unit_test(test_jwk_emits_public_members_in_rfc7638_order),
      cmocka_unit_test(test_jwk_private_members_only_when_asked),
      cmocka_unit_test(test_jwk_rsa_private_emission_has_crt_members),
      cmocka_unit_test(test_jwk_oct_has_no_public_form),
      cmocka_unit_test(test_jwk_fits_and_allows),
      cmocka_unit_test(test_jwk_rejects_table),
      cmocka_unit_test(test_jwk_parse_rejects_oversized_text_before_parsing),
      cmocka_unit_test(test_jwk_ref_counts),
      cmocka_unit_test(test_jwks_skips_unknown_and_keeps_going),
      cmocka_unit_test(test_jwks_select_without_kid_is_ambiguous_with_two_fits),
      cmocka_unit_test(test_jwks_rejects_bad_sets),
      cmocka_unit_test(test_jwks_caps_key_count),
      cmocka_unit_test(test_jwks_emits_public_set_without_secrets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
