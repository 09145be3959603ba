/*
 * sqlite_users.c — SQLite users and user tokens. User tokens travel as
 * key-shaped rows (UTK_COLS), so everything but creation and listing is the
 * keyset logic of sqlite_keys.c on this file's statements.
 */
#include <string.h>

#include "store/sqlite_conn.h"

enum {
  ST_USER_INSERT,
  ST_USER_GET,
  ST_USER_LIST_APP,
  ST_UTK_INSERT,
  ST_UTK_GET,
  ST_UTK_GET_HASH,
  ST_UTK_LIST_USER,
  ST_UTK_REVOKE,
  ST_UTK_MARK_ROTATED,
  ST_UTK_INSERT_ROTATED,
  ST_UTK_USAGE,
  ST_COUNT
};
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    [ST_USER_INSERT] = "INSERT INTO app_user (" USER_COLS ")"
                       " SELECT ?1, account_id, id, ?3, ?4 FROM app WHERE id = ?2 RETURNING account_id",
    [ST_USER_GET] = "SELECT " USER_COLS " FROM app_user WHERE id = ?1",
    [ST_USER_LIST_APP] = "SELECT " USER_COLS " FROM app_user WHERE app_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_UTK_INSERT] = "INSERT INTO user_token (id, app_id, account_id, user_id, start, hash, access_level,"
                      " created_at, expires_at)"
                      " SELECT ?1, app_id, account_id, id, ?3, ?4, ?5, ?6, ?7 FROM app_user WHERE id = ?2"
                      " RETURNING app_id, account_id",
    [ST_UTK_GET] = "SELECT " UTK_COLS " FROM user_token WHERE id = ?1",
    [ST_UTK_GET_HASH] = "SELECT " UTK_COLS " FROM user_token WHERE hash = ?1",
    [ST_UTK_LIST_USER] = "SELECT " UTK_COLS " FROM user_token WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_UTK_REVOKE] = "UPDATE user_token SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2"
                      " ELSE revoked_at END WHERE id = ?1",
    [ST_UTK_MARK_ROTATED] = "UPDATE user_token SET grace_until = ?2, replaced_by = ?3"
                            " WHERE id = ?1 AND revoked_at = 0 AND replaced_by = ''",
    [ST_UTK_INSERT_ROTATED] = "INSERT INTO user_token (id, app_id, account_id, user_id, start, hash, access_level,"
                              " created_at, expires_at)"
                              " SELECT ?2, app_id, account_id, user_id, ?3, ?4, access_level, ?5, expires_at"
                              " FROM user_token WHERE id = ?1 RETURNING " UTK_COLS,
    [ST_UTK_USAGE] = "UPDATE user_token SET use_count = CASE WHEN use_count > 9223372036854775807 - ?2"
                     " THEN 9223372036854775807 ELSE use_count + ?2 END,"
                     " last_used_at = max(last_used_at, ?3) WHERE id = ?1",
};
static const sq_table_t T = {SQ_T_USERS, SQL, ST_COUNT};

static const sq_keyset_t TOKENS = {&T,           ST_UTK_GET,   ST_UTK_GET_HASH, ST_UTK_REVOKE,
                                   ST_UTK_MARK_ROTATED, ST_UTK_INSERT_ROTATED, ST_UTK_USAGE,
                                   "user_token"};

static int row_user(sqlite3_stmt *st, void *o) {
  store_user_t *u = o;
  memset(u, 0, sizeof *u);
  if (store__copy(u->id, sizeof u->id, sq__col_text(st, 0)) ||
      store__copy(u->account_id, sizeof u->account_id, sq__col_text(st, 1)) ||
      store__copy(u->app_id, sizeof u->app_id, sq__col_text(st, 2)) ||
      store__copy(u->external_id, sizeof u->external_id, sq__col_text(st, 3)))
    return CUSTOS_ESTORE;
  u->created_at = sqlite3_column_int64(st, 4);
  return CUSTOS_OK;
}
static const sq_row_t ROW_USER = {row_user, NULL, sizeof(store_user_t)};

/* Writes the app's account (RETURNING account_id) into the user. */
static int row_user_account(sqlite3_stmt *st, void *o) {
  store_user_t *u = o;
  return store__copy(u->account_id, sizeof u->account_id, sq__col_text(st, 0));
}
static const sq_row_t ROW_USER_ACCOUNT = {row_user_account, NULL, sizeof(store_user_t)};

/* Writes the user's app and account (RETURNING app_id, account_id). */
static int row_token_owner(sqlite3_stmt *st, void *o) {
  store_api_key_t *k = o;
  if (store__copy(k->app_id, sizeof k->app_id, sq__col_text(st, 0))) return CUSTOS_ESTORE;
  return store__copy(k->account_id, sizeof k->account_id, sq__col_text(st, 1));
}
static const sq_row_t ROW_TOKEN_OWNER = {row_token_owner, NULL, sizeof(store_api_key_t)};

int sq__user_create(void *impl, store_user_t *u) {
  const sq_arg_t args[] = {SQ_TEXT(u->id), SQ_TEXT(u->app_id), SQ_TEXT(u->external_id),
                           SQ_INT(u->created_at)};
  /* No row: no such app. */
  return sq__returning(impl, &T, ST_USER_INSERT, args, SQ_NARGS(args), &ROW_USER_ACCOUNT, u);
}

int sq__user_get(void *impl, const char *id, store_user_t *out) {
  const sq_arg_t args[] = {SQ_TEXT(id)};
  return sq__get(impl, &T, ST_USER_GET, args, SQ_NARGS(args), &ROW_USER, out);
}

int sq__user_list(void *impl, const char *app_id, const char *after, int limit, store_user_t *out,
                  int *n) {
  const sq_arg_t args[] = {SQ_TEXT(app_id), SQ_TEXT(after)};
  return sq__list(impl, &T, ST_USER_LIST_APP, args, SQ_NARGS(args), &ROW_USER, out, limit, n);
}

int sq__user_token_create(void *impl, store_api_key_t *k) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(k->hash, hex);
  const sq_arg_t args[] = {SQ_TEXT(k->id),     SQ_TEXT(k->environment_id), SQ_TEXT(k->start),
                           SQ_TEXT(hex),       SQ_TEXT(k->scopes),         SQ_INT(k->created_at),
                           SQ_INT(k->expires_at)};
  /* No row: no such user. */
  return sq__returning(impl, &T, ST_UTK_INSERT, args, SQ_NARGS(args), &ROW_TOKEN_OWNER, k);
}

int sq__user_token_get(void *impl, const char *id, store_api_key_t *out) {
  return sq__keyset_get(impl, &TOKENS, id, out);
}

int sq__user_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                               store_api_key_t *out) {
  return sq__keyset_get_by_hash(impl, &TOKENS, hash, out);
}

int sq__user_token_list(void *impl, const char *user_id, const char *after, int limit,
                        store_api_key_t *out, int *n) {
  const sq_arg_t args[] = {SQ_TEXT(user_id), SQ_TEXT(after)};
  return sq__list(impl, &T, ST_UTK_LIST_USER, args, SQ_NARGS(args), &sq__row_key, out, limit, n);
}

int sq__user_token_revoke(void *impl, const char *id, int64_t at) {
  return sq__keyset_revoke(impl, &TOKENS, id, at);
}

int sq__user_token_rotate(void *impl, const char *old_id, int64_t grace_until,
                          store_api_key_t *nk) {
  return sq__keyset_rotate(impl, &TOKENS, old_id, grace_until, nk);
}

int sq__user_token_record_usage(void *impl, const store_key_usage_t *u, int n) {
  return sq__keyset_record_usage(impl, &TOKENS, u, n);
}
