/*
 * pg_assetpay.c — PostgreSQL AssetPay merchants and clients.
 */
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"

enum {
  PS_MERCHANT_ENSURE,
  PS_MERCHANT_GET,
  PS_MERCHANT_GET_MID,
  PS_MERCHANT_SET_SECRET,
  PS_CLIENT_UPSERT,
  PS_CLIENT_GET,
  PS_CLIENT_LIST,
  PS_COUNT
};
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    [PS_MERCHANT_ENSURE] = {"INSERT INTO merchant (app_id, merchant_id, created_at)"
                            " SELECT $1::text, COALESCE(MAX(merchant_id), 0) + 1, $2::bigint"
                            " FROM merchant ON CONFLICT (app_id) DO NOTHING",
                            2, false},
    [PS_MERCHANT_GET] = {"SELECT " MERCHANT_COLS " FROM merchant WHERE app_id = $1", 1, true},
    [PS_MERCHANT_GET_MID] = {"SELECT " MERCHANT_COLS " FROM merchant WHERE merchant_id = $1", 1,
                             true},
    [PS_MERCHANT_SET_SECRET] = {"UPDATE merchant SET secret_sealed = $2, secret_created_at = $3,"
                                " secret_rotated_at = $4, prev_sealed = $5, prev_valid_until = $6"
                                " WHERE app_id = $1 AND secret_sealed = $7",
                                7, false},
    [PS_CLIENT_UPSERT] = {"INSERT INTO assetpay_client (" CLIENT_COLS ")"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)"
                          " ON CONFLICT (app_id, steam_id) DO UPDATE SET"
                          " trade_url = excluded.trade_url,"
                          " partner_match = excluded.partner_match,"
                          " client_id = excluded.client_id, client_data = excluded.client_data,"
                          " risk_limit = excluded.risk_limit, risk_tier = excluded.risk_tier,"
                          " updated_at = excluded.updated_at,"
                          " auth_count = assetpay_client.auth_count + 1",
                          10, false},
    [PS_CLIENT_GET] = {"SELECT " CLIENT_COLS " FROM assetpay_client"
                       " WHERE app_id = $1 AND steam_id = $2",
                       2, true},
    [PS_CLIENT_LIST] = {"SELECT " CLIENT_COLS " FROM assetpay_client"
                        " WHERE app_id = $1 AND steam_id > $2 ORDER BY steam_id LIMIT $3",
                        3, true},
};
static const pg_table_t T = {PG_T_ASSETPAY, Q, PS_COUNT};

static int row_merchant(const PGresult *r, int i, void *o) {
  store_merchant_t *m = o;
  memset(m, 0, sizeof *m);
  if (store__copy(m->app_id, sizeof m->app_id, PQgetvalue(r, i, 0)) ||
      pg__get_i64(r, i, 1, &m->merchant_id) ||
      store__copy(m->secret_sealed, sizeof m->secret_sealed, PQgetvalue(r, i, 2)) ||
      pg__get_i64(r, i, 3, &m->secret_created_at) || pg__get_i64(r, i, 4, &m->secret_rotated_at) ||
      store__copy(m->prev_sealed, sizeof m->prev_sealed, PQgetvalue(r, i, 5)) ||
      pg__get_i64(r, i, 6, &m->prev_valid_until) || pg__get_i64(r, i, 7, &m->created_at))
    return CUSTOS_ESTORE;
  return CUSTOS_OK;
}
static const pg_row_t ROW_MERCHANT = {row_merchant, NULL, sizeof(store_merchant_t)};

static int row_client(const PGresult *r, int i, void *o) {
  store_ap_client_t *c = o;
  int64_t pm = 0, tier = 0;
  memset(c, 0, sizeof *c);
  if (store__copy(c->app_id, sizeof c->app_id, PQgetvalue(r, i, 0)) ||
      store__copy(c->steam_id, sizeof c->steam_id, PQgetvalue(r, i, 1)) ||
      store__copy(c->trade_url, sizeof c->trade_url, PQgetvalue(r, i, 2)) ||
      pg__get_i64(r, i, 3, &pm) ||
      store__copy(c->client_id, sizeof c->client_id, PQgetvalue(r, i, 4)) ||
      pg__get_i64(r, i, 6, &c->risk_limit) || pg__get_i64(r, i, 7, &tier) ||
      pg__get_i64(r, i, 8, &c->created_at) || pg__get_i64(r, i, 9, &c->updated_at) ||
      pg__get_i64(r, i, 10, &c->auth_count))
    return CUSTOS_ESTORE;
  c->partner_match = pm != 0;
  c->risk_tier = (int)tier;
  /* Last, so a failure above leaves nothing allocated. */
  if (!PQgetisnull(r, i, 5)) {
    c->client_data = strdup(PQgetvalue(r, i, 5));
    if (!c->client_data) return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

static void cleanup_client(void *row) { store_ap_client_cleanup(row); }
static const pg_row_t ROW_CLIENT = {row_client, cleanup_client, sizeof(store_ap_client_t)};

int pg__merchant_get(void *impl, const char *app_id, store_merchant_t *out) {
  const char *const params[] = {app_id};
  return pg__get(impl, &T, PS_MERCHANT_GET, params, &ROW_MERCHANT, out);
}

int pg__merchant_ensure(void *impl, const char *app_id, int64_t created_at,
                        store_merchant_t *out) {
  char at[PG_I64_LEN];
  const char *const params[] = {app_id, pg__i64(at, created_at)};
  int rc = pg__write(impl, &T, PS_MERCHANT_ENSURE, params);
  if (rc) return rc;
  return pg__merchant_get(impl, app_id, out);
}

int pg__merchant_get_by_mid(void *impl, int64_t mid, store_merchant_t *out) {
  char v[PG_I64_LEN];
  const char *const params[] = {pg__i64(v, mid)};
  return pg__get(impl, &T, PS_MERCHANT_GET_MID, params, &ROW_MERCHANT, out);
}

int pg__merchant_set_secret(void *impl, const store_merchant_t *m, const char *expect) {
  char ca[PG_I64_LEN], ra[PG_I64_LEN], pv[PG_I64_LEN];
  const char *const params[] = {m->app_id,
                                m->secret_sealed,
                                pg__i64(ca, m->secret_created_at),
                                pg__i64(ra, m->secret_rotated_at),
                                m->prev_sealed,
                                pg__i64(pv, m->prev_valid_until),
                                expect};
  int rc = pg__update_one(impl, &T, PS_MERCHANT_SET_SECRET, params);
  if (rc == CUSTOS_ENOTFOUND) {
    /* Absent, or the secret changed under us: tell which. */
    store_merchant_t row;
    rc = pg__merchant_get(impl, m->app_id, &row);
    if (rc == CUSTOS_OK) rc = CUSTOS_EINVAL;
  }
  return rc;
}

int pg__ap_client_upsert(void *impl, const store_ap_client_t *x) {
  char lim[PG_I64_LEN], tier[PG_I64_LEN], ca[PG_I64_LEN], ua[PG_I64_LEN];
  /* A NULL client_data is SQL NULL. */
  const char *const params[] = {x->app_id,
                                x->steam_id,
                                x->trade_url,
                                x->partner_match ? "1" : "0",
                                x->client_id,
                                x->client_data,
                                pg__i64(lim, x->risk_limit),
                                pg__i64(tier, x->risk_tier),
                                pg__i64(ca, x->created_at),
                                pg__i64(ua, x->updated_at)};
  return pg__write(impl, &T, PS_CLIENT_UPSERT, params);
}

int pg__ap_client_get(void *impl, const char *app_id, const char *steam_id,
                      store_ap_client_t *out) {
  const char *const params[] = {app_id, steam_id};
  return pg__get(impl, &T, PS_CLIENT_GET, params, &ROW_CLIENT, out);
}

int pg__ap_client_list(void *impl, const char *app_id, const char *after, int limit,
                       store_ap_client_t *out, int *n) {
  const char *const params[] = {app_id, after};
  return pg__list(impl, &T, PS_CLIENT_LIST, params, &ROW_CLIENT, out, limit, n);
}
