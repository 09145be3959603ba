/*
 * pg_entities.c — PostgreSQL Open Ledger entities.
 */
#include <string.h>

#include "store/pg.h"

enum { PS_ENTITY_INSERT, PS_ENTITY_GET, PS_ENTITY_LIST, PS_COUNT };
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    [PS_ENTITY_INSERT] = {"INSERT INTO entity (id, account_id, name, created_at)"
                          " VALUES ($1, $2, $3, $4)",
                          4, false},
    [PS_ENTITY_GET] = {"SELECT id, account_id, name, created_at FROM entity WHERE id = $1", 1,
                       true},
    [PS_ENTITY_LIST] = {"SELECT id, account_id, name, created_at FROM entity"
                        " WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                        3, true},
};
static const pg_table_t T = {PG_T_ENTITIES, Q, PS_COUNT};

static int row_entity(const PGresult *r, int i, void *o) {
  store_entity_t *e = o;
  memset(e, 0, sizeof *e);
  if (store__copy(e->id, sizeof e->id, PQgetvalue(r, i, 0)) ||
      store__copy(e->account_id, sizeof e->account_id, PQgetvalue(r, i, 1)) ||
      store__copy(e->name, sizeof e->name, PQgetvalue(r, i, 2)))
    return CUSTOS_ESTORE;
  return pg__get_i64(r, i, 3, &e->created_at);
}
static const pg_row_t ROW_ENTITY = {row_entity, NULL, sizeof(store_entity_t)};

int pg__entity_create(void *impl, const store_entity_t *e) {
  char at[PG_I64_LEN];
  const char *const params[] = {e->id, e->account_id, e->name, pg__i64(at, e->created_at)};
  return pg__write(impl, &T, PS_ENTITY_INSERT, params);
}

int pg__entity_get(void *impl, const char *id, store_entity_t *out) {
  const char *const params[] = {id};
  return pg__get(impl, &T, PS_ENTITY_GET, params, &ROW_ENTITY, out);
}

int pg__entity_list(void *impl, const char *account_id, const char *after, int limit,
                    store_entity_t *out, int *n) {
  const char *const params[] = {account_id, after};
  return pg__list(impl, &T, PS_ENTITY_LIST, params, &ROW_ENTITY, out, limit, n);
}
