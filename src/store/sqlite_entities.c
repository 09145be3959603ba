/*
 * sqlite_entities.c — SQLite Open Ledger entities.
 */
#include <string.h>

#include "store/sqlite_conn.h"

enum { ST_ENTITY_INSERT, ST_ENTITY_GET, ST_ENTITY_LIST, ST_COUNT };
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    [ST_ENTITY_INSERT] = "INSERT INTO entity (id, account_id, name, created_at)"
                         " VALUES (?1, ?2, ?3, ?4)",
    [ST_ENTITY_GET] = "SELECT id, account_id, name, created_at FROM entity WHERE id = ?1",
    [ST_ENTITY_LIST] = "SELECT id, account_id, name, created_at FROM entity"
                       " WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
};
static const sq_table_t T = {SQ_T_ENTITIES, SQL, ST_COUNT};

static int row_entity(sqlite3_stmt *st, void *o) {
  store_entity_t *e = o;
  memset(e, 0, sizeof *e);
  if (store__copy(e->id, sizeof e->id, sq__col_text(st, 0)) ||
      store__copy(e->account_id, sizeof e->account_id, sq__col_text(st, 1)) ||
      store__copy(e->name, sizeof e->name, sq__col_text(st, 2)))
    return CUSTOS_ESTORE;
  e->created_at = sqlite3_column_int64(st, 3);
  return CUSTOS_OK;
}
static const sq_row_t ROW_ENTITY = {row_entity, NULL, sizeof(store_entity_t)};

int sq__entity_create(void *impl, const store_entity_t *e) {
  const sq_arg_t args[] = {SQ_TEXT(e->id), SQ_TEXT(e->account_id), SQ_TEXT(e->name),
                           SQ_INT(e->created_at)};
  return sq__write(impl, &T, ST_ENTITY_INSERT, args, SQ_NARGS(args));
}

int sq__entity_get(void *impl, const char *id, store_entity_t *out) {
  const sq_arg_t args[] = {SQ_TEXT(id)};
  return sq__get(impl, &T, ST_ENTITY_GET, args, SQ_NARGS(args), &ROW_ENTITY, out);
}

int sq__entity_list(void *impl, const char *account_id, const char *after, int limit,
                    store_entity_t *out, int *n) {
  const sq_arg_t args[] = {SQ_TEXT(account_id), SQ_TEXT(after)};
  return sq__list(impl, &T, ST_ENTITY_LIST, args, SQ_NARGS(args), &ROW_ENTITY, out, limit, n);
}
