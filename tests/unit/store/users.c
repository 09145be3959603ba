/*
 * Store tests for users and user tokens (migration 4), on SQLite and on
 * PostgreSQL like tests/unit/store/keys.c.
 */
#include "fixture.h"

typedef struct world {
  store_account_t acct;
  store_app_t app, app2;
} world_t;

static void make_world(store_t *s, world_t *w) {
  memset(w, 0, sizeof *w);
  assert_int_equal(store_account_create(s, "layer", &w->acct), CUSTOS_OK);
  assert_int_equal(store_app_create(s, w->acct.id, "one", "thelayer", &w->app), CUSTOS_OK);
  assert_int_equal(store_app_create(s, w->acct.id, "two", "thelayer", &w->app2), CUSTOS_OK);
}

static store_user_token_t token_in(const store_user_t *u, unsigned char seed, const char *level) {
  store_user_token_t t;
  memset(&t, 0, sizeof t);
  snprintf(t.user_id, sizeof t.user_id, "%s", u->id);
  snprintf(t.start, sizeof t.start, "tlu_%04u", seed);
  memset(t.hash, seed, sizeof t.hash);
  snprintf(t.access_level, sizeof t.access_level, "%s", level);
  t.expires_at = 2000000000;
  return t;
}

static void test_user_create_get_list(void **state) {
  fx_t *f = *state;
  world_t w;
  store_user_t u, got, page[10];
  make_world(f->s, &w);
  assert_int_equal(store_user_create(f->s, w.app.id, "player-1", &u), CUSTOS_OK);
  assert_int_equal(strncmp(u.id, "usr_", 4), 0);
  assert_string_equal(u.account_id, w.acct.id);
  assert_string_equal(u.app_id, w.app.id);
  assert_string_equal(u.external_id, "player-1");
  assert_int_equal(store_user_get(f->s, u.id, &got), CUSTOS_OK);
  assert_memory_equal(&got, &u, sizeof got);
  /* external_id is unique per app, not across apps. */
  assert_int_equal(store_user_create(f->s, w.app.id, "player-1", &got), CUSTOS_EEXISTS);
  assert_int_equal(store_user_create(f->s, w.app2.id, "player-1", &got), CUSTOS_OK);
  assert_int_equal(store_user_create(f->s, "app_nope", "x", &got), CUSTOS_ENOTFOUND);
  assert_int_equal(store_user_create(f->s, w.app.id, "", &got), CUSTOS_EINVAL);
  assert_int_equal(store_user_get(f->s, "usr_nope", &got), CUSTOS_ENOTFOUND);
  for (int i = 2; i <= 5; i++) {
    char ext[16];
    snprintf(ext, sizeof ext, "player-%d", i);
    assert_int_equal(store_user_create(f->s, w.app.id, ext, &got), CUSTOS_OK);
  }
  int n = 0, total = 0;
  char after[RAND_ID_MAX] = "";
  do {
    assert_int_equal(store_user_list(f->s, w.app.id, after[0] ? after : NULL, 2, page, &n), CUSTOS_OK);
    for (int i = 0; i < n; i++) {
      assert_string_equal(page[i].app_id, w.app.id);
      if (i || after[0]) assert_true(strcmp(page[i].id, i ? page[i - 1].id : after) > 0);
    }
    if (n) memcpy(after, page[n - 1].id, sizeof after);
    total += n;
  } while (n == 2);
  assert_int_equal(total, 5);
  assert_int_equal(store_error_count(f->s), 0);
}

static void test_user_token_create_get_lookup(void **state) {
  fx_t *f = *state;
  world_t w;
  store_user_t u;
  store_user_token_t t, got;
  store_api_key_t k;
  make_world(f->s, &w);
  assert_int_equal(store_user_create(f->s, w.app.id, "p", &u), CUSTOS_OK);
  t = token_in(&u, 7, "write");
  assert_int_equal(store_user_token_create(f->s, &t), CUSTOS_OK);
  assert_int_equal(strncmp(t.id, "utk_", 4), 0);
  assert_string_equal(t.app_id, w.app.id);
  assert_string_equal(t.account_id, w.acct.id);
  assert_string_equal(t.user_id, u.id);
  assert_string_equal(t.access_level, "write");
  assert_int_equal(t.expires_at, 2000000000);
  assert_int_equal(store_user_token_get(f->s, t.id, &got), CUSTOS_OK);
  assert_memory_equal(&got, &t, sizeof got);
  assert_int_equal(store_user_token_get_by_hash(f->s, t.hash, &got), CUSTOS_OK);
  assert_memory_equal(&got, &t, sizeof got);
  /* The key-check view. */
  assert_int_equal(store_user_token_lookup(f->s, t.hash, &k), CUSTOS_OK);
  assert_string_equal(k.id, t.id);
  assert_string_equal(k.environment_id, u.id);
  assert_string_equal(k.scopes, "write");
  assert_string_equal(k.kind, "user_token");
  assert_string_equal(k.app_id, w.app.id);
  /* Errors. */
  store_user_token_t bad = token_in(&u, 7, "read");
  assert_int_equal(store_user_token_create(f->s, &bad), CUSTOS_EEXISTS);
  bad = token_in(&u, 8, "root");
  assert_int_equal(store_user_token_create(f->s, &bad), CUSTOS_EINVAL);
  bad = token_in(&u, 8, "read");
  snprintf(bad.user_id, sizeof bad.user_id, "usr_nope");
  assert_int_equal(store_user_token_create(f->s, &bad), CUSTOS_ENOTFOUND);
  unsigned char other[STORE_KEY_HASH_LEN];
  memset(other, 99, sizeof other);
  assert_int_equal(store_user_token_lookup(f->s, other, &k), CUSTOS_ENOTFOUND);
  assert_int_equal(store_error_count(f->s), 0);
}

static void test_user_token_revoke_rotate_usage(void **state) {
  fx_t *f = *state;
  world_t w;
  store_user_t u;
  store_user_token_t t, nt, got;
  make_world(f->s, &w);
  assert_int_equal(store_user_create(f->s, w.app.id, "p", &u), CUSTOS_OK);
  t = token_in(&u, 1, "admin");
  assert_int_equal(store_user_token_create(f->s, &t), CUSTOS_OK);
  /* Rotation copies level, user and expiry; marks the old one. */
  memset(&nt, 0, sizeof nt);
  snprintf(nt.start, sizeof nt.start, "tlu_0002");
  memset(nt.hash, 2, sizeof nt.hash);
  assert_int_equal(store_user_token_rotate(f->s, t.id, 1900000000, &nt), CUSTOS_OK);
  assert_string_equal(nt.access_level, "admin");
  assert_string_equal(nt.user_id, u.id);
  assert_int_equal(nt.expires_at, 2000000000);
  assert_int_equal(store_user_token_get(f->s, t.id, &got), CUSTOS_OK);
  assert_int_equal(got.grace_until, 1900000000);
  assert_string_equal(got.replaced_by, nt.id);
  /* Not twice. */
  store_user_token_t again;
  memset(&again, 0, sizeof again);
  snprintf(again.start, sizeof again.start, "tlu_0003");
  memset(again.hash, 3, sizeof again.hash);
  assert_int_equal(store_user_token_rotate(f->s, t.id, 1900000000, &again), CUSTOS_EINVAL);
  assert_int_equal(store_user_token_rotate(f->s, "utk_nope", 1900000000, &again), CUSTOS_ENOTFOUND);
  /* Revoke: idempotent, keeps the first time. */
  assert_int_equal(store_user_token_revoke(f->s, nt.id, 1700000000), CUSTOS_OK);
  assert_int_equal(store_user_token_revoke(f->s, nt.id, 1800000000), CUSTOS_OK);
  assert_int_equal(store_user_token_get(f->s, nt.id, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, 1700000000);
  assert_int_equal(store_user_token_revoke(f->s, "utk_nope", 1), CUSTOS_ENOTFOUND);
  /* Usage. */
  store_key_usage_t us[2];
  memset(us, 0, sizeof us);
  snprintf(us[0].id, sizeof us[0].id, "%s", t.id);
  us[0].uses = 3;
  us[0].last_used_at = 1650000000;
  us[1] = us[0];
  us[1].last_used_at = 1660000000;
  assert_int_equal(store_user_token_record_usage(f->s, us, 2), CUSTOS_OK);
  assert_int_equal(store_user_token_get(f->s, t.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 6);
  assert_int_equal(got.last_used_at, 1660000000);
  assert_int_equal(store_error_count(f->s), 0);
}

/* A user's tokens, every state, in id order, page by page; nobody else's. */
static void test_user_token_list_pages_by_user(void **state) {
  fx_t *f = *state;
  world_t w;
  store_user_t u, other;
  store_user_token_t t, page[3];
  char ids[5][RAND_ID_MAX];
  make_world(f->s, &w);
  assert_int_equal(store_user_create(f->s, w.app.id, "p", &u), CUSTOS_OK);
  assert_int_equal(store_user_create(f->s, w.app.id, "q", &other), CUSTOS_OK);
  for (unsigned char i = 0; i < 5; i++) {
    t = token_in(&u, (unsigned char)(20 + i), i == 4 ? "admin" : "read");
    assert_int_equal(store_user_token_create(f->s, &t), CUSTOS_OK);
    memcpy(ids[i], t.id, sizeof ids[i]);
  }
  t = token_in(&other, 40, "read");
  assert_int_equal(store_user_token_create(f->s, &t), CUSTOS_OK);
  assert_int_equal(store_user_token_revoke(f->s, ids[0], 1700000000), CUSTOS_OK);
  int n = 0, total = 0, seen_revoked = 0, seen_admin = 0;
  char after[RAND_ID_MAX] = "";
  do {
    assert_int_equal(store_user_token_list(f->s, u.id, after[0] ? after : NULL, 2, page, &n), CUSTOS_OK);
    for (int i = 0; i < n; i++) {
      assert_string_equal(page[i].user_id, u.id);
      assert_string_equal(page[i].app_id, w.app.id);
      if (i || after[0]) assert_true(strcmp(page[i].id, i ? page[i - 1].id : after) > 0);
      seen_revoked += page[i].revoked_at == 1700000000;
      seen_admin += strcmp(page[i].access_level, "admin") == 0;
    }
    if (n) memcpy(after, page[n - 1].id, sizeof after);
    total += n;
  } while (n == 2);
  assert_int_equal(total, 5);
  assert_int_equal(seen_revoked, 1);
  assert_int_equal(seen_admin, 1);
  assert_int_equal(store_user_token_list(f->s, "usr_nope", NULL, 3, page, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(store_user_token_list(f->s, u.id, NULL, 0, page, &n), CUSTOS_EINVAL);
  assert_int_equal(store_error_count(f->s), 0);
}

static const struct CMUnitTest backend_tests[] = {
    MIG(test_user_create_get_list),
    MIG(test_user_token_create_get_lookup),
    MIG(test_user_token_revoke_rotate_usage),
    MIG(test_user_token_list_pages_by_user),
};

int main(void) { return fixture_main("store_users", NULL, 0, backend_tests, NTESTS(backend_tests)); }
