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
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/backend.h"
#include "store/migrations.h"

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
  PS_COUNT
};

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
};

_Static_assert(PS_COUNT <= 64, "prepared-statement bitmap is 64 bits");

typedef struct pconn {
  PGconn *c;         /* NULL until first checkout or after a failure */
  uint64_t prepared; /* bit n: statement n is prepared on c */
  bool busy;         /* checked out; guarded by pg_t.mu */
} pconn_t;

typedef struct pg {
  char *conninfo; /* the URL, owned; never logged */
  pthread_mutex_t mu;
  pthread_cond_t cv; /* signalled when a connection is returned */
  pconn_t *conns;
  int n;
} pg_t;

/* --- connections --------------------------------------------------------- */

static void quiet_notice(void *arg, const char *msg) {
  (void)arg;
  (void)msg;
}

/* Copies libpq's message into err, newlines folded. libpq does not echo
 * passwords in its messages. */
static void pq_message(char *err, size_t errlen, const char *prefix, const char *msg) {
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
  PGconn *c = PQconnectdbParams(kw, val, 1);
  if (!c) {
    pq_message(err, errlen, "postgres: ", "out of memory");
    return CUSTOS_ENOMEM;
  }
  if (PQstatus(c) != CONNECTION_OK) {
    pq_message(err, errlen, "postgres: cannot connect: ", PQerrorMessage(c));
    store__scrub_url_secrets(err, errlen, g->conninfo);
    PQfinish(c);
    return CUSTOS_ESTORE;
  }
  PQsetNoticeProcessor(c, quiet_notice, NULL);
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
    pq_message(err, errlen, "invalid postgres URL: ", perr ? perr : "out of memory");
    store__scrub_url_secrets(err, errlen, conninfo);
    PQfreemem(perr);
    return perr ? CUSTOS_EINVAL : CUSTOS_ENOMEM;
  }
  PQconninfoFree(parsed);

  pg_t *g = calloc(1, sizeof *g);
  if (!g) goto oom;
  pthread_mutex_init(&g->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->cv, &ca);
  pthread_condattr_destroy(&ca);
  g->conninfo = strdup(conninfo);
  g->conns = calloc((size_t)opts->pool_size, sizeof *g->conns);
  if (!g->conninfo || !g->conns) goto oom;
  g->n = opts->pool_size;
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
    pq_message(msg, sizeof msg, "", m ? m : PQerrorMessage(pc->c));
    log_msg(LOG_ERROR, "store: postgres: %s: %s%s%s", what, msg, state ? " sqlstate " : "",
            state ? state : "");
  }
  PQclear(r);
  return rc;
}

static bool result_ok(const PGresult *r) {
  ExecStatusType st = PQresultStatus(r);
  return r && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK);
}

/* Runs fixed SQL (no parameters) through the simple protocol. */
static int simple(pconn_t *pc, const char *sql, const char *what) {
  PGresult *r = PQexec(pc->c, sql);
  if (!result_ok(r)) return fail_rc(pc, r, what);
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
    if (!result_ok(r)) return fail_rc(pc, r, "prepare");
    PQclear(r);
    pc->prepared |= UINT64_C(1) << id;
  }
  r = PQexecPrepared(pc->c, name, Q[id].nparams, params, NULL, NULL, 0);
  if (!result_ok(r)) return fail_rc(pc, r, Q[id].sql);
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

static void cleanup_audit(void *row) { store_audit_cleanup(row); }

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
};
