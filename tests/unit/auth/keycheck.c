/*
 * keycheck: the hot-path key check over a real store, run on SQLite (temp
 * file) and on PostgreSQL (CUSTOS_TEST_PG_URL; required with
 * CUSTOS_REQUIRE_PG=1) through the store test fixture.
 */
#include "store/fixture.h"

#include "auth/apikey.h"
#include "auth/keycheck.h"

#define NOW 1700000000LL
#define S 1000000000LL

/* --- helpers ------------------------------------------------------------- */

typedef struct world {
  store_account_t acct;
  store_app_t app;
  char env[RAND_ID_MAX];
} world_t;

typedef struct key {
  char text[APIKEY_TEXT_MAX];
  unsigned char hash[STORE_KEY_HASH_LEN];
  store_api_key_t row;
} key_t_;

static void make_world(store_t *s, world_t *w) {
  memset(w, 0, sizeof *w);
  assert_int_equal(store_account_create(s, "acme", &w->acct), CUSTOS_OK);
  assert_int_equal(store_app_create(s, w->acct.id, "shop", "assetpay", &w->app), CUSTOS_OK);
  store_environment_t envs[10];
  int n = 0;
  assert_int_equal(store_environment_list(s, w->acct.id, NULL, 10, envs, &n), CUSTOS_OK);
  assert_true(n > 0);
  memcpy(w->env, envs[0].id, RAND_ID_MAX);
}

static void make_key(store_t *s, const world_t *w, const char *scopes, int64_t expires_at,
                     key_t_ *k) {
  memset(k, 0, sizeof *k);
  assert_int_equal(apikey_generate("ap_", k->text), CUSTOS_OK);
  apikey_hash(k->text, strlen(k->text), k->hash);
  store_api_key_t *r = &k->row;
  snprintf(r->app_id, sizeof r->app_id, "%s", w->app.id);
  snprintf(r->environment_id, sizeof r->environment_id, "%s", w->env);
  snprintf(r->kind, sizeof r->kind, "api_key");
  apikey_start(k->text, strlen(k->text), r->start);
  memcpy(r->hash, k->hash, sizeof r->hash);
  snprintf(r->scopes, sizeof r->scopes, "%s", scopes);
  r->expires_at = expires_at;
  assert_int_equal(store_api_key_create(s, r), CUSTOS_OK);
}

static int verify(keycheck_t *kc, const char *text, int64_t now, keycheck_result_t *out) {
  return keycheck_verify(kc, text, strlen(text), now, out);
}

static int64_t g_clock_ns;
static int64_t test_clock(void *ctx) {
  (void)ctx;
  return g_clock_ns;
}

static keycheck_t *kc_new(store_t *s, const keycheck_opts_t *o) {
  keycheck_t *kc = keycheck_new(s, o);
  assert_non_null(kc);
  g_clock_ns = 1000 * S;
  keycheck_set_clock(kc, test_clock, NULL);
  return kc;
}

static int count_events(store_t *s, const char *target) {
  store_audit_t ev[50];
  int n = 0;
  store_audit_filter_t flt = {.action = "key.check_failed_burst", .target = target};
  assert_int_equal(store_audit_find(s, &flt, 0, 50, ev, &n), CUSTOS_OK);
  for (int i = 0; i < n; i++) {
    assert_string_equal(ev[i].actor, "keycheck");
    assert_string_equal(ev[i].outcome, "denied");
    assert_non_null(ev[i].detail_json);
    assert_non_null(strstr(ev[i].detail_json, "\"window_s\":60"));
    store_audit_cleanup(&ev[i]);
  }
  return n;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* --- no store needed -------------------------------------------------------- */

static void test_scopes_has_exact_tokens(void **state) {
  (void)state;
  static const struct {
    const char *scopes, *scope;
    bool want;
  } T[] = {
      {"CORE_ACCESS READ_ONLY", "CORE_ACCESS", true},
      {"CORE_ACCESS READ_ONLY", "READ_ONLY", true},
      {"CORE_ACCESS READ_ONLY", "READ", false},
      {"CORE_ACCESS READ_ONLY", "ACCESS", false},
      {"CORE_ACCESS READ_ONLY", "CORE_ACCESS READ_ONLY", false},
      {"CORE_ACCESS", "CORE_ACCESS ", false},
      {"  a   b  ", "b", true},
      {"", "a", false},
      {"a", "", false},
      {"read:x write:x", "write:x", true},
  };
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
    if (scopes_has(T[i].scopes, T[i].scope) != T[i].want)
      fail_msg("scopes_has(\"%s\", \"%s\") != %d", T[i].scopes, T[i].scope, T[i].want);
  }
  assert_false(scopes_has(NULL, "a"));
  assert_false(scopes_has("a", NULL));
}

static void test_keycheck_new_rejects_bad_opts(void **state) {
  (void)state;
  assert_null(keycheck_new(NULL, NULL));
}

/* --- backend tests ---------------------------------------------------------- */

static void test_keycheck_valid_key_then_cache_hit(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ k;
  make_world(f->s, &w);
  make_key(f->s, &w, "CORE_ACCESS READ_ONLY", 0, &k);
  keycheck_t *kc = kc_new(f->s, NULL);

  keycheck_result_t r;
  memset(&r, 0, sizeof r);
  assert_int_equal(verify(kc, k.text, NOW, &r), CUSTOS_OK);
  assert_string_equal(r.key_id, k.row.id);
  assert_string_equal(r.app_id, w.app.id);
  assert_string_equal(r.account_id, w.acct.id);
  assert_string_equal(r.environment_id, w.env);
  assert_string_equal(r.kind, "api_key");
  assert_string_equal(r.scopes, "CORE_ACCESS READ_ONLY");
  assert_int_equal(r.expires_at, 0);
  assert_false(r.in_grace);
  assert_int_equal(keycheck_store_lookups(kc), 1);
  assert_int_equal(keycheck_cache_entries(kc), 1);
  assert_true(keycheck_cache_bytes(kc) > 0);

  for (int i = 0; i < 50; i++) {
    keycheck_result_t r2;
    assert_int_equal(verify(kc, k.text, NOW + i, &r2), CUSTOS_OK);
    assert_string_equal(r2.key_id, k.row.id);
  }
  assert_int_equal(keycheck_store_lookups(kc), 1); /* hits never reach the store */
  keycheck_free(kc);
}

static void test_keycheck_malformed_never_reaches_store(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ k;
  make_world(f->s, &w);
  make_key(f->s, &w, "", 0, &k);
  keycheck_t *kc = kc_new(f->s, NULL);
  uint64_t errors = store_error_count(f->s);

  char bad[APIKEY_TEXT_MAX + 8];
  size_t n = strlen(k.text);
  keycheck_result_t r;
  memset(&r, 0x5A, sizeof r);
  keycheck_result_t untouched = r;
  /* Bad checksum: flip each position in turn. */
  for (size_t i = 0; i < n; i++) {
    memcpy(bad, k.text, n + 1);
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    assert_int_equal(keycheck_verify(kc, bad, n, NOW, &r), CUSTOS_EINVAL);
  }
  assert_int_equal(keycheck_verify(kc, k.text, n - 1, NOW, &r), CUSTOS_EINVAL);
  assert_int_equal(keycheck_verify(kc, "", 0, NOW, &r), CUSTOS_EINVAL);
  assert_int_equal(keycheck_verify(kc, NULL, 0, NOW, &r), CUSTOS_EINVAL);
  assert_int_equal(verify(kc, "Bearer whatever", NOW, &r), CUSTOS_EINVAL);
  snprintf(bad, sizeof bad, "%sx", k.text);
  assert_int_equal(verify(kc, bad, NOW, &r), CUSTOS_EINVAL);
  assert_memory_equal(&r, &untouched, sizeof r);
  assert_int_equal(keycheck_store_lookups(kc), 0);
  assert_int_equal(store_error_count(f->s), errors);
  keycheck_free(kc);
}

/* Closing the store under the service: a malformed key is still refused
 * with EINVAL, which proves it is never looked up. (The service is freed
 * before anything else touches the store.) */
static void test_keycheck_malformed_with_poisoned_store(void **state) {
  fx_t *f = *state;
  keycheck_t *kc = kc_new(f->s, NULL);
  keycheck_result_t r;
  char k[APIKEY_TEXT_MAX];
  assert_int_equal(apikey_generate("ap_", k), CUSTOS_OK);
  k[5] = k[5] == 'x' ? 'y' : 'x';
  raw_exec(f, "DROP TABLE api_key");
  assert_int_equal(verify(kc, k, NOW, &r), CUSTOS_EINVAL);
  assert_int_equal(keycheck_store_lookups(kc), 0);
  /* A well-formed unknown key does go to the (now broken) store. */
  assert_int_equal(apikey_generate("ap_", k), CUSTOS_OK);
  assert_int_equal(verify(kc, k, NOW, &r), CUSTOS_ESTORE);
  assert_int_equal(keycheck_store_lookups(kc), 1);
  keycheck_free(kc);
}

static void test_keycheck_negative_cache_ttl(void **state) {
  fx_t *f = *state;
  keycheck_opts_t o = {.negative_ttl_s = 30};
  keycheck_t *kc = kc_new(f->s, &o);
  char k[APIKEY_TEXT_MAX];
  keycheck_result_t r;
  assert_int_equal(apikey_generate("ap_", k), CUSTOS_OK);
  assert_int_equal(verify(kc, k, NOW, &r), CUSTOS_ENOTFOUND);
  assert_int_equal(keycheck_store_lookups(kc), 1);
  for (int i = 0; i < 20; i++) assert_int_equal(verify(kc, k, NOW + i, &r), CUSTOS_ENOTFOUND);
  assert_int_equal(keycheck_store_lookups(kc), 1);
  assert_int_equal(verify(kc, k, NOW + 30, &r), CUSTOS_ENOTFOUND); /* refusal expired */
  assert_int_equal(keycheck_store_lookups(kc), 2);
  assert_int_equal(keycheck_cache_entries(kc), 0);
  keycheck_free(kc);
}

/* A key created after its hash was refused works once keycheck_changed()
 * says so (the admin API calls it on create). */
static void test_keycheck_changed_drops_negative_entry(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ k;
  make_world(f->s, &w);
  keycheck_t *kc = kc_new(f->s, NULL);
  keycheck_result_t r;
  char text[APIKEY_TEXT_MAX];
  unsigned char hash[STORE_KEY_HASH_LEN];
  assert_int_equal(apikey_generate("ap_", text), CUSTOS_OK);
  apikey_hash(text, strlen(text), hash);
  assert_int_equal(verify(kc, text, NOW, &r), CUSTOS_ENOTFOUND);
  /* Now store exactly that key. */
  make_key(f->s, &w, "x", 0, &k);
  memcpy(k.row.hash, hash, sizeof hash);
  snprintf(k.row.start, sizeof k.row.start, "ap_zzzz");
  assert_int_equal(store_api_key_create(f->s, &k.row), CUSTOS_OK);
  assert_int_equal(verify(kc, text, NOW + 1, &r), CUSTOS_ENOTFOUND); /* still refused */
  assert_int_equal(keycheck_changed(kc, hash), CUSTOS_OK);
  assert_int_equal(verify(kc, text, NOW + 2, &r), CUSTOS_OK);
  assert_string_equal(r.key_id, k.row.id);
  keycheck_free(kc);
}

static void test_keycheck_revoked_is_cached_as_revoked(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ k;
  make_world(f->s, &w);
  make_key(f->s, &w, "x", 0, &k);
  keycheck_t *kc = kc_new(f->s, NULL);
  keycheck_result_t r;
  assert_int_equal(verify(kc, k.text, NOW, &r), CUSTOS_OK);
  assert_int_equal(store_api_key_revoke(f->s, k.row.id, NOW + 1), CUSTOS_OK);
  assert_int_equal(keycheck_changed(kc, k.hash), CUSTOS_OK);
  assert_int_equal(verify(kc, k.text, NOW + 2, &r), CUSTOS_EREVOKED);
  uint64_t lookups = keycheck_store_lookups(kc);
  for (int i = 0; i < 10; i++) assert_int_equal(verify(kc, k.text, NOW + 3, &r), CUSTOS_EREVOKED);
  assert_int_equal(keycheck_store_lookups(kc), lookups);
  keycheck_free(kc);
}

/* revoked_at → EREVOKED; expires_at reached → EEXPIRED; a rotated-out key
 * works (in_grace) until grace_until, then EEXPIRED. */
static void test_keycheck_validity_rules(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ plain, expiring, revoked, old;
  make_world(f->s, &w);
  make_key(f->s, &w, "a", 0, &plain);
  make_key(f->s, &w, "a", NOW + 100, &expiring);
  make_key(f->s, &w, "a", 0, &revoked);
  make_key(f->s, &w, "a", NOW + 1000, &old);
  assert_int_equal(store_api_key_revoke(f->s, revoked.row.id, NOW - 5), CUSTOS_OK);
  store_api_key_t repl;
  memset(&repl, 0, sizeof repl);
  char repl_text[APIKEY_TEXT_MAX];
  assert_int_equal(apikey_generate("ap_", repl_text), CUSTOS_OK);
  apikey_hash(repl_text, strlen(repl_text), repl.hash);
  apikey_start(repl_text, strlen(repl_text), repl.start);
  assert_int_equal(store_api_key_rotate(f->s, old.row.id, NOW + 50, &repl), CUSTOS_OK);

  static const struct {
    int which; /* 0 plain, 1 expiring, 2 revoked, 3 rotated-out, 4 replacement */
    int64_t dt;
    int want;
    bool in_grace;
  } T[] = {
      {0, 0, CUSTOS_OK, false},         {0, 1000000, CUSTOS_OK, false},
      {1, 0, CUSTOS_OK, false},         {1, 99, CUSTOS_OK, false},
      {1, 100, CUSTOS_EEXPIRED, false}, {1, 5000, CUSTOS_EEXPIRED, false},
      {2, 0, CUSTOS_EREVOKED, false},   {2, -100, CUSTOS_EREVOKED, false},
      {3, 0, CUSTOS_OK, true},          {3, 49, CUSTOS_OK, true},
      {3, 50, CUSTOS_EEXPIRED, false},  {3, 2000, CUSTOS_EEXPIRED, false},
      {4, 0, CUSTOS_OK, false},         {4, 999, CUSTOS_OK, false},
      {4, 1000, CUSTOS_EEXPIRED, false},
  };
  const char *texts[] = {plain.text, expiring.text, revoked.text, old.text, repl_text};
  keycheck_t *kc = kc_new(f->s, NULL);
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
    keycheck_result_t r;
    memset(&r, 0, sizeof r);
    int rc = verify(kc, texts[T[i].which], NOW + T[i].dt, &r);
    if (rc != T[i].want) fail_msg("row %zu: got %d want %d", i, rc, T[i].want);
    if (rc == CUSTOS_OK) {
      assert_int_equal(r.in_grace, T[i].in_grace);
      if (T[i].which == 4) assert_string_equal(r.key_id, repl.id);
      if (T[i].which == 1) assert_int_equal(r.expires_at, NOW + 100);
    }
  }
  keycheck_free(kc);
}

static void test_keycheck_rate_limit(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ k, other;
  make_world(f->s, &w);
  make_key(f->s, &w, "x", 0, &k);
  make_key(f->s, &w, "x", 0, &other);
  keycheck_opts_t o = {.rate_per_s = 2, .burst = 3};
  keycheck_t *kc = kc_new(f->s, &o);
  keycheck_result_t r;
  for (int i = 0; i < 3; i++) assert_int_equal(verify(kc, k.text, NOW, &r), CUSTOS_OK);
  memset(&r, 0, sizeof r);
  assert_int_equal(verify(kc, k.text, NOW, &r), CUSTOS_ELIMIT);
  assert_true(r.retry_after_s >= 1);
  assert_int_equal(r.key_id[0], '\0'); /* only retry_after_s is written */
  /* Another key has its own bucket. */
  assert_int_equal(verify(kc, other.text, NOW, &r), CUSTOS_OK);
  g_clock_ns += S / 2; /* one token back at 2/s */
  assert_int_equal(verify(kc, k.text, NOW, &r), CUSTOS_OK);
  assert_int_equal(verify(kc, k.text, NOW, &r), CUSTOS_ELIMIT);
  g_clock_ns += 10 * S; /* refilled to the burst */
  for (int i = 0; i < 3; i++) assert_int_equal(verify(kc, k.text, NOW, &r), CUSTOS_OK);
  assert_int_equal(verify(kc, k.text, NOW, &r), CUSTOS_ELIMIT);
  /* Throttled checks are not counted as uses. */
  assert_int_equal(keycheck_flush(kc), CUSTOS_OK);
  store_api_key_t got;
  assert_int_equal(store_api_key_get(f->s, k.row.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 7);
  keycheck_free(kc);
}

static void test_keycheck_usage_batched(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ a, b;
  make_world(f->s, &w);
  make_key(f->s, &w, "x", 0, &a);
  make_key(f->s, &w, "x", 0, &b);
  keycheck_opts_t o = {.flush_interval_ms = 3600 * 1000}; /* only explicit flushes */
  keycheck_t *kc = kc_new(f->s, &o);
  keycheck_result_t r;
  for (int i = 0; i < 25; i++) assert_int_equal(verify(kc, a.text, NOW + i, &r), CUSTOS_OK);
  for (int i = 0; i < 4; i++) assert_int_equal(verify(kc, b.text, NOW, &r), CUSTOS_OK);
  store_api_key_t got;
  assert_int_equal(store_api_key_get(f->s, a.row.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 0); /* nothing written per request */
  assert_int_equal(keycheck_flush(kc), CUSTOS_OK);
  assert_int_equal(store_api_key_get(f->s, a.row.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 25);
  assert_int_equal(got.last_used_at, NOW + 24);
  assert_int_equal(store_api_key_get(f->s, b.row.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 4);
  /* A second flush with nothing new changes nothing. */
  assert_int_equal(keycheck_flush(kc), CUSTOS_OK);
  assert_int_equal(store_api_key_get(f->s, a.row.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 25);
  /* keycheck_free flushes what is left. */
  for (int i = 0; i < 3; i++) assert_int_equal(verify(kc, a.text, NOW + 100, &r), CUSTOS_OK);
  keycheck_free(kc);
  assert_int_equal(store_api_key_get(f->s, a.row.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 28);
  assert_int_equal(got.last_used_at, NOW + 100);
}

static void test_keycheck_background_flush(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ a;
  make_world(f->s, &w);
  make_key(f->s, &w, "x", 0, &a);
  keycheck_opts_t o = {.flush_interval_ms = 50};
  keycheck_t *kc = kc_new(f->s, &o);
  keycheck_result_t r;
  for (int i = 0; i < 5; i++) assert_int_equal(verify(kc, a.text, NOW, &r), CUSTOS_OK);
  store_api_key_t got;
  double t0 = now_s();
  do {
    sleep_ms(20);
    assert_int_equal(store_api_key_get(f->s, a.row.id, &got), CUSTOS_OK);
  } while (got.use_count != 5 && now_s() - t0 < 5);
  assert_int_equal(got.use_count, 5);
  keycheck_free(kc);
}

/* A cached key is re-read after positive_ttl_s even without a
 * notification. */
static void test_keycheck_positive_ttl_rereads(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ k;
  make_world(f->s, &w);
  make_key(f->s, &w, "old", 0, &k);
  keycheck_opts_t o = {.positive_ttl_s = 60};
  keycheck_t *kc = kc_new(f->s, &o);
  keycheck_result_t r;
  assert_int_equal(verify(kc, k.text, NOW, &r), CUSTOS_OK);
  assert_int_equal(store_api_key_set_scopes(f->s, k.row.id, "new"), CUSTOS_OK);
  assert_int_equal(verify(kc, k.text, NOW + 59, &r), CUSTOS_OK);
  assert_string_equal(r.scopes, "old");
  assert_int_equal(verify(kc, k.text, NOW + 60, &r), CUSTOS_OK);
  assert_string_equal(r.scopes, "new");
  assert_int_equal(keycheck_store_lookups(kc), 2);
  /* A row deleted behind our back is refused at the next re-read. */
  raw_exec(f, "DELETE FROM api_key");
  assert_int_equal(verify(kc, k.text, NOW + 200, &r), CUSTOS_ENOTFOUND);
  assert_int_equal(keycheck_cache_entries(kc), 0);
  keycheck_free(kc);
}

static void test_keycheck_cache_is_bounded(void **state) {
  fx_t *f = *state;
  world_t w;
  make_world(f->s, &w);
  keycheck_opts_t o = {.cache_max = 64};
  keycheck_t *kc = kc_new(f->s, &o);
  enum { N = 150 };
  static key_t_ keys[N];
  for (int i = 0; i < N; i++) make_key(f->s, &w, i % 2 ? "a" : "b", 0, &keys[i]);
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < N; i++) {
      keycheck_result_t r;
      assert_int_equal(verify(kc, keys[i].text, NOW, &r), CUSTOS_OK);
      assert_string_equal(r.key_id, keys[i].row.id);
      assert_string_equal(r.scopes, i % 2 ? "a" : "b");
      assert_true(keycheck_cache_entries(kc) <= 64);
    }
  }
  /* Evicted keys' uses are not lost. */
  assert_int_equal(keycheck_flush(kc), CUSTOS_OK);
  for (int i = 0; i < N; i += 37) {
    store_api_key_t got;
    assert_int_equal(store_api_key_get(f->s, keys[i].row.id, &got), CUSTOS_OK);
    assert_int_equal(got.use_count, 2);
  }
  keycheck_free(kc);
}

/* SQLite is one node: two services on one store both hear the change. */
static void test_keycheck_notify_reaches_every_listener(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ k;
  make_world(f->s, &w);
  make_key(f->s, &w, "x", 0, &k);
  keycheck_t *a = kc_new(f->s, NULL), *b = kc_new(f->s, NULL);
  keycheck_result_t r;
  assert_int_equal(verify(a, k.text, NOW, &r), CUSTOS_OK);
  assert_int_equal(verify(b, k.text, NOW, &r), CUSTOS_OK);
  assert_int_equal(store_api_key_revoke(f->s, k.row.id, NOW), CUSTOS_OK);
  assert_int_equal(verify(b, k.text, NOW, &r), CUSTOS_OK); /* cached, not yet told */
  assert_int_equal(keycheck_changed(a, k.hash), CUSTOS_OK);
  double t0 = now_s();
  int rc;
  while ((rc = verify(b, k.text, NOW, &r)) == CUSTOS_OK && now_s() - t0 < 1) sleep_ms(5);
  assert_int_equal(rc, CUSTOS_EREVOKED);
  /* "*" drops everything. */
  assert_int_equal(store_notify(f->s, KEYCHECK_CHANNEL, "*"), CUSTOS_OK);
  t0 = now_s();
  while (keycheck_cache_entries(b) != 0 && now_s() - t0 < 1) sleep_ms(5);
  assert_int_equal(keycheck_cache_entries(b), 0);
  keycheck_free(a);
  /* A notification after a listener's service is gone is harmless. */
  assert_int_equal(store_notify(f->s, KEYCHECK_CHANNEL, "*"), CUSTOS_OK);
  keycheck_free(b);
  assert_int_equal(store_notify(f->s, KEYCHECK_CHANNEL, "*"), CUSTOS_OK);
}

/* Two nodes: two stores over one PostgreSQL database. Revoking through one
 * and calling keycheck_changed there makes the other refuse within 1 s. */
static void test_keycheck_invalidation_across_nodes(void **state) {
  fx_t *f = *state;
  if (g_backend != B_PG) skip();
  world_t w;
  key_t_ k;
  make_world(f->s, &w);
  make_key(f->s, &w, "x", 0, &k);
  store_t *s2 = NULL;
  char err[256];
  assert_int_equal(store_open(f->url, NULL, &s2, err, sizeof err), CUSTOS_OK);
  keycheck_t *n1 = kc_new(f->s, NULL), *n2 = kc_new(s2, NULL);
  keycheck_result_t r;
  assert_int_equal(verify(n1, k.text, NOW, &r), CUSTOS_OK);
  assert_int_equal(verify(n2, k.text, NOW, &r), CUSTOS_OK);
  sleep_ms(200); /* let the LISTEN connections settle */

  assert_int_equal(store_api_key_revoke(f->s, k.row.id, NOW), CUSTOS_OK);
  assert_int_equal(verify(n2, k.text, NOW, &r), CUSTOS_OK); /* n2 still has it cached */
  assert_int_equal(keycheck_changed(n1, k.hash), CUSTOS_OK);
  assert_int_equal(verify(n1, k.text, NOW, &r), CUSTOS_EREVOKED);
  double t0 = now_s();
  int rc;
  while ((rc = verify(n2, k.text, NOW, &r)) == CUSTOS_OK && now_s() - t0 < 1) sleep_ms(5);
  print_message("node 2 refused after %.0f ms\n", (now_s() - t0) * 1000);
  assert_int_equal(rc, CUSTOS_EREVOKED);
  keycheck_free(n2);
  keycheck_free(n1);
  store_close(s2);
}

static void test_keycheck_failed_burst_audited_once_per_window(void **state) {
  fx_t *f = *state;
  world_t w;
  key_t_ k;
  make_world(f->s, &w);
  make_key(f->s, &w, "x", 0, &k);
  keycheck_opts_t o = {.fail_burst_threshold = 5, .flush_interval_ms = 3600 * 1000};
  keycheck_t *kc = kc_new(f->s, &o);
  keycheck_result_t r;
  char unknown[APIKEY_TEXT_MAX];
  int64_t t = (NOW / 60) * 60; /* start of a minute */
  /* 12 failures in one minute: malformed and unknown keys. */
  for (int i = 0; i < 12; i++) {
    assert_int_equal(apikey_generate("ap_", unknown), CUSTOS_OK);
    if (i % 2) unknown[4] ^= 1;
    assert_int_not_equal(verify(kc, unknown, t + i, &r), CUSTOS_OK);
  }
  assert_int_equal(keycheck_flush(kc), CUSTOS_OK);
  assert_int_equal(count_events(f->s, ""), 1);
  store_audit_t ev[2];
  int n = 0;
  store_audit_filter_t flt = {.action = "key.check_failed_burst"};
  assert_int_equal(store_audit_find(f->s, &flt, 0, 2, ev, &n), CUSTOS_OK);
  assert_int_equal(n, 1);
  assert_string_equal(ev[0].target, "");
  assert_string_equal(ev[0].detail_json, "{\"failures\":5,\"window_s\":60}");
  store_audit_cleanup(&ev[0]);

  /* The next minute is a new window. */
  for (int i = 0; i < 5; i++) {
    assert_int_equal(apikey_generate("ap_", unknown), CUSTOS_OK);
    assert_int_equal(verify(kc, unknown, t + 60 + i, &r), CUSTOS_ENOTFOUND);
  }
  assert_int_equal(keycheck_flush(kc), CUSTOS_OK);
  assert_int_equal(count_events(f->s, ""), 2);

  /* A known key failing: its own event, targeted at its id. */
  assert_int_equal(store_api_key_revoke(f->s, k.row.id, t), CUSTOS_OK);
  for (int i = 0; i < 9; i++) assert_int_equal(verify(kc, k.text, t + 180, &r), CUSTOS_EREVOKED);
  assert_int_equal(keycheck_flush(kc), CUSTOS_OK);
  assert_int_equal(count_events(f->s, k.row.id), 1);
  keycheck_free(kc);
}

/* --- threads ------------------------------------------------------------------ */

enum { TH_KEYS = 40, TH_THREADS = 8, TH_ITERS = 4000 };

typedef struct hammer {
  keycheck_t *kc;
  key_t_ *keys;
  int seed;
  int ok, bad, used;
} hammer_t;

static void *hammer_run(void *arg) {
  hammer_t *h = arg;
  unsigned int seed = (unsigned int)h->seed;
  for (int i = 0; i < TH_ITERS; i++) {
    int j = rand_r(&seed) % TH_KEYS;
    keycheck_result_t r;
    int rc = verify(h->kc, h->keys[j].text, NOW, &r);
    if (rc == CUSTOS_OK) h->used++;
    if (rc == CUSTOS_OK && strcmp(r.key_id, h->keys[j].row.id) == 0) h->ok++;
    else if (rc != CUSTOS_OK && j % 10 == 0) h->ok++; /* the ones being revoked */
    else h->bad++;
    if (h->seed == 0 && i % 500 == 0) {
      /* One thread also invalidates and flushes while the others verify. */
      if (keycheck_changed(h->kc, h->keys[(i / 500) % TH_KEYS].hash) != CUSTOS_OK) h->bad++;
      if (keycheck_flush(h->kc) != CUSTOS_OK) h->bad++;
    }
  }
  return NULL;
}

static void test_keycheck_threads_hammer(void **state) {
  fx_t *f = *state;
  world_t w;
  make_world(f->s, &w);
  static key_t_ keys[TH_KEYS];
  for (int i = 0; i < TH_KEYS; i++) make_key(f->s, &w, i % 3 ? "a b" : "c", 0, &keys[i]);
  for (int i = 0; i < TH_KEYS; i += 10)
    assert_int_equal(store_api_key_revoke(f->s, keys[i].row.id, NOW), CUSTOS_OK);
  keycheck_opts_t o = {.rate_per_s = 1e6, .burst = 1e6, .cache_max = 32, .flush_interval_ms = 10};
  keycheck_t *kc = keycheck_new(f->s, &o); /* real clock; a small cache forces evictions */
  assert_non_null(kc);
  pthread_t th[TH_THREADS];
  hammer_t hs[TH_THREADS];
  for (int i = 0; i < TH_THREADS; i++) {
    hs[i] = (hammer_t){.kc = kc, .keys = keys, .seed = i};
    assert_int_equal(pthread_create(&th[i], NULL, hammer_run, &hs[i]), 0);
  }
  int ok = 0, bad = 0, used = 0;
  for (int i = 0; i < TH_THREADS; i++) {
    pthread_join(th[i], NULL);
    ok += hs[i].ok;
    bad += hs[i].bad;
    used += hs[i].used;
  }
  assert_int_equal(bad, 0);
  assert_int_equal(ok, TH_THREADS * TH_ITERS);
  keycheck_free(kc);
  /* Every successful check was counted exactly once in the store. */
  int64_t total = 0;
  for (int i = 0; i < TH_KEYS; i++) {
    store_api_key_t got;
    assert_int_equal(store_api_key_get(f->s, keys[i].row.id, &got), CUSTOS_OK);
    total += got.use_count;
  }
  assert_int_equal(total, used);
}

int main(void) {
  const struct CMUnitTest common[] = {
      cmocka_unit_test(test_scopes_has_exact_tokens),
      cmocka_unit_test(test_keycheck_new_rejects_bad_opts),
  };
  const struct CMUnitTest backend[] = {
      MIG(test_keycheck_valid_key_then_cache_hit),
      MIG(test_keycheck_malformed_never_reaches_store),
      MIG(test_keycheck_malformed_with_poisoned_store),
      MIG(test_keycheck_negative_cache_ttl),
      MIG(test_keycheck_changed_drops_negative_entry),
      MIG(test_keycheck_revoked_is_cached_as_revoked),
      MIG(test_keycheck_validity_rules),
      MIG(test_keycheck_rate_limit),
      MIG(test_keycheck_usage_batched),
      MIG(test_keycheck_background_flush),
      MIG(test_keycheck_positive_ttl_rereads),
      MIG(test_keycheck_cache_is_bounded),
      MIG(test_keycheck_notify_reaches_every_listener),
      MIG(test_keycheck_invalidation_across_nodes),
      MIG(test_keycheck_failed_burst_audited_once_per_window),
      MIG(test_keycheck_threads_hammer),
  };
  return fixture_main("keycheck", common, NTESTS(common), backend, NTESTS(backend));
}
