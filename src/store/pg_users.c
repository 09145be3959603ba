/*
 * pg_users.c — PostgreSQL users and user tokens. User tokens travel as
 * key-shaped rows (UTK_COLS), so everything but creation and listing is the
 * keyset logic of pg_keys.c on this file's statements.
 */
#include <string.h>

#include "store/pg.h"

enum {
  PS_USER_INSERT,
  PS_USER_GET,
  PS_USER_LIST_APP,
  PS_UTK_INSERT,
  PS_UTK_GET,
  PS_UTK_GET_HASH,
  PS_UTK_LIST_USER,
  PS_UTK_REVOKE,
  PS_UTK_MARK_ROTATED,
  PS_UTK_INSERT_ROTATED,
  PS_UTK_USAGE,
  PS_COUNT
};
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    [PS_USER_INSERT] = {"INSERT INTO app_user (" USER_COLS ")"
                        " SELECT $1::text, account_id, id, $3::text, $4::bigint FROM app WHERE id = $2"
                        " RETURNING account_id",
                        4, false},
    [PS_USER_GET] = {"SELECT " USER_COLS " FROM app_user WHERE id = $1", 1, true},
    [PS_USER_LIST_APP] = {"SELECT " USER_COLS " FROM app_user WHERE app_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                          3, true},
    [PS_UTK_INSERT] = {"INSERT INTO user_token (id, app_id, account_id, user_id, start, hash, access_level,"
                       " created_at, expires_at)"
                       " SELECT $1::text, app_id, account_id, id, $3::text, $4::text, $5::text, $6::bigint,"
                       " $7::bigint FROM app_user WHERE id = $2 RETURNING app_id, account_id",
                       7, false},
    [PS_UTK_GET] = {"SELECT " UTK_COLS " FROM user_token WHERE id = $1", 1, true},
    [PS_UTK_GET_HASH] = {"SELECT " UTK_COLS " FROM user_token WHERE hash = $1", 1, true},
    [PS_UTK_LIST_USER] = {"SELECT " UTK_COLS " FROM user_token WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                          3, true},
    [PS_UTK_REVOKE] = {"UPDATE user_token SET revoked_at = CASE WHEN revoked_at = 0 THEN $2::bigint"
                       " ELSE revoked_at END WHERE id = $1",
                       2, false},
    [PS_UTK_MARK_ROTATED] = {"UPDATE user_token SET grace_until = $2, replaced_by = $3"
                             " WHERE id = $1 AND revoked_at = 0 AND replaced_by = ''",
                             3, false},
    [PS_UTK_INSERT_ROTATED] = {"INSERT INTO user_token (id, app_id, account_id, user_id, start, hash,"
                               " access_level, created_at, expires_at)"
                               " SELECT $2::text, app_id, account_id, user_id, $3::text, $4::text, access_level,"
                               " $5::bigint, expires_at FROM user_token WHERE id = $1 RETURNING " UTK_COLS,
                               5, false},
    [PS_UTK_USAGE] = {PG_USAGE_SQL("user_token"), 3, false},
};
static const pg_table_t T = {PG_T_USERS, Q, PS_COUNT};

static const pg_keyset_t TOKENS = {&T,           PS_UTK_GET,   PS_UTK_GET_HASH, PS_UTK_REVOKE,
                                   PS_UTK_MARK_ROTATED, PS_UTK_INSERT_ROTATED, PS_UTK_USAGE};

static int row_user(const PGresult *r, int i, void *o) {
  store_user_t *u = o;
  memset(u, 0, sizeof *u);
  if (store__copy(u->id, sizeof u->id, PQgetvalue(r, i, 0)) ||
      store__copy(u->account_id, sizeof u->account_id, PQgetvalue(r, i, 1)) ||
      store__copy(u->app_id, sizeof u->app_id, PQgetvalue(r, i, 2)) ||
      store__copy(u->external_id, sizeof u->external_id, PQgetvalue(r, i, 3)))
    return CUSTOS_ESTORE;
  return pg__get_i64(r, i, 4, &u->created_at);
}
static const pg_row_t ROW_USER = {row_user, NULL, sizeof(store_user_t)};

/* Writes the app's account (RETURNING account_id) into the user. */
static int row_user_account(const PGresult *r, int i, void *o) {
  store_user_t *u = o;
  return store__copy(u->account_id, sizeof u->account_id, PQgetvalue(r, i, 0));
}
static const pg_row_t ROW_USER_ACCOUNT = {row_user_account, NULL, sizeof(store_user_t)};

/* Writes the user's app and account (RETURNING app_id, account_id). */
static int row_token_owner(const PGresult *r, int i, void *o) {
  store_api_key_t *k = o;
  if (store__copy(k->app_id, sizeof k->app_id, PQgetvalue(r, i, 0))) return CUSTOS_ESTORE;
  return store__copy(k->account_id, sizeof k->account_id, PQgetvalue(r, i, 1));
}
static const pg_row_t ROW_TOKEN_OWNER = {row_token_owner, NULL, sizeof(store_api_key_t)};

int pg__user_create(void *impl, store_user_t *u) {
  char at[PG_I64_LEN];
  const char *const params[] = {u->id, u->app_id, u->external_id, pg__i64(at, u->created_at)};
  /* No row: no such app. */
  return pg__get(impl, &T, PS_USER_INSERT, params, &ROW_USER_ACCOUNT, u);
}

int pg__user_get(void *impl, const char *id, store_user_t *out) {
  const char *const params[] = {id};
  return pg__get(impl, &T, PS_USER_GET, params, &ROW_USER, out);
}

int pg__user_list(void *impl, const char *app_id, const char *after, int limit, store_user_t *out,
                  int *n) {
  const char *const params[] = {app_id, after};
  return pg__list(impl, &T, PS_USER_LIST_APP, params, &ROW_USER, out, limit, n);
}

int pg__user_token_create(void *impl, store_api_key_t *k) {
  char at[PG_I64_LEN], exp[PG_I64_LEN], hex[STORE_HASH_HEX_MAX];
  store__hash_hex(k->hash, hex);
  const char *const params[] = {k->id,     k->environment_id,          k->start,
                                hex,       k->scopes,                  pg__i64(at, k->created_at),
                                pg__i64(exp, k->expires_at)};
  /* No row: no such user. */
  return pg__get(impl, &T, PS_UTK_INSERT, params, &ROW_TOKEN_OWNER, k);
}

int pg__user_token_get(void *impl, const char *id, store_api_key_t *out) {
  return pg__keyset_get(impl, &TOKENS, id, out);
}

int pg__user_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                               store_api_key_t *out) {
  return pg__keyset_get_by_hash(impl, &TOKENS, hash, out);
}

int pg__user_token_list(void *impl, const char *user_id, const char *after, int limit,
                        store_api_key_t *out, int *n) {
  const char *const params[] = {user_id, after};
  return pg__list(impl, &T, PS_UTK_LIST_USER, params, &pg__row_key, out, limit, n);
}

int pg__user_token_revoke(void *impl, const char *id, int64_t at) {
  return pg__keyset_revoke(impl, &TOKENS, id, at);
}

int pg__user_token_rotate(void *impl, const char *old_id, int64_t grace_until,
                          store_api_key_t *nk) {
  return pg__keyset_rotate(impl, &TOKENS, old_id, grace_until, nk);
}

int pg__user_token_record_usage(void *impl, const store_key_usage_t *u, int n) {
  return pg__keyset_record_usage(impl, &TOKENS, u, n);
}
