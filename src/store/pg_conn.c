/*
 * pg_conn.c — PostgreSQL connections, the pool, statement preparation and
 * the run/select helpers every concept file uses (pg.h).
 *
 * A fixed pool of connections guarded by a mutex and a condition variable;
 * a caller waits at most STORE_CHECKOUT_TIMEOUT_MS for a free one. Only the
 * first connection is opened by store_open (so an unreachable server fails
 * there, within connect_timeout); the others open on first checkout.
 * A connection found broken (PQstatus != CONNECTION_OK) is re-established
 * on its next checkout, so a PostgreSQL restart heals by itself; read-only
 * statements that fail on a connection that just broke are retried once on
 * a fresh one. Writes are not retried: the server may have committed.
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
#include "store/pg.h"

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

int pg__connect(pg_t *g, pconn_t *pc, char *err, size_t errlen) {
  char timeout[16];
  snprintf(timeout, sizeof timeout, "%d", STORE_PG_CONNECT_TIMEOUT_S);
  /* dbname (the URL) comes last so values in the URL override ours. */
  const char *const kw[] = {"connect_timeout", "fallback_application_name", "client_encoding",
                            "dbname", NULL};
  const char *const val[] = {timeout, "custos", "UTF8", g->conninfo, NULL};

  if (pc->c) PQfinish(pc->c);
  pc->c = NULL;
  memset(pc->prepared, 0, sizeof pc->prepared);
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

int pg__checkout(pg_t *g, pconn_t **out) {
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
    if ((rc = pg__connect(g, pc, err, sizeof err))) {
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
void pg__checkin(pg_t *g, pconn_t *pc) {
  if (pc->c && PQtransactionStatus(pc->c) != PQTRANS_IDLE) {
    PQclear(PQexec(pc->c, "ROLLBACK"));
    if (PQtransactionStatus(pc->c) != PQTRANS_IDLE) {
      PQfinish(pc->c);
      pc->c = NULL;
      memset(pc->prepared, 0, sizeof pc->prepared);
      pc->fprepared = 0;
    }
  }
  pthread_mutex_lock(&g->mu);
  pc->busy = false;
  pthread_cond_signal(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

void pg__close(void *impl) {
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
  if ((rc = pg__connect(g, &g->conns[0], err, errlen))) goto fail;
  *impl_out = g;
  return CUSTOS_OK;

oom:
  if (err && errlen) snprintf(err, errlen, "out of memory");
fail:
  pg__close(g);
  return rc;
}

/* --- statements ---------------------------------------------------------- */

int pg__fail_rc(pconn_t *pc, PGresult *r, const char *what) {
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

int pg__simple(pconn_t *pc, const char *sql, const char *what) {
  PGresult *r = PQexec(pc->c, sql);
  if (!pg__result_ok(r)) return pg__fail_rc(pc, r, what);
  PQclear(r);
  return CUSTOS_OK;
}

int pg__begin(pconn_t *pc) { return pg__simple(pc, "BEGIN", "begin"); }
int pg__commit(pconn_t *pc) { return pg__simple(pc, "COMMIT", "commit"); }
void pg__rollback(pconn_t *pc) { PQclear(PQexec(pc->c, "ROLLBACK")); }

/* Executes prepared statement `id` of `t` (preparing it on first use on
 * this connection). On CUSTOS_OK *res_out is the result, caller clears it. */
static int run_once(pconn_t *pc, const pg_table_t *t, int id, const char *const *params,
                    PGresult **res_out) {
  const pg_query_t *q = &t->q[id];
  uint32_t bit = UINT32_C(1) << id;
  char name[32];
  PGresult *r;
  snprintf(name, sizeof name, "custos_%d_%d", t->slot, id);
  if (!(pc->prepared[t->slot] & bit)) {
    r = PQprepare(pc->c, name, q->sql, q->nparams, NULL);
    if (!pg__result_ok(r)) return pg__fail_rc(pc, r, "prepare");
    PQclear(r);
    pc->prepared[t->slot] |= bit;
  }
  r = PQexecPrepared(pc->c, name, q->nparams, params, NULL, NULL, 0);
  if (!pg__result_ok(r)) return pg__fail_rc(pc, r, q->sql);
  *res_out = r;
  return CUSTOS_OK;
}

/* run_once, plus one retry of read-only statements outside a transaction
 * when the connection turned out to be broken (e.g. the server restarted
 * since this connection was last used). */
int pg__run(pg_t *g, pconn_t *pc, const pg_table_t *t, int id, const char *const *params,
            PGresult **res_out) {
  char err[512];
  int rc = run_once(pc, t, id, params, res_out);
  if (rc == CUSTOS_ESTORE && t->q[id].readonly && PQstatus(pc->c) == CONNECTION_BAD) {
    if (pg__connect(g, pc, err, sizeof err) == CUSTOS_OK) {
      rc = run_once(pc, t, id, params, res_out);
    } else {
      log_msg(LOG_ERROR, "store: %s", err);
    }
  }
  return rc;
}

int pg__exec(pg_t *g, pconn_t *pc, const pg_table_t *t, int id, const char *const *params) {
  PGresult *r = NULL;
  int rc = pg__run(g, pc, t, id, params, &r);
  PQclear(r);
  return rc;
}

int pg__exec_count(pg_t *g, pconn_t *pc, const pg_table_t *t, int id, const char *const *params,
                   int64_t *rows) {
  PGresult *r = NULL;
  int rc = pg__run(g, pc, t, id, params, &r);
  if (rc == CUSTOS_OK && !store__parse_i64(PQcmdTuples(r), rows)) rc = CUSTOS_ESTORE;
  PQclear(r);
  return rc;
}

int pg__write(pg_t *g, const pg_table_t *t, int id, const char *const *params) {
  pconn_t *pc;
  int rc;
  if ((rc = pg__checkout(g, &pc))) return rc;
  rc = pg__exec(g, pc, t, id, params);
  pg__checkin(g, pc);
  return rc;
}

int pg__update_one(pg_t *g, const pg_table_t *t, int id, const char *const *params) {
  pconn_t *pc;
  int64_t rows = 0;
  int rc;
  if ((rc = pg__checkout(g, &pc))) return rc;
  rc = pg__exec_count(g, pc, t, id, params, &rows);
  if (rc == CUSTOS_OK && rows == 0) rc = CUSTOS_ENOTFOUND;
  pg__checkin(g, pc);
  return rc;
}

const char *pg__i64(char buf[PG_I64_LEN], int64_t v) {
  snprintf(buf, PG_I64_LEN, "%lld", (long long)v);
  return buf;
}

/* --- rows ---------------------------------------------------------------- */

int pg__get_i64(const PGresult *r, int i, int col, int64_t *v) {
  return store__parse_i64(PQgetvalue(r, i, col), v) ? CUSTOS_OK : CUSTOS_ESTORE;
}

static int row_i64(const PGresult *r, int i, void *o) { return pg__get_i64(r, i, 0, o); }
const pg_row_t pg__row_i64 = {row_i64, NULL, sizeof(int64_t)};

int pg__decode(const PGresult *r, const pg_row_t *row, void *out, int limit, bool notfound,
               int *n_out, const char *what) {
  int rc = CUSTOS_OK, n = 0, rows = PQntuples(r);
  if (rows > limit) rows = limit;
  for (; n < rows; n++)
    if ((rc = row->fn(r, n, (char *)out + (size_t)n * row->size))) break;
  if (rc == CUSTOS_ESTORE) log_msg(LOG_ERROR, "store: postgres: malformed row from %s", what);
  if (rc == CUSTOS_OK && notfound && n == 0) rc = CUSTOS_ENOTFOUND;
  if (rc == CUSTOS_OK && n_out) *n_out = n;
  if (rc != CUSTOS_OK && row->cleanup)
    for (int i = 0; i < n; i++) row->cleanup((char *)out + (size_t)i * row->size);
  return rc;
}

/* Runs statement `id` on a connection of its own and decodes up to `limit`
 * rows (see pg__decode). */
static int select_rows(pg_t *g, const pg_table_t *t, int id, const char *const *params,
                       const pg_row_t *row, void *out, int limit, bool notfound, int *n_out) {
  pconn_t *pc;
  PGresult *r = NULL;
  int rc;
  if ((rc = pg__checkout(g, &pc))) return rc;
  if ((rc = pg__run(g, pc, t, id, params, &r)) == CUSTOS_OK)
    rc = pg__decode(r, row, out, limit, notfound, n_out, t->q[id].sql);
  PQclear(r);
  pg__checkin(g, pc);
  return rc;
}

int pg__get(pg_t *g, const pg_table_t *t, int id, const char *const *params, const pg_row_t *row,
            void *out) {
  return select_rows(g, t, id, params, row, out, 1, true, NULL);
}

int pg__list(pg_t *g, const pg_table_t *t, int id, const char *const *params,
             const pg_row_t *row, void *out, int limit, int *n_out) {
  const char *all[PG_PARAMS_MAX];
  char lim[PG_I64_LEN];
  int np = t->q[id].nparams;
  for (int i = 0; i < np - 1; i++) all[i] = params[i];
  all[np - 1] = pg__i64(lim, limit);
  return select_rows(g, t, id, all, row, out, limit, false, n_out);
}
