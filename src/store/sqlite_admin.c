/*
 * sqlite_admin.c — SQLite admin tokens.
 */
#include <string.h>

#include "store/sqlite_conn.h"

enum { ST_ADM_INSERT, ST_ADM_GET_HASH, ST_ADM_COUNT_ACTIVE, ST_ADM_REVOKE, ST_COUNT };
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    [ST_ADM_INSERT] = ("INSERT INTO admin_token (" ADM_COLS ") VALUES (?1, ?2, ?3, ?4, 0)"),
    [ST_ADM_GET_HASH] = ("SELECT " ADM_COLS " FROM admin_token WHERE hash = ?1"),
    [ST_ADM_COUNT_ACTIVE] = "SELECT count(*) FROM admin_token WHERE revoked_at = 0",
    [ST_ADM_REVOKE] = "UPDATE admin_token SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2"
                      " ELSE revoked_at END WHERE id = ?1",
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

int sq__admin_token_create(void *impl, const store_admin_token_t *t) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(t->hash, hex);
  const sq_arg_t args[] = {SQ_TEXT(t->id), SQ_TEXT(t->name), SQ_TEXT(hex), SQ_INT(t->created_at)};
  return sq__write(impl, &T, ST_ADM_INSERT, args, SQ_NARGS(args));
}

int sq__admin_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                store_admin_token_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  const sq_arg_t args[] = {SQ_TEXT(hex)};
  return sq__get(impl, &T, ST_ADM_GET_HASH, args, SQ_NARGS(args), &ROW_ADMIN, out);
}

int sq__admin_token_count_active(void *impl, int64_t *n_out) {
  return sq__get(impl, &T, ST_ADM_COUNT_ACTIVE, NULL, 0, &sq__row_i64, n_out);
}

int sq__admin_token_revoke(void *impl, const char *id, int64_t at) {
  const sq_arg_t args[] = {SQ_TEXT(id), SQ_INT(at)};
  return sq__update_one(impl, &T, ST_ADM_REVOKE, args, SQ_NARGS(args));
}
