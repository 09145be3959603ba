/*
 * pg_keys.c — PostgreSQL API keys, and the key-shaped row logic (get,
 * revoke, rotate, usage statement) that user tokens share through a
 * pg_keyset_t; the usage flush itself is pg_usage.c.
 */
#include <string.h>

#include "core/log.h"
#include "store/pg.h"

enum {
  PS_KEY_INSERT,
  PS_KEY_GET,
  PS_KEY_GET_HASH,
  PS_KEY_LIST,
  PS_KEY_LIST_APP,
  PS_KEY_SET_SCOPES,
  PS_KEY_REVOKE,
  PS_KEY_MARK_ROTATED,
  PS_KEY_INSERT_ROTATED,
  PS_KEY_USAGE,
  PS_COUNT
};
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    /* The environment must belong to the app's account: the SELECT yields
     * no row otherwise, and nothing is inserted. Parameters in a SELECT
     * list have no type context, hence the casts. */
    [PS_KEY_INSERT] = {"INSERT INTO api_key (id, app_id, account_id, environment_id, kind, name,"
                       " start, hash, scopes, created_at, expires_at)"
                       " SELECT $1::text, app.id, app.account_id, environment.id, $4::text,"
                       " $5::text, $6::text, $7::text, $8::text, $9::bigint, $10::bigint"
                       " FROM app JOIN environment ON environment.account_id = app.account_id"
                       " WHERE app.id = $2 AND environment.id = $3 RETURNING account_id",
                       10, false},
    [PS_KEY_GET] = {"SELECT " KEY_COLS " FROM api_key WHERE id = $1", 1, true},
    [PS_KEY_GET_HASH] = {"SELECT " KEY_COLS " FROM api_key WHERE hash = $1", 1, true},
    [PS_KEY_LIST] = {"SELECT " KEY_COLS " FROM api_key WHERE id > $1 ORDER BY id LIMIT $2", 2,
                     true},
    [PS_KEY_LIST_APP] = {"SELECT " KEY_COLS " FROM api_key"
                         " WHERE app_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                         3, true},
    [PS_KEY_SET_SCOPES] = {"UPDATE api_key SET scopes = $2 WHERE id = $1", 2, false},
    /* Matches the row even when already revoked, so the row count tells
     * "found" from "not found" while the first revoked_at is kept. */
    [PS_KEY_REVOKE] = {"UPDATE api_key SET revoked_at = CASE WHEN revoked_at = 0 THEN $2::bigint"
                       " ELSE revoked_at END WHERE id = $1",
                       2, false},
    /* Under READ COMMITTED a concurrent rotation blocks on the row lock and
     * then re-checks the WHERE clause against the committed row: one wins. */
    [PS_KEY_MARK_ROTATED] = {"UPDATE api_key SET grace_until = $2, replaced_by = $3"
                             " WHERE id = $1 AND revoked_at = 0 AND replaced_by = ''",
                             3, false},
    [PS_KEY_INSERT_ROTATED] = {"INSERT INTO api_key (id, app_id, account_id, environment_id,"
                               " kind, name, start, hash, scopes, created_at, expires_at)"
                               " SELECT $2::text, app_id, account_id, environment_id, kind, name,"
                               " $3::text, $4::text, scopes, $5::bigint, expires_at"
                               " FROM api_key WHERE id = $1 RETURNING " KEY_COLS,
                               5, false},
    [PS_KEY_USAGE] = {PG_USAGE_SQL("api_key"), 3, false},
};
static const pg_table_t T = {PG_T_KEYS, Q, PS_COUNT};

static const pg_keyset_t KEYS = {&T,           PS_KEY_GET,   PS_KEY_GET_HASH, PS_KEY_REVOKE,
                                 PS_KEY_MARK_ROTATED, PS_KEY_INSERT_ROTATED, PS_KEY_USAGE};

/* --- key-shaped rows --------------------------------------------------------- */

static int row_key(const PGresult *r, int i, void *o) {
  store_api_key_t *k = o;
  memset(k, 0, sizeof *k);
  if (store__copy(k->id, sizeof k->id, PQgetvalue(r, i, 0)) ||
      store__copy(k->app_id, sizeof k->app_id, PQgetvalue(r, i, 1)) ||
      store__copy(k->account_id, sizeof k->account_id, PQgetvalue(r, i, 2)) ||
      store__copy(k->environment_id, sizeof k->environment_id, PQgetvalue(r, i, 3)) ||
      store__copy(k->kind, sizeof k->kind, PQgetvalue(r, i, 4)) ||
      store__copy(k->name, sizeof k->name, PQgetvalue(r, i, 5)) ||
      store__copy(k->start, sizeof k->start, PQgetvalue(r, i, 6)) ||
      store__hash_unhex(PQgetvalue(r, i, 7), k->hash) ||
      store__copy(k->scopes, sizeof k->scopes, PQgetvalue(r, i, 8)) ||
      pg__get_i64(r, i, 9, &k->created_at) || pg__get_i64(r, i, 10, &k->expires_at) ||
      pg__get_i64(r, i, 11, &k->revoked_at) || pg__get_i64(r, i, 12, &k->grace_until) ||
      store__copy(k->replaced_by, sizeof k->replaced_by, PQgetvalue(r, i, 13)) ||
      pg__get_i64(r, i, 14, &k->last_used_at) || pg__get_i64(r, i, 15, &k->use_count))
    return CUSTOS_ESTORE;
  return CUSTOS_OK;
}
const pg_row_t pg__row_key = {row_key, NULL, sizeof(store_api_key_t)};

int pg__keyset_get(pg_t *g, const pg_keyset_t *ks, const char *id, store_api_key_t *out) {
  const char *const params[] = {id};
  return pg__get(g, ks->t, ks->get, params, &pg__row_key, out);
}

int pg__keyset_get_by_hash(pg_t *g, const pg_keyset_t *ks,
                           const unsigned char hash[STORE_KEY_HASH_LEN], store_api_key_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  const char *const params[] = {hex};
  return pg__get(g, ks->t, ks->get_hash, params, &pg__row_key, out);
}

int pg__keyset_revoke(pg_t *g, const pg_keyset_t *ks, const char *id, int64_t at) {
  char v[PG_I64_LEN];
  const char *const params[] = {id, pg__i64(v, at)};
  return pg__update_one(g, ks->t, ks->revoke, params);
}

int pg__keyset_rotate(pg_t *g, const pg_keyset_t *ks, const char *old_id, int64_t grace_until,
                      store_api_key_t *nk) {
  pconn_t *pc;
  PGresult *r = NULL;
  store_api_key_t row;
  char grace[PG_I64_LEN], at[PG_I64_LEN], hex[STORE_HASH_HEX_MAX];
  int64_t rows = 0;
  int rc;
  store__hash_hex(nk->hash, hex);
  const char *const mark[] = {old_id, pg__i64(grace, grace_until), nk->id};
  const char *const get[] = {old_id};
  const char *const ins[] = {old_id, nk->id, nk->start, hex, pg__i64(at, nk->created_at)};
  if ((rc = pg__checkout(g, &pc))) return rc;
  if ((rc = pg__begin(pc))) goto out;
  /* Mark first: the WHERE clause is the "neither revoked nor rotated"
   * check, and the row lock it takes serialises rotations of this key. */
  if ((rc = pg__exec_count(g, pc, ks->t, ks->mark_rotated, mark, &rows))) goto fail;
  if (rows == 0) {
    /* Absent, or revoked / already rotated: tell which. */
    if ((rc = pg__run(g, pc, ks->t, ks->get, get, &r))) goto fail;
    rc = PQntuples(r) == 0 ? CUSTOS_ENOTFOUND : CUSTOS_EINVAL;
    goto fail;
  }
  if ((rc = pg__run(g, pc, ks->t, ks->insert_rotated, ins, &r))) goto fail;
  if (PQntuples(r) != 1 || row_key(r, 0, &row)) {
    log_msg(LOG_ERROR, "store: postgres: malformed row from rotation");
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if ((rc = pg__commit(pc))) goto fail;
  *nk = row;
  goto out;
fail:
  pg__rollback(pc);
out:
  PQclear(r);
  pg__checkin(g, pc);
  return rc;
}

/* --- API keys ------------------------------------------------------------ */

/* Writes the app's account (RETURNING account_id) into the key. */
static int row_key_account(const PGresult *r, int i, void *o) {
  store_api_key_t *k = o;
  return store__copy(k->account_id, sizeof k->account_id, PQgetvalue(r, i, 0));
}
static const pg_row_t ROW_KEY_ACCOUNT = {row_key_account, NULL, sizeof(store_api_key_t)};

int pg__api_key_create(void *impl, store_api_key_t *k) {
  char at[PG_I64_LEN], exp[PG_I64_LEN], hex[STORE_HASH_HEX_MAX];
  store__hash_hex(k->hash, hex);
  const char *const params[] = {k->id,    k->app_id, k->environment_id, k->kind,
                                k->name,  k->start,  hex,               k->scopes,
                                pg__i64(at, k->created_at), pg__i64(exp, k->expires_at)};
  /* No row: no such app, or environment of another account. */
  return pg__get(impl, &T, PS_KEY_INSERT, params, &ROW_KEY_ACCOUNT, k);
}

int pg__api_key_get(void *impl, const char *id, store_api_key_t *out) {
  return pg__keyset_get(impl, &KEYS, id, out);
}

int pg__api_key_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                            store_api_key_t *out) {
  return pg__keyset_get_by_hash(impl, &KEYS, hash, out);
}

int pg__api_key_list(void *impl, const char *app_id, const char *after, int limit,
                     store_api_key_t *out, int *n) {
  if (app_id) {
    const char *const params[] = {app_id, after};
    return pg__list(impl, &T, PS_KEY_LIST_APP, params, &pg__row_key, out, limit, n);
  }
  const char *const params[] = {after};
  return pg__list(impl, &T, PS_KEY_LIST, params, &pg__row_key, out, limit, n);
}

int pg__api_key_set_scopes(void *impl, const char *id, const char *scopes) {
  const char *const params[] = {id, scopes};
  return pg__update_one(impl, &T, PS_KEY_SET_SCOPES, params);
}

int pg__api_key_revoke(void *impl, const char *id, int64_t at) {
  return pg__keyset_revoke(impl, &KEYS, id, at);
}

int pg__api_key_rotate(void *impl, const char *old_id, int64_t grace_until, store_api_key_t *nk) {
  return pg__keyset_rotate(impl, &KEYS, old_id, grace_until, nk);
}

int pg__api_key_record_usage(void *impl, const store_key_usage_t *u, int n) {
  return pg__keyset_record_usage(impl, &KEYS, u, n);
}
