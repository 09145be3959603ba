/*
 * pg_signing.c — PostgreSQL signing keys: create, list, rotate,
 * generation, purge.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/pg.h"

/* Key for pg_advisory_xact_lock while rotating or purging signing keys:
 * "custosSK". */
#define SIGNING_LOCK_SQL "SELECT pg_advisory_xact_lock(7166761325953241931)"

enum {
  PS_SK_INSERT,
  PS_SK_LIST,
  PS_SK_LIST_STATE,
  PS_SK_RETIRE,
  PS_SK_PROMOTE,
  PS_SK_INSERT_ROTATED,
  PS_SK_GENERATION,
  PS_SK_PURGE,
  PS_COUNT
};
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    [PS_SK_INSERT] = {"INSERT INTO signing_key (" SK_COLS ")"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0)",
                      7, false},
    [PS_SK_LIST] = {"SELECT " SK_COLS " FROM signing_key ORDER BY created_at DESC, kid DESC"
                    " LIMIT $1",
                    1, true},
    [PS_SK_LIST_STATE] = {"SELECT " SK_COLS " FROM signing_key WHERE state = $1"
                          " ORDER BY created_at DESC, kid DESC LIMIT $2",
                          2, true},
    /* Rotation steps, as in sqlite_signing.c; run under SIGNING_LOCK_SQL so
     * concurrent rotations take turns instead of tripping the unique index. */
    [PS_SK_RETIRE] = {"UPDATE signing_key SET state = 'retired', retired_at = $2::bigint"
                      " WHERE alg = $1 AND state = 'active' AND EXISTS"
                      " (SELECT 1 FROM signing_key WHERE alg = $1 AND state = 'next')",
                      2, false},
    [PS_SK_PROMOTE] = {"UPDATE signing_key SET state = 'active', activated_at = $2::bigint"
                       " WHERE alg = $1 AND state = 'next'",
                       2, false},
    [PS_SK_INSERT_ROTATED] = {"INSERT INTO signing_key (" SK_COLS ")"
                              " SELECT $1::text, $2::text, CASE WHEN a THEN 'next' ELSE 'active'"
                              " END, $3::text, $4::text, $5::bigint, CASE WHEN a THEN 0 ELSE"
                              " $5::bigint END, 0, 0 FROM (SELECT EXISTS (SELECT 1 FROM signing_key"
                              " WHERE alg = $2::text AND state = 'active') AS a) t"
                              " RETURNING state, activated_at",
                              5, false},
    [PS_SK_GENERATION] = {"SELECT (count(*) + COALESCE(sum(created_at + activated_at +"
                          " retired_at + purged_at), 0))::bigint FROM signing_key",
                          0, true},
    /* As in sqlite_signing.c. */
    [PS_SK_PURGE] = {"UPDATE signing_key SET sealed = '', purged_at = $2::bigint"
                     " WHERE state = 'retired' AND retired_at > 0 AND retired_at <= $1::bigint"
                     " AND purged_at = 0",
                     2, false},
};
static const pg_table_t T = {PG_T_SIGNING, Q, PS_COUNT};

static int row_signing(const PGresult *r, int i, void *o) {
  store_signing_key_t *k = o;
  memset(k, 0, sizeof *k);
  if (store__copy(k->kid, sizeof k->kid, PQgetvalue(r, i, 0)) ||
      store__copy(k->alg, sizeof k->alg, PQgetvalue(r, i, 1)) ||
      store__copy(k->state, sizeof k->state, PQgetvalue(r, i, 2)) ||
      pg__get_i64(r, i, 5, &k->created_at) || pg__get_i64(r, i, 6, &k->activated_at) ||
      pg__get_i64(r, i, 7, &k->retired_at) || pg__get_i64(r, i, 8, &k->purged_at))
    return CUSTOS_ESTORE;
  /* Last, so a failure above leaves nothing allocated. */
  k->sealed = strdup(PQgetvalue(r, i, 3));
  k->public_jwk = strdup(PQgetvalue(r, i, 4));
  if (!k->sealed || !k->public_jwk) {
    store_signing_key_cleanup(k);
    return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

static void cleanup_signing(void *row) { store_signing_key_cleanup(row); }
static const pg_row_t ROW_SIGNING = {row_signing, cleanup_signing, sizeof(store_signing_key_t)};

int pg__signing_key_create(void *impl, const store_signing_key_t *k) {
  char at[PG_I64_LEN], act[PG_I64_LEN];
  const char *const params[] = {k->kid,        k->alg,
                                k->state,      k->sealed,
                                k->public_jwk, pg__i64(at, k->created_at),
                                pg__i64(act, k->activated_at)};
  return pg__write(impl, &T, PS_SK_INSERT, params);
}

int pg__signing_key_list(void *impl, const char *state, int limit, store_signing_key_t *out,
                         int *n) {
  if (state) {
    const char *const params[] = {state};
    return pg__list(impl, &T, PS_SK_LIST_STATE, params, &ROW_SIGNING, out, limit, n);
  }
  return pg__list(impl, &T, PS_SK_LIST, NULL, &ROW_SIGNING, out, limit, n);
}

int pg__signing_key_rotate(void *impl, store_signing_key_t *k) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  char now[PG_I64_LEN], state[STORE_SIGNING_STATE_MAX];
  int64_t activated = 0;
  int rc;
  pg__i64(now, k->created_at);
  const char *const step[] = {k->alg, now};
  const char *const ins[] = {k->kid, k->alg, k->sealed, k->public_jwk, now};
  if ((rc = pg__checkout(g, &pc))) return rc;
  if ((rc = pg__begin(pc))) goto out;
  if ((rc = pg__simple(pc, SIGNING_LOCK_SQL, "signing key lock")) ||
      (rc = pg__exec(g, pc, &T, PS_SK_RETIRE, step)) ||
      (rc = pg__exec(g, pc, &T, PS_SK_PROMOTE, step)) ||
      (rc = pg__run(g, pc, &T, PS_SK_INSERT_ROTATED, ins, &r)))
    goto fail;
  if (PQntuples(r) != 1 || store__copy(state, sizeof state, PQgetvalue(r, 0, 0)) ||
      pg__get_i64(r, 0, 1, &activated)) {
    log_msg(LOG_ERROR, "store: postgres: malformed row from signing key rotation");
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if ((rc = pg__commit(pc))) goto fail;
  memcpy(k->state, state, sizeof state);
  k->activated_at = activated;
  goto out;
fail:
  pg__rollback(pc);
out:
  PQclear(r);
  pg__checkin(g, pc);
  return rc;
}

int pg__signing_key_generation(void *impl, int64_t *gen_out) {
  return pg__get(impl, &T, PS_SK_GENERATION, NULL, &pg__row_i64, gen_out);
}

/* Under the rotation lock, so a purge and a rotation take turns; nodes
 * racing each other serialise on it too, and the later one finds
 * purged_at set and matches nothing. */
int pg__signing_key_purge(void *impl, int64_t retired_before, int64_t now, int *n_out) {
  pg_t *g = impl;
  pconn_t *pc;
  char before[PG_I64_LEN], at[PG_I64_LEN];
  int64_t rows = 0;
  int rc;
  const char *const params[] = {pg__i64(before, retired_before), pg__i64(at, now)};
  if ((rc = pg__checkout(g, &pc))) return rc;
  if ((rc = pg__begin(pc))) goto out;
  if ((rc = pg__simple(pc, SIGNING_LOCK_SQL, "signing key lock")) ||
      (rc = pg__exec_count(g, pc, &T, PS_SK_PURGE, params, &rows)) || (rc = pg__commit(pc))) {
    pg__rollback(pc);
    goto out;
  }
  *n_out = (int)rows;
out:
  pg__checkin(g, pc);
  return rc;
}
