/*
 * Store tests for AssetPay merchants and clients (migration 4), run on
 * SQLite and on PostgreSQL through fixture.h.
 */
#include <pthread.h>

#include "store/fixture.h"

static void new_app(store_t *s, const char *profile, store_app_t *app) {
  store_account_t acct;
  assert_int_equal(store_account_create(s, "m", &acct), CUSTOS_OK);
  assert_int_equal(store_app_create(s, acct.id, "shop", profile, app), CUSTOS_OK);
}

static void test_merchant_ids_are_unique_positive_and_stable(void **state) {
  fx_t *f = *state;
  store_app_t a1, a2;
  store_merchant_t m1, m1b, m2, byid;
  new_app(f->s, "assetpay", &a1);
  new_app(f->s, "assetpay", &a2);
  assert_int_equal(store_merchant_get(f->s, a1.id, &m1), CUSTOS_ENOTFOUND);
  assert_int_equal(store_merchant_ensure(f->s, a1.id, &m1), CUSTOS_OK);
  assert_true(m1.merchant_id > 0);
  assert_string_equal(m1.secret_sealed, "");
  assert_int_equal(store_merchant_ensure(f->s, a1.id, &m1b), CUSTOS_OK);
  assert_int_equal(m1b.merchant_id, m1.merchant_id);
  assert_int_equal(store_merchant_ensure(f->s, a2.id, &m2), CUSTOS_OK);
  assert_true(m2.merchant_id != m1.merchant_id);
  assert_int_equal(store_merchant_get_by_mid(f->s, m2.merchant_id, &byid), CUSTOS_OK);
  assert_string_equal(byid.app_id, a2.id);
  assert_int_equal(store_merchant_get_by_mid(f->s, 999999, &byid), CUSTOS_ENOTFOUND);
  assert_int_equal(store_merchant_ensure(f->s, "app_nosuchapp", &byid), CUSTOS_ENOTFOUND);
}

static void test_merchant_secret_compare_and_swap(void **state) {
  fx_t *f = *state;
  store_app_t a;
  store_merchant_t m, next, got;
  new_app(f->s, "assetpay", &a);
  assert_int_equal(store_merchant_ensure(f->s, a.id, &m), CUSTOS_OK);
  next = m;
  snprintf(next.secret_sealed, sizeof next.secret_sealed, "AQsealed1");
  next.secret_created_at = 1700000000;
  assert_int_equal(store_merchant_set_secret(f->s, &next, ""), CUSTOS_OK);
  /* A stale expectation loses. */
  snprintf(next.secret_sealed, sizeof next.secret_sealed, "AQsealed2");
  assert_int_equal(store_merchant_set_secret(f->s, &next, ""), CUSTOS_EINVAL);
  snprintf(next.prev_sealed, sizeof next.prev_sealed, "AQsealed1");
  next.prev_valid_until = 1700086400;
  next.secret_rotated_at = 1700000100;
  assert_int_equal(store_merchant_set_secret(f->s, &next, "AQsealed1"), CUSTOS_OK);
  assert_int_equal(store_merchant_get(f->s, a.id, &got), CUSTOS_OK);
  assert_string_equal(got.secret_sealed, "AQsealed2");
  assert_string_equal(got.prev_sealed, "AQsealed1");
  assert_int_equal(got.prev_valid_until, 1700086400);
  assert_int_equal(got.secret_rotated_at, 1700000100);
  snprintf(next.secret_sealed, sizeof next.secret_sealed, "not base64url!");
  assert_int_equal(store_merchant_set_secret(f->s, &next, "AQsealed2"), CUSTOS_EINVAL);
}

static void test_client_upsert_replaces_everything(void **state) {
  fx_t *f = *state;
  store_app_t a;
  store_ap_client_t c, got;
  new_app(f->s, "assetpay", &a);
  memset(&c, 0, sizeof c);
  snprintf(c.app_id, sizeof c.app_id, "%s", a.id);
  snprintf(c.steam_id, sizeof c.steam_id, "76561198012345678");
  snprintf(c.trade_url, sizeof c.trade_url, "https://steamcommunity.com/tradeoffer/new/?partner=1&token=a");
  snprintf(c.client_id, sizeof c.client_id, "user-1");
  c.client_data = "{\"totalWager\":5000}";
  c.risk_limit = 625;
  c.risk_tier = 3;
  c.updated_at = 1700000000;
  assert_int_equal(store_ap_client_upsert(f->s, &c), CUSTOS_OK);
  c.client_data = NULL;
  c.client_id[0] = '\0';
  c.partner_match = true;
  c.risk_limit = 50;
  c.risk_tier = 0;
  c.updated_at = 1700000100;
  assert_int_equal(store_ap_client_upsert(f->s, &c), CUSTOS_OK);
  assert_int_equal(store_ap_client_get(f->s, a.id, "76561198012345678", &got), CUSTOS_OK);
  assert_null(got.client_data);
  assert_string_equal(got.client_id, "");
  assert_true(got.partner_match);
  assert_int_equal(got.risk_limit, 50);
  assert_int_equal(got.auth_count, 2);
  assert_int_equal(got.updated_at, 1700000100);
  assert_true(got.created_at > 0);
  store_ap_client_cleanup(&got);
  c.client_data = "{\"a\":\"é\"}";
  assert_int_equal(store_ap_client_upsert(f->s, &c), CUSTOS_OK);
  assert_int_equal(store_ap_client_get(f->s, a.id, "76561198012345678", &got), CUSTOS_OK);
  assert_string_equal(got.client_data, "{\"a\":\"é\"}");
  assert_int_equal(got.auth_count, 3);
  store_ap_client_cleanup(&got);
  snprintf(c.steam_id, sizeof c.steam_id, "7656119801234567x");
  assert_int_equal(store_ap_client_upsert(f->s, &c), CUSTOS_EINVAL);
  snprintf(c.steam_id, sizeof c.steam_id, "76561198012345678");
  snprintf(c.app_id, sizeof c.app_id, "app_nosuchapp");
  assert_int_equal(store_ap_client_upsert(f->s, &c), CUSTOS_ENOTFOUND);
  assert_int_equal(store_ap_client_get(f->s, a.id, "76561198000000000", &got), CUSTOS_ENOTFOUND);
}

/* Clients of one app in Steam ID order, page by page, each with its data. */
static void test_client_list_pages_by_steam_id(void **state) {
  fx_t *f = *state;
  store_app_t a, b;
  store_ap_client_t c, page[3];
  new_app(f->s, "assetpay", &a);
  new_app(f->s, "assetpay", &b);
  static const char *const SIDS[] = {"76561198000000003", "76561198000000001", "76561198000000002"};
  for (int i = 0; i < 3; i++) {
    memset(&c, 0, sizeof c);
    snprintf(c.app_id, sizeof c.app_id, "%s", a.id);
    snprintf(c.steam_id, sizeof c.steam_id, "%s", SIDS[i]);
    snprintf(c.trade_url, sizeof c.trade_url, "https://steamcommunity.com/tradeoffer/new/?partner=%d&token=t", i);
    c.client_data = i == 1 ? "{\"kycLevel\":2}" : NULL;
    c.risk_limit = 50 + i;
    assert_int_equal(store_ap_client_upsert(f->s, &c), CUSTOS_OK);
  }
  snprintf(c.app_id, sizeof c.app_id, "%s", b.id); /* another merchant's client */
  assert_int_equal(store_ap_client_upsert(f->s, &c), CUSTOS_OK);
  int n = 0;
  assert_int_equal(store_ap_client_list(f->s, a.id, NULL, 2, page, &n), CUSTOS_OK);
  assert_int_equal(n, 2);
  assert_string_equal(page[0].steam_id, "76561198000000001");
  assert_string_equal(page[0].client_data, "{\"kycLevel\":2}");
  assert_int_equal(page[0].risk_limit, 51);
  assert_string_equal(page[1].steam_id, "76561198000000002");
  assert_null(page[1].client_data);
  for (int i = 0; i < n; i++) store_ap_client_cleanup(&page[i]);
  assert_int_equal(store_ap_client_list(f->s, a.id, "76561198000000002", 2, page, &n), CUSTOS_OK);
  assert_int_equal(n, 1);
  assert_string_equal(page[0].steam_id, "76561198000000003");
  assert_string_equal(page[0].app_id, a.id);
  store_ap_client_cleanup(&page[0]);
  assert_int_equal(store_ap_client_list(f->s, "app_nosuchapp", NULL, 2, page, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(store_ap_client_list(f->s, a.id, "7656x", 2, page, &n), CUSTOS_EINVAL);
  assert_int_equal(store_error_count(f->s), 0);
}

typedef struct ens {
  store_t *s;
  char app_id[RAND_ID_MAX];
  int64_t mid;
  int rc;
} ens_t;

static void *ensure_thread(void *p) {
  ens_t *e = p;
  store_merchant_t m;
  e->rc = store_merchant_ensure(e->s, e->app_id, &m);
  e->mid = e->rc == CUSTOS_OK ? m.merchant_id : 0;
  return NULL;
}

/* Concurrent creators of different merchants all get distinct ids. */
static void test_merchant_concurrent_ensure_distinct_ids(void **state) {
  fx_t *f = *state;
  enum { N = 6 };
  ens_t e[N];
  pthread_t t[N];
  for (int i = 0; i < N; i++) {
    store_app_t a;
    new_app(f->s, "assetpay", &a);
    e[i] = (ens_t){f->s, "", 0, -1};
    snprintf(e[i].app_id, sizeof e[i].app_id, "%s", a.id);
  }
  for (int i = 0; i < N; i++) assert_int_equal(pthread_create(&t[i], NULL, ensure_thread, &e[i]), 0);
  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < N; i++) {
    assert_int_equal(e[i].rc, CUSTOS_OK);
    for (int j = 0; j < i; j++) assert_true(e[i].mid != e[j].mid);
  }
}

static const struct CMUnitTest backend_tests[] = {
    MIG(test_merchant_ids_are_unique_positive_and_stable),
    MIG(test_merchant_secret_compare_and_swap),
    MIG(test_client_upsert_replaces_everything),
    MIG(test_client_list_pages_by_steam_id),
    MIG(test_merchant_concurrent_ensure_distinct_ids),
};

int main(void) {
  return fixture_main("store_assetpay", NULL, 0, backend_tests, NTESTS(backend_tests));
}
