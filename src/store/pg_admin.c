/*
 * pg_admin.c — PostgreSQL admin tokens.
 */
#include <string.h>

#include "store/pg.h"

enum { PS_ADM_INSERT, PS_ADM_GET_HASH, PS_ADM_COUNT_ACTIVE, PS_ADM_REVOKE, PS_COUNT };
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    [PS_ADM_INSERT] = {"INSERT INTO admin_token (" ADM_COLS ") VALUES ($1, $2, $3, $4, 0)", 4,
                       false},
    [PS_ADM_GET_HASH] = {"SELECT " ADM_COLS " FROM admin_token WHERE hash = $1", 1, true},
    [PS_ADM_COUNT_ACTIVE] = {"SELECT count(*) FROM admin_token WHERE revoked_at = 0", 0, true},
    [PS_ADM_REVOKE] = {"UPDATE admin_token SET revoked_at = CASE WHEN revoked_at = 0"
                       " THEN $2::bigint ELSE revoked_at END WHERE id = $1",
                       2, false},
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

int pg__admin_token_create(void *impl, const store_admin_token_t *t) {
  char at[PG_I64_LEN], hex[STORE_HASH_HEX_MAX];
  store__hash_hex(t->hash, hex);
  const char *const params[] = {t->id, t->name, hex, pg__i64(at, t->created_at)};
  return pg__write(impl, &T, PS_ADM_INSERT, params);
}

int pg__admin_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                store_admin_token_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  const char *const params[] = {hex};
  return pg__get(impl, &T, PS_ADM_GET_HASH, params, &ROW_ADMIN, out);
}

int pg__admin_token_count_active(void *impl, int64_t *n_out) {
  return pg__get(impl, &T, PS_ADM_COUNT_ACTIVE, NULL, &pg__row_i64, n_out);
}

int pg__admin_token_revoke(void *impl, const char *id, int64_t at) {
  char v[PG_I64_LEN];
  const char *const params[] = {id, pg__i64(v, at)};
  return pg__update_one(impl, &T, PS_ADM_REVOKE, params);
}
