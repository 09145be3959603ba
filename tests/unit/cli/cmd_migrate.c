/*
 * `custos migrate` against SQLite files: output, exit codes, env default,
 * and the refusal of a newer schema.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "store/store.h"

static char g_dir[PATH_MAX];
static char g_out[8192], g_err[8192];

/* Runs cmd_migrate with argv, capturing stdout and stderr. */
static int run(int argc, char **argv) {
  char po[PATH_MAX + 8], pe[PATH_MAX + 8];
  snprintf(po, sizeof po, "%s/out", g_dir);
  snprintf(pe, sizeof pe, "%s/err", g_dir);
  fflush(stdout);
  fflush(stderr);
  int so = dup(1), se = dup(2);
  int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
  dup2(fo, 1);
  dup2(fe, 2);
  int rc = cmd_migrate(argc, argv);
  fflush(stdout);
  fflush(stderr);
  dup2(so, 1);
  dup2(se, 2);
  close(so);
  close(se);
  close(fo);
  close(fe);
  FILE *f = fopen(po, "r");
  size_t n = fread(g_out, 1, sizeof g_out - 1, f);
  g_out[n] = '\0';
  fclose(f);
  f = fopen(pe, "r");
  n = fread(g_err, 1, sizeof g_err - 1, f);
  g_err[n] = '\0';
  fclose(f);
  return rc;
}

static void test_migrate_then_status(void **state) {
  (void)state;
  char url[PATH_MAX + 64];
  snprintf(url, sizeof url, "sqlite:%s/a.db", g_dir);
  char *argv1[] = {"migrate", "--store", url, NULL};
  assert_int_equal(run(3, argv1), 0);
  char want[128];
  snprintf(want, sizeof want, "migrated sqlite from version 0 to %d\n",
           store_binary_schema_version());
  assert_string_equal(g_out, want);
  assert_int_equal(run(3, argv1), 0);
  snprintf(want, sizeof want, "migrated sqlite from version %d to %d\n",
           store_binary_schema_version(), store_binary_schema_version());
  assert_string_equal(g_out, want);

  char *argv2[] = {"migrate", "--status", url, NULL};
  snprintf(url, sizeof url, "--store=sqlite:%s/a.db", g_dir);
  argv2[2] = url;
  assert_int_equal(run(3, argv2), 0);
  assert_non_null(strstr(g_out, "up to date"));
}

static void test_env_url_and_pending_status(void **state) {
  (void)state;
  char url[PATH_MAX + 64];
  snprintf(url, sizeof url, "sqlite:%s/b.db", g_dir);
  setenv("CUSTOS_STORE_URL", url, 1);
  char *argv[] = {"migrate", "--status", NULL};
  assert_int_equal(run(2, argv), 0);
  assert_non_null(strstr(g_out, "sqlite schema version 0"));
  assert_non_null(strstr(g_out, "run `custos migrate`"));
  unsetenv("CUSTOS_STORE_URL");
}

static void test_newer_schema_fails_with_message(void **state) {
  (void)state;
  char path[PATH_MAX + 8], url[PATH_MAX + 64], sql[128], want[256];
  snprintf(path, sizeof path, "%s/c.db", g_dir);
  snprintf(url, sizeof url, "sqlite:%s", path);
  char *argv[] = {"migrate", "--store", url, NULL};
  assert_int_equal(run(3, argv), 0);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES (%d, 0)",
           store_binary_schema_version() + 5);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(run(3, argv), 1);
  snprintf(want, sizeof want,
           "custos migrate: database schema version %d is newer than this custos "
           "(knows up to %d); upgrade custos\n",
           store_binary_schema_version() + 5, store_binary_schema_version());
  assert_string_equal(g_err, want);
  assert_string_equal(g_out, "");
}

static void test_bad_input(void **state) {
  (void)state;
  char *a1[] = {"migrate", "--store", "mysql://u:hunter2@h/db", NULL};
  assert_int_equal(run(3, a1), 1);
  assert_non_null(strstr(g_err, "unsupported store URL"));
  assert_null(strstr(g_err, "hunter2"));
  char *a2[] = {"migrate", "--bogus", NULL};
  assert_int_equal(run(2, a2), 2);
  char *a3[] = {"migrate", "--store", "postgres://x:hunter2@127.0.0.1:1/db", NULL};
  assert_int_equal(run(3, a3), 1);
  assert_null(strstr(g_err, "hunter2"));
  assert_string_equal(g_out, "");
}

int main(void) {
  const char *tmp = getenv("CUSTOS_TEST_TMP");
  snprintf(g_dir, sizeof g_dir, "%s/cmd-migrate-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(g_dir)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_migrate_then_status),
      cmocka_unit_test(test_env_url_and_pending_status),
      cmocka_unit_test(test_newer_schema_fails_with_message),
      cmocka_unit_test(test_bad_input),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) rc++;
  return rc;
}
