/*
 * One store suite, run twice: on SQLite (a temp file per test) and on
 * PostgreSQL (a fresh database per test, created through
 * CUSTOS_TEST_PG_URL and dropped afterwards). Without CUSTOS_TEST_PG_URL the
 * PostgreSQL half is skipped, unless CUSTOS_REQUIRE_PG=1 makes that a
 * failure. A third group covers what needs no database.
 */
#include "store/fixture.h"

static int count_accounts(store_t *s) {
  store_account_t page[100];
  char after[RAND_ID_MAX] = "";
  int total = 0, n;
  do {
    assert_int_equal(store_account_list(s, after[0] ? after : NULL, 100, page, &n), CUSTOS_OK);
    for (int i = 0; i < n; i++) {
      if (i > 0 || after[0]) assert_true(strcmp(i ? page[i - 1].id : after, page[i].id) < 0);
    }
    if (n) snprintf(after, sizeof after, "%s", page[n - 1].id);
    total += n;
  } while (n == 100);
  return total;
}

/* --- schema -------------------------------------------------------------- */

static void test_migrate_is_idempotent(void **state) {
  fx_t *f = *state;
  int v = -1, n = -1;
  char err[256];
  assert_int_equal(store_schema_version(f->s, &v), CUSTOS_OK);
  assert_int_equal(v, 0);
  assert_int_equal(store_check_version(f->s, err, sizeof err), CUSTOS_ESTORE);
  assert_string_equal(err, "database needs migrations; run `custos migrate`");

  assert_int_equal(store_migrate(f->s, &n), CUSTOS_OK);
  assert_int_equal(n, store_binary_schema_version());
  assert_int_equal(store_migrate(f->s, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(store_schema_version(f->s, &v), CUSTOS_OK);
  assert_int_equal(v, store_binary_schema_version());
  assert_int_equal(store_check_version(f->s, err, sizeof err), CUSTOS_OK);
}

static void test_newer_schema_is_refused(void **state) {
  fx_t *f = *state;
  int bin = store_binary_schema_version(), v = 0, n = 42;
  char sql[128], err[256], want[256];
  snprintf(sql, sizeof sql, "INSERT INTO schema_migrations (version, applied_at) VALUES (%d, 0)",
           bin + 1);
  raw_exec(f, sql);
  assert_int_equal(store_schema_version(f->s, &v), CUSTOS_OK);
  assert_int_equal(v, bin + 1);
  assert_int_equal(store_migrate(f->s, &n), CUSTOS_EVERSION);
  assert_int_equal(n, 42);
  assert_int_equal(store_check_version(f->s, err, sizeof err), CUSTOS_EVERSION);
  snprintf(want, sizeof want,
           "database schema version %d is newer than this custos (knows up to %d); "
           "upgrade custos",
           bin + 1, bin);
  assert_string_equal(err, want);
}

typedef struct mig_arg {
  const char *url;
  int rc, applied;
} mig_arg_t;

static void *migrate_thread(void *p) {
  mig_arg_t *a = p;
  store_t *s = NULL;
  a->rc = store_open(a->url, NULL, &s, NULL, 0);
  if (a->rc == CUSTOS_OK) a->rc = store_migrate(s, &a->applied);
  store_close(s);
  return NULL;
}

/* Two migrators at once (separate stores, as two processes would have):
 * both succeed and the migrations are applied exactly once. */
static void test_concurrent_migrate_applies_once(void **state) {
  fx_t *f = *state;
  mig_arg_t a[2] = {{f->url, -1, -1}, {f->url, -1, -1}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, migrate_thread, &a[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  assert_int_equal(a[0].rc, CUSTOS_OK);
  assert_int_equal(a[1].rc, CUSTOS_OK);
  assert_int_equal(a[0].applied + a[1].applied, store_binary_schema_version());
  int v = 0;
  assert_int_equal(store_schema_version(f->s, &v), CUSTOS_OK);
  assert_int_equal(v, store_binary_schema_version());
}

static void test_ping(void **state) {
  fx_t *f = *state;
  assert_int_equal(store_ping(f->s), CUSTOS_OK);
  assert_string_equal(store_kind(f->s), g_backend == B_SQLITE ? "sqlite" : "postgres");
  assert_int_equal(store_error_count(f->s), 0);
}

/* --- accounts and environments -------------------------------------------- */

static void test_account_create_get_list_paginates(void **state) {
  fx_t *f = *state;
  enum { N = 25 };
  store_account_t made[N], got, page[10];
  char name[32];
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "account %d", i);
    assert_int_equal(store_account_create(f->s, name, &made[i]), CUSTOS_OK);
    assert_int_equal(strncmp(made[i].id, "acct_", 5), 0);
    assert_int_equal(strlen(made[i].id), 5 + 22);
    assert_string_equal(made[i].name, name);
    assert_true(made[i].created_at > 1600000000);
  }
  for (int i = 0; i < N; i++) {
    assert_int_equal(store_account_get(f->s, made[i].id, &got), CUSTOS_OK);
    assert_memory_equal(&got, &made[i], sizeof got);
  }
  assert_int_equal(store_account_get(f->s, "acct_nope", &got), CUSTOS_ENOTFOUND);

  /* Pages of 10: 10, 10, 5, each ascending, together every account once. */
  char after[RAND_ID_MAX] = "";
  int seen = 0, n, sizes[4] = {0}, pages = 0;
  do {
    assert_int_equal(store_account_list(f->s, pages ? after : NULL, 10, page, &n), CUSTOS_OK);
    sizes[pages++] = n;
    for (int i = 0; i < n; i++) {
      if (pages > 1 || i > 0) assert_true(strcmp(i ? page[i - 1].id : after, page[i].id) < 0);
      int found = 0;
      for (int k = 0; k < N; k++) found += strcmp(made[k].id, page[i].id) == 0;
      assert_int_equal(found, 1);
    }
    if (n) snprintf(after, sizeof after, "%s", page[n - 1].id);
    seen += n;
  } while (n == 10 && pages < 4);
  assert_int_equal(seen, N);
  assert_int_equal(sizes[0], 10);
  assert_int_equal(sizes[1], 10);
  assert_int_equal(sizes[2], 5);
  assert_int_equal(store_account_list(f->s, NULL, 0, page, &n), CUSTOS_EINVAL);
  assert_int_equal(store_account_list(f->s, NULL, STORE_LIST_MAX + 1, page, &n), CUSTOS_EINVAL);
}

static void test_account_gets_default_environments(void **state) {
  fx_t *f = *state;
  store_account_t a;
  store_environment_t envs[10];
  int n = 0, dev = 0, prod = 0;
  assert_int_equal(store_account_create(f->s, "acme", &a), CUSTOS_OK);
  assert_int_equal(store_environment_list(f->s, a.id, NULL, 10, envs, &n), CUSTOS_OK);
  assert_int_equal(n, 2);
  for (int i = 0; i < n; i++) {
    assert_string_equal(envs[i].account_id, a.id);
    assert_int_equal(strncmp(envs[i].id, "env_", 4), 0);
    dev += strcmp(envs[i].name, "development") == 0;
    prod += strcmp(envs[i].name, "production") == 0;
  }
  assert_int_equal(dev, 1);
  assert_int_equal(prod, 1);
  assert_true(strcmp(envs[0].id, envs[1].id) < 0);
}

static void test_environment_duplicate_is_eexists(void **state) {
  fx_t *f = *state;
  store_account_t a;
  store_environment_t e, envs[10];
  int n = 0;
  assert_int_equal(store_account_create(f->s, "acme", &a), CUSTOS_OK);
  assert_int_equal(store_environment_create(f->s, a.id, "staging", &e), CUSTOS_OK);
  assert_string_equal(e.name, "staging");
  assert_int_equal(store_environment_create(f->s, a.id, "staging", &e), CUSTOS_EEXISTS);
  assert_int_equal(store_environment_create(f->s, a.id, "production", &e), CUSTOS_EEXISTS);
  assert_int_equal(store_environment_list(f->s, a.id, NULL, 10, envs, &n), CUSTOS_OK);
  assert_int_equal(n, 3);
  assert_int_equal(store_environment_create(f->s, "acct_nope", "staging", &e), CUSTOS_ENOTFOUND);
  /* Constraint outcomes are not store failures. */
  assert_int_equal(store_error_count(f->s), 0);
}

/* --- apps ---------------------------------------------------------------- */

static void test_app_for_unknown_account_is_enotfound(void **state) {
  fx_t *f = *state;
  store_app_t app;
  store_app_t list[4];
  int n = -1;
  assert_int_equal(store_app_create(f->s, "acct_0000000000000000000000", "x", "openledger", &app),
                   CUSTOS_ENOTFOUND);
  assert_int_equal(store_app_list(f->s, NULL, NULL, 4, list, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
}

static void test_app_create_get_list(void **state) {
  fx_t *f = *state;
  store_account_t a, b;
  store_app_t x, y, z, got, list[10];
  int n = 0;
  assert_int_equal(store_account_create(f->s, "a", &a), CUSTOS_OK);
  assert_int_equal(store_account_create(f->s, "b", &b), CUSTOS_OK);
  assert_int_equal(store_app_create(f->s, a.id, "wallet", "xumm", &x), CUSTOS_OK);
  assert_int_equal(store_app_create(f->s, a.id, "game", "assetlayer", &y), CUSTOS_OK);
  assert_int_equal(store_app_create(f->s, b.id, "shop", "assetpay", &z), CUSTOS_OK);
  assert_int_equal(strncmp(x.id, "app_", 4), 0);
  assert_int_equal(store_app_get(f->s, y.id, &got), CUSTOS_OK);
  assert_memory_equal(&got, &y, sizeof got);
  assert_int_equal(store_app_get(f->s, "app_nope", &got), CUSTOS_ENOTFOUND);
  assert_int_equal(store_app_list(f->s, a.id, NULL, 10, list, &n), CUSTOS_OK);
  assert_int_equal(n, 2);
  for (int i = 0; i < n; i++) assert_string_equal(list[i].account_id, a.id);
  assert_int_equal(store_app_list(f->s, NULL, NULL, 10, list, &n), CUSTOS_OK);
  assert_int_equal(n, 3);
  assert_int_equal(store_app_list(f->s, NULL, list[0].id, 10, list, &n), CUSTOS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(store_app_create(f->s, a.id, "bad", "Open Ledger", &got), CUSTOS_EINVAL);
  assert_int_equal(store_app_create(f->s, a.id, "bad", "", &got), CUSTOS_EINVAL);
}

/* --- validation ---------------------------------------------------------- */

static void test_bad_names_are_einval_and_store_nothing(void **state) {
  fx_t *f = *state;
  char long_name[STORE_NAME_LEN_MAX + 2], max_name[STORE_NAME_LEN_MAX + 1];
  memset(long_name, 'x', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0'; /* 201 bytes */
  memset(max_name, 'y', sizeof max_name - 1);
  max_name[sizeof max_name - 1] = '\0'; /* 200 bytes */
  const char *const bad[] = {
      "",             /* empty */
      long_name,      /* 201 bytes */
      "\xff",         /* never valid */
      "a\x80",        /* stray continuation */
      "\xc0\xaf",     /* overlong '/' */
      "\xed\xa0\x80", /* UTF-16 surrogate */
      "\xe2\x82",     /* truncated */
      "\xf4\x90\x80\x80", /* > U+10FFFF */
  };
  store_account_t a, good;
  store_environment_t e, envs[10];
  store_app_t app, apps[4];
  int n = -1;

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(store_account_create(f->s, bad[i], &a), CUSTOS_EINVAL);
  assert_int_equal(store_account_create(f->s, NULL, &a), CUSTOS_EINVAL);
  assert_int_equal(count_accounts(f->s), 0);

  assert_int_equal(store_account_create(f->s, max_name, &good), CUSTOS_OK);
  assert_string_equal(good.name, max_name);
  assert_int_equal(store_account_create(f->s, "caf\xc3\xa9 \xf0\x9f\x94\x91", &a), CUSTOS_OK);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(store_environment_create(f->s, good.id, bad[i], &e), CUSTOS_EINVAL);
    assert_int_equal(store_app_create(f->s, good.id, bad[i], "thelayer", &app), CUSTOS_EINVAL);
  }
  assert_int_equal(count_accounts(f->s), 2);
  assert_int_equal(store_environment_list(f->s, good.id, NULL, 10, envs, &n), CUSTOS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(store_app_list(f->s, NULL, NULL, 4, apps, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
}

/* --- audit --------------------------------------------------------------- */

static store_audit_t audit_ev(const char *action, const char *detail) {
  store_audit_t e;
  memset(&e, 0, sizeof e);
  snprintf(e.actor, sizeof e.actor, "admin");
  snprintf(e.action, sizeof e.action, "%s", action);
  snprintf(e.target, sizeof e.target, "acct_x");
  snprintf(e.outcome, sizeof e.outcome, "ok");
  snprintf(e.remote, sizeof e.remote, "127.0.0.1");
  snprintf(e.request_id, sizeof e.request_id, "req-1");
  e.detail_json = (char *)detail;
  return e;
}

static void test_audit_append_list_order(void **state) {
  fx_t *f = *state;
  static const char *const actions[] = {"a.one", "a.two", "a.three", "a.four", "a.five"};
  store_audit_t page[3];
  int n = 0;
  for (int i = 0; i < 5; i++) {
    store_audit_t e = audit_ev(actions[i], i % 2 ? "{\"n\":1,\"s\":\"\\u00e9\"}" : NULL);
    if (i == 4) e.at = 1700000000;
    assert_int_equal(store_audit_append(f->s, &e), CUSTOS_OK);
  }
  assert_int_equal(store_audit_list(f->s, 0, 3, page, &n), CUSTOS_OK);
  assert_int_equal(n, 3);
  for (int i = 0; i < 3; i++) {
    assert_string_equal(page[i].action, actions[i]);
    assert_string_equal(page[i].remote, "127.0.0.1");
    if (i) assert_true(page[i].id > page[i - 1].id);
    if (i % 2) assert_string_equal(page[i].detail_json, "{\"n\":1,\"s\":\"\\u00e9\"}");
    else assert_null(page[i].detail_json);
    assert_true(page[i].at > 1600000000);
  }
  int64_t last = page[2].id;
  for (int i = 0; i < n; i++) store_audit_cleanup(&page[i]);
  assert_int_equal(store_audit_list(f->s, last, 3, page, &n), CUSTOS_OK);
  assert_int_equal(n, 2);
  assert_string_equal(page[0].action, "a.four");
  assert_string_equal(page[1].action, "a.five");
  assert_int_equal(page[1].at, 1700000000);
  for (int i = 0; i < n; i++) store_audit_cleanup(&page[i]);

  /* Bad events store nothing. */
  store_audit_t bad = audit_ev("x", "{not json");
  assert_int_equal(store_audit_append(f->s, &bad), CUSTOS_EINVAL);
  bad = audit_ev("x", NULL);
  memset(bad.outcome, 'o', sizeof bad.outcome); /* unterminated */
  assert_int_equal(store_audit_append(f->s, &bad), CUSTOS_EINVAL);
  bad = audit_ev("", NULL);
  assert_int_equal(store_audit_append(f->s, &bad), CUSTOS_EINVAL);
  assert_int_equal(store_audit_list(f->s, last, 3, page, &n), CUSTOS_OK);
  assert_int_equal(n, 2);
  for (int i = 0; i < n; i++) store_audit_cleanup(&page[i]);
  store_audit_cleanup(NULL);
}

/* The schema itself refuses to rewrite history. */
static void test_audit_is_append_only_in_schema(void **state) {
  fx_t *f = *state;
  store_audit_t e = audit_ev("a", NULL);
  assert_int_equal(store_audit_append(f->s, &e), CUSTOS_OK);
  if (g_backend == B_SQLITE) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_event", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_event SET actor = 'x'", NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
  } else {
    PGconn *c = PQconnectdb(f->url);
    PGresult *r = PQexec(c, "DELETE FROM audit_event");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    r = PQexec(c, "UPDATE audit_event SET actor = 'x'");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    PQfinish(c);
  }
}

/* A PostgreSQL restart kills every pooled connection; the next calls must
 * reconnect by themselves, without surfacing an error. */
static void test_pg_recovers_from_killed_connections(void **state) {
  fx_t *f = *state;
  store_account_t a[4];
  char sql[256];
  if (g_backend != B_PG) return;
  /* Touch several pooled connections first. */
  for (int i = 0; i < 4; i++) assert_int_equal(store_account_create(f->s, "before", &a[i]), CUSTOS_OK);
  snprintf(sql, sizeof sql,
           "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'", f->db);
  PGconn *c = PQconnectdb(g_pg_admin);
  PGresult *r = PQexec(c, sql);
  assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
  PQclear(r);
  PQfinish(c);
  usleep(100 * 1000);
  assert_int_equal(store_ping(f->s), CUSTOS_OK);
  for (int i = 0; i < 4; i++) assert_int_equal(store_account_create(f->s, "after", &a[i]), CUSTOS_OK);
  assert_int_equal(store_account_get(f->s, a[0].id, &a[1]), CUSTOS_OK);
  assert_int_equal(store_error_count(f->s), 0);
}

/* --- concurrency --------------------------------------------------------- */

enum { THREADS = 8, PER_THREAD = 200 };

typedef struct worker {
  store_t *s;
  int id, failures;
} worker_t;

static void *create_worker(void *p) {
  worker_t *w = p;
  char name[32];
  store_account_t a;
  for (int i = 0; i < PER_THREAD; i++) {
    snprintf(name, sizeof name, "t%d-%d", w->id, i);
    if (store_account_create(w->s, name, &a) != CUSTOS_OK) w->failures++;
    if (i % 50 == 0 && store_ping(w->s) != CUSTOS_OK) w->failures++;
  }
  return NULL;
}

static void test_concurrent_creates_lose_nothing(void **state) {
  fx_t *f = *state;
  pthread_t t[THREADS];
  worker_t w[THREADS];
  for (int i = 0; i < THREADS; i++) {
    w[i] = (worker_t){f->s, i, 0};
    assert_int_equal(pthread_create(&t[i], NULL, create_worker, &w[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < THREADS; i++) assert_int_equal(w[i].failures, 0);
  assert_int_equal(count_accounts(f->s), THREADS * PER_THREAD);
  assert_int_equal(store_error_count(f->s), 0);
}

/* --- no database needed -------------------------------------------------- */

static void test_bad_url_is_einval(void **state) {
  (void)state;
  const char *const bad[] = {"", "mysql://u@h/db", "sqlite:", "postgres:/x", "SQLITE:x",
                             "postgresx://u:hunter2@h/db"};
  char err[256];
  store_t *s = (store_t *)&err; /* must stay untouched */
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    assert_int_equal(store_open(bad[i], NULL, &s, err, sizeof err), CUSTOS_EINVAL);
    assert_true(strlen(err) > 10);
    assert_null(strstr(err, "hunter2"));
    assert_ptr_equal(s, (store_t *)&err);
  }
  assert_int_equal(store_open(NULL, NULL, &s, err, sizeof err), CUSTOS_EINVAL);
  store_opts_t o = {-1, 0};
  assert_int_equal(store_open("sqlite::memory:", &o, &s, err, sizeof err), CUSTOS_EINVAL);
  store_close(NULL);
}

static void test_unreachable_pg_is_estore_fast(void **state) {
  (void)state;
  char err[512];
  store_t *s = NULL;
  double t0 = now_s();
  assert_int_equal(store_open("postgres://x:hunter2@127.0.0.1:1/db", NULL, &s, err, sizeof err),
                   CUSTOS_ESTORE);
  assert_true(now_s() - t0 < 5.0);
  assert_null(s);
  assert_non_null(strstr(err, "postgres"));
  assert_null(strstr(err, "hunter2"));
  /* URLs libpq cannot parse are EINVAL; libpq echoes the URI in those
   * messages, but the password must not appear. */
  static const char *const echoing[] = {
      "postgres://u:hunter2@[::1/db",
      "postgres://u:hunter2@127.0.0.1:1/db?foo=bar",
      "postgresql://u@127.0.0.1:1/db?password=hunter2&x y",
  };
  for (size_t i = 0; i < sizeof echoing / sizeof echoing[0]; i++) {
    assert_int_equal(store_open(echoing[i], NULL, &s, err, sizeof err), CUSTOS_EINVAL);
    assert_true(strlen(err) > 10);
    assert_null(strstr(err, "hunter2"));
  }
  /* A blackholed address: connect_timeout must cut the wait. */
  t0 = now_s();
  assert_int_equal(store_open("postgresql://x@10.255.255.1:5432/db", NULL, &s, err, sizeof err),
                   CUSTOS_ESTORE);
  assert_true(now_s() - t0 < 5.0);
}

static void test_url_redact(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } v[] = {
      {"sqlite:./var/custos.db", "sqlite:./var/custos.db"},
      {"postgres://u@h:5432/db", "postgres://u@h:5432/db"},
      {"postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db"},
      {"postgresql://u:p%40ss@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"},
      {"postgres://h/db?user=u&password=pw&sslmode=disable",
       "postgres://h/db?user=u&password=***&sslmode=disable"},
      {"postgres://u:pw@h", "postgres://u:***@h"},
  };
  char out[256];
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    store_url_redact(v[i].in, out, sizeof out);
    assert_string_equal(out, v[i].out);
  }
  store_url_redact("postgres://u:pw@h/db", out, 8);
  assert_int_equal(strlen(out), 7);
}

static void test_sqlite_file_is_0600(void **state) {
  (void)state;
  char path[1100], url[1200];
  struct stat st;
  store_t *s = NULL;
  int n;
  snprintf(path, sizeof path, "%s/mode-%d/custos.db", g_tmp, (int)getpid());
  snprintf(url, sizeof url, "sqlite:%s", path);
  assert_int_equal(store_open(url, NULL, &s, NULL, 0), CUSTOS_OK);
  assert_int_equal(store_migrate(s, &n), CUSTOS_OK);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  store_close(s);
  unlink(path);
  strcat(path, "-wal");
  unlink(path);
  path[strlen(path) - 4] = '\0';
  strcat(path, "-shm");
  unlink(path);
  *strrchr(path, '/') = '\0';
  rmdir(path);
}

static void test_sqlite_memory_store(void **state) {
  (void)state;
  store_t *s = NULL;
  store_account_t a, b;
  int n = -1;
  assert_int_equal(store_open("sqlite::memory:", NULL, &s, NULL, 0), CUSTOS_OK);
  assert_string_equal(store_kind(s), "sqlite");
  assert_int_equal(store_account_create(s, "x", &a), CUSTOS_ESTORE); /* not migrated */
  assert_int_equal(store_error_count(s), 1);
  assert_int_equal(store_migrate(s, &n), CUSTOS_OK);
  assert_int_equal(store_account_create(s, "x", &a), CUSTOS_OK);
  assert_int_equal(store_account_get(s, a.id, &b), CUSTOS_OK);
  assert_string_equal(b.name, "x");
  store_close(s);
}

/* --- main ---------------------------------------------------------------- */

static const struct CMUnitTest backend_tests[] = {
    RAW(test_migrate_is_idempotent),
    MIG(test_newer_schema_is_refused),
    RAW(test_concurrent_migrate_applies_once),
    MIG(test_ping),
    MIG(test_account_create_get_list_paginates),
    MIG(test_account_gets_default_environments),
    MIG(test_environment_duplicate_is_eexists),
    MIG(test_app_for_unknown_account_is_enotfound),
    MIG(test_app_create_get_list),
    MIG(test_bad_names_are_einval_and_store_nothing),
    MIG(test_audit_append_list_order),
    MIG(test_audit_is_append_only_in_schema),
    MIG(test_concurrent_creates_lose_nothing),
    MIG(test_pg_recovers_from_killed_connections),
};

int main(void) {
  static const struct CMUnitTest common_tests[] = {
      cmocka_unit_test(test_bad_url_is_einval),
      cmocka_unit_test(test_unreachable_pg_is_estore_fast),
      cmocka_unit_test(test_url_redact),
      cmocka_unit_test(test_sqlite_file_is_0600),
      cmocka_unit_test(test_sqlite_memory_store),
  };
  return fixture_main("store", common_tests, NTESTS(common_tests), backend_tests,
                      NTESTS(backend_tests));
}
