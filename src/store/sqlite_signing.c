/*
 * sqlite_signing.c — SQLite signing keys: create, list, rotate,
 * generation, purge.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_conn.h"

enum {
  ST_SK_INSERT,
  ST_SK_LIST,
  ST_SK_LIST_STATE,
  ST_SK_RETIRE,
  ST_SK_PROMOTE,
  ST_SK_INSERT_ROTATED,
  ST_SK_GENERATION,
  ST_SK_PURGE,
  ST_COUNT
};
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    [ST_SK_INSERT] = "INSERT INTO signing_key (" SK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0)",
    [ST_SK_LIST] = "SELECT " SK_COLS " FROM signing_key ORDER BY created_at DESC, kid DESC"
                   " LIMIT ?1",
    [ST_SK_LIST_STATE] = "SELECT " SK_COLS " FROM signing_key WHERE state = ?1"
                         " ORDER BY created_at DESC, kid DESC LIMIT ?2",
    /* Rotation, in this order (see store_signing_key_rotate): the active
     * key retires only when a next key is there to take over; the next key
     * becomes active; the new key is next unless no key is active. */
    [ST_SK_RETIRE] = "UPDATE signing_key SET state = 'retired', retired_at = ?2"
                     " WHERE alg = ?1 AND state = 'active' AND EXISTS"
                     " (SELECT 1 FROM signing_key WHERE alg = ?1 AND state = 'next')",
    [ST_SK_PROMOTE] = "UPDATE signing_key SET state = 'active', activated_at = ?2"
                      " WHERE alg = ?1 AND state = 'next'",
    [ST_SK_INSERT_ROTATED] =
        "INSERT INTO signing_key (" SK_COLS ")"
        " SELECT ?1, ?2, CASE WHEN a THEN 'next' ELSE 'active' END, ?3, ?4, ?5,"
        " CASE WHEN a THEN 0 ELSE ?5 END, 0, 0 FROM (SELECT EXISTS (SELECT 1 FROM signing_key"
        " WHERE alg = ?2 AND state = 'active') AS a) RETURNING state, activated_at",
    [ST_SK_GENERATION] = "SELECT count(*) + COALESCE(sum(created_at + activated_at + retired_at"
                         " + purged_at), 0) FROM signing_key",
    /* retired_at > 0 as well as state: a key is retired only with a time. */
    [ST_SK_PURGE] = "UPDATE signing_key SET sealed = '', purged_at = ?2 WHERE state = 'retired'"
                    " AND retired_at > 0 AND retired_at <= ?1 AND purged_at = 0",
};
static const sq_table_t T = {SQ_T_SIGNING, SQL, ST_COUNT};

static int row_signing(sqlite3_stmt *st, void *o) {
  store_signing_key_t *k = o;
  memset(k, 0, sizeof *k);
  if (store__copy(k->kid, sizeof k->kid, sq__col_text(st, 0)) ||
      store__copy(k->alg, sizeof k->alg, sq__col_text(st, 1)) ||
      store__copy(k->state, sizeof k->state, sq__col_text(st, 2)))
    return CUSTOS_ESTORE;
  k->created_at = sqlite3_column_int64(st, 5);
  k->activated_at = sqlite3_column_int64(st, 6);
  k->retired_at = sqlite3_column_int64(st, 7);
  k->purged_at = sqlite3_column_int64(st, 8);
  /* Last, so a failure above leaves nothing allocated. */
  k->sealed = strdup(sq__col_text(st, 3));
  k->public_jwk = strdup(sq__col_text(st, 4));
  if (!k->sealed || !k->public_jwk) {
    store_signing_key_cleanup(k);
    return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

static void cleanup_signing(void *row) { store_signing_key_cleanup(row); }
static const sq_row_t ROW_SIGNING = {row_signing, cleanup_signing, sizeof(store_signing_key_t)};

/* The new key's state and activation time (RETURNING state, activated_at). */
typedef struct rotated {
  char state[STORE_SIGNING_STATE_MAX];
  int64_t activated_at;
} rotated_t;

static int row_rotated(sqlite3_stmt *st, void *o) {
  rotated_t *r = o;
  r->activated_at = sqlite3_column_int64(st, 1);
  return store__copy(r->state, sizeof r->state, sq__col_text(st, 0));
}
static const sq_row_t ROW_ROTATED = {row_rotated, NULL, sizeof(rotated_t)};

int sq__signing_key_create(void *impl, const store_signing_key_t *k) {
  const sq_arg_t args[] = {SQ_TEXT(k->kid),        SQ_TEXT(k->alg),       SQ_TEXT(k->state),
                           SQ_TEXT(k->sealed),     SQ_TEXT(k->public_jwk), SQ_INT(k->created_at),
                           SQ_INT(k->activated_at)};
  return sq__write(impl, &T, ST_SK_INSERT, args, SQ_NARGS(args));
}

int sq__signing_key_list(void *impl, const char *state, int limit, store_signing_key_t *out,
                         int *n) {
  if (state) {
    const sq_arg_t args[] = {SQ_TEXT(state)};
    return sq__list(impl, &T, ST_SK_LIST_STATE, args, SQ_NARGS(args), &ROW_SIGNING, out, limit, n);
  }
  return sq__list(impl, &T, ST_SK_LIST, NULL, 0, &ROW_SIGNING, out, limit, n);
}

int sq__signing_key_rotate(void *impl, store_signing_key_t *k) {
  sq_t *q = impl;
  sq_conn_t *c;
  rotated_t r;
  int rc;
  const sq_arg_t step[] = {SQ_TEXT(k->alg), SQ_INT(k->created_at)};
  const sq_arg_t ins[] = {SQ_TEXT(k->kid), SQ_TEXT(k->alg), SQ_TEXT(k->sealed),
                          SQ_TEXT(k->public_jwk), SQ_INT(k->created_at)};
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__begin(c))) goto out;
  if ((rc = sq__exec(c, &T, ST_SK_RETIRE, step, SQ_NARGS(step))) ||
      (rc = sq__exec(c, &T, ST_SK_PROMOTE, step, SQ_NARGS(step))))
    goto fail;
  rc = sq__get_on(c, &T, ST_SK_INSERT_ROTATED, ins, SQ_NARGS(ins), &ROW_ROTATED, &r);
  if (rc == CUSTOS_ENOTFOUND) rc = CUSTOS_ESTORE; /* the INSERT … SELECT always yields a row */
  if (rc) goto fail;
  if ((rc = sq__commit(c))) goto fail;
  memcpy(k->state, r.state, sizeof r.state);
  k->activated_at = r.activated_at;
  goto out;
fail:
  sq__rollback(c);
out:
  sq__writer_put(q);
  return rc;
}

int sq__signing_key_generation(void *impl, int64_t *gen_out) {
  return sq__get(impl, &T, ST_SK_GENERATION, NULL, 0, &sq__row_i64, gen_out);
}

/* One UPDATE on the single writer: atomic, and a second purge finds
 * purged_at already set. */
int sq__signing_key_purge(void *impl, int64_t retired_before, int64_t now, int *n_out) {
  sq_t *q = impl;
  sq_conn_t *c;
  const sq_arg_t args[] = {SQ_INT(retired_before), SQ_INT(now)};
  int rc;
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__exec(c, &T, ST_SK_PURGE, args, SQ_NARGS(args))) == CUSTOS_OK)
    *n_out = sqlite3_changes(c->db);
  sq__writer_put(q);
  return rc;
}
