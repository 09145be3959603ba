/*
 * Store tests for API keys, admin tokens, audit queries and change
 * notifications, run on SQLite and on PostgreSQL like tests/unit/store/store.c.
 */
#include "store/fixture.h"

/* --- helpers ------------------------------------------------------------- */

typedef struct world {
  store_account_t acct, other;
  store_app_t app, app2;
  char env[RAND_ID_MAX];       /* acct's production environment */
  char other_env[RAND_ID_MAX]; /* an environment of `other` */
} world_t;

static void env_named(store_t *s, const char *account_id, const char *name, char *out) {
  store_environment_t envs[10];
  int n = 0;
  assert_int_equal(store_environment_list(s, account_id, NULL, 10, envs, &n), CUSTOS_OK);
  for (int i = 0; i < n; i++)
    if (strcmp(envs[i].name, name) == 0) {
      memcpy(out, envs[i].id, RAND_ID_MAX);
      return;
    }
  fail_msg("no environment %s", name);
}

static void make_world(store_t *s, world_t *w) {
  memset(w, 0, sizeof *w);
  assert_int_equal(store_account_create(s, "acme", &w->acct), CUSTOS_OK);
  assert_int_equal(store_account_create(s, "other", &w->other), CUSTOS_OK);
  assert_int_equal(store_app_create(s, w->acct.id, "shop", "assetpay", &w->app), CUSTOS_OK);
  assert_int_equal(store_app_create(s, w->acct.id, "game", "assetlayer", &w->app2), CUSTOS_OK);
  env_named(s, w->acct.id, "production", w->env);
  env_named(s, w->other.id, "production", w->other_env);
}

/* A key input with hash bytes all `seed` (distinct seeds, distinct hashes). */
static store_api_key_t key_in(const world_t *w, const store_app_t *app, unsigned char seed) {
  store_api_key_t k;
  memset(&k, 0, sizeof k);
  snprintf(k.app_id, sizeof k.app_id, "%s", app->id);
  snprintf(k.environment_id, sizeof k.environment_id, "%s", w->env);
  snprintf(k.kind, sizeof k.kind, "api_key");
  snprintf(k.name, sizeof k.name, "key %u", seed);
  snprintf(k.start, sizeof k.start, "ap_%04u", seed);
  memset(k.hash, seed, sizeof k.hash);
  snprintf(k.scopes, sizeof k.scopes, "CORE_ACCESS READ_ONLY");
  k.expires_at = 2000000000;
  return k;
}

static int count_keys(store_t *s, const char *app_id) {
  store_api_key_t page[50];
  char after[RAND_ID_MAX] = "";
  int total = 0, n;
  do {
    assert_int_equal(store_api_key_list(s, app_id, after[0] ? after : NULL, 50, page, &n),
                     CUSTOS_OK);
    if (n) memcpy(after, page[n - 1].id, sizeof after);
    total += n;
  } while (n == 50);
  return total;
}

/* --- create / get ----------------------------------------------------------- */

static void test_key_create_get_and_get_by_hash_agree(void **state) {
  fx_t *f = *state;
  world_t w;
  store_api_key_t k, got;
  make_world(f->s, &w);
  k = key_in(&w, &w.app, 1);
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_OK);
  assert_int_equal(strncmp(k.id, "key_", 4), 0);
  assert_int_equal(strlen(k.id), 4 + 22);
  assert_string_equal(k.account_id, w.acct.id); /* filled from the app */
  assert_string_equal(k.app_id, w.app.id);
  assert_string_equal(k.environment_id, w.env);
  assert_string_equal(k.kind, "api_key");
  assert_string_equal(k.start, "ap_0001");
  assert_string_equal(k.scopes, "CORE_ACCESS READ_ONLY");
  assert_true(k.created_at > 1600000000);
  assert_int_equal(k.expires_at, 2000000000);
  assert_int_equal(k.revoked_at, 0);
  assert_int_equal(k.grace_until, 0);
  assert_string_equal(k.replaced_by, "");
  assert_int_equal(k.last_used_at, 0);
  assert_int_equal(k.use_count, 0);

  assert_int_equal(store_api_key_get(f->s, k.id, &got), CUSTOS_OK);
  assert_memory_equal(&got, &k, sizeof got);
  memset(&got, 0x5a, sizeof got);
  assert_int_equal(store_api_key_get_by_hash(f->s, k.hash, &got), CUSTOS_OK);
  assert_memory_equal(&got, &k, sizeof got);

  /* Misses leave the output alone. */
  unsigned char other[STORE_KEY_HASH_LEN];
  memset(other, 2, sizeof other);
  memset(&got, 0x5a, sizeof got);
  assert_int_equal(store_api_key_get_by_hash(f->s, other, &got), CUSTOS_ENOTFOUND);
  assert_int_equal(store_api_key_get(f->s, "key_nope", &got), CUSTOS_ENOTFOUND);
  assert_int_equal(((unsigned char *)&got)[0], 0x5a);

  /* Empty name and scopes are allowed. */
  k = key_in(&w, &w.app, 3);
  k.name[0] = k.scopes[0] = '\0';
  k.expires_at = 0;
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_OK);
  assert_int_equal(store_api_key_get(f->s, k.id, &got), CUSTOS_OK);
  assert_memory_equal(&got, &k, sizeof got);
  assert_int_equal(store_error_count(f->s), 0);
}

static void test_key_environment_of_another_account_is_enotfound(void **state) {
  fx_t *f = *state;
  world_t w;
  store_api_key_t k, saved;
  make_world(f->s, &w);
  k = key_in(&w, &w.app, 1);
  snprintf(k.environment_id, sizeof k.environment_id, "%s", w.other_env);
  saved = k;
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_ENOTFOUND);
  assert_memory_equal(&k, &saved, sizeof k); /* untouched */
  k = key_in(&w, &w.app, 1);
  snprintf(k.app_id, sizeof k.app_id, "app_0000000000000000000000");
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_ENOTFOUND);
  k = key_in(&w, &w.app, 1);
  snprintf(k.environment_id, sizeof k.environment_id, "env_nope");
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_ENOTFOUND);
  k = key_in(&w, &w.app, 1);
  snprintf(k.app_id, sizeof k.app_id, "app_\xff\xfe");
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_ENOTFOUND);
  assert_int_equal(count_keys(f->s, NULL), 0);
  assert_int_equal(store_error_count(f->s), 0);
}

/* Ids that we could never have issued are misses, not store failures
 * (PostgreSQL would reject invalid UTF-8 as an error). */
static void test_key_junk_ids_are_enotfound(void **state) {
  fx_t *f = *state;
  store_api_key_t got, page[2];
  store_account_t a;
  int n = -1;
  static const char *const junk[] = {"key_\xff", "key_\xc3\xa9", "key 1", "key_';--", ""};
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
    assert_int_equal(store_api_key_get(f->s, junk[i], &got), CUSTOS_ENOTFOUND);
    assert_int_equal(store_api_key_revoke(f->s, junk[i], 1700000000), CUSTOS_ENOTFOUND);
    assert_int_equal(store_api_key_set_scopes(f->s, junk[i], "A"), CUSTOS_ENOTFOUND);
    assert_int_equal(store_admin_token_revoke(f->s, junk[i], 1700000000, false), CUSTOS_ENOTFOUND);
    assert_int_equal(store_account_get(f->s, junk[i], &a), CUSTOS_ENOTFOUND);
    assert_int_equal(store_api_key_list(f->s, junk[i], NULL, 2, page, &n), CUSTOS_OK);
    assert_int_equal(n, 0);
  }
  store_key_usage_t u = {.last_used_at = 1, .uses = 1};
  snprintf(u.id, sizeof u.id, "key_\xff");
  assert_int_equal(store_api_key_record_usage(f->s, &u, 1), CUSTOS_OK);
  assert_int_equal(store_error_count(f->s), 0);
}

static void test_key_duplicate_hash_is_eexists(void **state) {
  fx_t *f = *state;
  world_t w;
  store_api_key_t a, b;
  make_world(f->s, &w);
  a = key_in(&w, &w.app, 7);
  assert_int_equal(store_api_key_create(f->s, &a), CUSTOS_OK);
  b = key_in(&w, &w.app2, 7); /* another app, same hash */
  assert_int_equal(store_api_key_create(f->s, &b), CUSTOS_EEXISTS);
  assert_int_equal(count_keys(f->s, NULL), 1);
  assert_int_equal(store_error_count(f->s), 0);
}

static void test_key_bad_input_is_einval(void **state) {
  fx_t *f = *state;
  world_t w;
  store_api_key_t k;
  make_world(f->s, &w);
  static const char *const bad_scopes[] = {" A", "A ", "A  B", "A\tB", "A,B", "é"};
  for (size_t i = 0; i < sizeof bad_scopes / sizeof bad_scopes[0]; i++) {
    k = key_in(&w, &w.app, 1);
    snprintf(k.scopes, sizeof k.scopes, "%s", bad_scopes[i]);
    assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_EINVAL);
  }
  static const char *const bad_kinds[] = {"", "API", "api-key", "kind1"};
  for (size_t i = 0; i < sizeof bad_kinds / sizeof bad_kinds[0]; i++) {
    k = key_in(&w, &w.app, 1);
    snprintf(k.kind, sizeof k.kind, "%s", bad_kinds[i]);
    assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_EINVAL);
  }
  static const char *const bad_starts[] = {"", "ap_", "ap-x", "ap_x!"};
  for (size_t i = 0; i < sizeof bad_starts / sizeof bad_starts[0]; i++) {
    k = key_in(&w, &w.app, 1);
    snprintf(k.start, sizeof k.start, "%s", bad_starts[i]);
    assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_EINVAL);
  }
  k = key_in(&w, &w.app, 1);
  snprintf(k.name, sizeof k.name, "\xc0\xaf");
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_EINVAL);
  k = key_in(&w, &w.app, 1);
  memset(k.scopes, 'A', sizeof k.scopes); /* unterminated */
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_EINVAL);
  k = key_in(&w, &w.app, 1);
  k.expires_at = -1;
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_EINVAL);
  assert_int_equal(store_api_key_create(f->s, NULL), CUSTOS_EINVAL);
  assert_int_equal(count_keys(f->s, NULL), 0);
}

/* --- list / scopes / revoke ------------------------------------------------- */

static void test_key_list_paginates(void **state) {
  fx_t *f = *state;
  enum { NA = 23, NB = 4 };
  world_t w;
  store_api_key_t k, page[10];
  make_world(f->s, &w);
  for (int i = 0; i < NA + NB; i++) {
    k = key_in(&w, i < NA ? &w.app : &w.app2, (unsigned char)(10 + i));
    assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_OK);
  }
  char after[RAND_ID_MAX] = "";
  int n, seen = 0, pages = 0, sizes[4] = {0};
  do {
    assert_int_equal(store_api_key_list(f->s, w.app.id, pages ? after : NULL, 10, page, &n),
                     CUSTOS_OK);
    sizes[pages++] = n;
    for (int i = 0; i < n; i++) {
      assert_string_equal(page[i].app_id, w.app.id);
      assert_string_equal(page[i].account_id, w.acct.id);
      if (pages > 1 || i > 0) assert_true(strcmp(i ? page[i - 1].id : after, page[i].id) < 0);
    }
    if (n) memcpy(after, page[n - 1].id, sizeof after);
    seen += n;
  } while (n == 10 && pages < 4);
  assert_int_equal(seen, NA);
  assert_int_equal(sizes[0], 10);
  assert_int_equal(sizes[1], 10);
  assert_int_equal(sizes[2], 3);
  assert_int_equal(count_keys(f->s, w.app2.id), NB);
  assert_int_equal(count_keys(f->s, NULL), NA + NB);
  n = -1;
  assert_int_equal(store_api_key_list(f->s, "app_nope", NULL, 10, page, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(store_api_key_list(f->s, NULL, NULL, 0, page, &n), CUSTOS_EINVAL);
}

static void test_key_set_scopes(void **state) {
  fx_t *f = *state;
  world_t w;
  store_api_key_t k, got;
  make_world(f->s, &w);
  k = key_in(&w, &w.app, 1);
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_OK);
  assert_int_equal(store_api_key_set_scopes(f->s, k.id, "READ_ONLY assets:read x.y-z"), CUSTOS_OK);
  assert_int_equal(store_api_key_get(f->s, k.id, &got), CUSTOS_OK);
  assert_string_equal(got.scopes, "READ_ONLY assets:read x.y-z");
  assert_int_equal(store_api_key_set_scopes(f->s, k.id, ""), CUSTOS_OK);
  assert_int_equal(store_api_key_get(f->s, k.id, &got), CUSTOS_OK);
  assert_string_equal(got.scopes, "");
  assert_int_equal(store_api_key_set_scopes(f->s, k.id, "A  B"), CUSTOS_EINVAL);
  assert_int_equal(store_api_key_set_scopes(f->s, k.id, NULL), CUSTOS_EINVAL);
  assert_int_equal(store_api_key_set_scopes(f->s, "key_nope", "A"), CUSTOS_ENOTFOUND);
  assert_int_equal(store_api_key_get(f->s, k.id, &got), CUSTOS_OK);
  assert_string_equal(got.scopes, "");
  assert_int_equal(store_error_count(f->s), 0);
}

static void test_key_revoke_is_idempotent(void **state) {
  fx_t *f = *state;
  world_t w;
  store_api_key_t k, got;
  make_world(f->s, &w);
  k = key_in(&w, &w.app, 1);
  assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_OK);
  assert_int_equal(store_api_key_revoke(f->s, k.id, 1700000000), CUSTOS_OK);
  assert_int_equal(store_api_key_get(f->s, k.id, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, 1700000000);
  assert_int_equal(store_api_key_revoke(f->s, k.id, 1800000000), CUSTOS_OK);
  assert_int_equal(store_api_key_get(f->s, k.id, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, 1700000000); /* the first one stays */
  assert_int_equal(store_api_key_revoke(f->s, "key_nope", 1700000000), CUSTOS_ENOTFOUND);
  assert_int_equal(store_api_key_revoke(f->s, k.id, 0), CUSTOS_EINVAL);
  assert_int_equal(store_error_count(f->s), 0);
}

/* --- rotation --------------------------------------------------------------- */

static void test_key_rotate(void **state) {
  fx_t *f = *state;
  world_t w;
  store_api_key_t old, nk, got, before, nk2;
  make_world(f->s, &w);
  old = key_in(&w, &w.app, 1);
  snprintf(old.kind, sizeof old.kind, "app_secret");
  assert_int_equal(store_api_key_create(f->s, &old), CUSTOS_OK);
  assert_int_equal(store_api_key_set_scopes(f->s, old.id, "CORE_ACCESS custom:x"), CUSTOS_OK);

  memset(&nk, 0, sizeof nk);
  snprintf(nk.start, sizeof nk.start, "ap_new1");
  memset(nk.hash, 0xee, sizeof nk.hash);
  assert_int_equal(store_api_key_rotate(f->s, old.id, 1900000000, &nk), CUSTOS_OK);
  assert_int_equal(strncmp(nk.id, "key_", 4), 0);
  assert_string_not_equal(nk.id, old.id);
  assert_string_equal(nk.app_id, old.app_id);
  assert_string_equal(nk.account_id, old.account_id);
  assert_string_equal(nk.environment_id, old.environment_id);
  assert_string_equal(nk.kind, "app_secret");
  assert_string_equal(nk.name, old.name);
  assert_string_equal(nk.scopes, "CORE_ACCESS custom:x");
  assert_int_equal(nk.expires_at, old.expires_at);
  assert_string_equal(nk.start, "ap_new1");
  assert_true(nk.created_at > 1600000000);
  assert_int_equal(nk.revoked_at, 0);
  assert_int_equal(nk.grace_until, 0);
  assert_string_equal(nk.replaced_by, "");
  assert_int_equal(store_api_key_get_by_hash(f->s, nk.hash, &got), CUSTOS_OK);
  assert_memory_equal(&got, &nk, sizeof got);

  assert_int_equal(store_api_key_get(f->s, old.id, &before), CUSTOS_OK);
  assert_int_equal(before.grace_until, 1900000000);
  assert_string_equal(before.replaced_by, nk.id);
  assert_int_equal(before.revoked_at, 0);

  /* Rotating the old key again: EINVAL, nothing changes. */
  memset(&nk2, 0, sizeof nk2);
  snprintf(nk2.start, sizeof nk2.start, "ap_new2");
  memset(nk2.hash, 0xdd, sizeof nk2.hash);
  store_api_key_t nk2_saved = nk2;
  assert_int_equal(store_api_key_rotate(f->s, old.id, 1950000000, &nk2), CUSTOS_EINVAL);
  assert_memory_equal(&nk2, &nk2_saved, sizeof nk2);
  assert_int_equal(store_api_key_get(f->s, old.id, &got), CUSTOS_OK);
  assert_memory_equal(&got, &before, sizeof got);
  assert_int_equal(store_api_key_get_by_hash(f->s, nk2.hash, &got), CUSTOS_ENOTFOUND);
  assert_int_equal(count_keys(f->s, NULL), 2);

  /* A revoked key cannot be rotated. */
  store_api_key_t r = key_in(&w, &w.app, 2);
  assert_int_equal(store_api_key_create(f->s, &r), CUSTOS_OK);
  assert_int_equal(store_api_key_revoke(f->s, r.id, 1700000000), CUSTOS_OK);
  assert_int_equal(store_api_key_rotate(f->s, r.id, 1950000000, &nk2), CUSTOS_EINVAL);
  assert_int_equal(store_api_key_get(f->s, r.id, &got), CUSTOS_OK);
  assert_int_equal(got.grace_until, 0);
  assert_string_equal(got.replaced_by, "");

  /* A hash collision rolls the whole rotation back. */
  store_api_key_t c = key_in(&w, &w.app, 4);
  assert_int_equal(store_api_key_create(f->s, &c), CUSTOS_OK);
  memset(nk2.hash, 1, sizeof nk2.hash); /* = old's hash */
  assert_int_equal(store_api_key_rotate(f->s, c.id, 1950000000, &nk2), CUSTOS_EEXISTS);
  assert_int_equal(store_api_key_get(f->s, c.id, &got), CUSTOS_OK);
  assert_int_equal(got.grace_until, 0);
  assert_string_equal(got.replaced_by, "");
  assert_int_equal(count_keys(f->s, NULL), 4);

  assert_int_equal(store_api_key_rotate(f->s, "key_nope", 1950000000, &nk2), CUSTOS_ENOTFOUND);
  assert_int_equal(store_api_key_rotate(f->s, c.id, 0, &nk2), CUSTOS_EINVAL);
  nk2.start[0] = '\0';
  assert_int_equal(store_api_key_rotate(f->s, c.id, 1950000000, &nk2), CUSTOS_EINVAL);
  assert_int_equal(store_error_count(f->s), 0);
}

typedef struct rot_arg {
  store_t *s;
  const char *old_id;
  unsigned char seed;
  int rc;
} rot_arg_t;

static void *rotate_thread(void *p) {
  rot_arg_t *a = p;
  store_api_key_t nk;
  memset(&nk, 0, sizeof nk);
  snprintf(nk.start, sizeof nk.start, "ap_r%03u", a->seed);
  memset(nk.hash, a->seed, sizeof nk.hash);
  a->rc = store_api_key_rotate(a->s, a->old_id, 1900000000, &nk);
  return NULL;
}

/* Racing rotations of one key: exactly one wins. */
static void test_key_concurrent_rotations_one_wins(void **state) {
  fx_t *f = *state;
  enum { T = 4 };
  world_t w;
  store_api_key_t k;
  make_world(f->s, &w);
  for (int round = 0; round < 5; round++) {
    k = key_in(&w, &w.app, (unsigned char)(100 + round));
    assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_OK);
    rot_arg_t a[T];
    pthread_t t[T];
    for (int i = 0; i < T; i++) {
      a[i] = (rot_arg_t){f->s, k.id, (unsigned char)(150 + round * T + i), -99};
      assert_int_equal(pthread_create(&t[i], NULL, rotate_thread, &a[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < T; i++) {
      pthread_join(t[i], NULL);
      if (a[i].rc == CUSTOS_OK) ok++;
      else assert_int_equal(a[i].rc, CUSTOS_EINVAL);
    }
    assert_int_equal(ok, 1);
  }
  assert_int_equal(count_keys(f->s, NULL), 10);
  assert_int_equal(store_error_count(f->s), 0);
}

/* --- usage ------------------------------------------------------------------ */

static void test_key_record_usage_sums_batches(void **state) {
  fx_t *f = *state;
  world_t w;
  store_api_key_t a, b, got;
  make_world(f->s, &w);
  a = key_in(&w, &w.app, 1);
  b = key_in(&w, &w.app, 2);
  assert_int_equal(store_api_key_create(f->s, &a), CUSTOS_OK);
  assert_int_equal(store_api_key_create(f->s, &b), CUSTOS_OK);

  store_key_usage_t u1[4], u2[2];
  memset(u1, 0, sizeof u1);
  memset(u2, 0, sizeof u2);
  u1[0] = (store_key_usage_t){.last_used_at = 1700000100, .uses = 3};
  snprintf(u1[0].id, sizeof u1[0].id, "%s", b.id);
  u1[1] = (store_key_usage_t){.last_used_at = 1700000050, .uses = 5};
  snprintf(u1[1].id, sizeof u1[1].id, "%s", a.id);
  u1[2] = (store_key_usage_t){.last_used_at = 1700000000, .uses = 9};
  snprintf(u1[2].id, sizeof u1[2].id, "key_unknown"); /* skipped */
  u1[3] = (store_key_usage_t){.last_used_at = 1700000070, .uses = 2};
  snprintf(u1[3].id, sizeof u1[3].id, "%s", a.id); /* same key twice: both count */
  assert_int_equal(store_api_key_record_usage(f->s, u1, 4), CUSTOS_OK);

  u2[0] = (store_key_usage_t){.last_used_at = 1700000010, .uses = 1}; /* older: max keeps */
  snprintf(u2[0].id, sizeof u2[0].id, "%s", a.id);
  u2[1] = (store_key_usage_t){.last_used_at = 1700000200, .uses = 4};
  snprintf(u2[1].id, sizeof u2[1].id, "%s", b.id);
  assert_int_equal(store_api_key_record_usage(f->s, u2, 2), CUSTOS_OK);

  assert_int_equal(store_api_key_get(f->s, a.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 8);
  assert_int_equal(got.last_used_at, 1700000070);
  assert_int_equal(store_api_key_get(f->s, b.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 7);
  assert_int_equal(got.last_used_at, 1700000200);

  assert_int_equal(store_api_key_record_usage(f->s, NULL, 0), CUSTOS_OK);
  assert_int_equal(store_api_key_record_usage(f->s, u1, -1), CUSTOS_EINVAL);
  u2[1].uses = -1;
  assert_int_equal(store_api_key_record_usage(f->s, u2, 2), CUSTOS_EINVAL);
  assert_int_equal(store_api_key_get(f->s, a.id, &got), CUSTOS_OK);
  assert_int_equal(got.use_count, 8); /* all or nothing */
  assert_int_equal(store_error_count(f->s), 0);
}

/* A large flush, as the key-check service sends when thousands of keys are
 * active: every row gets exactly its own sums and maxima, ids that no
 * longer exist (deleted after they were cached) or never did are skipped,
 * an id given twice counts both entries, the saturation and monotonic
 * rules hold per row, and the whole flush is one transaction (a failure on
 * the last row leaves the first untouched). Prints the flush time (the
 * figure in docs/performance.md); speed is not asserted. */
#define USAGE_KEYS 5000
#define USAGE_DUPS 10
#define USAGE_T0 1700000000

static void test_key_record_usage_large_batch(void **state) {
  fx_t *f = *state;
  world_t w;
  store_api_key_t got;
  char sql[512];
  enum { N = USAGE_KEYS, NU = USAGE_KEYS + USAGE_DUPS + 1 };
  char(*ids)[RAND_ID_MAX] = calloc(N, RAND_ID_MAX);
  store_key_usage_t *u = calloc(NU, sizeof *u);
  assert_non_null(ids);
  assert_non_null(u);
  make_world(f->s, &w);
  for (int i = 0; i < N; i++) {
    store_api_key_t k = key_in(&w, &w.app, 1);
    memcpy(k.hash, &i, sizeof i); /* distinct hashes */
    snprintf(k.start, sizeof k.start, "ap_%05d", i);
    assert_int_equal(store_api_key_create(f->s, &k), CUSTOS_OK);
    memcpy(ids[i], k.id, RAND_ID_MAX);
  }
  /* Key 0 near the counter's limit; key 1 already used later than the batch. */
  snprintf(sql, sizeof sql,
           "UPDATE api_key SET use_count = 9223372036854775800 WHERE id = '%s';"
           "UPDATE api_key SET last_used_at = 1900000000, use_count = 40 WHERE id = '%s';"
           "DELETE FROM api_key WHERE id IN ('%s', '%s')",
           ids[0], ids[1], ids[2], ids[3]); /* 2 and 3 deleted after being cached */
  raw_exec(f, sql);

  /* Entries in reverse order (the store sorts), key i: uses i % 7 + 1, at T0 + i. */
  int m = 0;
  for (int i = N - 1; i >= 0; i--) {
    snprintf(u[m].id, sizeof u[m].id, "%s", ids[i]);
    u[m].uses = i % 7 + 1;
    u[m++].last_used_at = USAGE_T0 + i;
  }
  /* Keys 0..9 again: +100 uses, older for even keys (max keeps the first),
   * newer for odd ones. */
  for (int i = 0; i < USAGE_DUPS; i++) {
    snprintf(u[m].id, sizeof u[m].id, "%s", ids[i]);
    u[m].uses = 100;
    u[m++].last_used_at = i % 2 ? USAGE_T0 + 50000 + i : 1;
  }
  snprintf(u[m].id, sizeof u[m].id, "key_never_existed");
  u[m].uses = 5;
  u[m++].last_used_at = USAGE_T0;
  assert_int_equal(m, NU);

  double t0 = now_s();
  assert_int_equal(store_api_key_record_usage(f->s, u, NU), CUSTOS_OK);
  fprintf(stderr, "[ record_usage ] %s: %d records (%d keys) in one flush: %.1f ms\n",
          g_backend == B_PG ? "postgres" : "sqlite", NU, N, (now_s() - t0) * 1000.0);

  for (int i = 0; i < N; i++) {
    int rc = store_api_key_get(f->s, ids[i], &got);
    if (i == 2 || i == 3) {
      assert_int_equal(rc, CUSTOS_ENOTFOUND); /* not recreated */
      continue;
    }
    assert_int_equal(rc, CUSTOS_OK);
    int64_t uses = i % 7 + 1 + (i < USAGE_DUPS ? 100 : 0);
    int64_t last = USAGE_T0 + i;
    if (i < USAGE_DUPS && i % 2) last = USAGE_T0 + 50000 + i;
    if (i == 0) {
      assert_true(got.use_count == INT64_MAX); /* saturated, not wrapped */
    } else if (i == 1) {
      assert_int_equal(got.use_count, 40 + uses);
      assert_int_equal(got.last_used_at, 1900000000); /* never moves back */
      continue;
    } else {
      assert_int_equal(got.use_count, uses);
    }
    assert_int_equal(got.last_used_at, last);
  }
  assert_int_equal(count_keys(f->s, NULL), N - 2);
  assert_int_equal(store_error_count(f->s), 0);

  /* All or nothing across the whole flush: a row that fails to update
   * (the greatest id, written last) undoes every row before it. */
  int last_i = 4;
  for (int i = 4; i < N; i++)
    if (strcmp(ids[i], ids[last_i]) > 0) last_i = i;
  if (g_backend == B_PG)
    snprintf(sql, sizeof sql,
             "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
             " $$BEGIN RAISE EXCEPTION 'refused'; END$$;"
             "CREATE TRIGGER refuse BEFORE UPDATE ON api_key FOR EACH ROW"
             " WHEN (NEW.id = '%s') EXECUTE FUNCTION refuse()",
             ids[last_i]);
  else
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER refuse BEFORE UPDATE ON api_key WHEN NEW.id = '%s'"
             " BEGIN SELECT RAISE(ABORT, 'refused'); END",
             ids[last_i]);
  raw_exec(f, sql);
  assert_int_not_equal(store_api_key_record_usage(f->s, u, NU), CUSTOS_OK);
  for (int i = USAGE_DUPS; i < N; i += 499) {
    assert_int_equal(store_api_key_get(f->s, ids[i], &got), CUSTOS_OK);
    assert_int_equal(got.use_count, i % 7 + 1);
    assert_int_equal(got.last_used_at, USAGE_T0 + i);
  }
  free(u);
  free(ids);
}

/* --- admin tokens ------------------------------------------------------------ */

static void test_admin_tokens(void **state) {
  fx_t *f = *state;
  store_admin_token_t t, u, got;
  int64_t n = -1;
  assert_int_equal(store_admin_token_count_active(f->s, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  memset(&t, 0, sizeof t);
  snprintf(t.name, sizeof t.name, "bootstrap");
  memset(t.hash, 0xab, sizeof t.hash);
  assert_int_equal(store_admin_token_create(f->s, &t), CUSTOS_OK);
  assert_int_equal(strncmp(t.id, "adm_", 4), 0);
  assert_true(t.created_at > 1600000000);
  assert_int_equal(t.revoked_at, 0);
  memset(&got, 0, sizeof got);
  assert_int_equal(store_admin_token_get_by_hash(f->s, t.hash, &got), CUSTOS_OK);
  assert_memory_equal(&got, &t, sizeof got);

  u = t;
  assert_int_equal(store_admin_token_create(f->s, &u), CUSTOS_EEXISTS);
  memset(u.hash, 0xac, sizeof u.hash);
  snprintf(u.name, sizeof u.name, "ci");
  assert_int_equal(store_admin_token_create(f->s, &u), CUSTOS_OK);
  assert_int_equal(store_admin_token_count_active(f->s, &n), CUSTOS_OK);
  assert_int_equal(n, 2);

  assert_int_equal(store_admin_token_revoke(f->s, t.id, 1700000000, true), CUSTOS_OK);
  assert_int_equal(store_admin_token_revoke(f->s, t.id, 1800000000, false), CUSTOS_OK);
  assert_int_equal(store_admin_token_get_by_hash(f->s, t.hash, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, 1700000000);
  assert_int_equal(store_admin_token_count_active(f->s, &n), CUSTOS_OK);
  assert_int_equal(n, 1);
  assert_int_equal(store_admin_token_revoke(f->s, "adm_nope", 1700000000, false), CUSTOS_ENOTFOUND);
  assert_int_equal(store_admin_token_revoke(f->s, "adm_nope", 1700000000, true), CUSTOS_ENOTFOUND);
  unsigned char none[STORE_KEY_HASH_LEN];
  memset(none, 0, sizeof none);
  assert_int_equal(store_admin_token_get_by_hash(f->s, none, &got), CUSTOS_ENOTFOUND);
  u.name[0] = '\0';
  assert_int_equal(store_admin_token_create(f->s, &u), CUSTOS_EINVAL);
  assert_int_equal(store_error_count(f->s), 0);
}

/* The guarded writes: the first token only into an empty set, and never
 * the last active one revoked unless asked; get and list by id. */
static void test_admin_token_guards(void **state) {
  fx_t *f = *state;
  store_admin_token_t a, b, c, got, page[3];
  int64_t n = -1;
  int m = -1;
  memset(&a, 0, sizeof a);
  snprintf(a.name, sizeof a.name, "first");
  memset(a.hash, 0x11, sizeof a.hash);
  assert_int_equal(store_admin_token_create_first(f->s, &a), CUSTOS_OK);
  b = a;
  memset(b.hash, 0x22, sizeof b.hash);
  assert_int_equal(store_admin_token_create_first(f->s, &b), CUSTOS_EDENIED);
  assert_int_equal(store_admin_token_count_active(f->s, &n), CUSTOS_OK);
  assert_int_equal(n, 1);

  /* The only active token stays unless forced. */
  assert_int_equal(store_admin_token_revoke(f->s, a.id, 1700000000, true), CUSTOS_EDENIED);
  assert_int_equal(store_admin_token_get(f->s, a.id, &got), CUSTOS_OK);
  assert_memory_equal(&got, &a, sizeof got);
  assert_int_equal(store_admin_token_create(f->s, &b), CUSTOS_OK);
  assert_int_equal(store_admin_token_revoke(f->s, a.id, 1700000000, true), CUSTOS_OK);
  assert_int_equal(store_admin_token_revoke(f->s, b.id, 1700000001, true), CUSTOS_EDENIED);
  assert_int_equal(store_admin_token_revoke(f->s, a.id, 1700000002, true), CUSTOS_OK); /* idempotent */
  assert_int_equal(store_admin_token_get(f->s, a.id, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, 1700000000);
  assert_int_equal(store_admin_token_revoke(f->s, b.id, 1700000003, false), CUSTOS_OK);
  assert_int_equal(store_admin_token_count_active(f->s, &n), CUSTOS_OK);
  assert_int_equal(n, 0);

  /* None active again (locked out): the first token may be made anew. */
  memset(&c, 0, sizeof c);
  snprintf(c.name, sizeof c.name, "recovery");
  memset(c.hash, 0x33, sizeof c.hash);
  assert_int_equal(store_admin_token_create_first(f->s, &c), CUSTOS_OK);

  assert_int_equal(store_admin_token_list(f->s, NULL, 3, page, &m), CUSTOS_OK);
  assert_int_equal(m, 3);
  assert_true(strcmp(page[0].id, page[1].id) < 0 && strcmp(page[1].id, page[2].id) < 0);
  int found = 0;
  for (int i = 0; i < m; i++) found += strcmp(page[i].id, c.id) == 0 && page[i].revoked_at == 0;
  assert_int_equal(found, 1);
  assert_int_equal(store_admin_token_list(f->s, page[1].id, 3, page, &m), CUSTOS_OK);
  assert_int_equal(m, 1);
  assert_int_equal(store_admin_token_list(f->s, NULL, 0, page, &m), CUSTOS_EINVAL);
  assert_int_equal(store_admin_token_get(f->s, "adm_nope", &got), CUSTOS_ENOTFOUND);
  assert_int_equal(store_admin_token_get(f->s, "adm_\xff", &got), CUSTOS_ENOTFOUND);
  assert_int_equal(store_error_count(f->s), 0);
}

/* Replace: every active token revoked at the new one's created_at and
 * reported (up to max, by id), the revoked one kept as it was, the new one
 * the only active; with none active it is a plain create. */
static void test_admin_token_replace(void **state) {
  fx_t *f = *state;
  store_admin_token_t a, b, c, d, got, old[2];
  int64_t n = -1;
  int m = -1;
  memset(&a, 0, sizeof a);
  snprintf(a.name, sizeof a.name, "a");
  memset(a.hash, 0x31, sizeof a.hash);
  assert_int_equal(store_admin_token_replace(f->s, &a, old, 2, &m), CUSTOS_OK);
  assert_int_equal(m, 0);
  b = a;
  memset(b.hash, 0x32, sizeof b.hash);
  assert_int_equal(store_admin_token_create(f->s, &b), CUSTOS_OK);
  c = a;
  memset(c.hash, 0x33, sizeof c.hash);
  assert_int_equal(store_admin_token_create(f->s, &c), CUSTOS_OK);
  assert_int_equal(store_admin_token_revoke(f->s, c.id, 1700000000, false), CUSTOS_OK);

  memset(&d, 0, sizeof d);
  snprintf(d.name, sizeof d.name, "d");
  memset(d.hash, 0x34, sizeof d.hash);
  d.created_at = 5; /* set by the store */
  assert_int_equal(store_admin_token_replace(f->s, &d, old, 1, &m), CUSTOS_OK);
  assert_int_equal(m, 2);
  assert_true(d.created_at > 1600000000);
  /* Only `max` rows reported, the lowest id first. */
  const store_admin_token_t *first = strcmp(a.id, b.id) < 0 ? &a : &b;
  assert_string_equal(old[0].id, first->id);
  assert_int_equal(old[0].revoked_at, d.created_at);
  assert_int_equal(store_admin_token_count_active(f->s, &n), CUSTOS_OK);
  assert_int_equal(n, 1);
  assert_int_equal(store_admin_token_get(f->s, a.id, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, d.created_at);
  assert_int_equal(store_admin_token_get(f->s, b.id, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, d.created_at);
  assert_int_equal(store_admin_token_get(f->s, c.id, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, 1700000000);
  assert_int_equal(store_admin_token_get(f->s, d.id, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, 0);

  /* A failed insert (the hash exists) changes nothing. */
  store_admin_token_t e = d;
  assert_int_equal(store_admin_token_replace(f->s, &e, NULL, 0, &m), CUSTOS_EEXISTS);
  assert_int_equal(store_admin_token_get(f->s, d.id, &got), CUSTOS_OK);
  assert_int_equal(got.revoked_at, 0);
  assert_int_equal(store_admin_token_replace(f->s, &e, NULL, 1, &m), CUSTOS_EINVAL);
  assert_int_equal(store_error_count(f->s), 0);
}

/* Concurrent first tokens, each from its own store handle (as separate
 * `custos admin init` processes are), released together by a barrier. */
#define INIT_RACERS 8
#define INIT_ROUNDS 5

typedef struct init_arg {
  const char *url;
  pthread_barrier_t *go;
  unsigned char seed;
  int rc;
  char id[RAND_ID_MAX];
} init_arg_t;

static void *init_thread(void *p) {
  init_arg_t *a = p;
  store_t *s = NULL;
  char err[256];
  store_admin_token_t t;
  memset(&t, 0, sizeof t);
  snprintf(t.name, sizeof t.name, "racer");
  memset(t.hash, a->seed, sizeof t.hash);
  int open_rc = store_open(a->url, NULL, &s, err, sizeof err);
  pthread_barrier_wait(a->go);
  a->rc = open_rc ? CUSTOS_ESTORE : store_admin_token_create_first(s, &t);
  if (a->rc == CUSTOS_OK) memcpy(a->id, t.id, sizeof a->id);
  store_close(s);
  return NULL;
}

static void test_admin_token_create_first_race(void **state) {
  fx_t *f = *state;
  for (int round = 0; round < INIT_ROUNDS; round++) {
    pthread_barrier_t go;
    pthread_t th[INIT_RACERS];
    init_arg_t a[INIT_RACERS];
    assert_int_equal(pthread_barrier_init(&go, NULL, INIT_RACERS), 0);
    for (int i = 0; i < INIT_RACERS; i++) {
      a[i] = (init_arg_t){f->url, &go, (unsigned char)(round * INIT_RACERS + i + 1), -99, ""};
      assert_int_equal(pthread_create(&th[i], NULL, init_thread, &a[i]), 0);
    }
    int ok = -1;
    for (int i = 0; i < INIT_RACERS; i++) {
      pthread_join(th[i], NULL);
      if (a[i].rc == CUSTOS_OK) {
        assert_int_equal(ok, -1); /* a second winner */
        ok = i;
      } else {
        assert_int_equal(a[i].rc, CUSTOS_EDENIED);
      }
    }
    pthread_barrier_destroy(&go);
    assert_true(ok >= 0);
    int64_t n = -1;
    assert_int_equal(store_admin_token_count_active(f->s, &n), CUSTOS_OK);
    assert_int_equal(n, 1);
    /* Locked out again, for the next round. */
    assert_int_equal(store_admin_token_revoke(f->s, a[ok].id, 1700000000, false), CUSTOS_OK);
  }
}

/* --- audit queries ------------------------------------------------------------ */

static void append(store_t *s, const char *actor, const char *action, const char *target,
                   int64_t at) {
  store_audit_t e;
  memset(&e, 0, sizeof e);
  snprintf(e.actor, sizeof e.actor, "%s", actor);
  snprintf(e.action, sizeof e.action, "%s", action);
  snprintf(e.target, sizeof e.target, "%s", target);
  snprintf(e.outcome, sizeof e.outcome, "ok");
  e.at = at;
  e.detail_json = (char *)"{\"k\":1}";
  assert_int_equal(store_audit_append(s, &e), CUSTOS_OK);
}

/* Runs `flt` and returns the matching actions joined by ',' into `out`,
 * paging `limit` at a time. */
static void find(store_t *s, const store_audit_filter_t *flt, int limit, char *out, size_t cap) {
  store_audit_t page[STORE_LIST_MAX];
  int64_t after = 0;
  int n;
  out[0] = '\0';
  do {
    assert_int_equal(store_audit_find(s, flt, after, limit, page, &n), CUSTOS_OK);
    for (int i = 0; i < n; i++) {
      assert_true(page[i].id > after);
      after = page[i].id;
      assert_string_equal(page[i].detail_json, "{\"k\":1}");
      snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "," : "", page[i].action);
      store_audit_cleanup(&page[i]);
    }
  } while (n == limit);
}

static void test_audit_find_filters(void **state) {
  fx_t *f = *state;
  char got[512];
  append(f->s, "admin", "key.create", "key_a", 1700000000);
  append(f->s, "admin", "key.rotate", "key_a", 1700000100);
  append(f->s, "app_x", "key.check", "key_b", 1700000200);
  append(f->s, "admin", "keys.export", "key_a", 1700000300); /* not under "key." */
  append(f->s, "admin", "key", "", 1700000400);              /* not under "key." */
  append(f->s, "admin", "account.create", "acct_1", 1700000500);
  append(f->s, "app_x", "key.revoke", "key_b", 1700000600);

  store_audit_filter_t flt = {.action = "key."};
  find(f->s, &flt, 2, got, sizeof got);
  assert_string_equal(got, "key.create,key.rotate,key.check,key.revoke");
  flt = (store_audit_filter_t){.action = "key"};
  find(f->s, &flt, 10, got, sizeof got);
  assert_string_equal(got, "key");
  flt = (store_audit_filter_t){.action = "key.check"};
  find(f->s, &flt, 10, got, sizeof got);
  assert_string_equal(got, "key.check");
  flt = (store_audit_filter_t){.target = "key_a"};
  find(f->s, &flt, 10, got, sizeof got);
  assert_string_equal(got, "key.create,key.rotate,keys.export");
  flt = (store_audit_filter_t){.target = ""};
  find(f->s, &flt, 10, got, sizeof got);
  assert_string_equal(got, "key");
  flt = (store_audit_filter_t){.actor = "app_x"};
  find(f->s, &flt, 1, got, sizeof got);
  assert_string_equal(got, "key.check,key.revoke");
  flt = (store_audit_filter_t){.since = 1700000300};
  find(f->s, &flt, 10, got, sizeof got);
  assert_string_equal(got, "keys.export,key,account.create,key.revoke");
  flt = (store_audit_filter_t){.action = "key.", .actor = "admin", .target = "key_a",
                               .since = 1700000050};
  find(f->s, &flt, 10, got, sizeof got);
  assert_string_equal(got, "key.rotate");
  find(f->s, NULL, 3, got, sizeof got);
  assert_string_equal(got,
                      "key.create,key.rotate,key.check,keys.export,key,account.create,key.revoke");

  /* Filters that cannot match anything, and bad ones. */
  char long_target[200];
  memset(long_target, 't', sizeof long_target - 1);
  long_target[sizeof long_target - 1] = '\0';
  flt = (store_audit_filter_t){.target = long_target};
  find(f->s, &flt, 10, got, sizeof got);
  assert_string_equal(got, "");
  store_audit_t page[4];
  int n;
  flt = (store_audit_filter_t){.action = ""};
  assert_int_equal(store_audit_find(f->s, &flt, 0, 4, page, &n), CUSTOS_EINVAL);
  flt = (store_audit_filter_t){.target = "\xff"};
  assert_int_equal(store_audit_find(f->s, &flt, 0, 4, page, &n), CUSTOS_EINVAL);
  flt = (store_audit_filter_t){.action = "key.\xc3"};
  assert_int_equal(store_audit_find(f->s, &flt, 0, 4, page, &n), CUSTOS_EINVAL);
  flt = (store_audit_filter_t){.since = -1};
  assert_int_equal(store_audit_find(f->s, &flt, 0, 4, page, &n), CUSTOS_EINVAL);
  assert_int_equal(store_audit_find(f->s, NULL, 0, 0, page, &n), CUSTOS_EINVAL);
  assert_int_equal(store_error_count(f->s), 0);
}

/* --- notifications ------------------------------------------------------------ */

typedef struct rec {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char got[16][64]; /* payloads, in arrival order */
  int n;
  char channel[64]; /* channel of the last call */
} rec_t;

static void rec_init(rec_t *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
}

static void rec_destroy(rec_t *r) {
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
}

static void on_notify(void *ctx, const char *channel, const char *payload) {
  rec_t *r = ctx;
  pthread_mutex_lock(&r->mu);
  if (r->n < 16) snprintf(r->got[r->n++], sizeof r->got[0], "%s", payload);
  snprintf(r->channel, sizeof r->channel, "%s", channel);
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

/* Waits until `r` has `n` payloads or `secs` pass; returns the count. */
static int rec_wait(rec_t *r, int n, double secs) {
  double end = now_s() + secs;
  pthread_mutex_lock(&r->mu);
  while (r->n < n && now_s() < end) {
    pthread_mutex_unlock(&r->mu);
    usleep(5000);
    pthread_mutex_lock(&r->mu);
  }
  int got = r->n;
  pthread_mutex_unlock(&r->mu);
  return got;
}

static void test_notify_reaches_listeners(void **state) {
  fx_t *f = *state;
  rec_t a, b, other;
  store_t *s2 = NULL;
  rec_init(&a);
  rec_init(&b);
  rec_init(&other);
  assert_int_equal(store_listen(f->s, "custos_keys", on_notify, &a), CUSTOS_OK);
  assert_int_equal(store_listen(f->s, "other_chan", on_notify, &other), CUSTOS_OK);
  if (g_backend == B_SQLITE) {
    /* One node: delivered on this thread before store_notify returns. */
    assert_int_equal(store_notify(f->s, "custos_keys", "key_1"), CUSTOS_OK);
    assert_int_equal(a.n, 1);
    assert_string_equal(a.got[0], "key_1");
    assert_string_equal(a.channel, "custos_keys");
    assert_int_equal(other.n, 0);
  } else {
    /* Two stores on one database, as two custos nodes would have. */
    assert_int_equal(store_open(f->url, NULL, &s2, NULL, 0), CUSTOS_OK);
    assert_int_equal(store_listen(s2, "custos_keys", on_notify, &b), CUSTOS_OK);
    double t0 = now_s();
    assert_int_equal(store_notify(f->s, "custos_keys", "key_1"), CUSTOS_OK);
    assert_int_equal(rec_wait(&b, 1, 1.0), 1);
    assert_true(now_s() - t0 < 1.0);
    assert_int_equal(rec_wait(&a, 1, 1.0), 1); /* this node hears itself too */
    assert_int_equal(store_notify(s2, "custos_keys", ""), CUSTOS_OK);
    assert_int_equal(rec_wait(&a, 2, 1.0), 2);
    assert_int_equal(rec_wait(&b, 2, 1.0), 2);
    assert_string_equal(b.got[0], "key_1");
    assert_string_equal(b.got[1], "");
    assert_string_equal(a.channel, "custos_keys");
    usleep(100 * 1000);
    assert_int_equal(other.n, 0);
    store_close(s2);
  }

  /* Bad input. */
  char big[STORE_PAYLOAD_LEN_MAX + 2];
  memset(big, 'p', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(store_notify(f->s, "custos_keys", big), CUSTOS_EINVAL);
  big[STORE_PAYLOAD_LEN_MAX] = '\0';
  assert_int_equal(store_notify(f->s, "custos_keys", big), CUSTOS_OK);
  assert_int_equal(store_notify(f->s, "Custos", "x"), CUSTOS_EINVAL);
  assert_int_equal(store_notify(f->s, "", "x"), CUSTOS_EINVAL);
  assert_int_equal(store_notify(f->s, "custos_keys", "\xff"), CUSTOS_EINVAL);
  assert_int_equal(store_notify(f->s, "custos_keys", NULL), CUSTOS_EINVAL);
  assert_int_equal(store_listen(f->s, "a;b", on_notify, &a), CUSTOS_EINVAL);
  assert_int_equal(store_listen(f->s, "ok", NULL, &a), CUSTOS_EINVAL);
  /* Up to STORE_LISTENERS_MAX per store; two are registered. */
  for (int i = 2; i < STORE_LISTENERS_MAX; i++)
    assert_int_equal(store_listen(f->s, "spare", on_notify, &other), CUSTOS_OK);
  assert_int_equal(store_listen(f->s, "spare", on_notify, &other), CUSTOS_ETOOBIG);
  assert_int_equal(store_error_count(f->s), 0);

  /* Close joins the listeners promptly; afterwards nothing is delivered. */
  double t0 = now_s();
  store_close(f->s);
  f->s = NULL;
  assert_true(now_s() - t0 < 2.0);
  rec_destroy(&a);
  rec_destroy(&b);
  rec_destroy(&other);
}

/* Killing the LISTEN connection: the listener reconnects, says "*", and
 * hears later notifications. */
static void test_pg_listener_reconnects(void **state) {
  fx_t *f = *state;
  rec_t r;
  char sql[256];
  if (g_backend != B_PG) return;
  rec_init(&r);
  assert_int_equal(store_listen(f->s, "custos_keys", on_notify, &r), CUSTOS_OK);
  assert_int_equal(store_notify(f->s, "custos_keys", "before"), CUSTOS_OK);
  assert_int_equal(rec_wait(&r, 1, 1.0), 1);
  snprintf(sql, sizeof sql,
           "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
           " WHERE query LIKE 'LISTEN%%' AND datname = '%s'",
           f->db);
  PGconn *c = PQconnectdb(g_pg_admin);
  PGresult *res = PQexec(c, sql);
  assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
  assert_int_equal(PQntuples(res), 1);
  PQclear(res);
  PQfinish(c);
  assert_int_equal(rec_wait(&r, 2, 5.0), 2);
  assert_string_equal(r.got[1], "*");
  assert_int_equal(store_notify(f->s, "custos_keys", "after"), CUSTOS_OK);
  assert_int_equal(rec_wait(&r, 3, 1.0), 3);
  assert_string_equal(r.got[2], "after");
  assert_true(store_error_count(f->s) >= 1); /* the lost connection counts */

  double t0 = now_s();
  store_close(f->s);
  f->s = NULL;
  assert_true(now_s() - t0 < 2.0);
  rec_destroy(&r);
}

/* A listener stuck reconnecting to a dead server still lets close return. */
static void test_pg_close_while_reconnecting_is_prompt(void **state) {
  fx_t *f = *state;
  rec_t r;
  char sql[256];
  if (g_backend != B_PG) return;
  rec_init(&r);
  assert_int_equal(store_listen(f->s, "custos_keys", on_notify, &r), CUSTOS_OK);
  /* Refuse new connections to this database, then kill the listener's. */
  snprintf(sql, sizeof sql, "ALTER DATABASE %s ALLOW_CONNECTIONS false", f->db);
  pg_admin_exec(sql);
  snprintf(sql, sizeof sql,
           "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
           " WHERE query LIKE 'LISTEN%%' AND datname = '%s'",
           f->db);
  PGconn *c = PQconnectdb(g_pg_admin);
  PQclear(PQexec(c, sql));
  PQfinish(c);
  usleep(400 * 1000); /* a few failed attempts */
  double t0 = now_s();
  store_close(f->s);
  f->s = NULL;
  assert_true(now_s() - t0 < 2.0);
  assert_int_equal(r.n, 0);
  snprintf(sql, sizeof sql, "ALTER DATABASE %s ALLOW_CONNECTIONS true", f->db);
  pg_admin_exec(sql);
  rec_destroy(&r);
}

/* --- main ------------------------------------------------------------------- */

static const struct CMUnitTest backend_tests[] = {
    MIG(test_key_create_get_and_get_by_hash_agree),
    MIG(test_key_environment_of_another_account_is_enotfound),
    MIG(test_key_junk_ids_are_enotfound),
    MIG(test_key_duplicate_hash_is_eexists),
    MIG(test_key_bad_input_is_einval),
    MIG(test_key_list_paginates),
    MIG(test_key_set_scopes),
    MIG(test_key_revoke_is_idempotent),
    MIG(test_key_rotate),
    MIG(test_key_concurrent_rotations_one_wins),
    MIG(test_key_record_usage_sums_batches),
    MIG(test_key_record_usage_large_batch),
    MIG(test_admin_tokens),
    MIG(test_admin_token_guards),
    MIG(test_admin_token_replace),
    MIG(test_admin_token_create_first_race),
    MIG(test_audit_find_filters),
    MIG(test_notify_reaches_listeners),
    MIG(test_pg_listener_reconnects),
    MIG(test_pg_close_while_reconnecting_is_prompt),
};

int main(void) {
  return fixture_main("store_keys", NULL, 0, backend_tests, NTESTS(backend_tests));
}
