/*
 * postgres.c — the PostgreSQL backend (libpq).
 *
 * A fixed pool of connections guarded by a mutex and a condition variable;
 * a caller waits at most STORE_CHECKOUT_TIMEOUT_MS for a free one. Only the
 * first connection is opened by store_open (so an unreachable server fails
 * there, within connect_timeout); the others open on first checkout.
 * A connection found broken (PQstatus != CONNECTION_OK) is re-established
 * on its next checkout, so a PostgreSQL restart heals by itself; read-only
 * statements that fail on a connection that just broke are retried once on
 * a fresh one. Writes are not retried: the server may have committed.
 *
 * Statements are prepared once per connection (PQprepare, named
 * "custos_<n>"), with text parameters; the prepared set is forgotten when a
 * connection is replaced.
 *
 * Listeners (store_listen) live in pg_listen.c, outside the pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/backend.h"
#include "store/migrations.h"
#include "store/pg.h"

/* Key for pg_advisory_xact_lock while migrating: "custosMG" as bytes. */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(7166468213474576711)"

enum {
  PS_PING,
  PS_HAS_MIGRATIONS,
  PS_VERSION,
  PS_MIGRATION_INSERT,
  PS_ACCOUNT_INSERT,
  PS_ACCOUNT_GET,
  PS_ACCOUNT_LIST,
  PS_ENV_INSERT,
  PS_ENV_LIST,
  PS_APP_INSERT,
  PS_APP_GET,
  PS_APP_LIST,
  PS_APP_LIST_ACCOUNT,
  PS_AUDIT_INSERT,
  PS_AUDIT_LIST,
  PS_KEY_INSERT,
  PS_KEY_GET,
  PS_KEY_GET_HASH,
  PS_KEY_LIST,
  PS_KEY_LIST_APP,
  PS_KEY_SET_SCOPES,
  PS_KEY_REVOKE,
  PS_KEY_MARK_ROTATED,
  PS_KEY_INSERT_ROTATED,
  PS_KEY_USAGE,
  PS_ADM_INSERT,
  PS_ADM_GET_HASH,
  PS_ADM_COUNT_ACTIVE,
  PS_ADM_REVOKE,
  PS_NOTIFY,
  PS_SK_INSERT,
  PS_SK_LIST,
  PS_SK_LIST_STATE,
  PS_SK_RETIRE,
  PS_SK_PROMOTE,
  PS_SK_INSERT_ROTATED,
  PS_SK_GENERATION,
  PS_USER_INSERT,
  PS_USER_GET,
  PS_USER_LIST_APP,
  PS_UTK_INSERT,
  PS_UTK_GET,
  PS_UTK_GET_HASH,
  PS_UTK_REVOKE,
  PS_UTK_MARK_ROTATED,
  PS_UTK_INSERT_ROTATED,
  PS_UTK_USAGE,
  PS_UTK_LIST_USER,
  PS_MERCHANT_ENSURE,
  PS_MERCHANT_GET,
  PS_MERCHANT_GET_MID,
  PS_MERCHANT_SET_SECRET,
  PS_CLIENT_UPSERT,
  PS_CLIENT_GET,
  PS_CLIENT_LIST,
  PS_ENTITY_INSERT,
  PS_ENTITY_GET,
  PS_ENTITY_LIST,
  PS_ACCOUNT_TTL_GET,
  PS_ACCOUNT_TTL_SET,
  PS_COUNT
};

/* Key for pg_advisory_xact_lock while rotating signing keys: "custosSK". */
#define SIGNING_LOCK_SQL "SELECT pg_advisory_xact_lock(7166761325953241931)"

typedef struct query {
  const char *sql;
  int nparams;
  bool readonly; /* safe to retry on a fresh connection */
} query_t;

static const query_t Q[PS_COUNT] = {
    [PS_PING] = {"SELECT 1", 0, true},
    [PS_HAS_MIGRATIONS] = {"SELECT to_regclass('schema_migrations') IS NOT NULL", 0, true},
    [PS_VERSION] = {"SELECT COALESCE(MAX(version), 0) FROM schema_migrations", 0, true},
    [PS_MIGRATION_INSERT] = {"INSERT INTO schema_migrations (version, applied_at)"
                             " VALUES ($1, $2)",
                             2, false},
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
    [PS_AUDIT_INSERT] = {"INSERT INTO audit_event (at, actor, action, target, outcome, remote,"
                         " request_id, detail_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                         8, false},
    [PS_AUDIT_LIST] = {"SELECT id, at, actor, action, target, outcome, remote, request_id,"
                       " detail_json FROM audit_event WHERE id > $1 ORDER BY id LIMIT $2",
                       2, true},
    /* The environment must belong to the app's account: the SELECT yields
     * no row otherwise, and nothing is inserted. Parameters in a SELECT
     * list have no type context, hence the casts. */
    [PS_KEY_INSERT] = {"INSERT INTO api_key (id, app_id, account_id, environment_id, kind, name,"
                       " start, hash, scopes, created_at, expires_at)"
                       " SELECT $1::text, app.id, app.account_id, environment.id, $4::text,"
                       " $5::text, $6::text, $7::text, $8::text, $9::bigint, $10::bigint"
                       " FROM app JOIN environment ON environment.account_id = app.account_id"
                       " WHERE app.id = $2 AND environment.id = $3 RETURNING account_id",
                       10, false},
    [PS_KEY_GET] = {"SELECT " KEY_COLS " FROM api_key WHERE id = $1", 1, true},
    [PS_KEY_GET_HASH] = {"SELECT " KEY_COLS " FROM api_key WHERE hash = $1", 1, true},
    [PS_KEY_LIST] = {"SELECT " KEY_COLS " FROM api_key WHERE id > $1 ORDER BY id LIMIT $2", 2,
                     true},
    [PS_KEY_LIST_APP] = {"SELECT " KEY_COLS " FROM api_key"
                         " WHERE app_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                         3, true},
    [PS_KEY_SET_SCOPES] = {"UPDATE api_key SET scopes = $2 WHERE id = $1", 2, false},
    /* Matches the row even when already revoked, so the row count tells
     * "found" from "not found" while the first revoked_at is kept. */
    [PS_KEY_REVOKE] = {"UPDATE api_key SET revoked_at = CASE WHEN revoked_at = 0 THEN $2::bigint"
                       " ELSE revoked_at END WHERE id = $1",
                       2, false},
    /* Under READ COMMITTED a concurrent rotation blocks on the row lock and
     * then re-checks the WHERE clause against the committed row: one wins. */
    [PS_KEY_MARK_ROTATED] = {"UPDATE api_key SET grace_until = $2, replaced_by = $3"
                             " WHERE id = $1 AND revoked_at = 0 AND replaced_by = ''",
                             3, false},
    [PS_KEY_INSERT_ROTATED] = {"INSERT INTO api_key (id, app_id, account_id, environment_id,"
                               " kind, name, start, hash, scopes, created_at, expires_at)"
                               " SELECT $2::text, app_id, account_id, environment_id, kind, name,"
                               " $3::text, $4::text, scopes, $5::bigint, expires_at"
                               " FROM api_key WHERE id = $1 RETURNING " KEY_COLS,
                               5, false},
    [PS_KEY_USAGE] = {"UPDATE api_key SET use_count = CASE WHEN use_count >"
                      " 9223372036854775807 - $2::bigint THEN 9223372036854775807"
                      " ELSE use_count + $2::bigint END,"
                      " last_used_at = GREATEST(last_used_at, $3::bigint) WHERE id = $1",
                      3, false},
    [PS_UTK_LIST_USER] = {"SELECT " UTK_COLS " FROM user_token WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                          3, true},
    [PS_ADM_INSERT] = {"INSERT INTO admin_token (" ADM_COLS ") VALUES ($1, $2, $3, $4, 0)", 4,
                       false},
    [PS_ADM_GET_HASH] = {"SELECT " ADM_COLS " FROM admin_token WHERE hash = $1", 1, true},
    [PS_ADM_COUNT_ACTIVE] = {"SELECT count(*) FROM admin_token WHERE revoked_at = 0", 0, true},
    [PS_ADM_REVOKE] = {"UPDATE admin_token SET revoked_at = CASE WHEN revoked_at = 0"
                       " THEN $2::bigint ELSE revoked_at END WHERE id = $1",
                       2, false},
    [PS_NOTIFY] = {"SELECT pg_notify($1, $2)", 2, false},
    [PS_SK_INSERT] = {"INSERT INTO signing_key (" SK_COLS ")"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
                      7, false},
    [PS_SK_LIST] = {"SELECT " SK_COLS " FROM signing_key ORDER BY created_at DESC, kid DESC"
                    " LIMIT $1",
                    1, true},
    [PS_SK_LIST_STATE] = {"SELECT " SK_COLS " FROM signing_key WHERE state = $1"
                          " ORDER BY created_at DESC, kid DESC LIMIT $2",
                          2, true},
    /* Rotation steps, as in sqlite.c; run under SIGNING_LOCK_SQL so
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
                              " $5::bigint END, 0 FROM (SELECT EXISTS (SELECT 1 FROM signing_key"
                              " WHERE alg = $2::text AND state = 'active') AS a) t"
                              " RETURNING state, activated_at",
                              5, false},
    [PS_SK_GENERATION] = {"SELECT (count(*) + COALESCE(sum(created_at + activated_at +"
                          " retired_at), 0))::bigint FROM signing_key",
                          0, true},
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
    [PS_UTK_USAGE] = {"UPDATE user_token SET use_count = CASE WHEN use_count >"
                      " 9223372036854775807 - $2::bigint THEN 9223372036854775807"
                      " ELSE use_count + $2::bigint END,"
                      " last_used_at = GREATEST(last_used_at, $3::bigint) WHERE id = $1",
                      3, false},
    [PS_MERCHANT_ENSURE] = {"INSERT INTO merchant (app_id, merchant_id, created_at)"
                            " SELECT $1::text, COALESCE(MAX(merchant_id), 0) + 1, $2::bigint"
                            " FROM merchant ON CONFLICT (app_id) DO NOTHING",
                            2, false},
    [PS_MERCHANT_GET] = {"SELECT " MERCHANT_COLS " FROM merchant WHERE app_id = $1", 1, true},
    [PS_MERCHANT_GET_MID] = {"SELECT " MERCHANT_COLS " FROM merchant WHERE merchant_id = $1", 1,
                             true},
    [PS_MERCHANT_SET_SECRET] = {"UPDATE merchant SET secret_sealed = $2, secret_created_at = $3,"
                                " secret_rotated_at = $4, prev_sealed = $5, prev_valid_until = $6"
                                " WHERE app_id = $1 AND secret_sealed = $7",
                                7, false},
    [PS_CLIENT_UPSERT] = {"INSERT INTO assetpay_client (" CLIENT_COLS ")"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)"
                          " ON CONFLICT (app_id, steam_id) DO UPDATE SET"
                          " trade_url = excluded.trade_url,"
                          " partner_match = excluded.partner_match,"
                          " client_id = excluded.client_id, client_data = excluded.client_data,"
                          " risk_limit = excluded.risk_limit, risk_tier = excluded.risk_tier,"
                          " updated_at = excluded.updated_at,"
                          " auth_count = assetpay_client.auth_count + 1",
                          10, false},
    [PS_CLIENT_GET] = {"SELECT " CLIENT_COLS " FROM assetpay_client"
                       " WHERE app_id = $1 AND steam_id = $2",
                       2, true},
    [PS_CLIENT_LIST] = {"SELECT " CLIENT_COLS " FROM assetpay_client"
                        " WHERE app_id = $1 AND steam_id > $2 ORDER BY steam_id LIMIT $3",
                        3, true},
    [PS_ENTITY_INSERT] = {"INSERT INTO entity (id, account_id, name, created_at)"
                          " VALUES ($1, $2, $3, $4)",
                          4, false},
    [PS_ENTITY_GET] = {"SELECT id, account_id, name, created_at FROM entity WHERE id = $1", 1,
                       true},
    [PS_ENTITY_LIST] = {"SELECT id, account_id, name, created_at FROM entity"
                        " WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                        3, true},
    [PS_ACCOUNT_TTL_GET] = {"SELECT token_max_lifetime FROM account WHERE id = $1", 1, true},
    [PS_ACCOUNT_TTL_SET] = {"UPDATE account SET token_max_lifetime = $2::bigint WHERE id = $1", 2,
                            false},
};

_Static_assert(PS_COUNT <= 64, "prepared-statement bitmap is 64 bits");

_Static_assert(STORE_AQ_VARIANTS <= 32, "audit-find bitmap is 32 bits");



/* --- connections --------------------------------------------------------- */

void pg__quiet_notice(void *arg, const char *msg) {
  (void)arg;
  (void)msg;
}

/* Copies libpq's message into err, newlines folded. libpq does not echo
 * passwords in its messages. */
void pg__message(char *err, size_t errlen, const char *prefix, const char *msg) {
  if (!err || !errlen) return;
  snprintf(err, errlen, "%s%s", prefix, msg ? msg : "unknown error");
  size_t n = strlen(err);
  while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' ')) err[--n] = '\0';
  for (char *p = err; *p; p++)
    if (*p == '\n' || *p == '\t') *p = ' ';
}

static int pconn_connect(pg_t *g, pconn_t *pc, char *err, size_t errlen) {
  char timeout[16];
  snprintf(timeout, sizeof timeout, "%d", STORE_PG_CONNECT_TIMEOUT_S);
  /* dbname (the URL) comes last so values in the URL override ours. */
  const char *const kw[] = {"connect_timeout", "fallback_application_name", "client_encoding",
                            "dbname", NULL};
  const char *const val[] = {timeout, "custos", "UTF8", g->conninfo, NULL};

  if (pc->c) PQfinish(pc->c);
  pc->c = NULL;
  pc->prepared = 0;
  pc->fprepared = 0;
  PGconn *c = PQconnectdbParams(kw, val, 1);
  if (!c) {
    pg__message(err, errlen, "postgres: ", "out of memory");
    return CUSTOS_ENOMEM;
  }
  if (PQstatus(c) != CONNECTION_OK) {
    pg__message(err, errlen, "postgres: cannot connect: ", PQerrorMessage(c));
    store__scrub_url_secrets(err, errlen, g->conninfo);
    PQfinish(c);
    return CUSTOS_ESTORE;
  }
  PQsetNoticeProcessor(c, pg__quiet_notice, NULL);
  pc->c = c;
  return CUSTOS_OK;
}

static int checkout(pg_t *g, pconn_t **out) {
  struct timespec dl = store__deadline(STORE_CHECKOUT_TIMEOUT_MS);
  pconn_t *pc = NULL;
  int wrc = 0, rc;
  char err[512];

  pthread_mutex_lock(&g->mu);
  for (;;) {
    /* Prefer a free slot that already holds a connection. */
    for (int i = 0; i < g->n; i++) {
      if (g->conns[i].busy) continue;
      if (!pc || (!pc->c && g->conns[i].c)) pc = &g->conns[i];
    }
    if (pc || wrc) break;
    wrc = pthread_cond_timedwait(&g->cv, &g->mu, &dl);
  }
  if (pc) pc->busy = true;
  pthread_mutex_unlock(&g->mu);
  if (!pc) {
    log_msg(LOG_ERROR, "store: postgres: no free connection after %d ms",
            STORE_CHECKOUT_TIMEOUT_MS);
    return CUSTOS_ESTORE;
  }
  /* PQconsumeInput reads whatever the server sent while we were idle
   * (libpq sockets are non-blocking): after a server restart or
   * pg_terminate_backend that is EOF, which marks the connection bad, so we
   * reconnect here instead of failing the caller's first statement. The
   * second call sees the EOF that follows the server's FATAL message. */
  if (!pc->c || PQconsumeInput(pc->c) == 0 || PQconsumeInput(pc->c) == 0 ||
      PQstatus(pc->c) != CONNECTION_OK) {
    if ((rc = pconn_connect(g, pc, err, sizeof err))) {
      log_msg(LOG_ERROR, "store: %s", err);
      pthread_mutex_lock(&g->mu);
      pc->busy = false;
      pthread_cond_signal(&g->cv);
      pthread_mutex_unlock(&g->mu);
      return rc;
    }
  }
  *out = pc;
  return CUSTOS_OK;
}

/* Returns `pc` to the pool. A connection left inside a transaction (only
 * after a failure) is rolled back, or dropped if that fails. */
static void checkin(pg_t *g, pconn_t *pc) {
  if (pc->c && PQtransactionStatus(pc->c) != PQTRANS_IDLE) {
    PQclear(PQexec(pc->c, "ROLLBACK"));
    if (PQtransactionStatus(pc->c) != PQTRANS_IDLE) {
      PQfinish(pc->c);
      pc->c = NULL;
      pc->prepared = 0;
      pc->fprepared = 0;
    }
  }
  pthread_mutex_lock(&g->mu);
  pc->busy = false;
  pthread_cond_signal(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

static void pg_close(void *impl) {
  pg_t *g = impl;
  if (!g) return;
  pg__listeners_stop(g);
  pthread_mutex_destroy(&g->lmu);
  for (int i = 0; i < g->n; i++)
    if (g->conns[i].c) PQfinish(g->conns[i].c);
  free(g->conns);
  free(g->conninfo);
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
  free(g);
}

int store__pg_open(const char *conninfo, const store_opts_t *opts, void **impl_out, char *err,
                   size_t errlen) {
  pthread_condattr_t ca;
  int rc = CUSTOS_ENOMEM;
  char *perr = NULL;

  /* A URL libpq cannot parse is the caller's mistake, not an outage. */
  PQconninfoOption *parsed = PQconninfoParse(conninfo, &perr);
  if (!parsed) {
    pg__message(err, errlen, "invalid postgres URL: ", perr ? perr : "out of memory");
    store__scrub_url_secrets(err, errlen, conninfo);
    PQfreemem(perr);
    return perr ? CUSTOS_EINVAL : CUSTOS_ENOMEM;
  }
  PQconninfoFree(parsed);

  pg_t *g = calloc(1, sizeof *g);
  if (!g) goto oom;
  g->stop_rd = g->stop_wr = -1;
  pthread_mutex_init(&g->mu, NULL);
  pthread_mutex_init(&g->lmu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->cv, &ca);
  pthread_condattr_destroy(&ca);
  g->conninfo = strdup(conninfo);
  g->conns = calloc((size_t)opts->pool_size, sizeof *g->conns);
  if (!g->conninfo || !g->conns) goto oom;
  g->n = opts->pool_size;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    if (err && errlen) snprintf(err, errlen, "postgres: pipe: %s", strerror(errno));
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  g->stop_rd = fds[0];
  g->stop_wr = fds[1];
  if ((rc = pconn_connect(g, &g->conns[0], err, errlen))) goto fail;
  *impl_out = g;
  return CUSTOS_OK;

oom:
  if (err && errlen) snprintf(err, errlen, "out of memory");
fail:
  pg_close(g);
  return rc;
}

/* --- statements ---------------------------------------------------------- */

/* Maps a failed result to a custos code; logs store failures (primary
 * message only: DETAIL may quote bound values). Clears `r`. */
static int fail_rc(pconn_t *pc, PGresult *r, const char *what) {
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  int rc = CUSTOS_ESTORE;
  if (state && strcmp(state, "23505") == 0) {
    rc = CUSTOS_EEXISTS;
  } else if (state && strcmp(state, "23503") == 0) {
    rc = CUSTOS_ENOTFOUND;
  } else {
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[512];
    pg__message(msg, sizeof msg, "", m ? m : PQerrorMessage(pc->c));
    log_msg(LOG_ERROR, "store: postgres: %s: %s%s%s", what, msg, state ? " sqlstate " : "",
            state ? state : "");
  }
  PQclear(r);
  return rc;
}

bool pg__result_ok(const PGresult *r) {
  ExecStatusType st = PQresultStatus(r);
  return r && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK);
}

/* Runs fixed SQL (no parameters) through the simple protocol. */
static int simple(pconn_t *pc, const char *sql, const char *what) {
  PGresult *r = PQexec(pc->c, sql);
  if (!pg__result_ok(r)) return fail_rc(pc, r, what);
  PQclear(r);
  return CUSTOS_OK;
}

/* Executes prepared statement `id` (preparing it on first use on this
 * connection). On CUSTOS_OK *res_out is the result, caller clears it. */
static int run_once(pconn_t *pc, int id, const char *const *params, PGresult **res_out) {
  char name[24];
  PGresult *r;
  snprintf(name, sizeof name, "custos_%d", id);
  if (!(pc->prepared & (UINT64_C(1) << id))) {
    r = PQprepare(pc->c, name, Q[id].sql, Q[id].nparams, NULL);
    if (!pg__result_ok(r)) return fail_rc(pc, r, "prepare");
    PQclear(r);
    pc->prepared |= UINT64_C(1) << id;
  }
  r = PQexecPrepared(pc->c, name, Q[id].nparams, params, NULL, NULL, 0);
  if (!pg__result_ok(r)) return fail_rc(pc, r, Q[id].sql);
  *res_out = r;
  return CUSTOS_OK;
}

/* run_once, plus one retry of read-only statements outside a transaction
 * when the connection turned out to be broken (e.g. the server restarted
 * since this connection was last used). */
static int run(pg_t *g, pconn_t *pc, int id, const char *const *params, PGresult **res_out) {
  char err[512];
  int rc = run_once(pc, id, params, res_out);
  if (rc == CUSTOS_ESTORE && Q[id].readonly && PQstatus(pc->c) == CONNECTION_BAD) {
    if (pconn_connect(g, pc, err, sizeof err) == CUSTOS_OK) {
      rc = run_once(pc, id, params, res_out);
    } else {
      log_msg(LOG_ERROR, "store: %s", err);
    }
  }
  return rc;
}

/* --- rows ---------------------------------------------------------------- */

/* Decodes row `i` of `r` into `out`. On failure the row owns nothing. */
typedef int (*row_fn)(const PGresult *r, int i, void *out);
typedef void (*row_cleanup_fn)(void *row);

static int get_i64(const PGresult *r, int i, int col, int64_t *v) {
  return store__parse_i64(PQgetvalue(r, i, col), v) ? CUSTOS_OK : CUSTOS_ESTORE;
}

static int fn_account(const PGresult *r, int i, void *o) {
  store_account_t *a = o;
  memset(a, 0, sizeof *a);
  if (store__copy(a->id, sizeof a->id, PQgetvalue(r, i, 0)) ||
      store__copy(a->name, sizeof a->name, PQgetvalue(r, i, 1)))
    return CUSTOS_ESTORE;
  return get_i64(r, i, 2, &a->created_at);
}

static int fn_env(const PGresult *r, int i, void *o) {
  store_environment_t *e = o;
  memset(e, 0, sizeof *e);
  if (store__copy(e->id, sizeof e->id, PQgetvalue(r, i, 0)) ||
      store__copy(e->account_id, sizeof e->account_id, PQgetvalue(r, i, 1)) ||
      store__copy(e->name, sizeof e->name, PQgetvalue(r, i, 2)))
    return CUSTOS_ESTORE;
  return get_i64(r, i, 3, &e->created_at);
}

static int fn_app(const PGresult *r, int i, void *o) {
  store_app_t *a = o;
  memset(a, 0, sizeof *a);
  if (store__copy(a->id, sizeof a->id, PQgetvalue(r, i, 0)) ||
      store__copy(a->account_id, sizeof a->account_id, PQgetvalue(r, i, 1)) ||
      store__copy(a->name, sizeof a->name, PQgetvalue(r, i, 2)) ||
      store__copy(a->profile, sizeof a->profile, PQgetvalue(r, i, 3)))
    return CUSTOS_ESTORE;
  return get_i64(r, i, 4, &a->created_at);
}

static int fn_audit(const PGresult *r, int i, void *o) {
  store_audit_t *e = o;
  memset(e, 0, sizeof *e);
  if (get_i64(r, i, 0, &e->id) || get_i64(r, i, 1, &e->at) ||
      store__copy(e->actor, sizeof e->actor, PQgetvalue(r, i, 2)) ||
      store__copy(e->action, sizeof e->action, PQgetvalue(r, i, 3)) ||
      store__copy(e->target, sizeof e->target, PQgetvalue(r, i, 4)) ||
      store__copy(e->outcome, sizeof e->outcome, PQgetvalue(r, i, 5)) ||
      store__copy(e->remote, sizeof e->remote, PQgetvalue(r, i, 6)) ||
      store__copy(e->request_id, sizeof e->request_id, PQgetvalue(r, i, 7)))
    return CUSTOS_ESTORE;
  /* Last, so a failure above leaves nothing allocated. */
  if (!PQgetisnull(r, i, 8)) {
    e->detail_json = strdup(PQgetvalue(r, i, 8));
    if (!e->detail_json) return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

static int fn_key(const PGresult *r, int i, void *o) {
  store_api_key_t *k = o;
  memset(k, 0, sizeof *k);
  if (store__copy(k->id, sizeof k->id, PQgetvalue(r, i, 0)) ||
      store__copy(k->app_id, sizeof k->app_id, PQgetvalue(r, i, 1)) ||
      store__copy(k->account_id, sizeof k->account_id, PQgetvalue(r, i, 2)) ||
      store__copy(k->environment_id, sizeof k->environment_id, PQgetvalue(r, i, 3)) ||
      store__copy(k->kind, sizeof k->kind, PQgetvalue(r, i, 4)) ||
      store__copy(k->name, sizeof k->name, PQgetvalue(r, i, 5)) ||
      store__copy(k->start, sizeof k->start, PQgetvalue(r, i, 6)) ||
      store__hash_unhex(PQgetvalue(r, i, 7), k->hash) ||
      store__copy(k->scopes, sizeof k->scopes, PQgetvalue(r, i, 8)) ||
      get_i64(r, i, 9, &k->created_at) || get_i64(r, i, 10, &k->expires_at) ||
      get_i64(r, i, 11, &k->revoked_at) || get_i64(r, i, 12, &k->grace_until) ||
      store__copy(k->replaced_by, sizeof k->replaced_by, PQgetvalue(r, i, 13)) ||
      get_i64(r, i, 14, &k->last_used_at) || get_i64(r, i, 15, &k->use_count))
    return CUSTOS_ESTORE;
  return CUSTOS_OK;
}

static int fn_admin(const PGresult *r, int i, void *o) {
  store_admin_token_t *t = o;
  memset(t, 0, sizeof *t);
  if (store__copy(t->id, sizeof t->id, PQgetvalue(r, i, 0)) ||
      store__copy(t->name, sizeof t->name, PQgetvalue(r, i, 1)) ||
      store__hash_unhex(PQgetvalue(r, i, 2), t->hash) || get_i64(r, i, 3, &t->created_at) ||
      get_i64(r, i, 4, &t->revoked_at))
    return CUSTOS_ESTORE;
  return CUSTOS_OK;
}

static int fn_count(const PGresult *r, int i, void *o) { return get_i64(r, i, 0, o); }

static int fn_user(const PGresult *r, int i, void *o) {
  store_user_t *u = o;
  memset(u, 0, sizeof *u);
  if (store__copy(u->id, sizeof u->id, PQgetvalue(r, i, 0)) ||
      store__copy(u->account_id, sizeof u->account_id, PQgetvalue(r, i, 1)) ||
      store__copy(u->app_id, sizeof u->app_id, PQgetvalue(r, i, 2)) ||
      store__copy(u->external_id, sizeof u->external_id, PQgetvalue(r, i, 3)))
    return CUSTOS_ESTORE;
  return get_i64(r, i, 4, &u->created_at);
}

static int fn_signing(const PGresult *r, int i, void *o) {
  store_signing_key_t *k = o;
  memset(k, 0, sizeof *k);
  if (store__copy(k->kid, sizeof k->kid, PQgetvalue(r, i, 0)) ||
      store__copy(k->alg, sizeof k->alg, PQgetvalue(r, i, 1)) ||
      store__copy(k->state, sizeof k->state, PQgetvalue(r, i, 2)) ||
      get_i64(r, i, 5, &k->created_at) || get_i64(r, i, 6, &k->activated_at) ||
      get_i64(r, i, 7, &k->retired_at))
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

static void cleanup_audit(void *row) { store_audit_cleanup(row); }

static int fn_merchant(const PGresult *r, int i, void *o) {
  store_merchant_t *m = o;
  memset(m, 0, sizeof *m);
  if (store__copy(m->app_id, sizeof m->app_id, PQgetvalue(r, i, 0)) ||
      get_i64(r, i, 1, &m->merchant_id) ||
      store__copy(m->secret_sealed, sizeof m->secret_sealed, PQgetvalue(r, i, 2)) ||
      get_i64(r, i, 3, &m->secret_created_at) || get_i64(r, i, 4, &m->secret_rotated_at) ||
      store__copy(m->prev_sealed, sizeof m->prev_sealed, PQgetvalue(r, i, 5)) ||
      get_i64(r, i, 6, &m->prev_valid_until) || get_i64(r, i, 7, &m->created_at))
    return CUSTOS_ESTORE;
  return CUSTOS_OK;
}

static int fn_client(const PGresult *r, int i, void *o) {
  store_ap_client_t *c = o;
  int64_t pm = 0, tier = 0;
  memset(c, 0, sizeof *c);
  if (store__copy(c->app_id, sizeof c->app_id, PQgetvalue(r, i, 0)) ||
      store__copy(c->steam_id, sizeof c->steam_id, PQgetvalue(r, i, 1)) ||
      store__copy(c->trade_url, sizeof c->trade_url, PQgetvalue(r, i, 2)) ||
      get_i64(r, i, 3, &pm) ||
      store__copy(c->client_id, sizeof c->client_id, PQgetvalue(r, i, 4)) ||
      get_i64(r, i, 6, &c->risk_limit) || get_i64(r, i, 7, &tier) ||
      get_i64(r, i, 8, &c->created_at) || get_i64(r, i, 9, &c->updated_at) ||
      get_i64(r, i, 10, &c->auth_count))
    return CUSTOS_ESTORE;
  c->partner_match = pm != 0;
  c->risk_tier = (int)tier;
  /* Last, so a failure above leaves nothing allocated. */
  if (!PQgetisnull(r, i, 5)) {
    c->client_data = strdup(PQgetvalue(r, i, 5));
    if (!c->client_data) return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

static void cleanup_client(void *row) { store_ap_client_cleanup(row); }

/*
 * Runs read statement `id` with `params` and decodes up to `limit` rows of
 * `size` bytes into `out`. With `notfound`, zero rows is CUSTOS_ENOTFOUND.
 * On failure rows decoded so far are released with `cleanup` (may be NULL).
 */
static int pg_select(pg_t *g, int id, const char *const *params, row_fn fn,
                     row_cleanup_fn cleanup, void *out, size_t size, int limit, bool notfound,
                     int *n_out) {
  pconn_t *pc;
  PGresult *r = NULL;
  int rc, n = 0;
  if ((rc = checkout(g, &pc))) return rc;
  if ((rc = run(g, pc, id, params, &r))) goto out;
  int rows = PQntuples(r);
  if (rows > limit) rows = limit;
  for (; n < rows; n++)
    if ((rc = fn(r, n, (char *)out + (size_t)n * size))) break;
  if (rc == CUSTOS_ESTORE) log_msg(LOG_ERROR, "store: postgres: malformed row from %s", Q[id].sql);
  if (rc == CUSTOS_OK && notfound && n == 0) rc = CUSTOS_ENOTFOUND;
  if (rc == CUSTOS_OK && n_out) *n_out = n;
  if (rc != CUSTOS_OK && cleanup)
    for (int i = 0; i < n; i++) cleanup((char *)out + (size_t)i * size);
out:
  PQclear(r);
  checkin(g, pc);
  return rc;
}

/* Runs write statement `id` on a checked-out connection. */
static int exec_write(pg_t *g, pconn_t *pc, int id, const char *const *params) {
  PGresult *r = NULL;
  int rc = run(g, pc, id, params, &r);
  PQclear(r);
  return rc;
}

/* --- ping / schema ------------------------------------------------------- */

static int pg_ping(void *impl) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  int rc;
  if ((rc = checkout(g, &pc))) return rc;
  rc = run(g, pc, PS_PING, NULL, &r);
  PQclear(r);
  checkin(g, pc);
  return rc;
}

static int read_version(pg_t *g, pconn_t *pc, int *v) {
  PGresult *r = NULL;
  int rc;
  int64_t n = 0;
  if ((rc = run(g, pc, PS_HAS_MIGRATIONS, NULL, &r))) return rc;
  bool exists = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  PQclear(r);
  r = NULL;
  if (!exists) {
    *v = 0;
    return CUSTOS_OK;
  }
  if ((rc = run(g, pc, PS_VERSION, NULL, &r))) return rc;
  if (PQntuples(r) != 1 || get_i64(r, 0, 0, &n) || n < 0 || n > 1000000) rc = CUSTOS_ESTORE;
  PQclear(r);
  if (rc == CUSTOS_OK) *v = (int)n;
  return rc;
}

static int pg_schema_version(void *impl, int *v) {
  pg_t *g = impl;
  pconn_t *pc;
  int rc;
  if ((rc = checkout(g, &pc))) return rc;
  rc = read_version(g, pc, v);
  checkin(g, pc);
  return rc;
}

/* Applies the next pending migration, if any, in one transaction holding
 * the migration advisory lock, so concurrent migrators take turns and each
 * sees the other's result. *done = true when nothing was pending. */
static int migrate_step(pg_t *g, pconn_t *pc, bool *done) {
  int rc, v = 0, bin = migrations_count();
  char ver[16], now[24];

  *done = false;
  if ((rc = simple(pc, "BEGIN", "begin"))) return rc;
  if ((rc = simple(pc, MIGRATE_LOCK_SQL, "migration lock"))) goto fail;
  if ((rc = simple(pc, MIGRATIONS_BOOTSTRAP_SQL, "bootstrap"))) goto fail;
  if ((rc = read_version(g, pc, &v))) goto fail;
  if (v > bin) {
    rc = CUSTOS_EVERSION;
    goto fail;
  }
  if (v == bin) {
    *done = true;
    return simple(pc, "ROLLBACK", "rollback");
  }
  if ((rc = simple(pc, migrations_sql(v + 1, STORE_DIALECT_PG), "migration"))) {
    log_msg(LOG_ERROR, "store: postgres: migration %d failed", v + 1);
    goto fail;
  }
  snprintf(ver, sizeof ver, "%d", v + 1);
  snprintf(now, sizeof now, "%lld", (long long)time(NULL));
  const char *const params[] = {ver, now};
  if ((rc = exec_write(g, pc, PS_MIGRATION_INSERT, params))) goto fail;
  if ((rc = simple(pc, "COMMIT", "commit"))) goto fail;
  return CUSTOS_OK;

fail:
  PQclear(PQexec(pc->c, "ROLLBACK"));
  return rc;
}

static int pg_migrate(void *impl, int *applied_out) {
  pg_t *g = impl;
  pconn_t *pc;
  int rc, applied = 0;
  bool done = false;
  if ((rc = checkout(g, &pc))) return rc;
  while (!done && rc == CUSTOS_OK) {
    rc = migrate_step(g, pc, &done);
    if (rc == CUSTOS_OK && !done) applied++;
  }
  checkin(g, pc);
  if (rc == CUSTOS_OK) *applied_out = applied;
  return rc;
}

/* --- writes -------------------------------------------------------------- */

static int insert_env(pg_t *g, pconn_t *pc, const store_environment_t *e) {
  char at[24];
  snprintf(at, sizeof at, "%lld", (long long)e->created_at);
  const char *const params[] = {e->id, e->account_id, e->name, at};
  return exec_write(g, pc, PS_ENV_INSERT, params);
}

static int pg_account_create(void *impl, const store_account_t *a,
                             const store_environment_t *envs, int nenv) {
  pg_t *g = impl;
  pconn_t *pc;
  char at[24];
  int rc;
  if ((rc = checkout(g, &pc))) return rc;
  if ((rc = simple(pc, "BEGIN", "begin"))) goto out;
  snprintf(at, sizeof at, "%lld", (long long)a->created_at);
  const char *const params[] = {a->id, a->name, at};
  if ((rc = exec_write(g, pc, PS_ACCOUNT_INSERT, params))) goto fail;
  for (int i = 0; i < nenv; i++)
    if ((rc = insert_env(g, pc, &envs[i]))) goto fail;
  if ((rc = simple(pc, "COMMIT", "commit"))) goto fail;
  goto out;
fail:
  PQclear(PQexec(pc->c, "ROLLBACK"));
out:
  checkin(g, pc);
  return rc;
}

static int pg_environment_create(void *impl, const store_environment_t *e) {
  pg_t *g = impl;
  pconn_t *pc;
  int rc;
  if ((rc = checkout(g, &pc))) return rc;
  rc = insert_env(g, pc, e);
  checkin(g, pc);
  return rc;
}

static int pg_app_create(void *impl, const store_app_t *a) {
  pg_t *g = impl;
  pconn_t *pc;
  char at[24];
  int rc;
  if ((rc = checkout(g, &pc))) return rc;
  snprintf(at, sizeof at, "%lld", (long long)a->created_at);
  const char *const params[] = {a->id, a->account_id, a->name, a->profile, at};
  rc = exec_write(g, pc, PS_APP_INSERT, params);
  checkin(g, pc);
  return rc;
}

static int pg_audit_append(void *impl, const store_audit_t *e) {
  pg_t *g = impl;
  pconn_t *pc;
  char at[24];
  int rc;
  if ((rc = checkout(g, &pc))) return rc;
  snprintf(at, sizeof at, "%lld", (long long)e->at);
  const char *const params[] = {at,        e->actor,  e->action,     e->target,
                                e->outcome, e->remote, e->request_id, e->detail_json};
  rc = exec_write(g, pc, PS_AUDIT_INSERT, params);
  checkin(g, pc);
  return rc;
}

/* --- reads --------------------------------------------------------------- */

static int pg_account_get(void *impl, const char *id, store_account_t *out) {
  const char *const params[] = {id};
  return pg_select(impl, PS_ACCOUNT_GET, params, fn_account, NULL, out, sizeof *out, 1, true,
                   NULL);
}

static int pg_account_list(void *impl, const char *after, int limit, store_account_t *out,
                           int *n) {
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit);
  const char *const params[] = {after, lim};
  return pg_select(impl, PS_ACCOUNT_LIST, params, fn_account, NULL, out, sizeof *out, limit,
                   false, n);
}

static int pg_environment_list(void *impl, const char *account_id, const char *after,
                               int limit, store_environment_t *out, int *n) {
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit);
  const char *const params[] = {account_id, after, lim};
  return pg_select(impl, PS_ENV_LIST, params, fn_env, NULL, out, sizeof *out, limit, false, n);
}

static int pg_app_get(void *impl, const char *id, store_app_t *out) {
  const char *const params[] = {id};
  return pg_select(impl, PS_APP_GET, params, fn_app, NULL, out, sizeof *out, 1, true, NULL);
}

static int pg_app_list(void *impl, const char *account_id, const char *after, int limit,
                       store_app_t *out, int *n) {
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit);
  if (account_id) {
    const char *const params[] = {account_id, after, lim};
    return pg_select(impl, PS_APP_LIST_ACCOUNT, params, fn_app, NULL, out, sizeof *out, limit,
                     false, n);
  }
  const char *const params[] = {after, lim};
  return pg_select(impl, PS_APP_LIST, params, fn_app, NULL, out, sizeof *out, limit, false, n);
}

static int pg_audit_list(void *impl, int64_t after, int limit, store_audit_t *out, int *n) {
  char lim[16], aft[24];
  snprintf(lim, sizeof lim, "%d", limit);
  snprintf(aft, sizeof aft, "%lld", (long long)after);
  const char *const params[] = {aft, lim};
  return pg_select(impl, PS_AUDIT_LIST, params, fn_audit, cleanup_audit, out, sizeof *out,
                   limit, false, n);
}

/* --- audit queries ------------------------------------------------------- */

/* Like run(), for audit-find variant `mask` (prepared as "custos_f<mask>"). */
static int run_find_once(pconn_t *pc, unsigned mask, int nparams, const char *const *params,
                         PGresult **res_out) {
  char name[24], sql[512];
  PGresult *r;
  snprintf(name, sizeof name, "custos_f%u", mask);
  if (!(pc->fprepared & (UINT32_C(1) << mask))) {
    store__audit_find_sql(mask, true, sql, sizeof sql);
    r = PQprepare(pc->c, name, sql, nparams, NULL);
    if (!pg__result_ok(r)) return fail_rc(pc, r, "prepare");
    PQclear(r);
    pc->fprepared |= UINT32_C(1) << mask;
  }
  r = PQexecPrepared(pc->c, name, nparams, params, NULL, NULL, 0);
  if (!pg__result_ok(r)) return fail_rc(pc, r, "audit find");
  *res_out = r;
  return CUSTOS_OK;
}

static int pg_audit_find(void *impl, const store__audit_query_t *q, int64_t after, int limit,
                         store_audit_t *out, int *n_out) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  char aft[24], lim[16], since[24], err[512];
  const char *params[8];
  int np = 0, rc, n = 0;

  snprintf(aft, sizeof aft, "%lld", (long long)after);
  snprintf(lim, sizeof lim, "%d", limit);
  snprintf(since, sizeof since, "%lld", (long long)q->since);
  params[np++] = aft;
  if (q->mask & STORE_AQ_ACTION) params[np++] = q->action;
  if (q->mask & STORE_AQ_PREFIX) params[np++] = q->action, params[np++] = q->action_hi;
  if (q->mask & STORE_AQ_TARGET) params[np++] = q->target;
  if (q->mask & STORE_AQ_ACTOR) params[np++] = q->actor;
  if (q->mask & STORE_AQ_SINCE) params[np++] = since;
  params[np++] = lim;

  if ((rc = checkout(g, &pc))) return rc;
  rc = run_find_once(pc, q->mask, np, params, &r);
  if (rc == CUSTOS_ESTORE && PQstatus(pc->c) == CONNECTION_BAD) { /* read-only: retry once */
    if (pconn_connect(g, pc, err, sizeof err) == CUSTOS_OK)
      rc = run_find_once(pc, q->mask, np, params, &r);
    else
      log_msg(LOG_ERROR, "store: %s", err);
  }
  if (rc) goto out;
  int rows = PQntuples(r);
  if (rows > limit) rows = limit;
  for (; n < rows; n++)
    if ((rc = fn_audit(r, n, &out[n]))) break;
  if (rc == CUSTOS_OK) {
    *n_out = n;
  } else {
    if (rc == CUSTOS_ESTORE) log_msg(LOG_ERROR, "store: postgres: malformed audit row");
    for (int i = 0; i < n; i++) store_audit_cleanup(&out[i]);
  }
out:
  PQclear(r);
  checkin(g, pc);
  return rc;
}

/* --- API keys ------------------------------------------------------------ */

/* Runs write statement `id`; *rows gets the number of rows it affected. */
static int exec_count(pg_t *g, pconn_t *pc, int id, const char *const *params, int64_t *rows) {
  PGresult *r = NULL;
  int rc = run(g, pc, id, params, &r);
  if (rc == CUSTOS_OK && !store__parse_i64(PQcmdTuples(r), rows)) rc = CUSTOS_ESTORE;
  PQclear(r);
  return rc;
}

/* A one-statement UPDATE by id; CUSTOS_ENOTFOUND when no row matched. */
static int update_one(pg_t *g, int id, const char *const *params) {
  pconn_t *pc;
  int64_t rows = 0;
  int rc;
  if ((rc = checkout(g, &pc))) return rc;
  rc = exec_count(g, pc, id, params, &rows);
  if (rc == CUSTOS_OK && rows == 0) rc = CUSTOS_ENOTFOUND;
  checkin(g, pc);
  return rc;
}

static int pg_api_key_create(void *impl, store_api_key_t *k) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  char at[24], exp[24], hex[STORE_HASH_HEX_MAX];
  int rc;
  snprintf(at, sizeof at, "%lld", (long long)k->created_at);
  snprintf(exp, sizeof exp, "%lld", (long long)k->expires_at);
  store__hash_hex(k->hash, hex);
  const char *const params[] = {k->id,    k->app_id, k->environment_id, k->kind, k->name,
                                k->start, hex,       k->scopes,         at,      exp};
  if ((rc = checkout(g, &pc))) return rc;
  if ((rc = run(g, pc, PS_KEY_INSERT, params, &r))) goto out;
  if (PQntuples(r) == 0)
    rc = CUSTOS_ENOTFOUND; /* no such app, or environment of another account */
  else
    rc = store__copy(k->account_id, sizeof k->account_id, PQgetvalue(r, 0, 0));
out:
  PQclear(r);
  checkin(g, pc);
  return rc;
}

static int pg_api_key_get(void *impl, const char *id, store_api_key_t *out) {
  const char *const params[] = {id};
  return pg_select(impl, PS_KEY_GET, params, fn_key, NULL, out, sizeof *out, 1, true, NULL);
}

static int pg_api_key_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                  store_api_key_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  const char *const params[] = {hex};
  return pg_select(impl, PS_KEY_GET_HASH, params, fn_key, NULL, out, sizeof *out, 1, true,
                   NULL);
}

static int pg_api_key_list(void *impl, const char *app_id, const char *after, int limit,
                           store_api_key_t *out, int *n) {
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit);
  if (app_id) {
    const char *const params[] = {app_id, after, lim};
    return pg_select(impl, PS_KEY_LIST_APP, params, fn_key, NULL, out, sizeof *out, limit,
                     false, n);
  }
  const char *const params[] = {after, lim};
  return pg_select(impl, PS_KEY_LIST, params, fn_key, NULL, out, sizeof *out, limit, false, n);
}

static int pg_api_key_set_scopes(void *impl, const char *id, const char *scopes) {
  const char *const params[] = {id, scopes};
  return update_one(impl, PS_KEY_SET_SCOPES, params);
}

static int pg_api_key_revoke(void *impl, const char *id, int64_t at) {
  char v[24];
  snprintf(v, sizeof v, "%lld", (long long)at);
  const char *const params[] = {id, v};
  return update_one(impl, PS_KEY_REVOKE, params);
}

/* Statements of one rotation: mark the old row, read it (to tell absent
 * from not rotatable), insert the new one copied from it. */
typedef struct rotate_sql {
  int mark, get, insert;
} rotate_sql_t;

static int rotate(void *impl, const rotate_sql_t *rs, const char *old_id, int64_t grace_until,
                  store_api_key_t *nk);

static int pg_api_key_rotate(void *impl, const char *old_id, int64_t grace_until,
                             store_api_key_t *nk) {
  static const rotate_sql_t RS = {PS_KEY_MARK_ROTATED, PS_KEY_GET, PS_KEY_INSERT_ROTATED};
  return rotate(impl, &RS, old_id, grace_until, nk);
}

static int rotate(void *impl, const rotate_sql_t *rs, const char *old_id, int64_t grace_until,
                  store_api_key_t *nk) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  store_api_key_t row;
  char grace[24], at[24], hex[STORE_HASH_HEX_MAX];
  int64_t rows = 0;
  int rc;
  snprintf(grace, sizeof grace, "%lld", (long long)grace_until);
  snprintf(at, sizeof at, "%lld", (long long)nk->created_at);
  store__hash_hex(nk->hash, hex);
  if ((rc = checkout(g, &pc))) return rc;
  if ((rc = simple(pc, "BEGIN", "begin"))) goto out;
  /* Mark first: the WHERE clause is the "neither revoked nor rotated"
   * check, and the row lock it takes serialises rotations of this key. */
  const char *const mark[] = {old_id, grace, nk->id};
  if ((rc = exec_count(g, pc, rs->mark, mark, &rows))) goto fail;
  if (rows == 0) {
    /* Absent, or revoked / already rotated: tell which. */
    const char *const get[] = {old_id};
    if ((rc = run(g, pc, rs->get, get, &r))) goto fail;
    rc = PQntuples(r) == 0 ? CUSTOS_ENOTFOUND : CUSTOS_EINVAL;
    goto fail;
  }
  const char *const ins[] = {old_id, nk->id, nk->start, hex, at};
  if ((rc = run(g, pc, rs->insert, ins, &r))) goto fail;
  if (PQntuples(r) != 1 || fn_key(r, 0, &row)) {
    log_msg(LOG_ERROR, "store: postgres: malformed row from rotation");
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if ((rc = simple(pc, "COMMIT", "commit"))) goto fail;
  *nk = row;
  goto out;
fail:
  PQclear(PQexec(pc->c, "ROLLBACK"));
out:
  PQclear(r);
  checkin(g, pc);
  return rc;
}

static int record_usage(void *impl, int id, const store_key_usage_t *u, int n);

static int pg_api_key_record_usage(void *impl, const store_key_usage_t *u, int n) {
  return record_usage(impl, PS_KEY_USAGE, u, n);
}

/* Usage counts with UPDATE statement `id`, in one transaction. */
static int record_usage(void *impl, int id, const store_key_usage_t *u, int n) {
  pg_t *g = impl;
  pconn_t *pc;
  char uses[24], last[24];
  int rc;
  if ((rc = checkout(g, &pc))) return rc;
  if ((rc = simple(pc, "BEGIN", "begin"))) goto out;
  for (int i = 0; i < n; i++) {
    snprintf(uses, sizeof uses, "%lld", (long long)u[i].uses);
    snprintf(last, sizeof last, "%lld", (long long)u[i].last_used_at);
    const char *const params[] = {u[i].id, uses, last};
    if ((rc = exec_write(g, pc, id, params))) goto fail;
  }
  if ((rc = simple(pc, "COMMIT", "commit"))) goto fail;
  goto out;
fail:
  PQclear(PQexec(pc->c, "ROLLBACK"));
out:
  checkin(g, pc);
  return rc;
}

/* --- users and user tokens ------------------------------------------------ */

static int pg_user_create(void *impl, store_user_t *u) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  char at[24];
  int rc;
  snprintf(at, sizeof at, "%lld", (long long)u->created_at);
  const char *const params[] = {u->id, u->app_id, u->external_id, at};
  if ((rc = checkout(g, &pc))) return rc;
  if ((rc = run(g, pc, PS_USER_INSERT, params, &r))) goto out;
  if (PQntuples(r) == 0)
    rc = CUSTOS_ENOTFOUND; /* no such app */
  else
    rc = store__copy(u->account_id, sizeof u->account_id, PQgetvalue(r, 0, 0));
out:
  PQclear(r);
  checkin(g, pc);
  return rc;
}

static int pg_user_get(void *impl, const char *id, store_user_t *out) {
  const char *const params[] = {id};
  return pg_select(impl, PS_USER_GET, params, fn_user, NULL, out, sizeof *out, 1, true, NULL);
}

static int pg_user_list(void *impl, const char *app_id, const char *after, int limit, store_user_t *out,
                        int *n) {
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit);
  const char *const params[] = {app_id, after, lim};
  return pg_select(impl, PS_USER_LIST_APP, params, fn_user, NULL, out, sizeof *out, limit, false, n);
}

static int pg_user_token_list(void *impl, const char *user_id, const char *after, int limit,
                              store_api_key_t *out, int *n) {
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit);
  const char *const params[] = {user_id, after, lim};
  return pg_select(impl, PS_UTK_LIST_USER, params, fn_key, NULL, out, sizeof *out, limit, false, n);
}

static int pg_user_token_create(void *impl, store_api_key_t *k) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  char at[24], exp[24], hex[STORE_HASH_HEX_MAX];
  int rc;
  snprintf(at, sizeof at, "%lld", (long long)k->created_at);
  snprintf(exp, sizeof exp, "%lld", (long long)k->expires_at);
  store__hash_hex(k->hash, hex);
  const char *const params[] = {k->id, k->environment_id, k->start, hex, k->scopes, at, exp};
  if ((rc = checkout(g, &pc))) return rc;
  if ((rc = run(g, pc, PS_UTK_INSERT, params, &r))) goto out;
  if (PQntuples(r) == 0) {
    rc = CUSTOS_ENOTFOUND; /* no such user */
  } else {
    rc = store__copy(k->app_id, sizeof k->app_id, PQgetvalue(r, 0, 0));
    if (rc == CUSTOS_OK) rc = store__copy(k->account_id, sizeof k->account_id, PQgetvalue(r, 0, 1));
  }
out:
  PQclear(r);
  checkin(g, pc);
  return rc;
}

static int pg_user_token_get(void *impl, const char *id, store_api_key_t *out) {
  const char *const params[] = {id};
  return pg_select(impl, PS_UTK_GET, params, fn_key, NULL, out, sizeof *out, 1, true, NULL);
}

static int pg_user_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                     store_api_key_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  const char *const params[] = {hex};
  return pg_select(impl, PS_UTK_GET_HASH, params, fn_key, NULL, out, sizeof *out, 1, true, NULL);
}

static int pg_user_token_revoke(void *impl, const char *id, int64_t at) {
  char v[24];
  snprintf(v, sizeof v, "%lld", (long long)at);
  const char *const params[] = {id, v};
  return update_one(impl, PS_UTK_REVOKE, params);
}

static int pg_user_token_rotate(void *impl, const char *old_id, int64_t grace_until, store_api_key_t *nk) {
  static const rotate_sql_t RS = {PS_UTK_MARK_ROTATED, PS_UTK_GET, PS_UTK_INSERT_ROTATED};
  return rotate(impl, &RS, old_id, grace_until, nk);
}

static int pg_user_token_record_usage(void *impl, const store_key_usage_t *u, int n) {
  return record_usage(impl, PS_UTK_USAGE, u, n);
}

/* --- admin tokens -------------------------------------------------------- */

static int pg_admin_token_create(void *impl, const store_admin_token_t *t) {
  pg_t *g = impl;
  pconn_t *pc;
  char at[24], hex[STORE_HASH_HEX_MAX];
  int rc;
  snprintf(at, sizeof at, "%lld", (long long)t->created_at);
  store__hash_hex(t->hash, hex);
  const char *const params[] = {t->id, t->name, hex, at};
  if ((rc = checkout(g, &pc))) return rc;
  rc = exec_write(g, pc, PS_ADM_INSERT, params);
  checkin(g, pc);
  return rc;
}

static int pg_admin_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                      store_admin_token_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  const char *const params[] = {hex};
  return pg_select(impl, PS_ADM_GET_HASH, params, fn_admin, NULL, out, sizeof *out, 1, true,
                   NULL);
}

static int pg_admin_token_count_active(void *impl, int64_t *n_out) {
  return pg_select(impl, PS_ADM_COUNT_ACTIVE, NULL, fn_count, NULL, n_out, sizeof *n_out, 1,
                   true, NULL);
}

static int pg_admin_token_revoke(void *impl, const char *id, int64_t at) {
  char v[24];
  snprintf(v, sizeof v, "%lld", (long long)at);
  const char *const params[] = {id, v};
  return update_one(impl, PS_ADM_REVOKE, params);
}

/* --- signing keys -------------------------------------------------------- */

static int pg_signing_key_create(void *impl, const store_signing_key_t *k) {
  pg_t *g = impl;
  pconn_t *pc;
  char at[24], act[24];
  int rc;
  snprintf(at, sizeof at, "%lld", (long long)k->created_at);
  snprintf(act, sizeof act, "%lld", (long long)k->activated_at);
  const char *const params[] = {k->kid, k->alg, k->state, k->sealed, k->public_jwk, at, act};
  if ((rc = checkout(g, &pc))) return rc;
  rc = exec_write(g, pc, PS_SK_INSERT, params);
  checkin(g, pc);
  return rc;
}

static int pg_signing_key_list(void *impl, const char *state, int limit,
                               store_signing_key_t *out, int *n) {
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit);
  if (state) {
    const char *const params[] = {state, lim};
    return pg_select(impl, PS_SK_LIST_STATE, params, fn_signing, cleanup_signing, out,
                     sizeof *out, limit, false, n);
  }
  const char *const params[] = {lim};
  return pg_select(impl, PS_SK_LIST, params, fn_signing, cleanup_signing, out, sizeof *out,
                   limit, false, n);
}

static int pg_signing_key_rotate(void *impl, store_signing_key_t *k) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  char now[24], state[STORE_SIGNING_STATE_MAX];
  int64_t activated = 0;
  int rc;
  snprintf(now, sizeof now, "%lld", (long long)k->created_at);
  const char *const step[] = {k->alg, now};
  const char *const ins[] = {k->kid, k->alg, k->sealed, k->public_jwk, now};
  if ((rc = checkout(g, &pc))) return rc;
  if ((rc = simple(pc, "BEGIN", "begin"))) goto out;
  if ((rc = simple(pc, SIGNING_LOCK_SQL, "signing key lock")) ||
      (rc = exec_write(g, pc, PS_SK_RETIRE, step)) ||
      (rc = exec_write(g, pc, PS_SK_PROMOTE, step)) ||
      (rc = run(g, pc, PS_SK_INSERT_ROTATED, ins, &r)))
    goto fail;
  if (PQntuples(r) != 1 || store__copy(state, sizeof state, PQgetvalue(r, 0, 0)) ||
      get_i64(r, 0, 1, &activated)) {
    log_msg(LOG_ERROR, "store: postgres: malformed row from signing key rotation");
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if ((rc = simple(pc, "COMMIT", "commit"))) goto fail;
  memcpy(k->state, state, sizeof state);
  k->activated_at = activated;
  goto out;
fail:
  PQclear(PQexec(pc->c, "ROLLBACK"));
out:
  PQclear(r);
  checkin(g, pc);
  return rc;
}

/* --- entities ------------------------------------------------------------ */

static int fn_entity(const PGresult *r, int i, void *o) {
  store_entity_t *e = o;
  memset(e, 0, sizeof *e);
  if (store__copy(e->id, sizeof e->id, PQgetvalue(r, i, 0)) ||
      store__copy(e->account_id, sizeof e->account_id, PQgetvalue(r, i, 1)) ||
      store__copy(e->name, sizeof e->name, PQgetvalue(r, i, 2)))
    return CUSTOS_ESTORE;
  return get_i64(r, i, 3, &e->created_at);
}

static int pg_entity_create(void *impl, const store_entity_t *e) {
  pg_t *g = impl;
  pconn_t *pc;
  char at[24];
  int rc;
  if ((rc = checkout(g, &pc))) return rc;
  snprintf(at, sizeof at, "%lld", (long long)e->created_at);
  const char *const params[] = {e->id, e->account_id, e->name, at};
  rc = exec_write(g, pc, PS_ENTITY_INSERT, params);
  checkin(g, pc);
  return rc;
}

static int pg_entity_get(void *impl, const char *id, store_entity_t *out) {
  const char *const params[] = {id};
  return pg_select(impl, PS_ENTITY_GET, params, fn_entity, NULL, out, sizeof *out, 1, true, NULL);
}

static int pg_entity_list(void *impl, const char *account_id, const char *after, int limit,
                          store_entity_t *out, int *n) {
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit);
  const char *const params[] = {account_id, after, lim};
  return pg_select(impl, PS_ENTITY_LIST, params, fn_entity, NULL, out, sizeof *out, limit, false,
                   n);
}

static int pg_account_token_lifetime(void *impl, const char *account_id, int64_t *out) {
  const char *const params[] = {account_id};
  return pg_select(impl, PS_ACCOUNT_TTL_GET, params, fn_count, NULL, out, sizeof *out, 1, true,
                   NULL);
}

static int pg_account_set_token_lifetime(void *impl, const char *account_id, int64_t seconds) {
  char v[24];
  snprintf(v, sizeof v, "%lld", (long long)seconds);
  const char *const params[] = {account_id, v};
  return update_one(impl, PS_ACCOUNT_TTL_SET, params);
}

static int pg_signing_key_generation(void *impl, int64_t *gen_out) {
  return pg_select(impl, PS_SK_GENERATION, NULL, fn_count, NULL, gen_out, sizeof *gen_out, 1,
                   true, NULL);
}

/* --- AssetPay merchants and clients --------------------------------------- */

static int pg_merchant_get(void *impl, const char *app_id, store_merchant_t *out) {
  const char *const params[] = {app_id};
  return pg_select(impl, PS_MERCHANT_GET, params, fn_merchant, NULL, out, sizeof *out, 1, true,
                   NULL);
}

static int pg_merchant_ensure(void *impl, const char *app_id, int64_t created_at,
                              store_merchant_t *out) {
  pg_t *g = impl;
  pconn_t *pc;
  char at[24];
  int rc;
  snprintf(at, sizeof at, "%lld", (long long)created_at);
  const char *const params[] = {app_id, at};
  if ((rc = checkout(g, &pc))) return rc;
  rc = exec_write(g, pc, PS_MERCHANT_ENSURE, params);
  checkin(g, pc);
  if (rc) return rc;
  return pg_merchant_get(impl, app_id, out);
}

static int pg_merchant_get_by_mid(void *impl, int64_t mid, store_merchant_t *out) {
  char v[24];
  snprintf(v, sizeof v, "%lld", (long long)mid);
  const char *const params[] = {v};
  return pg_select(impl, PS_MERCHANT_GET_MID, params, fn_merchant, NULL, out, sizeof *out, 1,
                   true, NULL);
}

static int pg_merchant_set_secret(void *impl, const store_merchant_t *m, const char *expect) {
  pg_t *g = impl;
  pconn_t *pc;
  char ca[24], ra[24], pv[24];
  int64_t rows = 0;
  int rc;
  snprintf(ca, sizeof ca, "%lld", (long long)m->secret_created_at);
  snprintf(ra, sizeof ra, "%lld", (long long)m->secret_rotated_at);
  snprintf(pv, sizeof pv, "%lld", (long long)m->prev_valid_until);
  const char *const params[] = {m->app_id, m->secret_sealed, ca, ra, m->prev_sealed, pv, expect};
  if ((rc = checkout(g, &pc))) return rc;
  rc = exec_count(g, pc, PS_MERCHANT_SET_SECRET, params, &rows);
  checkin(g, pc);
  if (rc == CUSTOS_OK && rows == 0) {
    /* Absent, or the secret changed under us: tell which. */
    store_merchant_t row;
    rc = pg_merchant_get(impl, m->app_id, &row);
    if (rc == CUSTOS_OK) rc = CUSTOS_EINVAL;
  }
  return rc;
}

static int pg_ap_client_upsert(void *impl, const store_ap_client_t *x) {
  pg_t *g = impl;
  pconn_t *pc;
  char lim[24], tier[16], ca[24], ua[24];
  int rc;
  snprintf(lim, sizeof lim, "%lld", (long long)x->risk_limit);
  snprintf(tier, sizeof tier, "%d", x->risk_tier);
  snprintf(ca, sizeof ca, "%lld", (long long)x->created_at);
  snprintf(ua, sizeof ua, "%lld", (long long)x->updated_at);
  const char *const params[] = {x->app_id,    x->steam_id,    x->trade_url, x->partner_match ? "1" : "0",
                                x->client_id, x->client_data, lim,          tier,
                                ca,           ua};
  if ((rc = checkout(g, &pc))) return rc;
  rc = exec_write(g, pc, PS_CLIENT_UPSERT, params);
  checkin(g, pc);
  return rc;
}

static int pg_ap_client_get(void *impl, const char *app_id, const char *steam_id,
                            store_ap_client_t *out) {
  const char *const params[] = {app_id, steam_id};
  return pg_select(impl, PS_CLIENT_GET, params, fn_client, cleanup_client, out, sizeof *out, 1,
                   true, NULL);
}

static int pg_ap_client_list(void *impl, const char *app_id, const char *after, int limit,
                             store_ap_client_t *out, int *n) {
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit);
  const char *const params[] = {app_id, after, lim};
  return pg_select(impl, PS_CLIENT_LIST, params, fn_client, cleanup_client, out, sizeof *out, limit,
                   false, n);
}

/* --- notifications ------------------------------------------------------- */

static int pg_notify(void *impl, const char *channel, const char *payload) {
  pg_t *g = impl;
  pconn_t *pc;
  int rc;
  const char *const params[] = {channel, payload};
  if ((rc = checkout(g, &pc))) return rc;
  rc = exec_write(g, pc, PS_NOTIFY, params);
  checkin(g, pc);
  return rc;
}

const store_ops_t store__pg_ops = {
    .kind = "postgres",
    .close = pg_close,
    .ping = pg_ping,
    .schema_version = pg_schema_version,
    .migrate = pg_migrate,
    .account_create = pg_account_create,
    .account_get = pg_account_get,
    .account_list = pg_account_list,
    .environment_create = pg_environment_create,
    .environment_list = pg_environment_list,
    .app_create = pg_app_create,
    .app_get = pg_app_get,
    .app_list = pg_app_list,
    .audit_append = pg_audit_append,
    .audit_list = pg_audit_list,
    .audit_find = pg_audit_find,
    .api_key_create = pg_api_key_create,
    .api_key_get = pg_api_key_get,
    .api_key_get_by_hash = pg_api_key_get_by_hash,
    .api_key_list = pg_api_key_list,
    .api_key_set_scopes = pg_api_key_set_scopes,
    .api_key_revoke = pg_api_key_revoke,
    .api_key_rotate = pg_api_key_rotate,
    .api_key_record_usage = pg_api_key_record_usage,
    .user_create = pg_user_create,
    .user_get = pg_user_get,
    .user_list = pg_user_list,
    .user_token_list = pg_user_token_list,
    .user_token_create = pg_user_token_create,
    .user_token_get = pg_user_token_get,
    .user_token_get_by_hash = pg_user_token_get_by_hash,
    .user_token_revoke = pg_user_token_revoke,
    .user_token_rotate = pg_user_token_rotate,
    .user_token_record_usage = pg_user_token_record_usage,
    .admin_token_create = pg_admin_token_create,
    .admin_token_get_by_hash = pg_admin_token_get_by_hash,
    .admin_token_count_active = pg_admin_token_count_active,
    .admin_token_revoke = pg_admin_token_revoke,
    .signing_key_create = pg_signing_key_create,
    .signing_key_list = pg_signing_key_list,
    .signing_key_rotate = pg_signing_key_rotate,
    .signing_key_generation = pg_signing_key_generation,
    .merchant_ensure = pg_merchant_ensure,
    .merchant_get = pg_merchant_get,
    .merchant_get_by_mid = pg_merchant_get_by_mid,
    .merchant_set_secret = pg_merchant_set_secret,
    .ap_client_upsert = pg_ap_client_upsert,
    .ap_client_get = pg_ap_client_get,
    .ap_client_list = pg_ap_client_list,
    .entity_create = pg_entity_create,
    .entity_get = pg_entity_get,
    .entity_list = pg_entity_list,
    .account_token_lifetime = pg_account_token_lifetime,
    .account_set_token_lifetime = pg_account_set_token_lifetime,
    .notify = pg_notify,
    .listen = pg__listen,
};
