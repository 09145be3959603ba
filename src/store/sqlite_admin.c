/*
 * sqlite_admin.c — SQLite admin tokens.
 *
 * Every admin-token write is one BEGIN IMMEDIATE transaction: the write
 * lock is taken before a guard reads (no token active; not the last one),
 * so the guard and the write it allows see the same rows, also against
 * other processes (two `custos admin init`s on one file).
 */
#include <string.h>

#include "store/sqlite_conn.h"

enum {
  ST_ADM_INSERT,
  ST_ADM_INSERT_FIRST,
  ST_ADM_GET,
  ST_ADM_GET_HASH,
  ST_ADM_LIST,
  ST_ADM_COUNT_ACTIVE,
  ST_ADM_REVOKE,
  ST_ADM_REVOKE_KEEP,
  ST_ADM_ACTIVE,
  ST_ADM_REVOKE_ALL,
  ST_COUNT
};
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    [ST_ADM_INSERT] = ("INSERT INTO admin_token (" ADM_COLS ") VALUES (?1, ?2, ?3, ?4, 0)"),
    [ST_ADM_INSERT_FIRST] = ("INSERT INTO admin_token (" ADM_COLS ") SELECT ?1, ?2, ?3, ?4, 0"
                             " WHERE NOT EXISTS (SELECT 1 FROM admin_token WHERE revoked_at = 0)"),
    [ST_ADM_GET] = ("SELECT " ADM_COLS " FROM admin_token WHERE id = ?1"),
    [ST_ADM_GET_HASH] = ("SELECT " ADM_COLS " FROM admin_token WHERE hash = ?1"),
    [ST_ADM_LIST] = ("SELECT " ADM_COLS " FROM admin_token WHERE id > ?1 ORDER BY id LIMIT ?2"),
    [ST_ADM_COUNT_ACTIVE] = "SELECT count(*) FROM admin_token WHERE revoked_at = 0",
    /* Matches the row even when already revoked, so changes() tells
     * "found" from "not found" while the first revoked_at is kept. */
    [ST_ADM_REVOKE] = ("UPDATE admin_token SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2"
                       " ELSE revoked_at END WHERE id = ?1"),
    [ST_ADM_REVOKE_KEEP] = ("UPDATE admin_token SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0"
                            " AND EXISTS (SELECT 1 FROM admin_token WHERE revoked_at = 0 AND id <> ?1)"),
    [ST_ADM_ACTIVE] = ("SELECT " ADM_COLS " FROM admin_token WHERE revoked_at = 0 ORDER BY id LIMIT ?1"),
    [ST_ADM_REVOKE_ALL] = ("UPDATE admin_token SET revoked_at = ?1 WHERE revoked_at = 0"),
};
static const sq_table_t T = {SQ_T_ADMIN, SQL, ST_COUNT};

static int row_admin(sqlite3_stmt *st, void *o) {
  store_admin_token_t *t = o;
  memset(t, 0, sizeof *t);
  if (store__copy(t->id, sizeof t->id, sq__col_text(st, 0)) ||
      store__copy(t->name, sizeof t->name, sq__col_text(st, 1)) ||
      store__hash_unhex(sq__col_text(st, 2), t->hash))
    return CUSTOS_ESTORE;
  t->created_at = sqlite3_column_int64(st, 3);
  t->revoked_at = sqlite3_column_int64(st, 4);
  return CUSTOS_OK;
}
static const sq_row_t ROW_ADMIN = {row_admin, NULL, sizeof(store_admin_token_t)};

int sq__admin_token_create(void *impl, const store_admin_token_t *t, bool only_first) {
  sq_t *q = impl;
  sq_conn_t *c;
  char hex[STORE_HASH_HEX_MAX];
  int rc;
  store__hash_hex(t->hash, hex);
  const sq_arg_t args[] = {SQ_TEXT(t->id), SQ_TEXT(t->name), SQ_TEXT(hex), SQ_INT(t->created_at)};
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__begin(c))) goto out;
  if ((rc = sq__exec(c, &T, only_first ? ST_ADM_INSERT_FIRST : ST_ADM_INSERT, args, SQ_NARGS(args))))
    goto fail;
  if (sqlite3_changes(c->db) == 0) {
    rc = CUSTOS_EDENIED; /* an active token exists */
    goto fail;
  }
  if ((rc = sq__commit(c))) goto fail;
  goto out;
fail:
  sq__rollback(c);
out:
  sq__writer_put(q);
  return rc;
}

int sq__admin_token_replace(void *impl, const store_admin_token_t *t, store_admin_token_t *revoked, int max,
                            int *n_revoked) {
  sq_t *q = impl;
  sq_conn_t *c;
  sqlite3_stmt *st;
  char hex[STORE_HASH_HEX_MAX];
  int rc, n = 0;
  store__hash_hex(t->hash, hex);
  const sq_arg_t ins[] = {SQ_TEXT(t->id), SQ_TEXT(t->name), SQ_TEXT(hex), SQ_INT(t->created_at)};
  const sq_arg_t lim[] = {SQ_INT(max)}, at[] = {SQ_INT(t->created_at)};
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__begin(c))) goto out;
  /* Read under the write lock, so these are exactly the rows revoked next. */
  if (!(st = sq__prepare(c, &T, ST_ADM_ACTIVE, lim, SQ_NARGS(lim)))) rc = CUSTOS_ESTORE;
  if (rc || (rc = sq__fetch(c, st, &ROW_ADMIN, revoked, max, false, &n)) ||
      (rc = sq__exec(c, &T, ST_ADM_REVOKE_ALL, at, SQ_NARGS(at))))
    goto fail;
  *n_revoked = sqlite3_changes(c->db);
  for (int i = 0; i < n; i++) revoked[i].revoked_at = t->created_at;
  if ((rc = sq__exec(c, &T, ST_ADM_INSERT, ins, SQ_NARGS(ins))) || (rc = sq__commit(c))) goto fail;
  goto out;
fail:
  sq__rollback(c);
out:
  sq__writer_put(q);
  return rc;
}

int sq__admin_token_get(void *impl, const char *id, store_admin_token_t *out) {
  const sq_arg_t args[] = {SQ_TEXT(id)};
  return sq__get(impl, &T, ST_ADM_GET, args, SQ_NARGS(args), &ROW_ADMIN, out);
}

int sq__admin_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                store_admin_token_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  const sq_arg_t args[] = {SQ_TEXT(hex)};
  return sq__get(impl, &T, ST_ADM_GET_HASH, args, SQ_NARGS(args), &ROW_ADMIN, out);
}

int sq__admin_token_list(void *impl, const char *after, int limit, store_admin_token_t *out,
                         int *n) {
  const sq_arg_t args[] = {SQ_TEXT(after)};
  return sq__list(impl, &T, ST_ADM_LIST, args, SQ_NARGS(args), &ROW_ADMIN, out, limit, n);
}

int sq__admin_token_count_active(void *impl, int64_t *n_out) {
  return sq__get(impl, &T, ST_ADM_COUNT_ACTIVE, NULL, 0, &sq__row_i64, n_out);
}

int sq__admin_token_revoke(void *impl, const char *id, int64_t at, bool keep_one) {
  sq_t *q = impl;
  sq_conn_t *c;
  store_admin_token_t row;
  int rc;
  const sq_arg_t args[] = {SQ_TEXT(id), SQ_INT(at)};
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__begin(c))) goto out;
  if ((rc = sq__exec(c, &T, keep_one ? ST_ADM_REVOKE_KEEP : ST_ADM_REVOKE, args, SQ_NARGS(args))))
    goto fail;
  if (sqlite3_changes(c->db) == 0) {
    /* Absent, already revoked (kept as it is), or the last active one. */
    rc = sq__get_on(c, &T, ST_ADM_GET, args, 1, &ROW_ADMIN, &row);
    if (rc == CUSTOS_OK && row.revoked_at == 0) rc = CUSTOS_EDENIED;
    if (rc) goto fail;
  }
  if ((rc = sq__commit(c))) goto fail;
  goto out;
fail:
  sq__rollback(c);
out:
  sq__writer_put(q);
  return rc;
}
