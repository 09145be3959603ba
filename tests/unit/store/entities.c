/*
 * Open Ledger entities and per-account token lifetimes (migration 4), on
 * SQLite and PostgreSQL (fixture.h: PostgreSQL through CUSTOS_TEST_PG_URL,
 * required with CUSTOS_REQUIRE_PG=1).
 */
#include "store/fixture.h"

static void test_entity_create_get_list(void **state) {
  fx_t *f = *state;
  store_account_t a, b;
  store_entity_t x, y, z, got, list[10];
  int n = -1;
  assert_int_equal(store_account_create(f->s, "dev a", &a), CUSTOS_OK);
  assert_int_equal(store_account_create(f->s, "dev b", &b), CUSTOS_OK);
  assert_int_equal(store_entity_create(f->s, a.id, NULL, "first", &x), CUSTOS_OK);
  assert_int_equal(strncmp(x.id, "ent_", 4), 0);
  assert_int_equal(strlen(x.id), 4 + 22);
  assert_string_equal(x.account_id, a.id);
  assert_true(x.created_at > 0);
  assert_int_equal(store_entity_create(f->s, a.id, "entity_12345", "seed", &y), CUSTOS_OK);
  assert_string_equal(y.id, "entity_12345");
  assert_int_equal(store_entity_create(f->s, b.id, "ext:B-1.x", "first", &z), CUSTOS_OK);
  assert_int_equal(store_entity_get(f->s, "entity_12345", &got), CUSTOS_OK);
  assert_memory_equal(&got, &y, sizeof got);
  assert_int_equal(store_entity_get(f->s, "ext:B-1.x", &got), CUSTOS_OK);
  assert_string_equal(got.account_id, b.id);
  assert_int_equal(store_entity_list(f->s, a.id, NULL, 10, list, &n), CUSTOS_OK);
  assert_int_equal(n, 2);
  assert_true(strcmp(list[0].id, list[1].id) < 0);
  for (int i = 0; i < n; i++) assert_string_equal(list[i].account_id, a.id);
  assert_int_equal(store_entity_list(f->s, a.id, list[0].id, 10, list, &n), CUSTOS_OK);
  assert_int_equal(n, 1);
  assert_int_equal(store_entity_list(f->s, "acct_nope", NULL, 10, list, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(store_error_count(f->s), 0);
}

static void test_entity_conflicts_and_bad_input(void **state) {
  fx_t *f = *state;
  store_account_t a, b;
  store_entity_t e, list[4];
  int n = -1;
  assert_int_equal(store_account_create(f->s, "a", &a), CUSTOS_OK);
  assert_int_equal(store_account_create(f->s, "b", &b), CUSTOS_OK);
  assert_int_equal(store_entity_create(f->s, a.id, "e1", "same", &e), CUSTOS_OK);
  /* name unique per account, id unique everywhere */
  assert_int_equal(store_entity_create(f->s, a.id, NULL, "same", &e), CUSTOS_EEXISTS);
  assert_int_equal(store_entity_create(f->s, b.id, "e1", "other", &e), CUSTOS_EEXISTS);
  assert_int_equal(store_entity_create(f->s, b.id, NULL, "same", &e), CUSTOS_OK);
  assert_int_equal(store_entity_create(f->s, "acct_0000000000000000000000", NULL, "x", &e), CUSTOS_ENOTFOUND);
  assert_int_equal(store_entity_create(f->s, "bad id!", NULL, "x", &e), CUSTOS_ENOTFOUND);
  assert_int_equal(store_entity_create(f->s, a.id, "has space", "x", &e), CUSTOS_EINVAL);
  assert_int_equal(store_entity_create(f->s, a.id, "", "x", &e), CUSTOS_EINVAL);
  char longid[STORE_ENTITY_ID_LEN_MAX + 2];
  memset(longid, 'a', sizeof longid - 1);
  longid[sizeof longid - 1] = '\0';
  assert_int_equal(store_entity_create(f->s, a.id, longid, "x", &e), CUSTOS_EINVAL);
  longid[STORE_ENTITY_ID_LEN_MAX] = '\0';
  assert_int_equal(store_entity_create(f->s, a.id, longid, "x", &e), CUSTOS_OK);
  assert_int_equal(store_entity_create(f->s, a.id, NULL, "", &e), CUSTOS_EINVAL);
  assert_int_equal(store_entity_create(f->s, a.id, NULL, "\xff", &e), CUSTOS_EINVAL);
  assert_int_equal(store_entity_get(f->s, "nope", &e), CUSTOS_ENOTFOUND);
  assert_int_equal(store_entity_get(f->s, "a b", &e), CUSTOS_ENOTFOUND);
  assert_int_equal(store_entity_list(f->s, a.id, "a b", 4, list, &n), CUSTOS_EINVAL);
  assert_int_equal(store_entity_list(f->s, a.id, NULL, 0, list, &n), CUSTOS_EINVAL);
  assert_int_equal(store_entity_list(f->s, a.id, NULL, 4, list, &n), CUSTOS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(store_error_count(f->s), 0);
}

static void test_account_token_lifetime(void **state) {
  fx_t *f = *state;
  store_account_t a, b;
  int64_t v = -1;
  assert_int_equal(store_account_create(f->s, "a", &a), CUSTOS_OK);
  assert_int_equal(store_account_create(f->s, "b", &b), CUSTOS_OK);
  assert_int_equal(store_account_token_lifetime(f->s, a.id, &v), CUSTOS_OK);
  assert_int_equal(v, 0);
  assert_int_equal(store_account_set_token_lifetime(f->s, a.id, STORE_TOKEN_LIFETIME_MAX), CUSTOS_OK);
  assert_int_equal(store_account_token_lifetime(f->s, a.id, &v), CUSTOS_OK);
  assert_int_equal(v, STORE_TOKEN_LIFETIME_MAX);
  assert_int_equal(store_account_token_lifetime(f->s, b.id, &v), CUSTOS_OK);
  assert_int_equal(v, 0);
  assert_int_equal(store_account_set_token_lifetime(f->s, a.id, 0), CUSTOS_OK);
  assert_int_equal(store_account_token_lifetime(f->s, a.id, &v), CUSTOS_OK);
  assert_int_equal(v, 0);
  assert_int_equal(store_account_set_token_lifetime(f->s, a.id, -1), CUSTOS_EINVAL);
  assert_int_equal(store_account_set_token_lifetime(f->s, a.id, STORE_TOKEN_LIFETIME_MAX + 1), CUSTOS_EINVAL);
  assert_int_equal(store_account_set_token_lifetime(f->s, "acct_0000000000000000000000", 60), CUSTOS_ENOTFOUND);
  assert_int_equal(store_account_token_lifetime(f->s, "acct_0000000000000000000000", &v), CUSTOS_ENOTFOUND);
  /* the account itself reads as before */
  store_account_t got;
  assert_int_equal(store_account_get(f->s, a.id, &got), CUSTOS_OK);
  assert_memory_equal(&got, &a, sizeof got);
  assert_int_equal(store_error_count(f->s), 0);
}

static const struct CMUnitTest backend_tests[] = {
    MIG(test_entity_create_get_list),
    MIG(test_entity_conflicts_and_bad_input),
    MIG(test_account_token_lifetime),
};

int main(void) {
  return fixture_main("store_entities", NULL, 0, backend_tests, NTESTS(backend_tests));
}
