/*
 * sqlite_accounts.c — SQLite accounts, environments, apps, and an
 * account's token lifetime.
 */
#include <string.h>

#include "store/sqlite_conn.h"

enum {
  ST_ACCOUNT_INSERT,
  ST_ACCOUNT_GET,
  ST_ACCOUNT_LIST,
  ST_ENV_INSERT,
  ST_ENV_LIST,
  ST_APP_INSERT,
  ST_APP_GET,
  ST_APP_LIST,
  ST_APP_LIST_ACCOUNT,
  ST_ACCOUNT_TTL_GET,
  ST_ACCOUNT_TTL_SET,
  ST_COUNT
};
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    [ST_ACCOUNT_INSERT] = "INSERT INTO account (id, name, created_at) VALUES (?1, ?2, ?3)",
    [ST_ACCOUNT_GET] = "SELECT id, name, created_at FROM account WHERE id = ?1",
    [ST_ACCOUNT_LIST] =
        "SELECT id, name, created_at FROM account WHERE id > ?1 ORDER BY id LIMIT ?2",
    [ST_ENV_INSERT] = "INSERT INTO environment (id, account_id, name, created_at)"
                      " VALUES (?1, ?2, ?3, ?4)",
    [ST_ENV_LIST] = "SELECT id, account_id, name, created_at FROM environment"
                    " WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_APP_INSERT] = "INSERT INTO app (id, account_id, name, profile, created_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_APP_GET] = "SELECT id, account_id, name, profile, created_at FROM app WHERE id = ?1",
    [ST_APP_LIST] = "SELECT id, account_id, name, profile, created_at FROM app"
                    " WHERE id > ?1 ORDER BY id LIMIT ?2",
    [ST_APP_LIST_ACCOUNT] = "SELECT id, account_id, name, profile, created_at FROM app"
                            " WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_ACCOUNT_TTL_GET] = "SELECT token_max_lifetime FROM account WHERE id = ?1",
    [ST_ACCOUNT_TTL_SET] = "UPDATE account SET token_max_lifetime = ?2 WHERE id = ?1",
};
static const sq_table_t T = {SQ_T_ACCOUNTS, SQL, ST_COUNT};

static int row_account(sqlite3_stmt *st, void *o) {
  store_account_t *a = o;
  memset(a, 0, sizeof *a);
  if (store__copy(a->id, sizeof a->id, sq__col_text(st, 0)) ||
      store__copy(a->name, sizeof a->name, sq__col_text(st, 1)))
    return CUSTOS_ESTORE;
  a->created_at = sqlite3_column_int64(st, 2);
  return CUSTOS_OK;
}

static int row_env(sqlite3_stmt *st, void *o) {
  store_environment_t *e = o;
  memset(e, 0, sizeof *e);
  if (store__copy(e->id, sizeof e->id, sq__col_text(st, 0)) ||
      store__copy(e->account_id, sizeof e->account_id, sq__col_text(st, 1)) ||
      store__copy(e->name, sizeof e->name, sq__col_text(st, 2)))
    return CUSTOS_ESTORE;
  e->created_at = sqlite3_column_int64(st, 3);
  return CUSTOS_OK;
}

static int row_app(sqlite3_stmt *st, void *o) {
  store_app_t *a = o;
  memset(a, 0, sizeof *a);
  if (store__copy(a->id, sizeof a->id, sq__col_text(st, 0)) ||
      store__copy(a->account_id, sizeof a->account_id, sq__col_text(st, 1)) ||
      store__copy(a->name, sizeof a->name, sq__col_text(st, 2)) ||
      store__copy(a->profile, sizeof a->profile, sq__col_text(st, 3)))
    return CUSTOS_ESTORE;
  a->created_at = sqlite3_column_int64(st, 4);
  return CUSTOS_OK;
}

static const sq_row_t ROW_ACCOUNT = {row_account, NULL, sizeof(store_account_t)};
static const sq_row_t ROW_ENV = {row_env, NULL, sizeof(store_environment_t)};
static const sq_row_t ROW_APP = {row_app, NULL, sizeof(store_app_t)};

static int insert_env(sq_conn_t *c, const store_environment_t *e) {
  const sq_arg_t args[] = {SQ_TEXT(e->id), SQ_TEXT(e->account_id), SQ_TEXT(e->name),
                           SQ_INT(e->created_at)};
  return sq__exec(c, &T, ST_ENV_INSERT, args, SQ_NARGS(args));
}

int sq__account_create(void *impl, const store_account_t *a, const store_environment_t *envs,
                       int nenv) {
  sq_t *q = impl;
  sq_conn_t *c;
  int rc;
  const sq_arg_t args[] = {SQ_TEXT(a->id), SQ_TEXT(a->name), SQ_INT(a->created_at)};
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__begin(c))) goto out;
  if ((rc = sq__exec(c, &T, ST_ACCOUNT_INSERT, args, SQ_NARGS(args)))) goto fail;
  for (int i = 0; i < nenv; i++)
    if ((rc = insert_env(c, &envs[i]))) goto fail;
  if ((rc = sq__commit(c))) goto fail;
  goto out;
fail:
  sq__rollback(c);
out:
  sq__writer_put(q);
  return rc;
}

int sq__account_get(void *impl, const char *id, store_account_t *out) {
  const sq_arg_t args[] = {SQ_TEXT(id)};
  return sq__get(impl, &T, ST_ACCOUNT_GET, args, SQ_NARGS(args), &ROW_ACCOUNT, out);
}

int sq__account_list(void *impl, const char *after, int limit, store_account_t *out, int *n) {
  const sq_arg_t args[] = {SQ_TEXT(after)};
  return sq__list(impl, &T, ST_ACCOUNT_LIST, args, SQ_NARGS(args), &ROW_ACCOUNT, out, limit, n);
}

int sq__environment_create(void *impl, const store_environment_t *e) {
  sq_t *q = impl;
  sq_conn_t *c;
  int rc;
  if ((rc = sq__writer_get(q, &c))) return rc;
  rc = insert_env(c, e);
  sq__writer_put(q);
  return rc;
}

int sq__environment_list(void *impl, const char *account_id, const char *after, int limit,
                         store_environment_t *out, int *n) {
  const sq_arg_t args[] = {SQ_TEXT(account_id), SQ_TEXT(after)};
  return sq__list(impl, &T, ST_ENV_LIST, args, SQ_NARGS(args), &ROW_ENV, out, limit, n);
}

int sq__app_create(void *impl, const store_app_t *a) {
  const sq_arg_t args[] = {SQ_TEXT(a->id), SQ_TEXT(a->account_id), SQ_TEXT(a->name),
                           SQ_TEXT(a->profile), SQ_INT(a->created_at)};
  return sq__write(impl, &T, ST_APP_INSERT, args, SQ_NARGS(args));
}

int sq__app_get(void *impl, const char *id, store_app_t *out) {
  const sq_arg_t args[] = {SQ_TEXT(id)};
  return sq__get(impl, &T, ST_APP_GET, args, SQ_NARGS(args), &ROW_APP, out);
}

int sq__app_list(void *impl, const char *account_id, const char *after, int limit,
                 store_app_t *out, int *n) {
  if (account_id) {
    const sq_arg_t args[] = {SQ_TEXT(account_id), SQ_TEXT(after)};
    return sq__list(impl, &T, ST_APP_LIST_ACCOUNT, args, SQ_NARGS(args), &ROW_APP, out, limit, n);
  }
  const sq_arg_t args[] = {SQ_TEXT(after)};
  return sq__list(impl, &T, ST_APP_LIST, args, SQ_NARGS(args), &ROW_APP, out, limit, n);
}

int sq__account_token_lifetime(void *impl, const char *account_id, int64_t *out) {
  const sq_arg_t args[] = {SQ_TEXT(account_id)};
  return sq__get(impl, &T, ST_ACCOUNT_TTL_GET, args, SQ_NARGS(args), &sq__row_i64, out);
}

int sq__account_set_token_lifetime(void *impl, const char *account_id, int64_t seconds) {
  const sq_arg_t args[] = {SQ_TEXT(account_id), SQ_INT(seconds)};
  return sq__update_one(impl, &T, ST_ACCOUNT_TTL_SET, args, SQ_NARGS(args));
}
