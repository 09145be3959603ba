/* libcustos: JWKS over HTTP from a real loopback server (src/http on
 * custos's own HTTP server): initial fetch, refetch on an unknown kid and its rate
 * limit, age refresh, outage, size cap, bad status. Time is the test's
 * (custos__verifier_set_clock), so rate limits need no sleeping. */
#include <pthread.h>
#include <stdio.h>

#include "core/log.h"
#include "http/server.h"
#include "lib/helpers.h"
#include "lib/verifier.h"

static router_t g_router;
static metrics_t *g_metrics;
static http_server_t *g_srv;
static char g_url[96];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_body;        /* what /jwks serves, under g_lock */
static int g_status = 200;  /* status /jwks answers */
static int g_hits;          /* requests served */
static int64_t g_now;       /* the verifiers' clock */
static jose_jwk_t *g_k1, *g_k2, *g_k3;

static int64_t test_clock(void *arg) {
  (void)arg;
  return __atomic_load_n(&g_now, __ATOMIC_SEQ_CST);
}

static void h_jwks(http_req_t *r, void *ctx) {
  (void)ctx;
  pthread_mutex_lock(&g_lock);
  g_hits++;
  int status = g_status;
  char *body = strdup(g_body ? g_body : "");
  pthread_mutex_unlock(&g_lock);
  http_reply_text(r, status, "application/json", body);
  free(body);
}

static void serve(char *body, int status) {
  pthread_mutex_lock(&g_lock);
  free(g_body);
  g_body = body;
  g_status = status;
  pthread_mutex_unlock(&g_lock);
}

static int hits(void) {
  pthread_mutex_lock(&g_lock);
  int n = g_hits;
  pthread_mutex_unlock(&g_lock);
  return n;
}

static void start_server(void) {
  http_server_opts_t o = {.listen = "127.0.0.1:0", .threads = 1, .max_body_bytes = 1024,
                          .max_header_bytes = 4096, .max_headers = 20,
                          .connection_timeout_s = 10, .access_log = false};
  char err[256];
  g_srv = http_server_start(&o, &g_router, g_metrics, NULL, err, sizeof err);
  assert_non_null(g_srv);
  snprintf(g_url, sizeof g_url, "http://127.0.0.1:%u/jwks", http_server_port(g_srv));
}

static int setup(void **state) {
  (void)state;
  log_set_level(LOG_ERROR);
  router_init(&g_router);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/jwks", h_jwks, NULL, NULL), 0);
  g_metrics = metrics_new();
  g_k1 = lib_key(RFC7515_A3_JWK, "k1", "ES256");
  g_k2 = lib_key(RFC8037_JWK, "k2", "EdDSA");
  g_k3 = lib_key(TEST_P384_JWK, "k3", "ES384");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  metrics_free(g_metrics);
  serve(NULL, 200);
  jose_jwk_free(g_k1);
  jose_jwk_free(g_k2);
  jose_jwk_free(g_k3);
  return 0;
}

static int each_setup(void **state) {
  (void)state;
  g_now = (int64_t)time(NULL);
  g_hits = 0;
  serve(lib_jwks(g_k1, NULL), 200);
  start_server();
  return 0;
}

static int each_teardown(void **state) {
  (void)state;
  http_server_stop(g_srv);
  g_srv = NULL;
  return 0;
}

static custos_verifier_t *url_verifier(custos_verify_opts_t *o) {
  custos_verifier_t *v = NULL;
  assert_int_equal(custos_verifier_new_jwks_url(g_url, o, &v), CUSTOS_OK);
  custos__verifier_set_clock(v, test_clock, NULL);
  return v;
}

static int verify_tok(custos_verifier_t *v, const jose_jwk_t *k) {
  char *t = lib_token(k, lib_claims_at(g_now, 600));
  int rc = custos_verify(v, t, strlen(t), NULL);
  free(t);
  return rc;
}

static void test_url_fetches_once_and_verifies(void **state) {
  (void)state;
  custos_verifier_t *v = url_verifier(NULL);
  assert_int_equal(hits(), 1);
  for (int i = 0; i < 5; i++) assert_int_equal(verify_tok(v, g_k1), CUSTOS_OK);
  assert_int_equal(hits(), 1); /* keys are held, not refetched per token */
  assert_int_equal(custos__verifier_generation(v), 1);
  custos_verifier_free(v);
}

static void test_url_unknown_kid_refetches_rate_limited(void **state) {
  (void)state;
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.jwks_refetch_interval = 30;
  o.jwks_max_age = 0;
  custos_verifier_t *v = url_verifier(&o);
  /* Rotation: k2 published. Within 30 s of the initial fetch, an unknown
   * kid does not refetch. */
  serve(lib_jwks(g_k1, g_k2, NULL), 200);
  assert_int_equal(verify_tok(v, g_k2), CUSTOS_EKEY);
  assert_int_equal(hits(), 1);
  g_now += 30;
  assert_int_equal(verify_tok(v, g_k2), CUSTOS_OK); /* refetched, retried */
  assert_int_equal(hits(), 2);
  assert_int_equal(custos__verifier_generation(v), 2);
  assert_int_equal(verify_tok(v, g_k1), CUSTOS_OK);
  /* A storm of unknown kids within the interval costs one fetch at most. */
  g_now += 30;
  for (int i = 0; i < 20; i++) assert_int_equal(verify_tok(v, g_k3), CUSTOS_EKEY);
  assert_int_equal(hits(), 3);
  g_now += 29;
  for (int i = 0; i < 20; i++) assert_int_equal(verify_tok(v, g_k3), CUSTOS_EKEY);
  assert_int_equal(hits(), 3);
  g_now += 1;
  serve(lib_jwks(g_k1, g_k2, g_k3, NULL), 200);
  assert_int_equal(verify_tok(v, g_k3), CUSTOS_OK);
  assert_int_equal(hits(), 4);
  custos_verifier_free(v);
}

static void test_url_key_removal_on_age_refresh(void **state) {
  (void)state;
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.jwks_refetch_interval = 5;
  o.jwks_max_age = 60;
  custos_verifier_t *v = url_verifier(&o);
  assert_int_equal(verify_tok(v, g_k1), CUSTOS_OK);
  serve(lib_jwks(g_k2, NULL), 200); /* k1 revoked */
  g_now += 59;
  assert_int_equal(verify_tok(v, g_k1), CUSTOS_OK);
  assert_int_equal(hits(), 1);
  g_now += 1;
  assert_int_equal(verify_tok(v, g_k1), CUSTOS_EKEY); /* refreshed by age, k1 gone */
  assert_int_equal(hits(), 2);
  assert_int_equal(verify_tok(v, g_k2), CUSTOS_OK);
  custos_verifier_free(v);
}

static void test_url_outage_keeps_cached_keys(void **state) {
  (void)state;
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.jwks_refetch_interval = 1;
  o.jwks_max_age = 10;
  o.jwks_timeout_ms = 1000;
  custos_verifier_t *v = url_verifier(&o);
  http_server_stop(g_srv); /* JWKS server down */
  g_srv = NULL;
  g_now += 100;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(verify_tok(v, g_k1), CUSTOS_OK); /* age refresh fails: old keys stay */
    assert_int_equal(verify_tok(v, g_k2), CUSTOS_EKEY);
    g_now += 2;
  }
  assert_int_equal(custos__verifier_generation(v), 1);
  /* Bad answers are outages too: a 500, or a broken document. */
  start_server();
  custos_verifier_free(v);
  o.jwks_max_age = 0;
  v = url_verifier(&o);
  serve(strdup("{\"keys\":[{\"kty\":\"EC\"}]}"), 200);
  g_now += 5;
  assert_int_equal(verify_tok(v, g_k2), CUSTOS_EKEY);
  assert_int_equal(verify_tok(v, g_k1), CUSTOS_OK);
  serve(lib_jwks(g_k2, NULL), 500);
  g_now += 5;
  assert_int_equal(verify_tok(v, g_k2), CUSTOS_EKEY);
  assert_int_equal(verify_tok(v, g_k1), CUSTOS_OK);
  assert_int_equal(custos__verifier_generation(v), 1);
  custos_verifier_free(v);
}

static void test_url_size_cap_and_status(void **state) {
  (void)state;
  custos_verifier_t *v = NULL;
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.jwks_max_bytes = 100; /* the one-key set served is ~ 160 bytes */
  assert_int_equal(custos_verifier_new_jwks_url(g_url, &o, &v), CUSTOS_ETOOBIG);
  o.jwks_max_bytes = 400; /* one key fits, three do not */
  assert_int_equal(custos_verifier_new_jwks_url(g_url, &o, &v), CUSTOS_OK);
  custos__verifier_set_clock(v, test_clock, NULL);
  /* A refetched document over the cap is refused; old keys stay. */
  serve(lib_jwks(g_k1, g_k2, g_k3, NULL), 200);
  g_now += 60;
  assert_int_equal(verify_tok(v, g_k3), CUSTOS_EKEY);
  assert_int_equal(verify_tok(v, g_k1), CUSTOS_OK);
  custos_verifier_free(v);
  v = NULL;
  serve(lib_jwks(g_k1, NULL), 404);
  assert_int_equal(custos_verifier_new_jwks_url(g_url, NULL, &v), CUSTOS_EIO);
  serve(strdup("not json"), 200);
  assert_int_equal(custos_verifier_new_jwks_url(g_url, NULL, &v), CUSTOS_EINVAL);
  serve(strdup("{\"keys\":[]}"), 200);
  assert_int_equal(custos_verifier_new_jwks_url(g_url, NULL, &v), CUSTOS_EKEY);
  assert_null(v);
}

static void test_url_token_cache_dropped_on_new_keys(void **state) {
  (void)state;
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.cache_entries = 16;
  o.cache_ttl = 300;
  o.jwks_max_age = 60;
  o.jwks_refetch_interval = 1;
  custos_verifier_t *v = url_verifier(&o);
  char *t = lib_token(g_k1, lib_claims_at(g_now, 600));
  assert_int_equal(custos_verify(v, t, strlen(t), NULL), CUSTOS_OK);
  assert_int_equal(custos_verify(v, t, strlen(t), NULL), CUSTOS_OK);
  serve(lib_jwks(g_k2, NULL), 200); /* k1 revoked */
  g_now += 60;
  /* The cached success belongs to the old generation: not returned. */
  assert_int_equal(custos_verify(v, t, strlen(t), NULL), CUSTOS_EKEY);
  free(t);
  custos_verifier_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_url_fetches_once_and_verifies, each_setup, each_teardown),
      cmocka_unit_test_setup_teardown(test_url_unknown_kid_refetches_rate_limited, each_setup,
                                      each_teardown),
      cmocka_unit_test_setup_teardown(test_url_key_removal_on_age_refresh, each_setup,
                                      each_teardown),
      cmocka_unit_test_setup_teardown(test_url_outage_keeps_cached_keys, each_setup, each_teardown),
      cmocka_unit_test_setup_teardown(test_url_size_cap_and_status, each_setup, each_teardown),
      cmocka_unit_test_setup_teardown(test_url_token_cache_dropped_on_new_keys, each_setup,
                                      each_teardown),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
