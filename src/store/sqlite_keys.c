/*
 * sqlite_keys.c — SQLite API keys, and the key-shaped row logic (get,
 * revoke, rotate, usage) that user tokens share through an sq_keyset_t.
 */
#include <string.h>

#include "store/sqlite_conn.h"

enum {
  ST_KEY_INSERT,
  ST_KEY_GET,
  ST_KEY_GET_HASH,
  ST_KEY_LIST,
  ST_KEY_LIST_APP,
  ST_KEY_SET_SCOPES,
  ST_KEY_REVOKE,
  ST_KEY_MARK_ROTATED,
  ST_KEY_INSERT_ROTATED,
  ST_KEY_USAGE,
  ST_COUNT
};
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    /* The environment must belong to the app's account: the SELECT yields
     * no row otherwise, and nothing is inserted. */
    [ST_KEY_INSERT] =
        "INSERT INTO api_key (id, app_id, account_id, environment_id, kind, name, start, hash,"
        " scopes, created_at, expires_at)"
        " SELECT ?1, app.id, app.account_id, environment.id, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
        " FROM app JOIN environment ON environment.account_id = app.account_id"
        " WHERE app.id = ?2 AND environment.id = ?3 RETURNING account_id",
    [ST_KEY_GET] = "SELECT " KEY_COLS " FROM api_key WHERE id = ?1",
    [ST_KEY_GET_HASH] = "SELECT " KEY_COLS " FROM api_key WHERE hash = ?1",
    [ST_KEY_LIST] = "SELECT " KEY_COLS " FROM api_key WHERE id > ?1 ORDER BY id LIMIT ?2",
    [ST_KEY_LIST_APP] = "SELECT " KEY_COLS " FROM api_key"
                        " WHERE app_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_KEY_SET_SCOPES] = "UPDATE api_key SET scopes = ?2 WHERE id = ?1",
    /* Matches the row even when already revoked, so changes() tells
     * "found" from "not found" while the first revoked_at is kept. */
    [ST_KEY_REVOKE] = "UPDATE api_key SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2"
                      " ELSE revoked_at END WHERE id = ?1",
    [ST_KEY_MARK_ROTATED] = "UPDATE api_key SET grace_until = ?2, replaced_by = ?3"
                            " WHERE id = ?1 AND revoked_at = 0 AND replaced_by = ''",
    [ST_KEY_INSERT_ROTATED] =
        "INSERT INTO api_key (id, app_id, account_id, environment_id, kind, name, start, hash,"
        " scopes, created_at, expires_at)"
        " SELECT ?2, app_id, account_id, environment_id, kind, name, ?3, ?4, scopes, ?5,"
        " expires_at FROM api_key WHERE id = ?1 RETURNING " KEY_COLS,
    [ST_KEY_USAGE] = "UPDATE api_key SET use_count = CASE WHEN use_count > 9223372036854775807 - ?2"
                     " THEN 9223372036854775807 ELSE use_count + ?2 END,"
                     " last_used_at = max(last_used_at, ?3) WHERE id = ?1",
};
static const sq_table_t T = {SQ_T_KEYS, SQL, ST_COUNT};

static const sq_keyset_t KEYS = {&T,           ST_KEY_GET,   ST_KEY_GET_HASH, ST_KEY_REVOKE,
                                 ST_KEY_MARK_ROTATED, ST_KEY_INSERT_ROTATED, ST_KEY_USAGE,
                                 "api_key"};

/* --- key-shaped rows --------------------------------------------------------- */

static int row_key(sqlite3_stmt *st, void *o) {
  store_api_key_t *k = o;
  memset(k, 0, sizeof *k);
  if (store__copy(k->id, sizeof k->id, sq__col_text(st, 0)) ||
      store__copy(k->app_id, sizeof k->app_id, sq__col_text(st, 1)) ||
      store__copy(k->account_id, sizeof k->account_id, sq__col_text(st, 2)) ||
      store__copy(k->environment_id, sizeof k->environment_id, sq__col_text(st, 3)) ||
      store__copy(k->kind, sizeof k->kind, sq__col_text(st, 4)) ||
      store__copy(k->name, sizeof k->name, sq__col_text(st, 5)) ||
      store__copy(k->start, sizeof k->start, sq__col_text(st, 6)) ||
      store__hash_unhex(sq__col_text(st, 7), k->hash) ||
      store__copy(k->scopes, sizeof k->scopes, sq__col_text(st, 8)) ||
      store__copy(k->replaced_by, sizeof k->replaced_by, sq__col_text(st, 13)))
    return CUSTOS_ESTORE;
  k->created_at = sqlite3_column_int64(st, 9);
  k->expires_at = sqlite3_column_int64(st, 10);
  k->revoked_at = sqlite3_column_int64(st, 11);
  k->grace_until = sqlite3_column_int64(st, 12);
  k->last_used_at = sqlite3_column_int64(st, 14);
  k->use_count = sqlite3_column_int64(st, 15);
  return CUSTOS_OK;
}
const sq_row_t sq__row_key = {row_key, NULL, sizeof(store_api_key_t)};

int sq__keyset_get(sq_t *q, const sq_keyset_t *ks, const char *id, store_api_key_t *out) {
  const sq_arg_t args[] = {SQ_TEXT(id)};
  return sq__get(q, ks->t, ks->get, args, SQ_NARGS(args), &sq__row_key, out);
}

int sq__keyset_get_by_hash(sq_t *q, const sq_keyset_t *ks,
                           const unsigned char hash[STORE_KEY_HASH_LEN], store_api_key_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  const sq_arg_t args[] = {SQ_TEXT(hex)};
  return sq__get(q, ks->t, ks->get_hash, args, SQ_NARGS(args), &sq__row_key, out);
}

int sq__keyset_revoke(sq_t *q, const sq_keyset_t *ks, const char *id, int64_t at) {
  const sq_arg_t args[] = {SQ_TEXT(id), SQ_INT(at)};
  return sq__update_one(q, ks->t, ks->revoke, args, SQ_NARGS(args));
}

int sq__keyset_rotate(sq_t *q, const sq_keyset_t *ks, const char *old_id, int64_t grace_until,
                      store_api_key_t *nk) {
  sq_conn_t *c;
  store_api_key_t row;
  char hex[STORE_HASH_HEX_MAX];
  int rc;
  store__hash_hex(nk->hash, hex);
  const sq_arg_t mark[] = {SQ_TEXT(old_id), SQ_INT(grace_until), SQ_TEXT(nk->id)};
  const sq_arg_t get[] = {SQ_TEXT(old_id)};
  const sq_arg_t ins[] = {SQ_TEXT(old_id), SQ_TEXT(nk->id), SQ_TEXT(nk->start), SQ_TEXT(hex),
                          SQ_INT(nk->created_at)};
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__begin(c))) goto out;
  /* Mark first: the WHERE clause is the "neither revoked nor rotated"
   * check, so it cannot go stale before the insert. */
  if ((rc = sq__exec(c, ks->t, ks->mark_rotated, mark, SQ_NARGS(mark)))) goto fail;
  if (sqlite3_changes(c->db) == 0) {
    /* Absent, or revoked / already rotated: tell which. */
    rc = sq__get_on(c, ks->t, ks->get, get, SQ_NARGS(get), &sq__row_key, &row);
    if (rc == CUSTOS_OK) rc = CUSTOS_EINVAL;
    goto fail;
  }
  /* RETURNING yields the stored new row; none would mean the old row
   * vanished inside our transaction, which cannot happen. */
  rc = sq__get_on(c, ks->t, ks->insert_rotated, ins, SQ_NARGS(ins), &sq__row_key, &row);
  if (rc == CUSTOS_ENOTFOUND) rc = CUSTOS_ESTORE;
  if (rc) goto fail;
  if ((rc = sq__commit(c))) goto fail;
  *nk = row;
  goto out;
fail:
  sq__rollback(c);
out:
  sq__writer_put(q);
  return rc;
}

int sq__keyset_record_usage(sq_t *q, const sq_keyset_t *ks, const store_key_usage_t *u, int n) {
  sq_conn_t *c;
  int rc;
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__begin(c))) goto out;
  for (int i = 0; i < n; i++) {
    const sq_arg_t args[] = {SQ_TEXT(u[i].id), SQ_INT(u[i].uses), SQ_INT(u[i].last_used_at)};
    if ((rc = sq__exec(c, ks->t, ks->usage, args, SQ_NARGS(args)))) goto fail;
  }
  if ((rc = sq__commit(c))) goto fail;
  goto out;
fail:
  sq__rollback(c);
out:
  sq__writer_put(q);
  return rc;
}

/* --- API keys ------------------------------------------------------------ */

/* Writes the app's account (RETURNING account_id) into the key. */
static int row_key_account(sqlite3_stmt *st, void *o) {
  store_api_key_t *k = o;
  return store__copy(k->account_id, sizeof k->account_id, sq__col_text(st, 0));
}
static const sq_row_t ROW_KEY_ACCOUNT = {row_key_account, NULL, sizeof(store_api_key_t)};

int sq__api_key_create(void *impl, store_api_key_t *k) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(k->hash, hex);
  const sq_arg_t args[] = {SQ_TEXT(k->id),     SQ_TEXT(k->app_id), SQ_TEXT(k->environment_id),
                           SQ_TEXT(k->kind),   SQ_TEXT(k->name),   SQ_TEXT(k->start),
                           SQ_TEXT(hex),       SQ_TEXT(k->scopes), SQ_INT(k->created_at),
                           SQ_INT(k->expires_at)};
  /* No row: no such app, or environment of another account. */
  return sq__returning(impl, &T, ST_KEY_INSERT, args, SQ_NARGS(args), &ROW_KEY_ACCOUNT, k);
}

int sq__api_key_get(void *impl, const char *id, store_api_key_t *out) {
  return sq__keyset_get(impl, &KEYS, id, out);
}

int sq__api_key_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                            store_api_key_t *out) {
  return sq__keyset_get_by_hash(impl, &KEYS, hash, out);
}

int sq__api_key_list(void *impl, const char *app_id, const char *after, int limit,
                     store_api_key_t *out, int *n) {
  if (app_id) {
    const sq_arg_t args[] = {SQ_TEXT(app_id), SQ_TEXT(after)};
    return sq__list(impl, &T, ST_KEY_LIST_APP, args, SQ_NARGS(args), &sq__row_key, out, limit, n);
  }
  const sq_arg_t args[] = {SQ_TEXT(after)};
  return sq__list(impl, &T, ST_KEY_LIST, args, SQ_NARGS(args), &sq__row_key, out, limit, n);
}

int sq__api_key_set_scopes(void *impl, const char *id, const char *scopes) {
  const sq_arg_t args[] = {SQ_TEXT(id), SQ_TEXT(scopes)};
  return sq__update_one(impl, &T, ST_KEY_SET_SCOPES, args, SQ_NARGS(args));
}

int sq__api_key_revoke(void *impl, const char *id, int64_t at) {
  return sq__keyset_revoke(impl, &KEYS, id, at);
}

int sq__api_key_rotate(void *impl, const char *old_id, int64_t grace_until, store_api_key_t *nk) {
  return sq__keyset_rotate(impl, &KEYS, old_id, grace_until, nk);
}

int sq__api_key_record_usage(void *impl, const store_key_usage_t *u, int n) {
  return sq__keyset_record_usage(impl, &KEYS, u, n);
}
