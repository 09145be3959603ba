/*
 * keycache: the sharded positive cache (hit, miss, refresh, bounded CLOCK
 * eviction, removal), the negative cache (TTL, bound), usage hand-over and
 * the memory accounting. No store is involved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keycache.h"
#include "custos.h"

/* A row as the store would return it, for hash number `n`. Hashes are made
 * so tests can pick the shard (byte 0) and force index collisions (bytes
 * 4..7). */
static void mk_hash(unsigned char h[STORE_KEY_HASH_LEN], uint32_t n, uint8_t shard, bool collide) {
  memset(h, 0, STORE_KEY_HASH_LEN);
  h[0] = shard;
  if (!collide) memcpy(h + 4, &n, 4);
  memcpy(h + 16, &n, 4);
  h[31] = 0xA5;
}

static void mk_row(store_api_key_t *k, const unsigned char *hash, const char *scopes) {
  memset(k, 0, sizeof *k);
  assert_int_equal(rand_id(k->id, "key"), CUSTOS_OK);
  assert_int_equal(rand_id(k->app_id, "app"), CUSTOS_OK);
  assert_int_equal(rand_id(k->account_id, "acct"), CUSTOS_OK);
  assert_int_equal(rand_id(k->environment_id, "env"), CUSTOS_OK);
  snprintf(k->kind, sizeof k->kind, "api_key");
  snprintf(k->scopes, sizeof k->scopes, "%s", scopes);
  memcpy(k->hash, hash, STORE_KEY_HASH_LEN);
}

static keycache_entry_t *put(keycache_t *c, const store_api_key_t *k, int64_t now) {
  keycache_entry_t *e = NULL;
  keycache_shard_t *sh = keycache_lock(c, k->hash);
  assert_int_equal(keycache_put(c, sh, k, now, &e), CUSTOS_OK);
  keycache_unlock(sh);
  return e;
}

static bool has(keycache_t *c, const unsigned char *hash) {
  keycache_shard_t *sh = keycache_lock(c, hash);
  bool r = keycache_find(sh, hash) != NULL;
  keycache_unlock(sh);
  return r;
}

static void test_keycache_hit_returns_row(void **state) {
  (void)state;
  keycache_t *c = keycache_new(1024, 64);
  assert_non_null(c);
  unsigned char h[STORE_KEY_HASH_LEN], other[STORE_KEY_HASH_LEN];
  mk_hash(h, 1, 7, false);
  mk_hash(other, 2, 7, false);
  store_api_key_t k;
  mk_row(&k, h, "CORE_ACCESS READ_ONLY");
  k.expires_at = 1234;
  k.grace_until = 99;
  k.revoked_at = 5;
  put(c, &k, 100);
  assert_int_equal(keycache_entries(c), 1);
  assert_false(has(c, other));

  keycache_shard_t *sh = keycache_lock(c, h);
  keycache_entry_t *e = keycache_find(sh, h);
  assert_non_null(e);
  char id[RAND_ID_MAX];
  keycache_entry_id(c, e, KEYCACHE_KEY, id);
  assert_string_equal(id, k.id);
  keycache_entry_id(c, e, KEYCACHE_APP, id);
  assert_string_equal(id, k.app_id);
  keycache_entry_id(c, e, KEYCACHE_ACCOUNT, id);
  assert_string_equal(id, k.account_id);
  keycache_entry_id(c, e, KEYCACHE_ENV, id);
  assert_string_equal(id, k.environment_id);
  assert_string_equal(keycache_attrs_kind(e->attrs), "api_key");
  assert_string_equal(keycache_attrs_scopes(e->attrs), "CORE_ACCESS READ_ONLY");
  assert_int_equal(e->expires_at, 1234);
  assert_int_equal(e->grace_until, 99);
  assert_int_equal(e->loaded_at, 100);
  assert_true(e->flags & KEYCACHE_F_REVOKED);
  keycache_unlock(sh);
  keycache_free(c);
}

static void test_keycache_ids_pack_every_digit(void **state) {
  (void)state;
  keycache_t *c = keycache_new(64, 4);
  const char *digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (int off = 0; off < 62; off += 11) {
    unsigned char h[STORE_KEY_HASH_LEN];
    mk_hash(h, (uint32_t)off, 0, false);
    store_api_key_t k;
    mk_row(&k, h, "");
    char d[23];
    for (int i = 0; i < 22; i++) d[i] = digits[(off + i * 3) % 62];
    d[22] = '\0';
    snprintf(k.id, sizeof k.id, "key_%s", d);
    snprintf(k.app_id, sizeof k.app_id, "app_zzzzzzzzzzzzzzzzzzzzzz");
    snprintf(k.account_id, sizeof k.account_id, "acct_0000000000000000000000");
    keycache_entry_t *e = put(c, &k, 1);
    char out[RAND_ID_MAX];
    keycache_entry_id(c, e, KEYCACHE_KEY, out);
    assert_string_equal(out, k.id);
    keycache_entry_id(c, e, KEYCACHE_APP, out);
    assert_string_equal(out, k.app_id);
    keycache_entry_id(c, e, KEYCACHE_ACCOUNT, out);
    assert_string_equal(out, k.account_id);
  }
  keycache_free(c);
}

static void test_keycache_rejects_foreign_ids(void **state) {
  (void)state;
  keycache_t *c = keycache_new(64, 4);
  unsigned char h[STORE_KEY_HASH_LEN];
  mk_hash(h, 1, 0, false);
  const char *bad[] = {"key_short", "app_AAAAAAAAAAAAAAAAAAAAAA", "key_AAAAAAAAAAAAAAAAAAAAAAA",
                       "key_AAAAAAAAAAAAAAAAAAAAA-", "key-AAAAAAAAAAAAAAAAAAAAAA", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    store_api_key_t k;
    mk_row(&k, h, "s");
    snprintf(k.id, sizeof k.id, "%s", bad[i]);
    keycache_entry_t *e = NULL;
    keycache_shard_t *sh = keycache_lock(c, h);
    assert_int_equal(keycache_put(c, sh, &k, 1, &e), CUSTOS_EINVAL);
    keycache_unlock(sh);
  }
  assert_int_equal(keycache_entries(c), 0);
  keycache_free(c);
}

static void test_keycache_refresh_keeps_counters(void **state) {
  (void)state;
  keycache_t *c = keycache_new(64, 4);
  unsigned char h[STORE_KEY_HASH_LEN];
  mk_hash(h, 1, 3, false);
  store_api_key_t k;
  mk_row(&k, h, "a");
  keycache_entry_t *e = put(c, &k, 10);
  keycache_shard_t *sh = keycache_lock(c, h);
  e->tat = 777;
  keycache_count_use(sh, e, 11);
  keycache_count_use(sh, e, 12);
  keycache_unlock(sh);

  snprintf(k.scopes, sizeof k.scopes, "a b");
  k.revoked_at = 50;
  e = put(c, &k, 60);
  assert_int_equal(keycache_entries(c), 1);
  assert_int_equal(e->tat, 777);
  assert_int_equal(e->uses, 2);
  assert_int_equal(e->last_used_at, 12);
  assert_int_equal(e->loaded_at, 60);
  assert_true(e->flags & KEYCACHE_F_REVOKED);
  assert_string_equal(keycache_attrs_scopes(e->attrs), "a b");
  keycache_free(c);
}

static void test_keycache_interns_scopes(void **state) {
  (void)state;
  keycache_t *c = keycache_new(1024, 4);
  const keycache_attrs_t *first = NULL;
  for (uint32_t i = 0; i < 100; i++) {
    unsigned char h[STORE_KEY_HASH_LEN];
    mk_hash(h, i, (uint8_t)i, false);
    store_api_key_t k;
    mk_row(&k, h, "CORE_ACCESS READ_ONLY");
    keycache_entry_t *e = put(c, &k, 1);
    if (!first) first = e->attrs;
    assert_ptr_equal(e->attrs, first);
  }
  keycache_free(c);
}

/* Never more entries than the bound, whatever is inserted. */
static void test_keycache_bounded(void **state) {
  (void)state;
  const size_t bounds[] = {1, 3, 64, 100, 1000};
  for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
    keycache_t *c = keycache_new(bounds[b], 4);
    for (uint32_t i = 0; i < 5000; i++) {
      unsigned char h[STORE_KEY_HASH_LEN];
      mk_hash(h, i, (uint8_t)(i * 37), false);
      store_api_key_t k;
      mk_row(&k, h, "x");
      put(c, &k, 1);
      assert_true(keycache_entries(c) <= bounds[b]);
    }
    assert_true(keycache_entries(c) > 0);
    keycache_free(c);
  }
}

/* CLOCK: a key hit between inserts survives a stream of one-off keys into
 * its shard. */
static void test_keycache_clock_keeps_hot_key(void **state) {
  (void)state;
  keycache_t *c = keycache_new(64 * 8, 4); /* 8 per shard */
  unsigned char hot[STORE_KEY_HASH_LEN];
  mk_hash(hot, 999999, 0, false);
  store_api_key_t k;
  mk_row(&k, hot, "x");
  put(c, &k, 1);
  for (uint32_t i = 0; i < 1000; i++) {
    unsigned char h[STORE_KEY_HASH_LEN];
    mk_hash(h, i, 0, false);
    mk_row(&k, h, "x");
    put(c, &k, 1);
    assert_true(has(c, hot));
  }
  assert_int_equal(keycache_entries(c), 8);
  keycache_free(c);
}

/* The open-addressing index under inserts and removals with colliding
 * home slots (backward-shift deletion must keep every survivor findable). */
static void test_keycache_index_survives_churn(void **state) {
  (void)state;
  enum { N = 3000 };
  keycache_t *c = keycache_new(1 << 20, 4);
  static bool in[N];
  unsigned char h[STORE_KEY_HASH_LEN];
  srand(42);
  for (int round = 0; round < 4; round++) {
    for (uint32_t i = 0; i < N; i++) {
      mk_hash(h, i, (uint8_t)(i % 3), i % 5 == 0);
      if (!in[i] && rand() % 2) {
        store_api_key_t k;
        mk_row(&k, h, i % 2 ? "a" : "b");
        put(c, &k, 1);
        in[i] = true;
      } else if (in[i] && rand() % 3 == 0) {
        assert_true(keycache_remove(c, h));
        in[i] = false;
      }
    }
    size_t n = 0;
    for (uint32_t i = 0; i < N; i++) {
      mk_hash(h, i, (uint8_t)(i % 3), i % 5 == 0);
      assert_int_equal(has(c, h), in[i]);
      n += in[i];
    }
    assert_int_equal(keycache_entries(c), n);
  }
  keycache_clear(c);
  assert_int_equal(keycache_entries(c), 0);
  keycache_free(c);
}

static void test_keycache_remove_bumps_gen_and_drops_negative(void **state) {
  (void)state;
  keycache_t *c = keycache_new(64, 64);
  unsigned char h[STORE_KEY_HASH_LEN];
  mk_hash(h, 1, 5, false);
  keycache_shard_t *sh = keycache_lock(c, h);
  uint32_t g = keycache_gen(sh);
  keycache_unlock(sh);
  keycache_neg_add(c, h, 0, 100);
  assert_true(keycache_neg_has(c, h, 1));
  assert_false(keycache_remove(c, h));
  assert_false(keycache_neg_has(c, h, 1));
  sh = keycache_lock(c, h);
  assert_int_not_equal(keycache_gen(sh), g);
  keycache_unlock(sh);
  keycache_free(c);
}

static void test_keycache_negative_ttl(void **state) {
  (void)state;
  keycache_t *c = keycache_new(64, 64);
  unsigned char h[STORE_KEY_HASH_LEN], o[STORE_KEY_HASH_LEN];
  mk_hash(h, 1, 5, false);
  mk_hash(o, 2, 5, false);
  keycache_neg_add(c, h, 1000, 1030);
  assert_true(keycache_neg_has(c, h, 1000));
  assert_true(keycache_neg_has(c, h, 1029));
  assert_false(keycache_neg_has(c, h, 1030));
  assert_false(keycache_neg_has(c, o, 1000));
  keycache_neg_add(c, h, 1030, 1060); /* refreshed in place */
  assert_true(keycache_neg_has(c, h, 1059));
  keycache_free(c);
}

static void test_keycache_negative_bounded(void **state) {
  (void)state;
  keycache_t *c = keycache_new(64, 16);
  unsigned char h[STORE_KEY_HASH_LEN];
  for (uint32_t i = 0; i < 1000; i++) {
    mk_hash(h, i, 0, false);
    h[12] = (uint8_t)i; /* spread over sets */
    keycache_neg_add(c, h, 0, 100 + i);
  }
  int present = 0;
  for (uint32_t i = 0; i < 1000; i++) {
    mk_hash(h, i, 0, false);
    h[12] = (uint8_t)i;
    present += keycache_neg_has(c, h, 1);
  }
  assert_in_range(present, 1, 16);
  keycache_free(c);
}

static void test_keycache_usage_survives_eviction(void **state) {
  (void)state;
  keycache_t *c = keycache_new(1, 4); /* one entry: every put evicts */
  store_api_key_t rows[3];
  for (uint32_t i = 0; i < 3; i++) {
    unsigned char h[STORE_KEY_HASH_LEN];
    mk_hash(h, i, 0, false);
    mk_row(&rows[i], h, "x");
    keycache_entry_t *e = put(c, &rows[i], 1);
    keycache_shard_t *sh = keycache_lock(c, h);
    for (uint32_t u = 0; u <= i; u++) keycache_count_use(sh, e, 100 + u);
    keycache_unlock(sh);
  }
  store_key_usage_t *u = NULL;
  size_t n = 0;
  assert_int_equal(keycache_take_usage(c, &u, &n), CUSTOS_OK);
  assert_int_equal(n, 3);
  for (uint32_t i = 0; i < 3; i++) {
    bool found = false;
    for (size_t j = 0; j < n; j++) {
      if (strcmp(u[j].id, rows[i].id) == 0) {
        assert_int_equal(u[j].uses, i + 1);
        assert_int_equal(u[j].last_used_at, 100 + i);
        found = true;
      }
    }
    assert_true(found);
  }
  free(u);
  assert_int_equal(keycache_take_usage(c, &u, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  assert_null(u);
  keycache_free(c);
}

static void test_keycache_bytes_per_entry(void **state) {
  (void)state;
  keycache_t *c = keycache_new(1 << 20, 1024);
  size_t base = keycache_bytes(c);
  enum { N = 100000 };
  for (uint32_t i = 0; i < N; i++) {
    unsigned char h[STORE_KEY_HASH_LEN];
    mk_hash(h, i, (uint8_t)(i * 131), false);
    store_api_key_t k;
    mk_row(&k, h, i % 2 ? "CORE_ACCESS" : "READ_ONLY");
    put(c, &k, 1);
  }
  double per = (double)(keycache_bytes(c) - base) / N;
  print_message("keycache: %.1f bytes/entry at %d entries\n", per, N);
  assert_true(per >= sizeof(keycache_entry_t));
  assert_true(per <= 200);
  keycache_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keycache_hit_returns_row),
      cmocka_unit_test(test_keycache_ids_pack_every_digit),
      cmocka_unit_test(test_keycache_rejects_foreign_ids),
      cmocka_unit_test(test_keycache_refresh_keeps_counters),
      cmocka_unit_test(test_keycache_interns_scopes),
      cmocka_unit_test(test_keycache_bounded),
      cmocka_unit_test(test_keycache_clock_keeps_hot_key),
      cmocka_unit_test(test_keycache_index_survives_churn),
      cmocka_unit_test(test_keycache_remove_bumps_gen_and_drops_negative),
      cmocka_unit_test(test_keycache_negative_ttl),
      cmocka_unit_test(test_keycache_negative_bounded),
      cmocka_unit_test(test_keycache_usage_survives_eviction),
      cmocka_unit_test(test_keycache_bytes_per_entry),
  };
  return cmocka_run_group_tests_name("keycache", tests, NULL, NULL);
}
