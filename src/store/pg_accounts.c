/*
 * pg_accounts.c — PostgreSQL accounts, environments, apps, and an
 * account's token lifetime.
 */
#include <string.h>

#include "store/pg.h"

enum {
  PS_ACCOUNT_INSERT,
  PS_ACCOUNT_GET,
  PS_ACCOUNT_LIST,
  PS_ENV_INSERT,
  PS_ENV_LIST,
  PS_APP_INSERT,
  PS_APP_GET,
  PS_APP_LIST,
  PS_APP_LIST_ACCOUNT,
  PS_ACCOUNT_TTL_GET,
  PS_ACCOUNT_TTL_SET,
  PS_COUNT
};
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    [PS_ACCOUNT_INSERT] = {"INSERT INTO account (id, name, created_at) VALUES ($1, $2, $3)", 3,
                           false},
    [PS_ACCOUNT_GET] = {"SELECT id, name, created_at FROM account WHERE id = $1", 1, true},
    [PS_ACCOUNT_LIST] = {"SELECT id, name, created_at FROM account WHERE id > $1"
                         " ORDER BY id LIMIT $2",
                         2, true},
    [PS_ENV_INSERT] = {"INSERT INTO environment (id, account_id, name, created_at)"
                       " VALUES ($1, $2, $3, $4)",
                       4, false},
    [PS_ENV_LIST] = {"SELECT id, account_id, name, created_at FROM environment"
                     " WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                     3, true},
    [PS_APP_INSERT] = {"INSERT INTO app (id, account_id, name, profile, created_at)"
                       " VALUES ($1, $2, $3, $4, $5)",
                       5, false},
    [PS_APP_GET] = {"SELECT id, account_id, name, profile, created_at FROM app WHERE id = $1", 1,
                    true},
    [PS_APP_LIST] = {"SELECT id, account_id, name, profile, created_at FROM app"
                     " WHERE id > $1 ORDER BY id LIMIT $2",
                     2, true},
    [PS_APP_LIST_ACCOUNT] = {"SELECT id, account_id, name, profile, created_at FROM app"
                             " WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                             3, true},
    [PS_ACCOUNT_TTL_GET] = {"SELECT token_max_lifetime FROM account WHERE id = $1", 1, true},
    [PS_ACCOUNT_TTL_SET] = {"UPDATE account SET token_max_lifetime = $2::bigint WHERE id = $1", 2,
                            false},
};
static const pg_table_t T = {PG_T_ACCOUNTS, Q, PS_COUNT};

static int row_account(const PGresult *r, int i, void *o) {
  store_account_t *a = o;
  memset(a, 0, sizeof *a);
  if (store__copy(a->id, sizeof a->id, PQgetvalue(r, i, 0)) ||
      store__copy(a->name, sizeof a->name, PQgetvalue(r, i, 1)))
    return CUSTOS_ESTORE;
  return pg__get_i64(r, i, 2, &a->created_at);
}

static int row_env(const PGresult *r, int i, void *o) {
  store_environment_t *e = o;
  memset(e, 0, sizeof *e);
  if (store__copy(e->id, sizeof e->id, PQgetvalue(r, i, 0)) ||
      store__copy(e->account_id, sizeof e->account_id, PQgetvalue(r, i, 1)) ||
      store__copy(e->name, sizeof e->name, PQgetvalue(r, i, 2)))
    return CUSTOS_ESTORE;
  return pg__get_i64(r, i, 3, &e->created_at);
}

static int row_app(const PGresult *r, int i, void *o) {
  store_app_t *a = o;
  memset(a, 0, sizeof *a);
  if (store__copy(a->id, sizeof a->id, PQgetvalue(r, i, 0)) ||
      store__copy(a->account_id, sizeof a->account_id, PQgetvalue(r, i, 1)) ||
      store__copy(a->name, sizeof a->name, PQgetvalue(r, i, 2)) ||
      store__copy(a->profile, sizeof a->profile, PQgetvalue(r, i, 3)))
    return CUSTOS_ESTORE;
  return pg__get_i64(r, i, 4, &a->created_at);
}

static const pg_row_t ROW_ACCOUNT = {row_account, NULL, sizeof(store_account_t)};
static const pg_row_t ROW_ENV = {row_env, NULL, sizeof(store_environment_t)};
static const pg_row_t ROW_APP = {row_app, NULL, sizeof(store_app_t)};

static int insert_env(pg_t *g, pconn_t *pc, const store_environment_t *e) {
  char at[PG_I64_LEN];
  const char *const params[] = {e->id, e->account_id, e->name, pg__i64(at, e->created_at)};
  return pg__exec(g, pc, &T, PS_ENV_INSERT, params);
}

int pg__account_create(void *impl, const store_account_t *a, const store_environment_t *envs,
                       int nenv) {
  pg_t *g = impl;
  pconn_t *pc;
  char at[PG_I64_LEN];
  int rc;
  const char *const params[] = {a->id, a->name, pg__i64(at, a->created_at)};
  if ((rc = pg__checkout(g, &pc))) return rc;
  if ((rc = pg__begin(pc))) goto out;
  if ((rc = pg__exec(g, pc, &T, PS_ACCOUNT_INSERT, params))) goto fail;
  for (int i = 0; i < nenv; i++)
    if ((rc = insert_env(g, pc, &envs[i]))) goto fail;
  if ((rc = pg__commit(pc))) goto fail;
  goto out;
fail:
  pg__rollback(pc);
out:
  pg__checkin(g, pc);
  return rc;
}

int pg__account_get(void *impl, const char *id, store_account_t *out) {
  const char *const params[] = {id};
  return pg__get(impl, &T, PS_ACCOUNT_GET, params, &ROW_ACCOUNT, out);
}

int pg__account_list(void *impl, const char *after, int limit, store_account_t *out, int *n) {
  const char *const params[] = {after};
  return pg__list(impl, &T, PS_ACCOUNT_LIST, params, &ROW_ACCOUNT, out, limit, n);
}

int pg__environment_create(void *impl, const store_environment_t *e) {
  pg_t *g = impl;
  pconn_t *pc;
  int rc;
  if ((rc = pg__checkout(g, &pc))) return rc;
  rc = insert_env(g, pc, e);
  pg__checkin(g, pc);
  return rc;
}

int pg__environment_list(void *impl, const char *account_id, const char *after, int limit,
                         store_environment_t *out, int *n) {
  const char *const params[] = {account_id, after};
  return pg__list(impl, &T, PS_ENV_LIST, params, &ROW_ENV, out, limit, n);
}

int pg__app_create(void *impl, const store_app_t *a) {
  char at[PG_I64_LEN];
  const char *const params[] = {a->id, a->account_id, a->name, a->profile,
                                pg__i64(at, a->created_at)};
  return pg__write(impl, &T, PS_APP_INSERT, params);
}

int pg__app_get(void *impl, const char *id, store_app_t *out) {
  const char *const params[] = {id};
  return pg__get(impl, &T, PS_APP_GET, params, &ROW_APP, out);
}

int pg__app_list(void *impl, const char *account_id, const char *after, int limit,
                 store_app_t *out, int *n) {
  if (account_id) {
    const char *const params[] = {account_id, after};
    return pg__list(impl, &T, PS_APP_LIST_ACCOUNT, params, &ROW_APP, out, limit, n);
  }
  const char *const params[] = {after};
  return pg__list(impl, &T, PS_APP_LIST, params, &ROW_APP, out, limit, n);
}

int pg__account_token_lifetime(void *impl, const char *account_id, int64_t *out) {
  const char *const params[] = {account_id};
  return pg__get(impl, &T, PS_ACCOUNT_TTL_GET, params, &pg__row_i64, out);
}

int pg__account_set_token_lifetime(void *impl, const char *account_id, int64_t seconds) {
  char v[PG_I64_LEN];
  const char *const params[] = {account_id, pg__i64(v, seconds)};
  return pg__update_one(impl, &T, PS_ACCOUNT_TTL_SET, params);
}
