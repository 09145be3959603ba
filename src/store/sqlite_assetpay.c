/*
 * sqlite_assetpay.c — SQLite AssetPay merchants and clients.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_conn.h"

enum {
  ST_MERCHANT_ENSURE,
  ST_MERCHANT_GET,
  ST_MERCHANT_GET_MID,
  ST_MERCHANT_SET_SECRET,
  ST_CLIENT_UPSERT,
  ST_CLIENT_GET,
  ST_CLIENT_LIST,
  ST_COUNT
};
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    /* "WHERE true" keeps SQLite from reading ON CONFLICT as a join clause. */
    [ST_MERCHANT_ENSURE] = "INSERT INTO merchant (app_id, merchant_id, created_at)"
                           " SELECT ?1, COALESCE(MAX(merchant_id), 0) + 1, ?2 FROM merchant"
                           " WHERE true ON CONFLICT (app_id) DO NOTHING",
    [ST_MERCHANT_GET] = "SELECT " MERCHANT_COLS " FROM merchant WHERE app_id = ?1",
    [ST_MERCHANT_GET_MID] = "SELECT " MERCHANT_COLS " FROM merchant WHERE merchant_id = ?1",
    [ST_MERCHANT_SET_SECRET] = "UPDATE merchant SET secret_sealed = ?2, secret_created_at = ?3,"
                               " secret_rotated_at = ?4, prev_sealed = ?5, prev_valid_until = ?6"
                               " WHERE app_id = ?1 AND secret_sealed = ?7",
    [ST_CLIENT_UPSERT] =
        "INSERT INTO assetpay_client (" CLIENT_COLS ")"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)"
        " ON CONFLICT (app_id, steam_id) DO UPDATE SET trade_url = excluded.trade_url,"
        " partner_match = excluded.partner_match, client_id = excluded.client_id,"
        " client_data = excluded.client_data, risk_limit = excluded.risk_limit,"
        " risk_tier = excluded.risk_tier, updated_at = excluded.updated_at,"
        " auth_count = assetpay_client.auth_count + 1",
    [ST_CLIENT_GET] = "SELECT " CLIENT_COLS " FROM assetpay_client WHERE app_id = ?1 AND steam_id = ?2",
    [ST_CLIENT_LIST] = "SELECT " CLIENT_COLS " FROM assetpay_client WHERE app_id = ?1 AND steam_id > ?2"
                       " ORDER BY steam_id LIMIT ?3",
};
static const sq_table_t T = {SQ_T_ASSETPAY, SQL, ST_COUNT};

static int row_merchant(sqlite3_stmt *st, void *o) {
  store_merchant_t *m = o;
  memset(m, 0, sizeof *m);
  if (store__copy(m->app_id, sizeof m->app_id, sq__col_text(st, 0)) ||
      store__copy(m->secret_sealed, sizeof m->secret_sealed, sq__col_text(st, 2)) ||
      store__copy(m->prev_sealed, sizeof m->prev_sealed, sq__col_text(st, 5)))
    return CUSTOS_ESTORE;
  m->merchant_id = sqlite3_column_int64(st, 1);
  m->secret_created_at = sqlite3_column_int64(st, 3);
  m->secret_rotated_at = sqlite3_column_int64(st, 4);
  m->prev_valid_until = sqlite3_column_int64(st, 6);
  m->created_at = sqlite3_column_int64(st, 7);
  return CUSTOS_OK;
}
static const sq_row_t ROW_MERCHANT = {row_merchant, NULL, sizeof(store_merchant_t)};

static int row_client(sqlite3_stmt *st, void *o) {
  store_ap_client_t *c = o;
  memset(c, 0, sizeof *c);
  if (store__copy(c->app_id, sizeof c->app_id, sq__col_text(st, 0)) ||
      store__copy(c->steam_id, sizeof c->steam_id, sq__col_text(st, 1)) ||
      store__copy(c->trade_url, sizeof c->trade_url, sq__col_text(st, 2)) ||
      store__copy(c->client_id, sizeof c->client_id, sq__col_text(st, 4)))
    return CUSTOS_ESTORE;
  c->partner_match = sqlite3_column_int(st, 3) != 0;
  c->risk_limit = sqlite3_column_int64(st, 6);
  c->risk_tier = sqlite3_column_int(st, 7);
  c->created_at = sqlite3_column_int64(st, 8);
  c->updated_at = sqlite3_column_int64(st, 9);
  c->auth_count = sqlite3_column_int64(st, 10);
  /* Last, so a failure above leaves nothing allocated. */
  if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
    c->client_data = strdup(sq__col_text(st, 5));
    if (!c->client_data) return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

static void cleanup_client(void *row) { store_ap_client_cleanup(row); }
static const sq_row_t ROW_CLIENT = {row_client, cleanup_client, sizeof(store_ap_client_t)};

int sq__merchant_ensure(void *impl, const char *app_id, int64_t created_at,
                        store_merchant_t *out) {
  sq_t *q = impl;
  sq_conn_t *c;
  int rc;
  const sq_arg_t args[] = {SQ_TEXT(app_id), SQ_INT(created_at)};
  const sq_arg_t get[] = {SQ_TEXT(app_id)};
  if ((rc = sq__writer_get(q, &c))) return rc;
  /* Read back on the writer: the row may have been made just now. */
  if ((rc = sq__exec(c, &T, ST_MERCHANT_ENSURE, args, SQ_NARGS(args))) == CUSTOS_OK)
    rc = sq__get_on(c, &T, ST_MERCHANT_GET, get, SQ_NARGS(get), &ROW_MERCHANT, out);
  sq__writer_put(q);
  return rc;
}

int sq__merchant_get(void *impl, const char *app_id, store_merchant_t *out) {
  const sq_arg_t args[] = {SQ_TEXT(app_id)};
  return sq__get(impl, &T, ST_MERCHANT_GET, args, SQ_NARGS(args), &ROW_MERCHANT, out);
}

int sq__merchant_get_by_mid(void *impl, int64_t mid, store_merchant_t *out) {
  const sq_arg_t args[] = {SQ_INT(mid)};
  return sq__get(impl, &T, ST_MERCHANT_GET_MID, args, SQ_NARGS(args), &ROW_MERCHANT, out);
}

int sq__merchant_set_secret(void *impl, const store_merchant_t *m, const char *expect) {
  sq_t *q = impl;
  sq_conn_t *c;
  store_merchant_t row;
  int rc;
  const sq_arg_t args[] = {SQ_TEXT(m->app_id),           SQ_TEXT(m->secret_sealed),
                           SQ_INT(m->secret_created_at), SQ_INT(m->secret_rotated_at),
                           SQ_TEXT(m->prev_sealed),      SQ_INT(m->prev_valid_until),
                           SQ_TEXT(expect)};
  const sq_arg_t get[] = {SQ_TEXT(m->app_id)};
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__exec(c, &T, ST_MERCHANT_SET_SECRET, args, SQ_NARGS(args))) == CUSTOS_OK &&
      sqlite3_changes(c->db) == 0) {
    /* Absent, or the secret changed under us: tell which. */
    rc = sq__get_on(c, &T, ST_MERCHANT_GET, get, SQ_NARGS(get), &ROW_MERCHANT, &row);
    if (rc == CUSTOS_OK) rc = CUSTOS_EINVAL;
  }
  sq__writer_put(q);
  return rc;
}

int sq__ap_client_upsert(void *impl, const store_ap_client_t *x) {
  /* A NULL client_data binds SQL NULL. */
  const sq_arg_t args[] = {SQ_TEXT(x->app_id),      SQ_TEXT(x->steam_id),   SQ_TEXT(x->trade_url),
                           SQ_INT(x->partner_match), SQ_TEXT(x->client_id),  SQ_TEXT(x->client_data),
                           SQ_INT(x->risk_limit),    SQ_INT(x->risk_tier),   SQ_INT(x->created_at),
                           SQ_INT(x->updated_at)};
  return sq__write(impl, &T, ST_CLIENT_UPSERT, args, SQ_NARGS(args));
}

int sq__ap_client_get(void *impl, const char *app_id, const char *steam_id,
                      store_ap_client_t *out) {
  const sq_arg_t args[] = {SQ_TEXT(app_id), SQ_TEXT(steam_id)};
  return sq__get(impl, &T, ST_CLIENT_GET, args, SQ_NARGS(args), &ROW_CLIENT, out);
}

int sq__ap_client_list(void *impl, const char *app_id, const char *after, int limit,
                       store_ap_client_t *out, int *n) {
  const sq_arg_t args[] = {SQ_TEXT(app_id), SQ_TEXT(after)};
  return sq__list(impl, &T, ST_CLIENT_LIST, args, SQ_NARGS(args), &ROW_CLIENT, out, limit, n);
}
