/*
 * sqlite.c — the SQLite backend.
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
 *
 * Each connection prepares its statements on first use and keeps them
 * (SQLITE_PREPARE_PERSISTENT); after each use they are reset and their
 * bindings cleared.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/backend.h"
#include "store/migrations.h"

enum {
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_PING,
  ST_HAS_MIGRATIONS,
  ST_VERSION,
  ST_MIGRATION_INSERT,
  ST_ACCOUNT_INSERT,
  ST_ACCOUNT_GET,
  ST_ACCOUNT_LIST,
  ST_ENV_INSERT,
  ST_ENV_LIST,
  ST_APP_INSERT,
  ST_APP_GET,
  ST_APP_LIST,
  ST_APP_LIST_ACCOUNT,
  ST_AUDIT_INSERT,
  ST_AUDIT_LIST,
  ST_KEY_INSERT,
  ST_KEY_GET,
  ST_KEY_GET_HASH,
  ST_KEY_LIST,
  ST_KEY_LIST_APP,
  ST_KEY_SET_SCOPES,
  ST_KEY_REVOKE,
  ST_KEY_MARK_ROTATED,
  ST_KEY_INSERT_ROTATED,
  ST_KEY_USAGE,
  ST_ADM_INSERT,
  ST_ADM_GET_HASH,
  ST_ADM_COUNT_ACTIVE,
  ST_ADM_REVOKE,
  ST_SK_INSERT,
  ST_SK_LIST,
  ST_SK_LIST_STATE,
  ST_SK_RETIRE,
  ST_SK_PROMOTE,
  ST_SK_INSERT_ROTATED,
  ST_SK_GENERATION,
  ST_USER_INSERT,
  ST_USER_GET,
  ST_USER_LIST_APP,
  ST_UTK_INSERT,
  ST_UTK_GET,
  ST_UTK_GET_HASH,
  ST_UTK_REVOKE,
  ST_UTK_MARK_ROTATED,
  ST_UTK_INSERT_ROTATED,
  ST_UTK_USAGE,
  ST_UTK_LIST_USER,
  ST_MERCHANT_ENSURE,
  ST_MERCHANT_GET,
  ST_MERCHANT_GET_MID,
  ST_MERCHANT_SET_SECRET,
  ST_CLIENT_UPSERT,
  ST_CLIENT_GET,
  ST_CLIENT_LIST,
  ST_ENTITY_INSERT,
  ST_ENTITY_GET,
  ST_ENTITY_LIST,
  ST_ACCOUNT_TTL_GET,
  ST_ACCOUNT_TTL_SET,
  ST_COUNT
};


static const char *const SQL[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_PING] = "SELECT 1",
    [ST_HAS_MIGRATIONS] =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    [ST_VERSION] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
    [ST_MIGRATION_INSERT] = "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
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
    [ST_AUDIT_INSERT] = "INSERT INTO audit_event (at, actor, action, target, outcome, remote,"
                        " request_id, detail_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_AUDIT_LIST] = "SELECT id, at, actor, action, target, outcome, remote, request_id,"
                      " detail_json FROM audit_event WHERE id > ?1 ORDER BY id LIMIT ?2",
    /* The environment must belong to the app's account: the SELECT yields
     * no row otherwise, and nothing is inserted. */
    [ST_KEY_INSERT] =
        "INSERT INTO api_key (id, app_id, account_id, environment_id, kind, name, start, hash,"
        " scopes, created_at, expires_at)"
        " SELECT ?1, app.id, app.account_id, environment.id, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
        " FROM app JOIN environment ON environment.account_id = app.account_id"
        " WHERE app.id = ?2 AND environment.id = ?3 RETURNING account_id",
    [ST_KEY_GET] = "SELECT " KEY_COLS " FROM api_key WHERE id = ?1",
    [ST_KEY_GET_HASH] = "SELECT " KEY_COLS " FROM api_key WHERE hash = ?1",
    [ST_KEY_LIST] = "SELECT " KEY_COLS " FROM api_key WHERE id > ?1 ORDER BY id LIMIT ?2",
    [ST_KEY_LIST_APP] = "SELECT " KEY_COLS " FROM api_key"
                        " WHERE app_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_KEY_SET_SCOPES] = "UPDATE api_key SET scopes = ?2 WHERE id = ?1",
    /* Matches the row even when already revoked, so changes() tells
     * "found" from "not found" while the first revoked_at is kept. */
    [ST_KEY_REVOKE] = "UPDATE api_key SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2"
                      " ELSE revoked_at END WHERE id = ?1",
    [ST_KEY_MARK_ROTATED] = "UPDATE api_key SET grace_until = ?2, replaced_by = ?3"
                            " WHERE id = ?1 AND revoked_at = 0 AND replaced_by = ''",
    [ST_KEY_INSERT_ROTATED] =
        "INSERT INTO api_key (id, app_id, account_id, environment_id, kind, name, start, hash,"
        " scopes, created_at, expires_at)"
        " SELECT ?2, app_id, account_id, environment_id, kind, name, ?3, ?4, scopes, ?5,"
        " expires_at FROM api_key WHERE id = ?1 RETURNING " KEY_COLS,
    [ST_KEY_USAGE] = "UPDATE api_key SET use_count = CASE WHEN use_count > 9223372036854775807 - ?2"
                     " THEN 9223372036854775807 ELSE use_count + ?2 END,"
                     " last_used_at = max(last_used_at, ?3) WHERE id = ?1",
    [ST_UTK_LIST_USER] = "SELECT " UTK_COLS " FROM user_token WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_ADM_INSERT] = "INSERT INTO admin_token (" ADM_COLS ") VALUES (?1, ?2, ?3, ?4, 0)",
    [ST_ADM_GET_HASH] = "SELECT " ADM_COLS " FROM admin_token WHERE hash = ?1",
    [ST_ADM_COUNT_ACTIVE] = "SELECT count(*) FROM admin_token WHERE revoked_at = 0",
    [ST_ADM_REVOKE] = "UPDATE admin_token SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2"
                      " ELSE revoked_at END WHERE id = ?1",
    [ST_SK_INSERT] = "INSERT INTO signing_key (" SK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
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
        " CASE WHEN a THEN 0 ELSE ?5 END, 0 FROM (SELECT EXISTS (SELECT 1 FROM signing_key"
        " WHERE alg = ?2 AND state = 'active') AS a) RETURNING state, activated_at",
    [ST_SK_GENERATION] = "SELECT count(*) + COALESCE(sum(created_at + activated_at + retired_at),"
                         " 0) FROM signing_key",
    [ST_USER_INSERT] = "INSERT INTO app_user (" USER_COLS ")"
                       " SELECT ?1, account_id, id, ?3, ?4 FROM app WHERE id = ?2 RETURNING account_id",
    [ST_USER_GET] = "SELECT " USER_COLS " FROM app_user WHERE id = ?1",
    [ST_USER_LIST_APP] = "SELECT " USER_COLS " FROM app_user WHERE app_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_UTK_INSERT] = "INSERT INTO user_token (id, app_id, account_id, user_id, start, hash, access_level,"
                      " created_at, expires_at)"
                      " SELECT ?1, app_id, account_id, id, ?3, ?4, ?5, ?6, ?7 FROM app_user WHERE id = ?2"
                      " RETURNING app_id, account_id",
    [ST_UTK_GET] = "SELECT " UTK_COLS " FROM user_token WHERE id = ?1",
    [ST_UTK_GET_HASH] = "SELECT " UTK_COLS " FROM user_token WHERE hash = ?1",
    [ST_UTK_REVOKE] = "UPDATE user_token SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2"
                      " ELSE revoked_at END WHERE id = ?1",
    [ST_UTK_MARK_ROTATED] = "UPDATE user_token SET grace_until = ?2, replaced_by = ?3"
                            " WHERE id = ?1 AND revoked_at = 0 AND replaced_by = ''",
    [ST_UTK_INSERT_ROTATED] = "INSERT INTO user_token (id, app_id, account_id, user_id, start, hash, access_level,"
                              " created_at, expires_at)"
                              " SELECT ?2, app_id, account_id, user_id, ?3, ?4, access_level, ?5, expires_at"
                              " FROM user_token WHERE id = ?1 RETURNING " UTK_COLS,
    [ST_UTK_USAGE] = "UPDATE user_token SET use_count = CASE WHEN use_count > 9223372036854775807 - ?2"
                     " THEN 9223372036854775807 ELSE use_count + ?2 END,"
                     " last_used_at = max(last_used_at, ?3) WHERE id = ?1",
    /* "WHERE true" keeps SQLite from reading ON CONFLICT as a join clause. */
    [ST_MERCHANT_ENSURE] = "INSERT INTO merchant (app_id, merchant_id, created_at)"
                           " SELECT ?1, COALESCE(MAX(merchant_id), 0) + 1, ?2 FROM merchant"
                           " WHERE true ON CONFLICT (app_id) DO NOTHING",
    [ST_MERCHANT_GET] = "SELECT " MERCHANT_COLS " FROM merchant WHERE app_id = ?1",
    [ST_MERCHANT_GET_MID] = "SELECT " MERCHANT_COLS " FROM merchant WHERE merchant_id = ?1",
    [ST_MERCHANT_SET_SECRET] = "UPDATE merchant SET secret_sealed = ?2, secret_created_at = ?3,"
                               " secret_rotated_at = ?4, prev_sealed = ?5, prev_valid_until = ?6"
                               " WHERE app_id = ?1 AND secret_sealed = ?7",
    [ST_CLIENT_UPSERT] =
        "INSERT INTO assetpay_client (" CLIENT_COLS ")"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)"
        " ON CONFLICT (app_id, steam_id) DO UPDATE SET trade_url = excluded.trade_url,"
        " partner_match = excluded.partner_match, client_id = excluded.client_id,"
        " client_data = excluded.client_data, risk_limit = excluded.risk_limit,"
        " risk_tier = excluded.risk_tier, updated_at = excluded.updated_at,"
        " auth_count = assetpay_client.auth_count + 1",
    [ST_CLIENT_GET] = "SELECT " CLIENT_COLS " FROM assetpay_client WHERE app_id = ?1 AND steam_id = ?2",
    [ST_CLIENT_LIST] = "SELECT " CLIENT_COLS " FROM assetpay_client WHERE app_id = ?1 AND steam_id > ?2"
                       " ORDER BY steam_id LIMIT ?3",
    [ST_ENTITY_INSERT] = "INSERT INTO entity (id, account_id, name, created_at)"
                         " VALUES (?1, ?2, ?3, ?4)",
    [ST_ENTITY_GET] = "SELECT id, account_id, name, created_at FROM entity WHERE id = ?1",
    [ST_ENTITY_LIST] = "SELECT id, account_id, name, created_at FROM entity"
                       " WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_ACCOUNT_TTL_GET] = "SELECT token_max_lifetime FROM account WHERE id = ?1",
    [ST_ACCOUNT_TTL_SET] = "UPDATE account SET token_max_lifetime = ?2 WHERE id = ?1",
};

typedef struct conn {
  sqlite3 *db;
  sqlite3_stmt *st[ST_COUNT]; /* prepared lazily, kept until close */
  sqlite3_stmt *find[STORE_AQ_VARIANTS]; /* audit_find variants, likewise */
} conn_t;

typedef struct listener {
  char channel[STORE_CHANNEL_LEN_MAX + 1];
  store_notify_fn fn;
  void *ctx;
} listener_t;

typedef struct sq {
  pthread_mutex_t wmu; /* guards writer */
  conn_t writer;
  pthread_mutex_t rmu; /* guards free_idx/nfree */
  pthread_cond_t rcv;  /* signalled when a reader is returned */
  conn_t *readers;     /* nreaders; empty for :memory: */
  int nreaders;
  int *free_idx; /* stack of free reader indexes */
  int nfree;
  pthread_mutex_t lmu; /* guards listeners/nlisteners; never held while calling out */
  listener_t listeners[STORE_LISTENERS_MAX];
  int nlisteners;
} sq_t;

/* --- connections --------------------------------------------------------- */

static void conn_close(conn_t *c) {
  for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(c->st[i]);
  for (unsigned i = 0; i < STORE_AQ_VARIANTS; i++) sqlite3_finalize(c->find[i]);
  sqlite3_close(c->db); /* NULL ok */
  memset(c, 0, sizeof *c);
}

static int conn_open(conn_t *c, const char *path, int busy_ms, char *err, size_t errlen) {
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

/* Logs a failure on `c` and maps it to a custos code. Constraint
 * violations are expected outcomes, not store failures. */
static int fail_rc(conn_t *c, int rc, const char *what) {
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

static sqlite3_stmt *stmt(conn_t *c, int id) {
  if (!c->st[id] &&
      sqlite3_prepare_v3(c->db, SQL[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL) !=
          SQLITE_OK) {
    log_msg(LOG_ERROR, "store: sqlite: prepare: %s", sqlite3_errmsg(c->db));
    c->st[id] = NULL;
  }
  return c->st[id];
}

static void stmt_done(sqlite3_stmt *st) {
  if (!st) return;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows (or whose rows are ignored). */
static int exec_stmt(conn_t *c, int id) {
  sqlite3_stmt *st = stmt(c, id);
  if (!st) return CUSTOS_ESTORE;
  int rc = sqlite3_step(st);
  int out = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? CUSTOS_OK : fail_rc(c, rc, SQL[id]);
  stmt_done(st);
  return out;
}

static void rollback(conn_t *c) {
  if (!sqlite3_get_autocommit(c->db)) (void)exec_stmt(c, ST_ROLLBACK);
}

static const char *col_text(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? (const char *)t : "";
}

static int bind_text(sqlite3_stmt *st, int i, const char *v) {
  return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) == SQLITE_OK ? CUSTOS_OK : CUSTOS_ESTORE;
}

/* --- pool ---------------------------------------------------------------- */

static int writer_get(sq_t *q, conn_t **c) {
  pthread_mutex_lock(&q->wmu);
  *c = &q->writer;
  return CUSTOS_OK;
}

static void writer_put(sq_t *q) { pthread_mutex_unlock(&q->wmu); }

/* A reader connection, or the writer when there are no readers. */
static int reader_get(sq_t *q, conn_t **c) {
  if (q->nreaders == 0) return writer_get(q, c);
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

static void reader_put(sq_t *q, conn_t *c) {
  if (q->nreaders == 0) {
    writer_put(q);
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

static void sq_close(void *impl) {
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
  sq_close(q);
  return rc;
}

/* --- ping / schema ------------------------------------------------------- */

static int sq_ping(void *impl) {
  sq_t *q = impl;
  conn_t *c;
  int rc = reader_get(q, &c);
  if (rc) return rc;
  rc = exec_stmt(c, ST_PING);
  reader_put(q, c);
  return rc;
}

/* Reads the version on `c`; 0 when schema_migrations does not exist. */
static int read_version(conn_t *c, int *v) {
  sqlite3_stmt *st = stmt(c, ST_HAS_MIGRATIONS);
  int rc = CUSTOS_ESTORE, src;
  if (!st) return CUSTOS_ESTORE;
  src = sqlite3_step(st);
  if (src != SQLITE_ROW) {
    rc = fail_rc(c, src, "schema version");
    stmt_done(st);
    return rc;
  }
  int exists = sqlite3_column_int(st, 0);
  stmt_done(st);
  if (!exists) {
    *v = 0;
    return CUSTOS_OK;
  }
  if (!(st = stmt(c, ST_VERSION))) return CUSTOS_ESTORE;
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    *v = sqlite3_column_int(st, 0);
    rc = CUSTOS_OK;
  } else {
    rc = fail_rc(c, src, "schema version");
  }
  stmt_done(st);
  return rc;
}

static int sq_schema_version(void *impl, int *v) {
  sq_t *q = impl;
  conn_t *c;
  int rc = reader_get(q, &c);
  if (rc) return rc;
  rc = read_version(c, v);
  reader_put(q, c);
  return rc;
}

/* Applies the next pending migration, if any, in one IMMEDIATE
 * transaction. *done = true when nothing was pending. */
static int migrate_step(conn_t *c, bool *done) {
  int rc, v = 0, bin = migrations_count();
  sqlite3_stmt *st;
  char *msg = NULL;

  *done = false;
  if ((rc = exec_stmt(c, ST_BEGIN))) return rc;
  if (sqlite3_exec(c->db, MIGRATIONS_BOOTSTRAP_SQL, NULL, NULL, NULL) != SQLITE_OK) {
    rc = fail_rc(c, sqlite3_extended_errcode(c->db), "bootstrap");
    goto fail;
  }
  if ((rc = read_version(c, &v))) goto fail;
  if (v > bin) {
    rc = CUSTOS_EVERSION;
    goto fail;
  }
  if (v == bin) {
    *done = true;
    rollback(c);
    return CUSTOS_OK;
  }
  if (sqlite3_exec(c->db, migrations_sql(v + 1, STORE_DIALECT_SQLITE), NULL, NULL, &msg) !=
      SQLITE_OK) {
    log_msg(LOG_ERROR, "store: sqlite: migration %d: %s", v + 1, msg ? msg : "?");
    sqlite3_free(msg);
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if (!(st = stmt(c, ST_MIGRATION_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  sqlite3_bind_int(st, 1, v + 1);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
  int src = sqlite3_step(st);
  rc = src == SQLITE_DONE ? CUSTOS_OK : fail_rc(c, src, "record migration");
  stmt_done(st);
  if (rc) goto fail;
  if ((rc = exec_stmt(c, ST_COMMIT))) goto fail;
  return CUSTOS_OK;

fail:
  rollback(c);
  return rc;
}

static int sq_migrate(void *impl, int *applied_out) {
  sq_t *q = impl;
  conn_t *c;
  int rc, applied = 0;
  bool done = false;
  if ((rc = writer_get(q, &c))) return rc;
  while (!done && rc == CUSTOS_OK) {
    rc = migrate_step(c, &done);
    if (rc == CUSTOS_OK && !done) applied++;
  }
  writer_put(q);
  if (rc == CUSTOS_OK) *applied_out = applied;
  return rc;
}

/* --- rows ---------------------------------------------------------------- */

static int row_account(sqlite3_stmt *st, store_account_t *a) {
  memset(a, 0, sizeof *a);
  if (store__copy(a->id, sizeof a->id, col_text(st, 0)) ||
      store__copy(a->name, sizeof a->name, col_text(st, 1)))
    return CUSTOS_ESTORE;
  a->created_at = sqlite3_column_int64(st, 2);
  return CUSTOS_OK;
}

static int row_env(sqlite3_stmt *st, store_environment_t *e) {
  memset(e, 0, sizeof *e);
  if (store__copy(e->id, sizeof e->id, col_text(st, 0)) ||
      store__copy(e->account_id, sizeof e->account_id, col_text(st, 1)) ||
      store__copy(e->name, sizeof e->name, col_text(st, 2)))
    return CUSTOS_ESTORE;
  e->created_at = sqlite3_column_int64(st, 3);
  return CUSTOS_OK;
}

static int row_app(sqlite3_stmt *st, store_app_t *a) {
  memset(a, 0, sizeof *a);
  if (store__copy(a->id, sizeof a->id, col_text(st, 0)) ||
      store__copy(a->account_id, sizeof a->account_id, col_text(st, 1)) ||
      store__copy(a->name, sizeof a->name, col_text(st, 2)) ||
      store__copy(a->profile, sizeof a->profile, col_text(st, 3)))
    return CUSTOS_ESTORE;
  a->created_at = sqlite3_column_int64(st, 4);
  return CUSTOS_OK;
}

static int row_audit(sqlite3_stmt *st, store_audit_t *e) {
  memset(e, 0, sizeof *e);
  e->id = sqlite3_column_int64(st, 0);
  e->at = sqlite3_column_int64(st, 1);
  if (store__copy(e->actor, sizeof e->actor, col_text(st, 2)) ||
      store__copy(e->action, sizeof e->action, col_text(st, 3)) ||
      store__copy(e->target, sizeof e->target, col_text(st, 4)) ||
      store__copy(e->outcome, sizeof e->outcome, col_text(st, 5)) ||
      store__copy(e->remote, sizeof e->remote, col_text(st, 6)) ||
      store__copy(e->request_id, sizeof e->request_id, col_text(st, 7)))
    return CUSTOS_ESTORE;
  /* Last, so a failure above leaves nothing allocated. */
  if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
    e->detail_json = strdup(col_text(st, 8));
    if (!e->detail_json) return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

/* Decodes the current row into `out`. On failure the row owns nothing. */
typedef int (*row_fn)(sqlite3_stmt *st, void *out);
/* Frees what a decoded row owns; NULL for rows that own nothing. */
typedef void (*row_cleanup_fn)(void *row);

static int row_key(sqlite3_stmt *st, store_api_key_t *k) {
  memset(k, 0, sizeof *k);
  if (store__copy(k->id, sizeof k->id, col_text(st, 0)) ||
      store__copy(k->app_id, sizeof k->app_id, col_text(st, 1)) ||
      store__copy(k->account_id, sizeof k->account_id, col_text(st, 2)) ||
      store__copy(k->environment_id, sizeof k->environment_id, col_text(st, 3)) ||
      store__copy(k->kind, sizeof k->kind, col_text(st, 4)) ||
      store__copy(k->name, sizeof k->name, col_text(st, 5)) ||
      store__copy(k->start, sizeof k->start, col_text(st, 6)) ||
      store__hash_unhex(col_text(st, 7), k->hash) ||
      store__copy(k->scopes, sizeof k->scopes, col_text(st, 8)) ||
      store__copy(k->replaced_by, sizeof k->replaced_by, col_text(st, 13)))
    return CUSTOS_ESTORE;
  k->created_at = sqlite3_column_int64(st, 9);
  k->expires_at = sqlite3_column_int64(st, 10);
  k->revoked_at = sqlite3_column_int64(st, 11);
  k->grace_until = sqlite3_column_int64(st, 12);
  k->last_used_at = sqlite3_column_int64(st, 14);
  k->use_count = sqlite3_column_int64(st, 15);
  return CUSTOS_OK;
}

static int row_user(sqlite3_stmt *st, store_user_t *u) {
  memset(u, 0, sizeof *u);
  if (store__copy(u->id, sizeof u->id, col_text(st, 0)) ||
      store__copy(u->account_id, sizeof u->account_id, col_text(st, 1)) ||
      store__copy(u->app_id, sizeof u->app_id, col_text(st, 2)) ||
      store__copy(u->external_id, sizeof u->external_id, col_text(st, 3)))
    return CUSTOS_ESTORE;
  u->created_at = sqlite3_column_int64(st, 4);
  return CUSTOS_OK;
}

static int row_admin(sqlite3_stmt *st, store_admin_token_t *t) {
  memset(t, 0, sizeof *t);
  if (store__copy(t->id, sizeof t->id, col_text(st, 0)) ||
      store__copy(t->name, sizeof t->name, col_text(st, 1)) ||
      store__hash_unhex(col_text(st, 2), t->hash))
    return CUSTOS_ESTORE;
  t->created_at = sqlite3_column_int64(st, 3);
  t->revoked_at = sqlite3_column_int64(st, 4);
  return CUSTOS_OK;
}

static int row_signing(sqlite3_stmt *st, store_signing_key_t *k) {
  memset(k, 0, sizeof *k);
  if (store__copy(k->kid, sizeof k->kid, col_text(st, 0)) ||
      store__copy(k->alg, sizeof k->alg, col_text(st, 1)) ||
      store__copy(k->state, sizeof k->state, col_text(st, 2)))
    return CUSTOS_ESTORE;
  k->created_at = sqlite3_column_int64(st, 5);
  k->activated_at = sqlite3_column_int64(st, 6);
  k->retired_at = sqlite3_column_int64(st, 7);
  /* Last, so a failure above leaves nothing allocated. */
  k->sealed = strdup(col_text(st, 3));
  k->public_jwk = strdup(col_text(st, 4));
  if (!k->sealed || !k->public_jwk) {
    store_signing_key_cleanup(k);
    return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

static void cleanup_audit(void *row) { store_audit_cleanup(row); }

static int row_merchant(sqlite3_stmt *st, store_merchant_t *m) {
  memset(m, 0, sizeof *m);
  if (store__copy(m->app_id, sizeof m->app_id, col_text(st, 0)) ||
      store__copy(m->secret_sealed, sizeof m->secret_sealed, col_text(st, 2)) ||
      store__copy(m->prev_sealed, sizeof m->prev_sealed, col_text(st, 5)))
    return CUSTOS_ESTORE;
  m->merchant_id = sqlite3_column_int64(st, 1);
  m->secret_created_at = sqlite3_column_int64(st, 3);
  m->secret_rotated_at = sqlite3_column_int64(st, 4);
  m->prev_valid_until = sqlite3_column_int64(st, 6);
  m->created_at = sqlite3_column_int64(st, 7);
  return CUSTOS_OK;
}

static int row_client(sqlite3_stmt *st, store_ap_client_t *c) {
  memset(c, 0, sizeof *c);
  if (store__copy(c->app_id, sizeof c->app_id, col_text(st, 0)) ||
      store__copy(c->steam_id, sizeof c->steam_id, col_text(st, 1)) ||
      store__copy(c->trade_url, sizeof c->trade_url, col_text(st, 2)) ||
      store__copy(c->client_id, sizeof c->client_id, col_text(st, 4)))
    return CUSTOS_ESTORE;
  c->partner_match = sqlite3_column_int(st, 3) != 0;
  c->risk_limit = sqlite3_column_int64(st, 6);
  c->risk_tier = sqlite3_column_int(st, 7);
  c->created_at = sqlite3_column_int64(st, 8);
  c->updated_at = sqlite3_column_int64(st, 9);
  c->auth_count = sqlite3_column_int64(st, 10);
  /* Last, so a failure above leaves nothing allocated. */
  if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
    c->client_data = strdup(col_text(st, 5));
    if (!c->client_data) return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}
static void cleanup_signing(void *row) { store_signing_key_cleanup(row); }
static void cleanup_client(void *row) { store_ap_client_cleanup(row); }

/*
 * Steps a bound SELECT on `c`, decoding up to `limit` rows of `size` bytes
 * each into `out` with `fn`. For a single-row get pass limit 1 and
 * `notfound` true: no row is CUSTOS_ENOTFOUND. Resets the statement. On
 * failure the rows decoded so far are released with `cleanup`.
 */
static int fetch(conn_t *c, sqlite3_stmt *st, row_fn fn, row_cleanup_fn cleanup, void *out,
                 size_t size, int limit, bool notfound, int *n_out) {
  int n = 0, rc = CUSTOS_OK, src = SQLITE_DONE;
  while (n < limit && (src = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = fn(st, (char *)out + (size_t)n * size))) break;
    n++;
  }
  if (rc == CUSTOS_OK && n < limit && src != SQLITE_DONE) rc = fail_rc(c, src, "select");
  stmt_done(st);
  if (rc == CUSTOS_OK && notfound && n == 0) rc = CUSTOS_ENOTFOUND;
  if (rc == CUSTOS_OK && n_out) *n_out = n;
  if (rc != CUSTOS_OK && cleanup)
    for (int i = 0; i < n; i++) cleanup((char *)out + (size_t)i * size);
  return rc;
}

static int fn_account(sqlite3_stmt *st, void *o) { return row_account(st, o); }
static int fn_env(sqlite3_stmt *st, void *o) { return row_env(st, o); }
static int fn_app(sqlite3_stmt *st, void *o) { return row_app(st, o); }
static int fn_audit(sqlite3_stmt *st, void *o) { return row_audit(st, o); }
static int fn_key(sqlite3_stmt *st, void *o) { return row_key(st, o); }
static int fn_admin(sqlite3_stmt *st, void *o) { return row_admin(st, o); }
static int fn_merchant(sqlite3_stmt *st, void *o) { return row_merchant(st, o); }
static int fn_client(sqlite3_stmt *st, void *o) { return row_client(st, o); }
static int fn_signing(sqlite3_stmt *st, void *o) { return row_signing(st, o); }
static int fn_user(sqlite3_stmt *st, void *o) { return row_user(st, o); }

/* --- writes -------------------------------------------------------------- */

/* Steps an INSERT that was bound by the caller and resets it. */
static int insert(conn_t *c, sqlite3_stmt *st, const char *what) {
  int src = sqlite3_step(st);
  int rc = src == SQLITE_DONE ? CUSTOS_OK : fail_rc(c, src, what);
  stmt_done(st);
  return rc;
}

static int insert_env(conn_t *c, const store_environment_t *e) {
  sqlite3_stmt *st = stmt(c, ST_ENV_INSERT);
  if (!st) return CUSTOS_ESTORE;
  if (bind_text(st, 1, e->id) || bind_text(st, 2, e->account_id) || bind_text(st, 3, e->name) ||
      sqlite3_bind_int64(st, 4, e->created_at) != SQLITE_OK) {
    stmt_done(st);
    return CUSTOS_ESTORE;
  }
  return insert(c, st, "insert environment");
}

static int sq_account_create(void *impl, const store_account_t *a,
                             const store_environment_t *envs, int nenv) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if ((rc = exec_stmt(c, ST_BEGIN))) goto out;
  if (!(st = stmt(c, ST_ACCOUNT_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if (bind_text(st, 1, a->id) || bind_text(st, 2, a->name) ||
      sqlite3_bind_int64(st, 3, a->created_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if ((rc = insert(c, st, "insert account"))) goto fail;
  for (int i = 0; i < nenv; i++)
    if ((rc = insert_env(c, &envs[i]))) goto fail;
  if ((rc = exec_stmt(c, ST_COMMIT))) goto fail;
  goto out;
fail:
  rollback(c);
out:
  writer_put(q);
  return rc;
}

static int sq_environment_create(void *impl, const store_environment_t *e) {
  sq_t *q = impl;
  conn_t *c;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  rc = insert_env(c, e);
  writer_put(q);
  return rc;
}

static int sq_app_create(void *impl, const store_app_t *a) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_APP_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, a->id) || bind_text(st, 2, a->account_id) || bind_text(st, 3, a->name) ||
      bind_text(st, 4, a->profile) || sqlite3_bind_int64(st, 5, a->created_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = insert(c, st, "insert app");
out:
  writer_put(q);
  return rc;
}

static int sq_audit_append(void *impl, const store_audit_t *e) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_AUDIT_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (sqlite3_bind_int64(st, 1, e->at) != SQLITE_OK || bind_text(st, 2, e->actor) ||
      bind_text(st, 3, e->action) || bind_text(st, 4, e->target) ||
      bind_text(st, 5, e->outcome) || bind_text(st, 6, e->remote) ||
      bind_text(st, 7, e->request_id) ||
      (e->detail_json ? bind_text(st, 8, e->detail_json)
                      : (sqlite3_bind_null(st, 8) == SQLITE_OK ? CUSTOS_OK : CUSTOS_ESTORE))) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = insert(c, st, "insert audit_event");
out:
  writer_put(q);
  return rc;
}

/* --- reads --------------------------------------------------------------- */

/* Prepares statement `id` on a reader, binds up to three text params and
 * an optional trailing integer, and fetches. */
static int sq_select(sq_t *q, int id, const char *p1, const char *p2, bool has_int,
                     int64_t iv, row_fn fn, void *out, size_t size, int limit, bool notfound,
                     int *n_out) {
  conn_t *c;
  sqlite3_stmt *st;
  int rc, i = 1;
  if ((rc = reader_get(q, &c))) return rc;
  if (!(st = stmt(c, id))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if ((p1 && bind_text(st, i++, p1)) || (p2 && bind_text(st, i++, p2)) ||
      (has_int && sqlite3_bind_int64(st, i++, iv) != SQLITE_OK) ||
      (!notfound && sqlite3_bind_int(st, i++, limit) != SQLITE_OK)) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = fetch(c, st, fn,
             fn == fn_audit     ? cleanup_audit
             : fn == fn_signing ? cleanup_signing
             : fn == fn_client  ? cleanup_client
                                : NULL,
             out, size, limit, notfound, n_out);
out:
  reader_put(q, c);
  return rc;
}

static int sq_account_get(void *impl, const char *id, store_account_t *out) {
  return sq_select(impl, ST_ACCOUNT_GET, id, NULL, false, 0, fn_account, out, sizeof *out, 1,
                   true, NULL);
}

static int sq_account_list(void *impl, const char *after, int limit, store_account_t *out,
                           int *n) {
  return sq_select(impl, ST_ACCOUNT_LIST, after, NULL, false, 0, fn_account, out, sizeof *out,
                   limit, false, n);
}

static int sq_environment_list(void *impl, const char *account_id, const char *after,
                               int limit, store_environment_t *out, int *n) {
  return sq_select(impl, ST_ENV_LIST, account_id, after, false, 0, fn_env, out, sizeof *out,
                   limit, false, n);
}

static int sq_app_get(void *impl, const char *id, store_app_t *out) {
  return sq_select(impl, ST_APP_GET, id, NULL, false, 0, fn_app, out, sizeof *out, 1, true,
                   NULL);
}

static int sq_app_list(void *impl, const char *account_id, const char *after, int limit,
                       store_app_t *out, int *n) {
  if (account_id)
    return sq_select(impl, ST_APP_LIST_ACCOUNT, account_id, after, false, 0, fn_app, out,
                     sizeof *out, limit, false, n);
  return sq_select(impl, ST_APP_LIST, after, NULL, false, 0, fn_app, out, sizeof *out, limit,
                   false, n);
}

static int sq_audit_list(void *impl, int64_t after, int limit, store_audit_t *out, int *n) {
  return sq_select(impl, ST_AUDIT_LIST, NULL, NULL, true, after, fn_audit, out, sizeof *out,
                   limit, false, n);
}

/* --- audit queries ------------------------------------------------------- */

static sqlite3_stmt *find_stmt(conn_t *c, unsigned mask) {
  char sql[512];
  if (!c->find[mask]) {
    store__audit_find_sql(mask, false, sql, sizeof sql);
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->find[mask], NULL) !=
        SQLITE_OK) {
      log_msg(LOG_ERROR, "store: sqlite: prepare: %s", sqlite3_errmsg(c->db));
      c->find[mask] = NULL;
    }
  }
  return c->find[mask];
}

static int sq_audit_find(void *impl, const store__audit_query_t *aq, int64_t after, int limit,
                         store_audit_t *out, int *n) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc, i = 1;
  bool bad;
  if ((rc = reader_get(q, &c))) return rc;
  if (!(st = find_stmt(c, aq->mask))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  bad = sqlite3_bind_int64(st, i++, after) != SQLITE_OK;
  if (aq->mask & STORE_AQ_ACTION) bad = bad || bind_text(st, i++, aq->action);
  if (aq->mask & STORE_AQ_PREFIX)
    bad = bad || bind_text(st, i++, aq->action) || bind_text(st, i++, aq->action_hi);
  if (aq->mask & STORE_AQ_TARGET) bad = bad || bind_text(st, i++, aq->target);
  if (aq->mask & STORE_AQ_ACTOR) bad = bad || bind_text(st, i++, aq->actor);
  if (aq->mask & STORE_AQ_SINCE) bad = bad || sqlite3_bind_int64(st, i++, aq->since) != SQLITE_OK;
  bad = bad || sqlite3_bind_int(st, i++, limit) != SQLITE_OK;
  if (bad) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = fetch(c, st, fn_audit, cleanup_audit, out, sizeof *out, limit, false, n);
out:
  reader_put(q, c);
  return rc;
}

/* --- API keys ------------------------------------------------------------ */

static int bind_hash(sqlite3_stmt *st, int i, const unsigned char hash[STORE_KEY_HASH_LEN]) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  return sqlite3_bind_text(st, i, hex, -1, SQLITE_TRANSIENT) == SQLITE_OK ? CUSTOS_OK
                                                                         : CUSTOS_ESTORE;
}

static int sq_api_key_create(void *impl, store_api_key_t *k) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc, src;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_KEY_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, k->id) || bind_text(st, 2, k->app_id) ||
      bind_text(st, 3, k->environment_id) || bind_text(st, 4, k->kind) ||
      bind_text(st, 5, k->name) || bind_text(st, 6, k->start) || bind_hash(st, 7, k->hash) ||
      bind_text(st, 8, k->scopes) || sqlite3_bind_int64(st, 9, k->created_at) != SQLITE_OK ||
      sqlite3_bind_int64(st, 10, k->expires_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  /* With RETURNING, the first step runs the whole insert. */
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    rc = store__copy(k->account_id, sizeof k->account_id, col_text(st, 0));
  } else if (src == SQLITE_DONE) {
    rc = CUSTOS_ENOTFOUND; /* no such app, or environment of another account */
  } else {
    rc = fail_rc(c, src, "insert api_key");
  }
  stmt_done(st);
out:
  writer_put(q);
  return rc;
}

static int sq_api_key_get(void *impl, const char *id, store_api_key_t *out) {
  return sq_select(impl, ST_KEY_GET, id, NULL, false, 0, fn_key, out, sizeof *out, 1, true,
                   NULL);
}

static int sq_api_key_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                  store_api_key_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  return sq_select(impl, ST_KEY_GET_HASH, hex, NULL, false, 0, fn_key, out, sizeof *out, 1, true,
                   NULL);
}

static int sq_api_key_list(void *impl, const char *app_id, const char *after, int limit,
                           store_api_key_t *out, int *n) {
  if (app_id)
    return sq_select(impl, ST_KEY_LIST_APP, app_id, after, false, 0, fn_key, out, sizeof *out,
                     limit, false, n);
  return sq_select(impl, ST_KEY_LIST, after, NULL, false, 0, fn_key, out, sizeof *out, limit,
                   false, n);
}

/* Runs an UPDATE bound as (?1 id, ?2 text or int) on the writer;
 * CUSTOS_ENOTFOUND when it matched no row. */
static int update_one(sq_t *q, int id, const char *key_id, const char *text, int64_t iv) {
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, id))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, key_id) ||
      (text ? bind_text(st, 2, text) : sqlite3_bind_int64(st, 2, iv) != SQLITE_OK)) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if ((rc = insert(c, st, SQL[id])) == CUSTOS_OK && sqlite3_changes(c->db) == 0)
    rc = CUSTOS_ENOTFOUND;
out:
  writer_put(q);
  return rc;
}

static int sq_api_key_set_scopes(void *impl, const char *id, const char *scopes) {
  return update_one(impl, ST_KEY_SET_SCOPES, id, scopes, 0);
}

static int sq_api_key_revoke(void *impl, const char *id, int64_t at) {
  return update_one(impl, ST_KEY_REVOKE, id, NULL, at);
}

/* Statements of one rotation: mark the old row, read it (to tell absent
 * from not rotatable), insert the new one copied from it. */
typedef struct rotate_sql {
  int mark, get, insert;
  const char *what;
} rotate_sql_t;

static int rotate(void *impl, const rotate_sql_t *rs, const char *old_id, int64_t grace_until,
                  store_api_key_t *nk);

static int sq_api_key_rotate(void *impl, const char *old_id, int64_t grace_until,
                             store_api_key_t *nk) {
  static const rotate_sql_t RS = {ST_KEY_MARK_ROTATED, ST_KEY_GET, ST_KEY_INSERT_ROTATED, "api_key"};
  return rotate(impl, &RS, old_id, grace_until, nk);
}

static int rotate(void *impl, const rotate_sql_t *rs, const char *old_id, int64_t grace_until,
                  store_api_key_t *nk) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  store_api_key_t row;
  int rc, src;
  if ((rc = writer_get(q, &c))) return rc;
  if ((rc = exec_stmt(c, ST_BEGIN))) goto out;
  /* Mark first: the WHERE clause is the "neither revoked nor rotated"
   * check, so it cannot go stale before the insert. */
  if (!(st = stmt(c, rs->mark))) {
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if (bind_text(st, 1, old_id) || sqlite3_bind_int64(st, 2, grace_until) != SQLITE_OK ||
      bind_text(st, 3, nk->id)) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if ((rc = insert(c, st, rs->what))) goto fail;
  if (sqlite3_changes(c->db) == 0) {
    /* Absent, or revoked / already rotated: tell which. */
    if (!(st = stmt(c, rs->get)) || bind_text(st, 1, old_id)) {
      stmt_done(st);
      rc = CUSTOS_ESTORE;
      goto fail;
    }
    rc = fetch(c, st, fn_key, NULL, &row, sizeof row, 1, true, NULL);
    if (rc == CUSTOS_OK) rc = CUSTOS_EINVAL;
    goto fail;
  }
  if (!(st = stmt(c, rs->insert))) {
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if (bind_text(st, 1, old_id) || bind_text(st, 2, nk->id) || bind_text(st, 3, nk->start) ||
      bind_hash(st, 4, nk->hash) || sqlite3_bind_int64(st, 5, nk->created_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  src = sqlite3_step(st);
  rc = src == SQLITE_ROW ? row_key(st, &row) : fail_rc(c, src, rs->what);
  stmt_done(st);
  if (rc) goto fail;
  if ((rc = exec_stmt(c, ST_COMMIT))) goto fail;
  *nk = row;
  goto out;
fail:
  rollback(c);
out:
  writer_put(q);
  return rc;
}

static int record_usage(void *impl, int id, const store_key_usage_t *u, int n);

static int sq_api_key_record_usage(void *impl, const store_key_usage_t *u, int n) {
  return record_usage(impl, ST_KEY_USAGE, u, n);
}

/* Usage counts with UPDATE statement `id`, in one transaction. */
static int record_usage(void *impl, int id, const store_key_usage_t *u, int n) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if ((rc = exec_stmt(c, ST_BEGIN))) goto out;
  for (int i = 0; i < n; i++) {
    if (!(st = stmt(c, id))) {
      rc = CUSTOS_ESTORE;
      goto fail;
    }
    if (bind_text(st, 1, u[i].id) || sqlite3_bind_int64(st, 2, u[i].uses) != SQLITE_OK ||
        sqlite3_bind_int64(st, 3, u[i].last_used_at) != SQLITE_OK) {
      stmt_done(st);
      rc = CUSTOS_ESTORE;
      goto fail;
    }
    if ((rc = insert(c, st, "record usage"))) goto fail;
  }
  if ((rc = exec_stmt(c, ST_COMMIT))) goto fail;
  goto out;
fail:
  rollback(c);
out:
  writer_put(q);
  return rc;
}

/* --- users and user tokens ------------------------------------------------ */

static int sq_user_create(void *impl, store_user_t *u) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc, src;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_USER_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, u->id) || bind_text(st, 2, u->app_id) || bind_text(st, 3, u->external_id) ||
      sqlite3_bind_int64(st, 4, u->created_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    rc = store__copy(u->account_id, sizeof u->account_id, col_text(st, 0));
  else if (src == SQLITE_DONE)
    rc = CUSTOS_ENOTFOUND; /* no such app */
  else
    rc = fail_rc(c, src, "insert app_user");
  stmt_done(st);
out:
  writer_put(q);
  return rc;
}

static int sq_user_get(void *impl, const char *id, store_user_t *out) {
  return sq_select(impl, ST_USER_GET, id, NULL, false, 0, fn_user, out, sizeof *out, 1, true, NULL);
}

static int sq_user_list(void *impl, const char *app_id, const char *after, int limit, store_user_t *out,
                        int *n) {
  return sq_select(impl, ST_USER_LIST_APP, app_id, after, false, 0, fn_user, out, sizeof *out, limit, false, n);
}

static int sq_user_token_list(void *impl, const char *user_id, const char *after, int limit,
                              store_api_key_t *out, int *n) {
  return sq_select(impl, ST_UTK_LIST_USER, user_id, after, false, 0, fn_key, out, sizeof *out, limit, false, n);
}

static int sq_user_token_create(void *impl, store_api_key_t *k) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc, src;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_UTK_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, k->id) || bind_text(st, 2, k->environment_id) || bind_text(st, 3, k->start) ||
      bind_hash(st, 4, k->hash) || bind_text(st, 5, k->scopes) ||
      sqlite3_bind_int64(st, 6, k->created_at) != SQLITE_OK ||
      sqlite3_bind_int64(st, 7, k->expires_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    rc = store__copy(k->app_id, sizeof k->app_id, col_text(st, 0));
    if (rc == CUSTOS_OK) rc = store__copy(k->account_id, sizeof k->account_id, col_text(st, 1));
  } else if (src == SQLITE_DONE) {
    rc = CUSTOS_ENOTFOUND; /* no such user */
  } else {
    rc = fail_rc(c, src, "insert user_token");
  }
  stmt_done(st);
out:
  writer_put(q);
  return rc;
}

static int sq_user_token_get(void *impl, const char *id, store_api_key_t *out) {
  return sq_select(impl, ST_UTK_GET, id, NULL, false, 0, fn_key, out, sizeof *out, 1, true, NULL);
}

static int sq_user_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                     store_api_key_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  return sq_select(impl, ST_UTK_GET_HASH, hex, NULL, false, 0, fn_key, out, sizeof *out, 1, true, NULL);
}

static int sq_user_token_revoke(void *impl, const char *id, int64_t at) {
  return update_one(impl, ST_UTK_REVOKE, id, NULL, at);
}

static int sq_user_token_rotate(void *impl, const char *old_id, int64_t grace_until, store_api_key_t *nk) {
  static const rotate_sql_t RS = {ST_UTK_MARK_ROTATED, ST_UTK_GET, ST_UTK_INSERT_ROTATED, "user_token"};
  return rotate(impl, &RS, old_id, grace_until, nk);
}

static int sq_user_token_record_usage(void *impl, const store_key_usage_t *u, int n) {
  return record_usage(impl, ST_UTK_USAGE, u, n);
}

/* --- admin tokens -------------------------------------------------------- */

static int sq_admin_token_create(void *impl, const store_admin_token_t *t) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_ADM_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, t->id) || bind_text(st, 2, t->name) || bind_hash(st, 3, t->hash) ||
      sqlite3_bind_int64(st, 4, t->created_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = insert(c, st, "insert admin_token");
out:
  writer_put(q);
  return rc;
}

static int sq_admin_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                      store_admin_token_t *out) {
  char hex[STORE_HASH_HEX_MAX];
  store__hash_hex(hash, hex);
  return sq_select(impl, ST_ADM_GET_HASH, hex, NULL, false, 0, fn_admin, out, sizeof *out, 1,
                   true, NULL);
}

static int fn_count(sqlite3_stmt *st, void *o) {
  *(int64_t *)o = sqlite3_column_int64(st, 0);
  return CUSTOS_OK;
}

static int sq_admin_token_count_active(void *impl, int64_t *n_out) {
  return sq_select(impl, ST_ADM_COUNT_ACTIVE, NULL, NULL, false, 0, fn_count, n_out,
                   sizeof *n_out, 1, true, NULL);
}

static int sq_admin_token_revoke(void *impl, const char *id, int64_t at) {
  return update_one(impl, ST_ADM_REVOKE, id, NULL, at);
}

/* --- signing keys -------------------------------------------------------- */

static int sq_signing_key_create(void *impl, const store_signing_key_t *k) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_SK_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, k->kid) || bind_text(st, 2, k->alg) || bind_text(st, 3, k->state) ||
      bind_text(st, 4, k->sealed) || bind_text(st, 5, k->public_jwk) ||
      sqlite3_bind_int64(st, 6, k->created_at) != SQLITE_OK ||
      sqlite3_bind_int64(st, 7, k->activated_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = insert(c, st, "insert signing_key");
out:
  writer_put(q);
  return rc;
}

static int sq_signing_key_list(void *impl, const char *state, int limit,
                               store_signing_key_t *out, int *n) {
  if (state)
    return sq_select(impl, ST_SK_LIST_STATE, state, NULL, false, 0, fn_signing, out, sizeof *out,
                     limit, false, n);
  return sq_select(impl, ST_SK_LIST, NULL, NULL, false, 0, fn_signing, out, sizeof *out, limit,
                   false, n);
}

/* Runs rotation step `id` bound as (?1 alg, ?2 now). */
static int rotate_step(conn_t *c, int id, const char *alg, int64_t now) {
  sqlite3_stmt *st = stmt(c, id);
  if (!st) return CUSTOS_ESTORE;
  if (bind_text(st, 1, alg) || sqlite3_bind_int64(st, 2, now) != SQLITE_OK) {
    stmt_done(st);
    return CUSTOS_ESTORE;
  }
  return insert(c, st, SQL[id]);
}

static int sq_signing_key_rotate(void *impl, store_signing_key_t *k) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  char state[STORE_SIGNING_STATE_MAX];
  int64_t activated = 0;
  int rc, src;
  if ((rc = writer_get(q, &c))) return rc;
  if ((rc = exec_stmt(c, ST_BEGIN))) goto out;
  if ((rc = rotate_step(c, ST_SK_RETIRE, k->alg, k->created_at)) ||
      (rc = rotate_step(c, ST_SK_PROMOTE, k->alg, k->created_at)))
    goto fail;
  if (!(st = stmt(c, ST_SK_INSERT_ROTATED))) {
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  if (bind_text(st, 1, k->kid) || bind_text(st, 2, k->alg) || bind_text(st, 3, k->sealed) ||
      bind_text(st, 4, k->public_jwk) || sqlite3_bind_int64(st, 5, k->created_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    rc = store__copy(state, sizeof state, col_text(st, 0));
    activated = sqlite3_column_int64(st, 1);
  } else {
    rc = fail_rc(c, src, "insert rotated signing_key");
  }
  stmt_done(st);
  if (rc) goto fail;
  if ((rc = exec_stmt(c, ST_COMMIT))) goto fail;
  memcpy(k->state, state, sizeof state);
  k->activated_at = activated;
  goto out;
fail:
  rollback(c);
out:
  writer_put(q);
  return rc;
}

/* --- entities ------------------------------------------------------------ */

static int fn_entity(sqlite3_stmt *st, void *o) {
  store_entity_t *e = o;
  memset(e, 0, sizeof *e);
  if (store__copy(e->id, sizeof e->id, col_text(st, 0)) ||
      store__copy(e->account_id, sizeof e->account_id, col_text(st, 1)) ||
      store__copy(e->name, sizeof e->name, col_text(st, 2)))
    return CUSTOS_ESTORE;
  e->created_at = sqlite3_column_int64(st, 3);
  return CUSTOS_OK;
}

static int sq_entity_create(void *impl, const store_entity_t *e) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_ENTITY_INSERT))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, e->id) || bind_text(st, 2, e->account_id) || bind_text(st, 3, e->name) ||
      sqlite3_bind_int64(st, 4, e->created_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = insert(c, st, "insert entity");
out:
  writer_put(q);
  return rc;
}

static int sq_entity_get(void *impl, const char *id, store_entity_t *out) {
  return sq_select(impl, ST_ENTITY_GET, id, NULL, false, 0, fn_entity, out, sizeof *out, 1, true,
                   NULL);
}

static int sq_entity_list(void *impl, const char *account_id, const char *after, int limit,
                          store_entity_t *out, int *n) {
  return sq_select(impl, ST_ENTITY_LIST, account_id, after, false, 0, fn_entity, out,
                   sizeof *out, limit, false, n);
}

static int sq_account_token_lifetime(void *impl, const char *account_id, int64_t *out) {
  return sq_select(impl, ST_ACCOUNT_TTL_GET, account_id, NULL, false, 0, fn_count, out,
                   sizeof *out, 1, true, NULL);
}

static int sq_account_set_token_lifetime(void *impl, const char *account_id, int64_t seconds) {
  return update_one(impl, ST_ACCOUNT_TTL_SET, account_id, NULL, seconds);
}

static int sq_signing_key_generation(void *impl, int64_t *gen_out) {
  return sq_select(impl, ST_SK_GENERATION, NULL, NULL, false, 0, fn_count, gen_out,
                   sizeof *gen_out, 1, true, NULL);
}

/* --- AssetPay merchants and clients --------------------------------------- */

static int sq_merchant_ensure(void *impl, const char *app_id, int64_t created_at,
                              store_merchant_t *out) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_MERCHANT_ENSURE))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, app_id) || sqlite3_bind_int64(st, 2, created_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if ((rc = insert(c, st, "insert merchant"))) goto out;
  /* Read back on the writer: the row may have been made just now. */
  if (!(st = stmt(c, ST_MERCHANT_GET)) || bind_text(st, 1, app_id)) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = fetch(c, st, fn_merchant, NULL, out, sizeof *out, 1, true, NULL);
out:
  writer_put(q);
  return rc;
}

static int sq_merchant_get(void *impl, const char *app_id, store_merchant_t *out) {
  return sq_select(impl, ST_MERCHANT_GET, app_id, NULL, false, 0, fn_merchant, out, sizeof *out,
                   1, true, NULL);
}

static int sq_merchant_get_by_mid(void *impl, int64_t mid, store_merchant_t *out) {
  return sq_select(impl, ST_MERCHANT_GET_MID, NULL, NULL, true, mid, fn_merchant, out,
                   sizeof *out, 1, true, NULL);
}

static int sq_merchant_set_secret(void *impl, const store_merchant_t *m, const char *expect) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  store_merchant_t row;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_MERCHANT_SET_SECRET))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, m->app_id) || bind_text(st, 2, m->secret_sealed) ||
      sqlite3_bind_int64(st, 3, m->secret_created_at) != SQLITE_OK ||
      sqlite3_bind_int64(st, 4, m->secret_rotated_at) != SQLITE_OK ||
      bind_text(st, 5, m->prev_sealed) ||
      sqlite3_bind_int64(st, 6, m->prev_valid_until) != SQLITE_OK || bind_text(st, 7, expect)) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if ((rc = insert(c, st, "update merchant secret"))) goto out;
  if (sqlite3_changes(c->db) == 0) {
    /* Absent, or the secret changed under us: tell which. */
    if (!(st = stmt(c, ST_MERCHANT_GET)) || bind_text(st, 1, m->app_id)) {
      stmt_done(st);
      rc = CUSTOS_ESTORE;
      goto out;
    }
    rc = fetch(c, st, fn_merchant, NULL, &row, sizeof row, 1, true, NULL);
    if (rc == CUSTOS_OK) rc = CUSTOS_EINVAL;
  }
out:
  writer_put(q);
  return rc;
}

static int sq_ap_client_upsert(void *impl, const store_ap_client_t *x) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = writer_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_CLIENT_UPSERT))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  if (bind_text(st, 1, x->app_id) || bind_text(st, 2, x->steam_id) ||
      bind_text(st, 3, x->trade_url) || sqlite3_bind_int(st, 4, x->partner_match) != SQLITE_OK ||
      bind_text(st, 5, x->client_id) ||
      (x->client_data ? bind_text(st, 6, x->client_data)
                      : (sqlite3_bind_null(st, 6) == SQLITE_OK ? CUSTOS_OK : CUSTOS_ESTORE)) ||
      sqlite3_bind_int64(st, 7, x->risk_limit) != SQLITE_OK ||
      sqlite3_bind_int(st, 8, x->risk_tier) != SQLITE_OK ||
      sqlite3_bind_int64(st, 9, x->created_at) != SQLITE_OK ||
      sqlite3_bind_int64(st, 10, x->updated_at) != SQLITE_OK) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = insert(c, st, "upsert assetpay_client");
out:
  writer_put(q);
  return rc;
}

static int sq_ap_client_get(void *impl, const char *app_id, const char *steam_id,
                            store_ap_client_t *out) {
  sq_t *q = impl;
  conn_t *c;
  sqlite3_stmt *st;
  int rc;
  if ((rc = reader_get(q, &c))) return rc;
  if (!(st = stmt(c, ST_CLIENT_GET)) || bind_text(st, 1, app_id) || bind_text(st, 2, steam_id)) {
    stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = fetch(c, st, fn_client, cleanup_client, out, sizeof *out, 1, true, NULL);
out:
  reader_put(q, c);
  return rc;
}

static int sq_ap_client_list(void *impl, const char *app_id, const char *after, int limit,
                             store_ap_client_t *out, int *n) {
  return sq_select(impl, ST_CLIENT_LIST, app_id, after, false, 0, fn_client, out, sizeof *out, limit, false, n);
}

/* --- notifications ------------------------------------------------------- */

/* One node: deliver to this store's listeners on the caller's thread. The
 * matching entries are copied under lmu and called after releasing it, so
 * a listener may itself notify or listen without deadlocking. */
static int sq_notify(void *impl, const char *channel, const char *payload) {
  sq_t *q = impl;
  listener_t hit[STORE_LISTENERS_MAX];
  int n = 0;
  pthread_mutex_lock(&q->lmu);
  for (int i = 0; i < q->nlisteners; i++)
    if (strcmp(q->listeners[i].channel, channel) == 0) hit[n++] = q->listeners[i];
  pthread_mutex_unlock(&q->lmu);
  for (int i = 0; i < n; i++) hit[i].fn(hit[i].ctx, channel, payload);
  return CUSTOS_OK;
}

static int sq_listen(void *impl, const char *channel, store_notify_fn fn, void *ctx,
                     _Atomic uint64_t *errors) {
  sq_t *q = impl;
  int rc = CUSTOS_OK;
  (void)errors; /* nothing can fail after registration */
  pthread_mutex_lock(&q->lmu);
  if (q->nlisteners == STORE_LISTENERS_MAX) {
    rc = CUSTOS_ETOOBIG;
  } else {
    listener_t *l = &q->listeners[q->nlisteners++];
    snprintf(l->channel, sizeof l->channel, "%s", channel);
    l->fn = fn;
    l->ctx = ctx;
  }
  pthread_mutex_unlock(&q->lmu);
  return rc;
}

const store_ops_t store__sqlite_ops = {
    .kind = "sqlite",
    .close = sq_close,
    .ping = sq_ping,
    .schema_version = sq_schema_version,
    .migrate = sq_migrate,
    .account_create = sq_account_create,
    .account_get = sq_account_get,
    .account_list = sq_account_list,
    .environment_create = sq_environment_create,
    .environment_list = sq_environment_list,
    .app_create = sq_app_create,
    .app_get = sq_app_get,
    .app_list = sq_app_list,
    .audit_append = sq_audit_append,
    .audit_list = sq_audit_list,
    .audit_find = sq_audit_find,
    .api_key_create = sq_api_key_create,
    .api_key_get = sq_api_key_get,
    .api_key_get_by_hash = sq_api_key_get_by_hash,
    .api_key_list = sq_api_key_list,
    .api_key_set_scopes = sq_api_key_set_scopes,
    .api_key_revoke = sq_api_key_revoke,
    .api_key_rotate = sq_api_key_rotate,
    .api_key_record_usage = sq_api_key_record_usage,
    .user_create = sq_user_create,
    .user_get = sq_user_get,
    .user_list = sq_user_list,
    .user_token_list = sq_user_token_list,
    .user_token_create = sq_user_token_create,
    .user_token_get = sq_user_token_get,
    .user_token_get_by_hash = sq_user_token_get_by_hash,
    .user_token_revoke = sq_user_token_revoke,
    .user_token_rotate = sq_user_token_rotate,
    .user_token_record_usage = sq_user_token_record_usage,
    .admin_token_create = sq_admin_token_create,
    .admin_token_get_by_hash = sq_admin_token_get_by_hash,
    .admin_token_count_active = sq_admin_token_count_active,
    .admin_token_revoke = sq_admin_token_revoke,
    .signing_key_create = sq_signing_key_create,
    .signing_key_list = sq_signing_key_list,
    .signing_key_rotate = sq_signing_key_rotate,
    .signing_key_generation = sq_signing_key_generation,
    .merchant_ensure = sq_merchant_ensure,
    .merchant_get = sq_merchant_get,
    .merchant_get_by_mid = sq_merchant_get_by_mid,
    .merchant_set_secret = sq_merchant_set_secret,
    .ap_client_upsert = sq_ap_client_upsert,
    .ap_client_get = sq_ap_client_get,
    .ap_client_list = sq_ap_client_list,
    .entity_create = sq_entity_create,
    .entity_get = sq_entity_get,
    .entity_list = sq_entity_list,
    .account_token_lifetime = sq_account_token_lifetime,
    .account_set_token_lifetime = sq_account_set_token_lifetime,
    .notify = sq_notify,
    .listen = sq_listen,
};
