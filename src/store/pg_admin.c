/*
 * pg_admin.c — PostgreSQL admin tokens.
 *
 * Every admin-token write is one transaction holding ADMIN_LOCK, so a
 * guard read (is any token active, is this the last one) cannot go stale
 * before the write it allows: writers take turns, and under READ COMMITTED
 * each statement after the lock sees what earlier writers committed. The
 * statements run inside that transaction are not read-only in the table:
 * pg__run would retry a read-only one on a fresh connection, outside it.
 */
#include <string.h>

#include "store/pg.h"

enum {
  PS_ADM_INSERT,
  PS_ADM_GET,
  PS_ADM_GET_HASH,
  PS_ADM_LIST,
  PS_ADM_COUNT_ACTIVE,
  PS_ADM_REVOKE,
  PS_ADM_LOCK,
  PS_ADM_TX_GET,
  PS_ADM_TX_COUNT_ACTIVE,
  PS_ADM_TX_ACTIVE,
  PS_ADM_REVOKE_ALL,
  PS_COUNT
};
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    [PS_ADM_INSERT] = {"INSERT INTO admin_token (" ADM_COLS ") VALUES ($1, $2, $3, $4, 0)", 4,
                       false},
    [PS_ADM_GET] = {"SELECT " ADM_COLS " FROM admin_token WHERE id = $1", 1, true},
    [PS_ADM_GET_HASH] = {"SELECT " ADM_COLS " FROM admin_token WHERE hash = $1", 1, true},
    [PS_ADM_LIST] = {"SELECT " ADM_COLS " FROM admin_token WHERE id > $1 ORDER BY id LIMIT $2", 2,
                     true},
    [PS_ADM_COUNT_ACTIVE] = {"SELECT count(*) FROM admin_token WHERE revoked_at = 0", 0, true},
    [PS_ADM_REVOKE] = {"UPDATE admin_token SET revoked_at = CASE WHEN revoked_at = 0"
                       " THEN $2::bigint ELSE revoked_at END WHERE id = $1",
                       2, false},
    /* Key "custosAT" as bytes, beside migrations' "custosMG". */
    [PS_ADM_LOCK] = {"SELECT pg_advisory_xact_lock(7166761325953237332)", 0, false},
    [PS_ADM_TX_GET] = {"SELECT " ADM_COLS " FROM admin_token WHERE id = $1", 1, false},
    [PS_ADM_TX_COUNT_ACTIVE] = {"SELECT count(*) FROM admin_token WHERE revoked_at = 0", 0, false},
    [PS_ADM_TX_ACTIVE] = {"SELECT " ADM_COLS " FROM admin_token WHERE revoked_at = 0 ORDER BY id LIMIT $1", 1,
                          false},
    [PS_ADM_REVOKE_ALL] = {"UPDATE admin_token SET revoked_at = $1::bigint WHERE revoked_at = 0", 1, false},
};
static const pg_table_t T = {PG_T_ADMIN, Q, PS_COUNT};

static int row_admin(const PGresult *r, int i, void *o) {
  store_admin_token_t *t = o;
  memset(t, 0, sizeof *t);
  if (store__copy(t->id, sizeof t->id, PQgetvalue(r, i, 0)) ||
      store__copy(t->name, sizeof t->name, PQgetvalue(r, i, 1)) ||
      store__hash_unhex(PQgetvalue(r, i, 2), t->hash) || pg__get_i64(r, i, 3, &t->created_at) ||
      pg__get_i64(r, i, 4, &t->revoked_at))
    return CUSTOS_ESTORE;
  return CUSTOS_OK;
}
static const pg_row_t ROW_ADMIN = {row_admin, NULL, sizeof(store_admin_token_t)};

/* The one row of in-transaction query `id` into `out`; CUSTOS_ENOTFOUND
 * when none. */
static int tx_get(pg_t *g, pconn_t *pc, int id, const char *const *params, const pg_row_t *row,
                  void *out) {
  PGresult *r = NULL;
  int rc = pg__run(g, pc, &T, id, params, &r);
  if (rc == CUSTOS_OK) rc = pg__decode(r, row, out, 1, true, NULL, Q[id].sql);
  PQclear(r);
  return rc;
}

/* BEGIN and the admin-token lock. */
static int tx_begin(pg_t *g, pconn_t *pc) {
  int rc = pg__begin(pc);
  if (rc == CUSTOS_OK && (rc = pg__exec(g, pc, &T, PS_ADM_LOCK, NULL))) pg__rollback(pc);
  return rc;
}

int pg__admin_token_create(void *impl, const store_admin_token_t *t, bool only_first) {
  pg_t *g = impl;
  pconn_t *pc;
  char at[PG_I64_LEN], hex[STORE_HASH_HEX_MAX];
  int64_t active = 0;
  int rc;
  store__hash_hex(t->hash, hex);
  const char *const params[] = {t->id, t->name, hex, pg__i64(at, t->created_at)};
  if ((rc = pg__checkout(g, &pc))) return rc;
  if ((rc = tx_begin(g, pc))) goto out;
  if (only_first && (rc = tx_get(g, pc, PS_ADM_TX_COUNT_ACTIVE, NULL, &pg__row_i64, &active)) == 0 &&
      active > 0)
    rc = CUSTOS_EDENIED;
  if (rc || (rc = pg__exec(g, pc, &T, PS_ADM_INSERT, params)) || (rc = pg__commit(pc)))
    pg__rollback(pc);
out:
  pg__checkin(g, pc);
  return rc;
}

int pg__admin_token_replace(void *impl, const store_admin_token_t *t, store_admin_token_t *revoked, int max,
                            int *n_revoked) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  char at[PG_I64_LEN], lim[PG_I64_LEN], hex[STORE_HASH_HEX_MAX];
  int64_t changed = 0;
  int rc, n = 0;
  store__hash_hex(t->hash, hex);
  const char *const ins[] = {t->id, t->name, hex, pg__i64(at, t->created_at)};
  const char *const lp[] = {pg__i64(lim, max)}, *const ap[] = {at};
  if ((rc = pg__checkout(g, &pc))) return rc;
  if ((rc = tx_begin(g, pc))) goto out;
  /* Read under the lock, so these are exactly the rows revoked next. */
  if ((rc = pg__run(g, pc, &T, PS_ADM_TX_ACTIVE, lp, &r)) == CUSTOS_OK)
    rc = pg__decode(r, &ROW_ADMIN, revoked, max, false, &n, Q[PS_ADM_TX_ACTIVE].sql);
  PQclear(r);
  if (rc || (rc = pg__exec_count(g, pc, &T, PS_ADM_REVOKE_ALL, ap, &changed)) ||
      (rc = pg__exec(g, pc, &T, PS_ADM_INSERT, ins)) || (rc = pg__commit(pc))) {
    pg__rollback(pc);
    goto out;
  }
  *n_revoked = (int)changed;
  for (int i = 0; i < n; i++) revoked[i].revoked_at = t->created_at;
out:
  pg__checkin(g, pc);
  return rc;
}

int pg__admin_token_get(void *impl, const char *id, store_admin_token_t *out) {
  const char *const params[] = {id};
  return pg__get(impl, &T, PS_ADM_GET, params, &ROW_ADMIN, out);
}

int pg__admin_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                store_admin_token_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  const char *const params[] = {hex};
  return pg__get(impl, &T, PS_ADM_GET_HASH, params, &ROW_ADMIN, out);
}

int pg__admin_token_list(void *impl, const char *after, int limit, store_admin_token_t *out,
                         int *n) {
  const char *const params[] = {after};
  return pg__list(impl, &T, PS_ADM_LIST, params, &ROW_ADMIN, out, limit, n);
}

int pg__admin_token_count_active(void *impl, int64_t *n_out) {
  return pg__get(impl, &T, PS_ADM_COUNT_ACTIVE, NULL, &pg__row_i64, n_out);
}

int pg__admin_token_revoke(void *impl, const char *id, int64_t at, bool keep_one) {
  pg_t *g = impl;
  pconn_t *pc;
  store_admin_token_t row;
  char v[PG_I64_LEN];
  int64_t active = 0;
  int rc;
  const char *const params[] = {id, pg__i64(v, at)};
  if ((rc = pg__checkout(g, &pc))) return rc;
  if ((rc = tx_begin(g, pc))) goto out;
  /* Absent: CUSTOS_ENOTFOUND; already revoked: kept as it is. */
  if ((rc = tx_get(g, pc, PS_ADM_TX_GET, params, &ROW_ADMIN, &row)) || row.revoked_at != 0) goto fail;
  if (keep_one && (rc = tx_get(g, pc, PS_ADM_TX_COUNT_ACTIVE, NULL, &pg__row_i64, &active)) == 0 &&
      active <= 1)
    rc = CUSTOS_EDENIED;
  if (rc || (rc = pg__exec(g, pc, &T, PS_ADM_REVOKE, params)) || (rc = pg__commit(pc))) goto fail;
  goto out;
fail:
  pg__rollback(pc);
out:
  pg__checkin(g, pc);
  return rc;
}
