/*
 * fixture.h — the two-backend fixture shared by the store test programs:
 * each test gets a fresh database, a temp SQLite file or a PostgreSQL
 * database created through CUSTOS_TEST_PG_URL and dropped afterwards.
 * fixture_main() runs a program's backend group on SQLite, then on
 * PostgreSQL (skipped without CUSTOS_TEST_PG_URL, unless
 * CUSTOS_REQUIRE_PG=1 makes that a failure). Included by exactly one .c
 * per test program.
 */
#ifndef CUSTOS_TESTS_STORE_FIXTURE_H
#define CUSTOS_TESTS_STORE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "custos.h"
#include "store/store.h"

/* Helpers a program may not use. */
#define FIXTURE_FN static __attribute__((unused))

typedef enum backend { B_SQLITE, B_PG } backend_t;

static backend_t g_backend;
static const char *g_pg_admin; /* CUSTOS_TEST_PG_URL */
static char g_tmp[1024];       /* directory for SQLite files */
static int g_seq;

typedef struct fx {
  store_t *s;
  char url[2048];
  char path[1100]; /* sqlite file */
  char db[64];         /* postgres database name */
} fx_t;

/* --- helpers ------------------------------------------------------------- */

FIXTURE_FN void pg_admin_exec(const char *sql) {
  PGconn *c = PQconnectdb(g_pg_admin);
  if (PQstatus(c) != CONNECTION_OK) fail_msg("pg admin connect: %s", PQerrorMessage(c));
  PGresult *r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    fail_msg("%s: %s", sql, PQresultErrorMessage(r));
  PQclear(r);
  PQfinish(c);
}

/* The admin URL with its database name replaced by `db`. */
FIXTURE_FN void pg_url_for(const char *db, char *out, size_t outlen) {
  const char *auth = strstr(g_pg_admin, "://");
  assert_non_null(auth);
  auth += 3;
  const char *path = auth + strcspn(auth, "/?");
  const char *query = path + strcspn(path, "?");
  snprintf(out, outlen, "%.*s/%s%s", (int)(path - g_pg_admin), g_pg_admin, db, query);
}

/* Runs raw SQL on the fixture's database, outside the store. */
FIXTURE_FN void raw_exec(fx_t *f, const char *sql) {
  if (g_backend == B_SQLITE) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
  } else {
    PGconn *c = PQconnectdb(f->url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
  }
}

/* A fresh, empty database for one test; sets f->url (not opened). */
FIXTURE_FN void fresh_db(fx_t *f) {
  int n = ++g_seq;
  if (g_backend == B_SQLITE) {
    snprintf(f->path, sizeof f->path, "%s/store-%d-%d.db", g_tmp, (int)getpid(), n);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
  } else {
    char sql[128];
    snprintf(f->db, sizeof f->db, "custos_store_%d_%d", (int)getpid(), n);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->db);
    pg_admin_exec(sql);
    pg_url_for(f->db, f->url, sizeof f->url);
  }
}

FIXTURE_FN int setup_raw(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  char err[256];
  if (!f) return -1;
  fresh_db(f);
  if (store_open(f->url, NULL, &f->s, err, sizeof err)) {
    fprintf(stderr, "store_open: %s\n", err);
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

FIXTURE_FN int setup_migrated(void **state) {
  if (setup_raw(state)) return -1;
  fx_t *f = *state;
  int n = -1;
  return store_migrate(f->s, &n) == CUSTOS_OK && n == store_binary_schema_version() ? 0 : -1;
}

FIXTURE_FN int teardown(void **state) {
  fx_t *f = *state;
  if (!f) return 0;
  store_close(f->s);
  if (g_backend == B_SQLITE) {
    char p[sizeof f->path + 8];
    unlink(f->path);
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
  } else {
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", f->db);
    pg_admin_exec(sql);
  }
  free(f);
  return 0;
}

FIXTURE_FN double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs `common` once, then `backend` on each backend. Returns the exit
 * status for main(). */
FIXTURE_FN int fixture_main(const char *prefix, const struct CMUnitTest *common, size_t ncommon,
                        const struct CMUnitTest *backend, size_t nbackend) {
  char name[64];
  int failed = 0;
  bool own_tmp = false;
  const char *tmp = getenv("CUSTOS_TEST_TMP");
  if (tmp && *tmp) {
    snprintf(g_tmp, sizeof g_tmp, "%s", tmp);
  } else {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/custos-store-XXXXXX");
    if (!mkdtemp(g_tmp)) {
      perror("mkdtemp");
      return 1;
    }
    own_tmp = true;
  }

  if (ncommon) {
    snprintf(name, sizeof name, "%s_common", prefix);
    failed += _cmocka_run_group_tests(name, common, ncommon, NULL, NULL);
  }
  g_backend = B_SQLITE;
  snprintf(name, sizeof name, "%s_sqlite", prefix);
  failed += _cmocka_run_group_tests(name, backend, nbackend, NULL, NULL);

  g_pg_admin = getenv("CUSTOS_TEST_PG_URL");
  const char *req = getenv("CUSTOS_REQUIRE_PG");
  snprintf(name, sizeof name, "%s_postgres", prefix);
  if (g_pg_admin && *g_pg_admin) {
    g_backend = B_PG;
    failed += _cmocka_run_group_tests(name, backend, nbackend, NULL, NULL);
  } else if (req && strcmp(req, "1") == 0) {
    fprintf(stderr, "%s: CUSTOS_REQUIRE_PG=1 but CUSTOS_TEST_PG_URL is unset\n", name);
    failed++;
  } else {
    fprintf(stderr, "%s: skipped (CUSTOS_TEST_PG_URL unset)\n", name);
  }
  if (own_tmp) rmdir(g_tmp);
  return failed ? 1 : 0;
}

#define RAW(t) cmocka_unit_test_setup_teardown(t, setup_raw, teardown)
#define MIG(t) cmocka_unit_test_setup_teardown(t, setup_migrated, teardown)
#define NTESTS(a) (sizeof(a) / sizeof((a)[0]))

#endif
