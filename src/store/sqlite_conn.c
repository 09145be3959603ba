/*
 * sqlite_conn.c — SQLite connections, the writer/reader pool, the
 * per-connection statement caches and the bind/step/fetch helpers every
 * concept file uses (sqlite_conn.h).
 *
 * Concurrency model: one writer connection behind a mutex, plus a pool of
 * reader connections. SQLite allows one writer at a time per database
 * anyway; serialising in-process writers on a mutex instead of letting them
 * collide on the file lock avoids SQLITE_BUSY retry storms (the busy
 * handler sleeps in coarse steps) and the deadlock of two deferred
 * transactions upgrading to write. WAL lets the readers run alongside the
 * writer. busy_timeout still covers other processes (`custos migrate`
 * against a running server). Write transactions use BEGIN IMMEDIATE.
 * ":memory:" databases are private to one connection, so there the writer
 * also serves reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/sqlite_conn.h"

enum { ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_COUNT };
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};
static const sq_table_t T = {SQ_T_CONN, SQL, ST_COUNT};

/* --- connections --------------------------------------------------------- */

static void conn_close(sq_conn_t *c) {
  for (int t = 0; t < SQ_T_COUNT; t++)
    for (int i = 0; i < SQ_TABLE_MAX; i++) sqlite3_finalize(c->st[t][i]);
  for (unsigned i = 0; i < STORE_AQ_VARIANTS; i++) sqlite3_finalize(c->find[i]);
  sqlite3_close(c->db); /* NULL ok */
  memset(c, 0, sizeof *c);
}

static int conn_open(sq_conn_t *c, const char *path, int busy_ms, char *err, size_t errlen) {
  static const char PRAGMAS[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                " PRAGMA foreign_keys=ON;";
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  memset(c, 0, sizeof *c);
  int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
  if (rc != SQLITE_OK) goto fail;
  sqlite3_extended_result_codes(c->db, 1);
  sqlite3_busy_timeout(c->db, busy_ms);
  rc = sqlite3_exec(c->db, PRAGMAS, NULL, NULL, NULL);
  if (rc != SQLITE_OK) goto fail;
  return CUSTOS_OK;

fail:
  if (err && errlen)
    snprintf(err, errlen, "sqlite: cannot open %s: %s", path,
             c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
  conn_close(c);
  return CUSTOS_ESTORE;
}

/* --- pool ---------------------------------------------------------------- */

int sq__writer_get(sq_t *q, sq_conn_t **c) {
  pthread_mutex_lock(&q->wmu);
  *c = &q->writer;
  return CUSTOS_OK;
}

void sq__writer_put(sq_t *q) { pthread_mutex_unlock(&q->wmu); }

int sq__reader_get(sq_t *q, sq_conn_t **c) {
  if (q->nreaders == 0) return sq__writer_get(q, c);
  struct timespec dl = store__deadline(STORE_CHECKOUT_TIMEOUT_MS);
  int rc = 0;
  pthread_mutex_lock(&q->rmu);
  while (q->nfree == 0 && rc == 0) rc = pthread_cond_timedwait(&q->rcv, &q->rmu, &dl);
  if (q->nfree == 0) {
    pthread_mutex_unlock(&q->rmu);
    log_msg(LOG_ERROR, "store: sqlite: no free connection after %d ms",
            STORE_CHECKOUT_TIMEOUT_MS);
    return CUSTOS_ESTORE;
  }
  *c = &q->readers[q->free_idx[--q->nfree]];
  pthread_mutex_unlock(&q->rmu);
  return CUSTOS_OK;
}

void sq__reader_put(sq_t *q, sq_conn_t *c) {
  if (q->nreaders == 0) {
    sq__writer_put(q);
    return;
  }
  pthread_mutex_lock(&q->rmu);
  q->free_idx[q->nfree++] = (int)(c - q->readers);
  pthread_cond_signal(&q->rcv);
  pthread_mutex_unlock(&q->rmu);
}

/* Creates the database file 0600 (and its parent directory 0700 when
 * missing) before SQLite does, since SQLite would use 0644 & ~umask. The
 * -wal and -shm files inherit the database file's mode. An existing file is
 * left as the operator set it. */
static int create_file(const char *path, char *err, size_t errlen) {
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT) {
    char *dup = strdup(path);
    if (!dup) return CUSTOS_ENOMEM;
    (void)mkdir(dirname(dup), 0700);
    free(dup);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  }
  if (fd >= 0) {
    close(fd);
    return CUSTOS_OK;
  }
  if (errno == EEXIST) return CUSTOS_OK;
  if (err && errlen) snprintf(err, errlen, "sqlite: cannot create %s: %s", path, strerror(errno));
  return CUSTOS_ESTORE;
}

void sq__close(void *impl) {
  sq_t *q = impl;
  if (!q) return;
  for (int i = 0; i < q->nreaders; i++) conn_close(&q->readers[i]);
  conn_close(&q->writer);
  free(q->readers);
  free(q->free_idx);
  pthread_cond_destroy(&q->rcv);
  pthread_mutex_destroy(&q->lmu);
  pthread_mutex_destroy(&q->rmu);
  pthread_mutex_destroy(&q->wmu);
  free(q);
}

int store__sqlite_open(const char *path, const store_opts_t *opts, void **impl_out, char *err,
                       size_t errlen) {
  bool memory = strcmp(path, ":memory:") == 0;
  sq_t *q = NULL;
  pthread_condattr_t ca;
  int rc;

  if (!memory && (rc = create_file(path, err, errlen))) return rc;
  q = calloc(1, sizeof *q);
  if (!q) goto oom;
  pthread_mutex_init(&q->wmu, NULL);
  pthread_mutex_init(&q->rmu, NULL);
  pthread_mutex_init(&q->lmu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&q->rcv, &ca);
  pthread_condattr_destroy(&ca);
  if ((rc = conn_open(&q->writer, path, opts->busy_timeout_ms, err, errlen))) goto fail;
  if (!memory) {
    q->readers = calloc((size_t)opts->pool_size, sizeof *q->readers);
    q->free_idx = calloc((size_t)opts->pool_size, sizeof *q->free_idx);
    if (!q->readers || !q->free_idx) goto oom;
    for (int i = 0; i < opts->pool_size; i++) {
      if ((rc = conn_open(&q->readers[i], path, opts->busy_timeout_ms, err, errlen))) goto fail;
      q->nreaders++;
      q->free_idx[q->nfree++] = i;
    }
  }
  *impl_out = q;
  return CUSTOS_OK;

oom:
  rc = CUSTOS_ENOMEM;
  if (err && errlen) snprintf(err, errlen, "out of memory");
fail:
  sq__close(q);
  return rc;
}

/* --- statements ---------------------------------------------------------- */

int sq__fail_rc(sq_conn_t *c, int rc, const char *what) {
  switch (rc) {
  case SQLITE_CONSTRAINT_UNIQUE:
  case SQLITE_CONSTRAINT_PRIMARYKEY: return CUSTOS_EEXISTS;
  case SQLITE_CONSTRAINT_FOREIGNKEY: return CUSTOS_ENOTFOUND;
  case SQLITE_NOMEM: return CUSTOS_ENOMEM;
  default:
    log_msg(LOG_ERROR, "store: sqlite: %s: %s", what, sqlite3_errmsg(c->db));
    return CUSTOS_ESTORE;
  }
}

sqlite3_stmt *sq__stmt(sq_conn_t *c, const sq_table_t *t, int id) {
  sqlite3_stmt **slot = &c->st[t->slot][id];
  if (!*slot &&
      sqlite3_prepare_v3(c->db, t->sql[id], -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) !=
          SQLITE_OK) {
    log_msg(LOG_ERROR, "store: sqlite: prepare: %s", sqlite3_errmsg(c->db));
    *slot = NULL;
  }
  return *slot;
}

void sq__stmt_done(sqlite3_stmt *st) {
  if (!st) return;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/* Binds args[0..n) to ?first..?first+n-1. */
static int bind_args(sqlite3_stmt *st, int first, const sq_arg_t *args, int n) {
  for (int i = 0; i < n; i++) {
    int rc = args[i].is_int ? sqlite3_bind_int64(st, first + i, args[i].i)
                            : sqlite3_bind_text(st, first + i, args[i].s, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK) return CUSTOS_ESTORE;
  }
  return CUSTOS_OK;
}

sqlite3_stmt *sq__prepare(sq_conn_t *c, const sq_table_t *t, int id, const sq_arg_t *args, int n) {
  sqlite3_stmt *st = sq__stmt(c, t, id);
  if (st && bind_args(st, 1, args, n)) {
    sq__stmt_done(st);
    return NULL;
  }
  return st;
}

int sq__step_done(sq_conn_t *c, sqlite3_stmt *st, const char *what) {
  int src = sqlite3_step(st);
  int rc = src == SQLITE_DONE ? CUSTOS_OK : sq__fail_rc(c, src, what);
  sq__stmt_done(st);
  return rc;
}

int sq__exec(sq_conn_t *c, const sq_table_t *t, int id, const sq_arg_t *args, int n) {
  sqlite3_stmt *st = sq__prepare(c, t, id, args, n);
  return st ? sq__step_done(c, st, t->sql[id]) : CUSTOS_ESTORE;
}

int sq__write(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n) {
  sq_conn_t *c;
  int rc;
  if ((rc = sq__writer_get(q, &c))) return rc;
  rc = sq__exec(c, t, id, args, n);
  sq__writer_put(q);
  return rc;
}

int sq__update_one(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n) {
  sq_conn_t *c;
  int rc;
  if ((rc = sq__writer_get(q, &c))) return rc;
  if ((rc = sq__exec(c, t, id, args, n)) == CUSTOS_OK && sqlite3_changes(c->db) == 0)
    rc = CUSTOS_ENOTFOUND;
  sq__writer_put(q);
  return rc;
}

/* Runs a statement whose rows, if any, are ignored. */
static int exec_plain(sq_conn_t *c, int id) {
  sqlite3_stmt *st = sq__stmt(c, &T, id);
  if (!st) return CUSTOS_ESTORE;
  int rc = sqlite3_step(st);
  int out = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? CUSTOS_OK : sq__fail_rc(c, rc, SQL[id]);
  sq__stmt_done(st);
  return out;
}

int sq__begin(sq_conn_t *c) { return exec_plain(c, ST_BEGIN); }
int sq__commit(sq_conn_t *c) { return exec_plain(c, ST_COMMIT); }

void sq__rollback(sq_conn_t *c) {
  if (!sqlite3_get_autocommit(c->db)) (void)exec_plain(c, ST_ROLLBACK);
}

/* --- rows ---------------------------------------------------------------- */

const char *sq__col_text(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? (const char *)t : "";
}

static int row_i64(sqlite3_stmt *st, void *o) {
  *(int64_t *)o = sqlite3_column_int64(st, 0);
  return CUSTOS_OK;
}
const sq_row_t sq__row_i64 = {row_i64, NULL, sizeof(int64_t)};

int sq__fetch(sq_conn_t *c, sqlite3_stmt *st, const sq_row_t *row, void *out, int limit,
              bool notfound, int *n_out) {
  int n = 0, rc = CUSTOS_OK, src = SQLITE_DONE;
  while (n < limit && (src = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = row->fn(st, (char *)out + (size_t)n * row->size))) break;
    n++;
  }
  if (rc == CUSTOS_OK && n < limit && src != SQLITE_DONE) rc = sq__fail_rc(c, src, "select");
  sq__stmt_done(st);
  if (rc == CUSTOS_OK && notfound && n == 0) rc = CUSTOS_ENOTFOUND;
  if (rc == CUSTOS_OK && n_out) *n_out = n;
  if (rc != CUSTOS_OK && row->cleanup)
    for (int i = 0; i < n; i++) row->cleanup((char *)out + (size_t)i * row->size);
  return rc;
}

int sq__get_on(sq_conn_t *c, const sq_table_t *t, int id, const sq_arg_t *args, int n,
               const sq_row_t *row, void *out) {
  sqlite3_stmt *st = sq__prepare(c, t, id, args, n);
  return st ? sq__fetch(c, st, row, out, 1, true, NULL) : CUSTOS_ESTORE;
}

int sq__get(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n,
            const sq_row_t *row, void *out) {
  sq_conn_t *c;
  int rc;
  if ((rc = sq__reader_get(q, &c))) return rc;
  rc = sq__get_on(c, t, id, args, n, row, out);
  sq__reader_put(q, c);
  return rc;
}

int sq__returning(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n,
                  const sq_row_t *row, void *out) {
  sq_conn_t *c;
  int rc;
  if ((rc = sq__writer_get(q, &c))) return rc;
  rc = sq__get_on(c, t, id, args, n, row, out);
  sq__writer_put(q);
  return rc;
}

int sq__list(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n,
             const sq_row_t *row, void *out, int limit, int *n_out) {
  sq_conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = sq__reader_get(q, &c))) return rc;
  if (!(st = sq__prepare(c, t, id, args, n)) || sqlite3_bind_int(st, n + 1, limit) != SQLITE_OK) {
    sq__stmt_done(st);
    rc = CUSTOS_ESTORE;
  } else {
    rc = sq__fetch(c, st, row, out, limit, false, n_out);
  }
  sq__reader_put(q, c);
  return rc;
}
