/* libcustos token cache: hits, expiry at "exp" (never a cached success at
 * or after it), ttl, capacity bound, generations; directly and through a
 * verifier on the test's clock. */
#include "lib/helpers.h"
#include "lib/claims.h"
#include "lib/token_cache.h"
#include "lib/verifier.h"

static int64_t g_now;
static int64_t test_clock(void *arg) {
  (void)arg;
  return g_now;
}

/* A claims object over JSON object text `json`, one reference. */
static custos_claims_t *claims_of(const char *json) {
  jose_jindex_t ix;
  jose_jindex_init(&ix);
  assert_int_equal(jose_jindex_scan(&ix, json, strlen(json), 0), CUSTOS_OK);
  custos_claims_t *c = claims_new(&ix, json, strlen(json));
  jose_jindex_cleanup(&ix);
  assert_non_null(c);
  return c;
}

static void key_of(token_cache_t *c, int i, unsigned char k[TOKEN_CACHE_KEY_LEN]) {
  char t[32];
  snprintf(t, sizeof t, "token-%d", i);
  assert_int_equal(token_cache_key(c, t, strlen(t), k), CUSTOS_OK);
}

static void test_cache_hit_and_generation(void **state) {
  (void)state;
  token_cache_t *c = token_cache_new(8, 60);
  unsigned char k[TOKEN_CACHE_KEY_LEN];
  key_of(c, 1, k);
  custos_claims_t *claims = claims_of("{\"sub\":\"u1\"}");
  assert_null(token_cache_get(c, k, 1, 1000));
  token_cache_put(c, k, 1, 1000, true, 2000, claims);
  custos_claims_t *got = token_cache_get(c, k, 1, 1001);
  assert_ptr_equal(got, claims);
  custos_claims_free(got);
  assert_null(token_cache_get(c, k, 2, 1001)); /* other key set: miss, and dropped */
  assert_null(token_cache_get(c, k, 1, 1001));
  assert_int_equal(token_cache_size(c), 0);
  custos_claims_free(claims);
  token_cache_free(c);
  token_cache_free(NULL);
  assert_null(token_cache_new(0, 60));
  assert_null(token_cache_new(8, 0));
}

static void test_cache_expiry_at_exp_and_ttl(void **state) {
  (void)state;
  token_cache_t *c = token_cache_new(8, 60);
  unsigned char k1[TOKEN_CACHE_KEY_LEN], k2[TOKEN_CACHE_KEY_LEN], k3[TOKEN_CACHE_KEY_LEN];
  key_of(c, 1, k1);
  key_of(c, 2, k2);
  key_of(c, 3, k3);
  custos_claims_t *claims = claims_of("{}");
  token_cache_put(c, k1, 1, 1000, true, 1010, claims);   /* exp before ttl */
  token_cache_put(c, k2, 1, 1000, false, 0, claims);     /* no exp: ttl */
  token_cache_put(c, k3, 1, 1000, true, 1005.5, claims); /* fractional exp */
  custos_claims_t *g;
  assert_non_null(g = token_cache_get(c, k1, 1, 1009));
  custos_claims_free(g);
  assert_null(token_cache_get(c, k1, 1, 1010)); /* at exp: gone */
  assert_non_null(g = token_cache_get(c, k3, 1, 1004));
  custos_claims_free(g);
  assert_null(token_cache_get(c, k3, 1, 1005)); /* before exp 1005.5 rounds down */
  assert_non_null(g = token_cache_get(c, k2, 1, 1059));
  custos_claims_free(g);
  assert_null(token_cache_get(c, k2, 1, 1060));
  /* Already expired, or NaN: never stored. */
  token_cache_put(c, k1, 1, 1000, true, 1000, claims);
  token_cache_put(c, k2, 1, 1000, true, 0.0 / 0.0, claims);
  assert_int_equal(token_cache_size(c), 0);
  custos_claims_free(claims);
  token_cache_free(c);
}

static void test_cache_capacity_bound(void **state) {
  (void)state;
  size_t caps[] = {1, 7, 300, 1000};
  for (size_t ci = 0; ci < 4; ci++) {
    token_cache_t *c = token_cache_new(caps[ci], 60);
    custos_claims_t *claims = claims_of("{}");
    for (int i = 0; i < (int)caps[ci] * 3 + 10; i++) {
      unsigned char k[TOKEN_CACHE_KEY_LEN];
      key_of(c, i, k);
      token_cache_put(c, k, 1, 1000, false, 0, claims);
      assert_true(token_cache_size(c) <= caps[ci]);
    }
    /* The newest entry is always present. */
    unsigned char k[TOKEN_CACHE_KEY_LEN];
    key_of(c, (int)caps[ci] * 3 + 9, k);
    custos_claims_t *g = token_cache_get(c, k, 1, 1001);
    assert_non_null(g);
    custos_claims_free(g);
    custos_claims_free(claims);
    token_cache_free(c);
  }
}

static void test_verifier_cache_never_past_exp(void **state) {
  (void)state;
  jose_jwk_t *k = lib_key(RFC7515_A3_JWK, "ec-1", "ES256");
  char *jwks = lib_jwks(k, NULL);
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.cache_entries = 4;
  o.cache_ttl = 3600;
  o.leeway = 0;
  custos_verifier_t *v = NULL;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_OK);
  g_now = (int64_t)time(NULL);
  custos__verifier_set_clock(v, test_clock, NULL);
  char *t = lib_token(k, lib_claims_at(g_now, 10)); /* exp = now + 10 */
  custos_claims_t *c = NULL;
  assert_int_equal(custos_verify(v, t, strlen(t), &c), CUSTOS_OK);
  custos_claims_free(c);
  assert_int_equal(token_cache_size(custos__verifier_cache(v)), 1);
  g_now += 9;
  assert_int_equal(custos_verify(v, t, strlen(t), &c), CUSTOS_OK); /* a hit: same claims */
  const char *sub = NULL;
  assert_int_equal(custos_claims_get_string(c, "sub", &sub), CUSTOS_OK);
  assert_string_equal(sub, "u1");
  custos_claims_free(c);
  g_now += 1;
  assert_int_equal(custos_verify(v, t, strlen(t), NULL), CUSTOS_EEXPIRED);
  /* Failures are not cached; a forged copy is not a hit. */
  char *f = lib_forge(t);
  assert_int_equal(custos_verify(v, f, strlen(f), NULL), CUSTOS_EBADSIG);
  assert_int_equal(custos_verify(v, f, strlen(f), NULL), CUSTOS_EBADSIG);
  /* Capacity 4 through the verifier. */
  for (int i = 0; i < 10; i++) {
    char *u = lib_token(k, lib_claims_at(g_now - i, 100));
    assert_int_equal(custos_verify(v, u, strlen(u), NULL), CUSTOS_OK);
    free(u);
  }
  assert_true(token_cache_size(custos__verifier_cache(v)) <= 4);
  free(f);
  free(t);
  free(jwks);
  jose_jwk_free(k);
  custos_verifier_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cache_hit_and_generation),
      cmocka_unit_test(test_cache_expiry_at_exp_and_ttl),
      cmocka_unit_test(test_cache_capacity_bound),
      cmocka_unit_test(test_verifier_cache_never_past_exp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
