/* libcustos under 8 threads at once (run under ASan/UBSan in the test
 * build): one HMAC verifier (shared context pool), one JWKS verifier with a
 * token cache, all verifying good and forged tokens concurrently; every
 * answer must be the single-threaded one. */
#include <pthread.h>

#include "lib/helpers.h"

#define NTHREADS 8
#define ROUNDS 1000

typedef struct job {
  const custos_verifier_t *v;
  const char *good[3];
  const char *bad[3];
  int want_bad;
  int failures;
} job_t;

static void *worker(void *arg) {
  job_t *j = arg;
  for (int r = 0; r < ROUNDS; r++) {
    int i = r % 3;
    custos_claims_t *c = NULL;
    if (custos_verify(j->v, j->good[i], strlen(j->good[i]), &c) != CUSTOS_OK) {
      j->failures++;
      continue;
    }
    const char *sub = NULL;
    if (custos_claims_get_string(c, "sub", &sub) || strcmp(sub, "u1")) j->failures++;
    custos_claims_free(c);
    if (custos_verify(j->v, j->bad[i], strlen(j->bad[i]), NULL) != j->want_bad) j->failures++;
  }
  return NULL;
}

static void run(job_t *tmpl) {
  pthread_t th[NTHREADS];
  job_t jobs[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    jobs[i] = *tmpl;
    assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
  }
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(jobs[i].failures, 0);
  }
}

static void test_threads_hmac(void **state) {
  (void)state;
  unsigned char s[64];
  size_t n = lib_a1_secret(s);
  custos_verifier_t *v = NULL;
  assert_int_equal(custos_verifier_new_hmac(s, n, CUSTOS_ALG_HS256, NULL, &v), CUSTOS_OK);
  jose_jwk_t *k = lib_key(RFC7515_A1_JWK, NULL, "HS256");
  char *g[3], *b[3];
  for (int i = 0; i < 3; i++) {
    g[i] = lib_token(k, lib_claims(600 + i));
    b[i] = lib_forge(g[i]);
  }
  job_t j = {.v = v, .good = {g[0], g[1], g[2]}, .bad = {b[0], b[1], b[2]},
             .want_bad = CUSTOS_EBADSIG};
  run(&j);
  for (int i = 0; i < 3; i++) {
    free(g[i]);
    free(b[i]);
  }
  jose_jwk_free(k);
  custos_verifier_free(v);
}

static void test_threads_jwks_with_cache(void **state) {
  (void)state;
  jose_jwk_t *ks[3] = {lib_key(RFC7515_A3_JWK, "ec", "ES256"), lib_key(RFC8037_JWK, "ed", "EdDSA"),
                       lib_key(RFC7515_A2_JWK, "rs", "RS256")};
  char *jwks = lib_jwks(ks[0], ks[1], ks[2], NULL);
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.cache_entries = 2; /* smaller than the working set: constant eviction */
  custos_verifier_t *v = NULL;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_OK);
  char *g[3], *b[3];
  for (int i = 0; i < 3; i++) {
    g[i] = lib_token(ks[i], lib_claims(600));
    b[i] = lib_forge(g[i]);
  }
  job_t j = {.v = v, .good = {g[0], g[1], g[2]}, .bad = {b[0], b[1], b[2]},
             .want_bad = CUSTOS_EBADSIG};
  run(&j);
  for (int i = 0; i < 3; i++) {
    free(g[i]);
    free(b[i]);
    jose_jwk_free(ks[i]);
  }
  free(jwks);
  custos_verifier_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threads_hmac),
      cmocka_unit_test(test_threads_jwks_with_cache),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
