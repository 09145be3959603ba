#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/config.h"
#include "custos.h"

#define KEY64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* ---- helpers ----------------------------------------------------------- */

static void assert_config_equal(const config_t *a, const config_t *b) {
  assert_string_equal(a->mode, b->mode);
  assert_string_equal(a->listen, b->listen);
  assert_int_equal(a->threads, b->threads);
  assert_int_equal(a->max_body_bytes, b->max_body_bytes);
  assert_int_equal(a->max_header_bytes, b->max_header_bytes);
  assert_int_equal(a->max_headers, b->max_headers);
  assert_int_equal(a->json_max_depth, b->json_max_depth);
  assert_int_equal(a->connection_timeout_s, b->connection_timeout_s);
  assert_int_equal(a->shutdown_grace_ms, b->shutdown_grace_ms);
  assert_string_equal(a->store_url, b->store_url);
  assert_int_equal(a->store_pool, b->store_pool);
  assert_string_equal(a->master_key_file, b->master_key_file);
  assert_string_equal(a->master_key_hex, b->master_key_hex);
  assert_string_equal(a->log_level, b->log_level);
  assert_int_equal(a->access_log, b->access_log);
}

static int load(config_t *c, const char *yaml, config_problems_t *p) {
  config_defaults(c);
  config_problems_init(p);
  return config_load_buffer(c, yaml, strlen(yaml), "t.yaml", p);
}

/* True if some problem has `line` and contains `needle`. */
static bool has_problem(const config_problems_t *p, int line, const char *needle) {
  for (size_t i = 0; i < p->count; i++)
    if (p->items[i].line == line && strstr(p->items[i].message, needle))
      return true;
  return false;
}

static void dump(const config_problems_t *p) { config_problems_print(p, NULL, stderr); }

/* Writes `text` to a fresh temp file; returns its malloc'd path. */
static char *temp_file(const char *text, size_t len) {
  char *path = strdup("/tmp/custos-config-test-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  close(fd);
  return path;
}

static char *capture(int (*fn)(const config_t *, FILE *), const config_t *c) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  assert_int_equal(fn(c, f), 0);
  fclose(f);
  return text;
}

/* ---- defaults and file values ----------------------------------------- */

static void test_config_defaults(void **state) {
  (void)state;
  config_t c;
  config_defaults(&c);
  assert_string_equal(c.mode, "development");
  assert_string_equal(c.listen, "127.0.0.1:8080");
  assert_int_equal(c.threads, 0);
  assert_int_equal(c.max_body_bytes, 65536);
  assert_int_equal(c.max_header_bytes, 16384);
  assert_int_equal(c.max_headers, 64);
  assert_int_equal(c.json_max_depth, 32);
  assert_int_equal(c.connection_timeout_s, 30);
  assert_int_equal(c.shutdown_grace_ms, 10000);
  assert_string_equal(c.store_url, "sqlite:./var/custos.db");
  assert_int_equal(c.store_pool, 4);
  assert_string_equal(c.master_key_file, "./var/master.key");
  assert_string_equal(c.master_key_hex, "");
  assert_string_equal(c.log_level, "info");
  assert_true(c.access_log);
}

static void test_config_file_sets_every_key(void **state) {
  (void)state;
  config_t c;
  config_problems_t p;
  const char *yaml = "mode: production   # comment\n"
                     "server:\n"
                     "  listen: \"[::1]:9090\"\n"
                     "  threads: 8\n"
                     "  limits: {max_body_bytes: 1MiB, max_header_bytes: 32KiB,\n"
                     "           max_headers: 100, json_max_depth: 16}\n"
                     "  connection_timeout: 2m\n"
                     "  shutdown_grace: 500ms\n"
                     "store:\n"
                     "  url: 'postgres://custos@db/custos'\n"
                     "  pool: 16\n"
                     "secrets:\n"
                     "  master_key_file: /etc/custos/master.key\n"
                     "log:\n"
                     "  level: debug\n"
                     "  access: false\n";
  int rc = load(&c, yaml, &p);
  if (rc != CUSTOS_OK)
    dump(&p);
  assert_int_equal(rc, CUSTOS_OK);
  assert_string_equal(c.mode, "production");
  assert_string_equal(c.listen, "[::1]:9090");
  assert_int_equal(c.threads, 8);
  assert_int_equal(c.max_body_bytes, 1048576);
  assert_int_equal(c.max_header_bytes, 32768);
  assert_int_equal(c.max_headers, 100);
  assert_int_equal(c.json_max_depth, 16);
  assert_int_equal(c.connection_timeout_s, 120);
  assert_int_equal(c.shutdown_grace_ms, 500);
  assert_string_equal(c.store_url, "postgres://custos@db/custos");
  assert_int_equal(c.store_pool, 16);
  assert_string_equal(c.master_key_file, "/etc/custos/master.key");
  assert_string_equal(c.log_level, "debug");
  assert_false(c.access_log);
  assert_int_equal(p.count, 0);
}

static void test_config_empty_and_comment_only_files_give_defaults(void **state) {
  (void)state;
  static const char *const inputs[] = {"", "# nothing\n", "---\n", "server:\n  # listen: x\n"};
  config_t c, d;
  config_problems_t p;
  config_defaults(&d);
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    assert_int_equal(load(&c, inputs[i], &p), CUSTOS_OK);
    assert_config_equal(&c, &d);
  }
}

/* Bare integers are in the field's own unit; suffixes convert. */
static void test_config_durations_and_sizes(void **state) {
  (void)state;
  static const struct {
    const char *yaml;
    size_t off;
    long long want; /* -1 = must be refused */
  } cases[] = {
      {"server: {connection_timeout: 10}", offsetof(config_t, connection_timeout_s), 10},
      {"server: {connection_timeout: 10s}", offsetof(config_t, connection_timeout_s), 10},
      {"server: {connection_timeout: 1h}", offsetof(config_t, connection_timeout_s), 3600},
      {"server: {connection_timeout: 2000ms}", offsetof(config_t, connection_timeout_s), 2},
      {"server: {connection_timeout: 1500ms}", 0, -1},
      {"server: {connection_timeout: 0}", 0, -1},
      {"server: {connection_timeout: 2h}", 0, -1},
      {"server: {connection_timeout: 10 s}", 0, -1},
      {"server: {connection_timeout: -5}", 0, -1},
      {"server: {shutdown_grace: 250}", offsetof(config_t, shutdown_grace_ms), 250},
      {"server: {shutdown_grace: 3s}", offsetof(config_t, shutdown_grace_ms), 3000},
      {"server: {shutdown_grace: 0}", offsetof(config_t, shutdown_grace_ms), 0},
      {"server: {shutdown_grace: 99999999999999999999s}", 0, -1},
      {"server: {limits: {max_body_bytes: 2048}}", offsetof(config_t, max_body_bytes), 2048},
      {"server: {limits: {max_body_bytes: 16MiB}}", offsetof(config_t, max_body_bytes), 16777216},
      {"server: {limits: {max_body_bytes: 17MiB}}", 0, -1},
      {"server: {limits: {max_body_bytes: 64KB}}", 0, -1},
      {"server: {limits: {max_body_bytes: 1023}}", 0, -1},
      {"server: {limits: {max_body_bytes: 0x1000}}", 0, -1},
      {"server: {limits: {max_body_bytes: 18446744073709551615GiB}}", 0, -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    config_t c;
    config_problems_t p;
    int rc = load(&c, cases[i].yaml, &p);
    if (cases[i].want < 0) {
      if (rc == CUSTOS_OK)
        fprintf(stderr, "accepted: %s\n", cases[i].yaml);
      assert_int_equal(rc, CUSTOS_EINVAL);
      assert_int_equal(p.count, 1);
      assert_int_equal(p.items[0].line, 1);
      continue;
    }
    if (rc != CUSTOS_OK)
      dump(&p);
    assert_int_equal(rc, CUSTOS_OK);
    long long got = cases[i].off == offsetof(config_t, max_body_bytes)
                        ? (long long)c.max_body_bytes
                        : (long long)*(int *)(void *)((char *)&c + cases[i].off);
    assert_int_equal(got, cases[i].want);
  }
}

static void test_config_listen_addresses(void **state) {
  (void)state;
  static const struct {
    const char *v;
    bool ok;
  } cases[] = {
      {"127.0.0.1:8080", true},  {"0.0.0.0:0", true},        {"[::1]:8080", true},
      {"[::]:443", true},        {"localhost:65535", true},   {"api.example.com:80", true},
      {":8080", false},          {"127.0.0.1", false},        {"::1:8080", false},
      {"[::1]8080", false},      {"[zz::1]:80", false},       {"127.0.0.1:65536", false},
      {"300.1.1.1:80", false},   {"host:port", false},        {"host name:80", false},
      {"127.0.0.1:-1", false},   {"[::1]:", false},           {"-bad:80", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char yaml[128];
    config_t c;
    config_problems_t p;
    snprintf(yaml, sizeof yaml, "server:\n  listen: \"%s\"\n", cases[i].v);
    int rc = load(&c, yaml, &p);
    if ((rc == CUSTOS_OK) != cases[i].ok)
      fprintf(stderr, "listen %s: rc %d\n", cases[i].v, rc);
    assert_int_equal(rc == CUSTOS_OK, cases[i].ok);
    if (!cases[i].ok)
      assert_true(has_problem(&p, 2, "server.listen"));
  }
}

/* ---- problems with lines ---------------------------------------------- */

/* One bad file per row: the problem must carry this line and text. */
static void test_config_problem_lines(void **state) {
  (void)state;
  static const struct {
    const char *yaml;
    int line;
    const char *needle;
  } cases[] = {
      {"server:\n  threads: many\n", 2, "server.threads: must be an integer from 0 to 256"},
      {"server:\n  threads: 300\n", 2, "from 0 to 256"},
      {"server:\n  threads: [1, 2]\n", 2, "expected a single value, got a sequence"},
      {"server:\n  threads:\n", 2, "has no value"},
      {"server:\n  listn: 1\n", 2, "unknown key \"server.listn\" (did you mean \"server.listen\"?)"},
      {"listen: 127.0.0.1:1\n", 1, "did you mean \"server.listen\""},
      {"sever:\n  threads: 1\n", 1, "did you mean \"server\""},
      {"server.listen: 127.0.0.1:1\n", 1, "nest it instead"},
      {"mode: prod\n", 1, "must be one of development, production"},
      {"log:\n  level: verbose\n", 2, "must be one of debug, info, warn, error"},
      {"log:\n  access: yes\n", 2, "must be true or false"},
      {"server: 5\n", 1, "server: expected a mapping of keys"},
      {"mode: a\nmode: b\n", 2, "duplicate key \"mode\" (first on line 1)"},
      {"base: &b 1\n", 1, "anchors (&b) are not supported"},
      {"server:\n  threads: *x\n", 2, "aliases (*x) are not supported"},
      {"server:\n  threads: !!int 4\n", 2, "tags (tag:yaml.org,2002:int) are not supported"},
      {"server:\n  <<: {threads: 4}\n", 2, "merge keys (<<) are not supported"},
      {"mode: development\n---\nmode: production\n", 2, "multiple documents"},
      {"%YAML 1.1\n---\nmode: development\n", 1, "directives"},
      {"server:\n  listen: [::1]:8080\n", 2, "quote values that start with ["},
      {"server:\n  listen: [a]\n", 2, "quote IPv6 addresses"},
      {"server:\n  listen: 127.0.0.1\n", 2, "must be host:port"},
      {"server:\n  connection_timeout: soon\n", 2, "must be a duration such as 30s"},
      {"server:\n  limits:\n    max_body_bytes: 64KB\n", 3, "KiB, MiB or GiB"},
      {"server:\n  threads: 1\n   listen: x\n", 3, "invalid YAML"},
      {"server:\n  threads: \"unterminated\n", 3, "invalid YAML"},
      {"- a\n- b\n", 1, "top level must be a mapping"},
      {"? [a, b]\n: 1\n", 1, "keys must be scalars"},
      {"store:\n  url: mysql://x\n", 2, "store.url: must be sqlite:PATH or postgres://"},
      {"secrets:\n  master_key: " KEY64 "\n", 2, "read only from the CUSTOS_MASTER_KEY"},
      {"mode: \"a\\0b\"\n", 1, "NUL"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    config_t c, d;
    config_problems_t p;
    int rc = load(&c, cases[i].yaml, &p);
    config_defaults(&d);
    if (!has_problem(&p, cases[i].line, cases[i].needle)) {
      fprintf(stderr, "case %zu: want line %d \"%s\", got:\n", i, cases[i].line, cases[i].needle);
      dump(&p);
    }
    assert_int_equal(rc, CUSTOS_EINVAL);
    assert_true(has_problem(&p, cases[i].line, cases[i].needle));
    /* A failed load leaves the config untouched. */
    assert_config_equal(&c, &d);
    /* The master key never shows up in a message. */
    for (size_t j = 0; j < p.count; j++)
      assert_null(strstr(p.items[j].message, KEY64));
  }
}

/* One file, many mistakes: every one is reported, in order, with its line. */
static void test_config_reports_every_problem(void **state) {
  (void)state;
  const char *yaml = "mode: staging\n"            /* 1 */
                     "server:\n"                  /* 2 */
                     "  threads: -1\n"            /* 3 */
                     "  listen: nowhere\n"        /* 4 */
                     "  limits:\n"                /* 5 */
                     "    max_headers: 0\n"       /* 6 */
                     "    max_body: 1MiB\n"       /* 7 */
                     "  threads: 2\n"             /* 8 */
                     "log:\n"                     /* 9 */
                     "  access: maybe\n";         /* 10 */
  config_t c;
  config_problems_t p;
  assert_int_equal(load(&c, yaml, &p), CUSTOS_EINVAL);
  if (p.count != 7)
    dump(&p);
  assert_int_equal(p.count, 7);
  assert_true(has_problem(&p, 8, "duplicate key \"threads\" (first on line 3)"));
  assert_true(has_problem(&p, 1, "mode: must be one of"));
  assert_true(has_problem(&p, 3, "server.threads"));
  assert_true(has_problem(&p, 4, "server.listen"));
  assert_true(has_problem(&p, 6, "server.limits.max_headers"));
  assert_true(has_problem(&p, 7, "did you mean \"server.limits.max_body_bytes\""));
  assert_true(has_problem(&p, 10, "log.access: must be true or false"));

  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  config_problems_print(&p, NULL, f);
  fclose(f);
  assert_non_null(strstr(text, "t.yaml:3: server.threads: must be an integer from 0 to 256"));
  assert_non_null(strstr(text, "t.yaml:8: duplicate key"));
  free(text);
}

static void test_config_depth_and_scalar_limits(void **state) {
  (void)state;
  config_t c;
  config_problems_t p;
  char deep[4 * (CONFIG_MAX_DEPTH + 2)];
  size_t j = 0;
  for (int i = 0; i < CONFIG_MAX_DEPTH + 1; i++)
    deep[j++] = '[';
  deep[j] = '\0';
  assert_int_equal(load(&c, deep, &p), CUSTOS_EINVAL);
  assert_true(has_problem(&p, 1, "nested more than 32 levels"));

  size_t n = CONFIG_MAX_SCALAR + 64;
  char *big = malloc(n + 32);
  memcpy(big, "mode: ", 6);
  memset(big + 6, 'x', n);
  memcpy(big + 6 + n, "\n", 2);
  assert_int_equal(load(&c, big, &p), CUSTOS_EINVAL);
  assert_true(has_problem(&p, 1, "the limit is 4096"));
  free(big);
}

static void test_config_oversized_file_refused(void **state) {
  (void)state;
  size_t n = CONFIG_MAX_FILE_BYTES + 1;
  char *text = malloc(n);
  memset(text, '#', n);
  text[n - 1] = '\n';
  char *path = temp_file(text, n);
  config_t c;
  config_problems_t p;
  config_defaults(&c);
  config_problems_init(&p);
  assert_int_equal(config_load_file(&c, path, &p), CUSTOS_ETOOBIG);
  assert_int_equal(p.count, 1);
  assert_non_null(strstr(p.items[0].message, "limit"));
  config_problems_init(&p);
  assert_int_equal(config_load_buffer(&c, text, n, "big", &p), CUSTOS_ETOOBIG);
  /* Exactly at the limit is fine (all comments). */
  config_problems_init(&p);
  assert_int_equal(config_load_buffer(&c, text + 1, n - 1, "max", &p), CUSTOS_OK);
  unlink(path);
  free(path);
  free(text);

  config_problems_init(&p);
  assert_int_equal(config_load_file(&c, "/nonexistent/custos.yaml", &p), CUSTOS_EIO);
  assert_true(has_problem(&p, 0, "cannot open"));
}

/* ---- environment and flags -------------------------------------------- */

static void test_config_env_overrides_and_typos(void **state) {
  (void)state;
  config_t c;
  config_problems_t p;
  char *env[] = {"CUSTOS_SERVER_THREADS=3",
                 "CUSTOS_LISTEN=0.0.0.0:9000",
                 "CUSTOS_SERVER_LIMITS_MAX_BODY_BYTES=128KiB",
                 "CUSTOS_LOG_ACCESS=0",
                 "CUSTOS_STORE_URL=sqlite:/tmp/x.db",
                 "CUSTOS_MASTER_KEY=" KEY64,
                 "CUSTOS_URL=http://ignored",
                 "CUSTOS_ADMIN_TOKEN=ignored",
                 "CUSTOS_TEST_X=1",
                 "CUSTOS_LOG_LEVEL=",
                 "PATH=/bin",
                 NULL};
  config_defaults(&c);
  config_problems_init(&p);
  int rc = config_apply_env(&c, env, &p);
  if (rc)
    dump(&p);
  assert_int_equal(rc, CUSTOS_OK);
  assert_int_equal(c.threads, 3);
  assert_string_equal(c.listen, "0.0.0.0:9000");
  assert_int_equal(c.max_body_bytes, 131072);
  assert_false(c.access_log);
  assert_string_equal(c.store_url, "sqlite:/tmp/x.db");
  assert_string_equal(c.master_key_hex, KEY64);
  assert_string_equal(c.log_level, "info"); /* empty = unset */

  char *bad[] = {"CUSTOS_SERVER_THREDS=2", "CUSTOS_MASTER_KEY=" KEY64 "00",
                 "CUSTOS_SERVER_LISTEN=1.2.3.4:1", "CUSTOS_LISTEN=1.2.3.4:2",
                 "CUSTOS_STORE_POOL=0", "CUSTOS_SECRETS_MASTER_KEY=abc", NULL};
  config_t before = c;
  config_problems_init(&p);
  assert_int_equal(config_apply_env(&c, bad, &p), CUSTOS_EINVAL);
  assert_config_equal(&c, &before);
  assert_int_equal(p.count, 5);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  config_problems_print(&p, NULL, f);
  fclose(f);
  assert_non_null(strstr(text, "env CUSTOS_SERVER_THREDS: unknown config variable (did you mean "
                               "CUSTOS_SERVER_THREADS?)"));
  assert_non_null(strstr(text, "env CUSTOS_MASTER_KEY: must be exactly 64 hex characters"));
  assert_non_null(strstr(text, "env CUSTOS_LISTEN: conflicts with CUSTOS_SERVER_LISTEN"));
  assert_non_null(strstr(text, "env CUSTOS_STORE_POOL: store.pool: must be an integer"));
  assert_non_null(strstr(text, "env CUSTOS_SECRETS_MASTER_KEY: unknown config variable; the "
                               "master key goes in CUSTOS_MASTER_KEY"));
  assert_null(strstr(text, KEY64));
  free(text);
  config_wipe(&c);
  assert_string_equal(c.master_key_hex, "");
}

/* defaults < file < env < flags, each step visible. */
static void test_config_precedence_file_env_flags(void **state) {
  (void)state;
  const char *yaml = "server:\n  listen: 127.0.0.1:1001\n  threads: 2\n  max_headers_typo: 1\n";
  const char *good = "server:\n  listen: 127.0.0.1:1001\n  threads: 2\nlog:\n  level: warn\n";
  char *bad_path = temp_file(yaml, strlen(yaml));
  char *path = temp_file(good, strlen(good));
  char cfg_flag[256];
  snprintf(cfg_flag, sizeof cfg_flag, "--config=%s", path);
  char *env[] = {"CUSTOS_SERVER_LISTEN=127.0.0.1:1002", "CUSTOS_SERVER_THREADS=5", NULL};
  char *argv[] = {"serve", cfg_flag, "--listen", "127.0.0.1:1003", "--set",
                  "store.pool=9", "--max-body-bytes=2KiB", "extra", "--threads", "7", NULL};
  int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
  config_t c;
  config_problems_t p;
  int argi = -1;

  config_problems_init(&p);
  int rc = config_from_args(&c, argc, argv, env, &p, &argi);
  if (rc)
    dump(&p);
  assert_int_equal(rc, CUSTOS_OK);
  assert_int_equal(argi, 7); /* "extra": flags after it are not ours */
  assert_string_equal(c.listen, "127.0.0.1:1003"); /* flag > env > file */
  assert_int_equal(c.threads, 5);                   /* env > file */
  assert_string_equal(c.log_level, "warn");         /* file > default */
  assert_int_equal(c.store_pool, 9);
  assert_int_equal(c.max_body_bytes, 2048);
  assert_int_equal(c.max_headers, 64); /* default */

  /* CUSTOS_CONFIG names the file when --config is absent. */
  char cfg_env[256];
  snprintf(cfg_env, sizeof cfg_env, "CUSTOS_CONFIG=%s", path);
  char *env2[] = {cfg_env, NULL};
  char *argv2[] = {"serve", NULL};
  config_problems_init(&p);
  assert_int_equal(config_from_args(&c, 1, argv2, env2, &p, &argi), CUSTOS_OK);
  assert_int_equal(argi, 1);
  assert_string_equal(c.listen, "127.0.0.1:1001");

  /* Every stage's problems are reported together; c stays untouched. */
  config_t before = c;
  snprintf(cfg_flag, sizeof cfg_flag, "--config=%s", bad_path);
  char *env3[] = {"CUSTOS_SERVER_THREADS=x", NULL};
  char *argv3[] = {"serve", cfg_flag, "--threads", "999", "--bogus", "--listen", NULL};
  config_problems_init(&p);
  assert_int_equal(config_from_args(&c, 6, argv3, env3, &p, &argi), CUSTOS_EINVAL);
  assert_config_equal(&c, &before);
  assert_true(has_problem(&p, 4, "unknown key \"server.max_headers_typo\""));
  assert_true(has_problem(&p, 0, "server.threads: must be an integer")); /* env */
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  config_problems_print(&p, NULL, f);
  fclose(f);
  assert_non_null(strstr(text, ":4: unknown key"));
  assert_non_null(strstr(text, "env CUSTOS_SERVER_THREADS: server.threads"));
  assert_non_null(strstr(text, "flag --threads: server.threads: must be an integer from 0 to 256"));
  assert_non_null(strstr(text, "flag --bogus: unknown flag"));
  assert_non_null(strstr(text, "flag --listen: needs a value"));
  free(text);

  unlink(path);
  unlink(bad_path);
  free(path);
  free(bad_path);
}

static void test_config_args_help_dashdash_and_set(void **state) {
  (void)state;
  config_t c;
  config_problems_t p;
  int argi = 0;
  char *env[] = {NULL};

  char *help[] = {"serve", "--threads", "2", "-h", NULL};
  config_problems_init(&p);
  assert_int_equal(config_from_args(&c, 4, help, env, &p, &argi), CONFIG_HELP);

  char *dd[] = {"serve", "--mode", "development", "--", "--listen", NULL};
  config_problems_init(&p);
  assert_int_equal(config_from_args(&c, 5, dd, env, &p, &argi), CUSTOS_OK);
  assert_int_equal(argi, 4);

  char *set[] = {"serve", "--set", "secrets.master_key=" KEY64, "--set", "server.treads=1",
                 "--set", "nokey", NULL};
  config_problems_init(&p);
  assert_int_equal(config_from_args(&c, 7, set, env, &p, &argi), CUSTOS_EINVAL);
  assert_int_equal(p.count, 3);
  assert_non_null(strstr(p.items[0].message, "read only from the CUSTOS_MASTER_KEY"));
  assert_non_null(strstr(p.items[1].message, "did you mean \"server.threads\""));
  assert_non_null(strstr(p.items[2].message, "must be KEY=VALUE"));
  for (size_t i = 0; i < p.count; i++)
    assert_null(strstr(p.items[i].message, KEY64));
}

static void test_config_default_file_is_optional(void **state) {
  (void)state;
  char dir[] = "/tmp/custos-config-cwd-XXXXXX";
  char old[4096];
  assert_non_null(getcwd(old, sizeof old));
  assert_non_null(mkdtemp(dir));
  assert_int_equal(chdir(dir), 0);
  config_t c;
  config_problems_t p;
  char *argv[] = {"serve", NULL};
  char *env[] = {NULL};
  config_problems_init(&p);
  assert_int_equal(config_from_args(&c, 1, argv, env, &p, NULL), CUSTOS_OK);
  assert_int_equal(c.threads, 0);
  FILE *f = fopen("custos.yaml", "w");
  fputs("server:\n  threads: 12\n", f);
  fclose(f);
  assert_int_equal(config_from_args(&c, 1, argv, env, &p, NULL), CUSTOS_OK);
  assert_int_equal(c.threads, 12);
  unlink("custos.yaml");
  assert_int_equal(chdir(old), 0);
  rmdir(dir);
}

static void test_config_validate_production_needs_key(void **state) {
  (void)state;
  config_t c;
  config_problems_t p;
  config_defaults(&c);
  config_problems_init(&p);
  snprintf(c.mode, sizeof c.mode, "production");
  assert_int_equal(config_validate(&c, &p), CUSTOS_OK); /* a key file is configured */
  c.master_key_file[0] = '\0';
  assert_int_equal(config_validate(&c, &p), CUSTOS_EINVAL);
  assert_non_null(strstr(p.items[0].message, "needs a master key"));
  snprintf(c.master_key_hex, sizeof c.master_key_hex, "%s", KEY64);
  config_problems_init(&p);
  assert_int_equal(config_validate(&c, &p), CUSTOS_OK);
}

/* ---- example and show -------------------------------------------------- */

static int write_example(const config_t *c, FILE *f) {
  (void)c;
  return config_write_example(f);
}

static void test_config_example_file_yields_defaults(void **state) {
  (void)state;
  const char *src = getenv("CUSTOS_SOURCE_DIR");
  char path[4096];
  config_t c, d;
  config_problems_t p;
  config_defaults(&d);
  snprintf(path, sizeof path, "%s/examples/custos.yaml", src ? src : ".");

  /* Start from a config that differs everywhere, so "yields defaults"
   * means the file sets every key, not that it was empty. */
  const char *other = "mode: production\nserver: {listen: \"[::1]:1\", threads: 9, "
                      "limits: {max_body_bytes: 2KiB, max_header_bytes: 2KiB, max_headers: 9, "
                      "json_max_depth: 9}, connection_timeout: 9, shutdown_grace: 9}\n"
                      "store: {url: 'sqlite:x', pool: 9}\nsecrets: {master_key_file: x}\n"
                      "log: {level: error, access: false}\n";
  assert_int_equal(load(&c, other, &p), CUSTOS_OK);
  int rc = config_load_file(&c, path, &p);
  if (rc)
    dump(&p);
  assert_int_equal(rc, CUSTOS_OK);
  assert_config_equal(&c, &d);

  /* The shipped file is exactly what `custos config example` prints. */
  char *want = capture(write_example, &d);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *have = calloc(1, 65536);
  size_t n = fread(have, 1, 65535, f);
  fclose(f);
  have[n] = '\0';
  assert_string_equal(have, want);
  free(have);
  free(want);

  /* And `custos config check` agrees. */
  char *argv[] = {"config", "check", path, NULL};
  assert_int_equal(cmd_config(3, argv), 0);
}

static void test_config_show_masks_secrets_and_round_trips(void **state) {
  (void)state;
  config_t c, back;
  config_problems_t p;
  config_defaults(&c);
  snprintf(c.master_key_hex, sizeof c.master_key_hex, "%s", KEY64);
  snprintf(c.store_url, sizeof c.store_url, "postgres://u:hunter2@db/x?sslmode=require&password=pw2");
  snprintf(c.listen, sizeof c.listen, "[::1]:0");
  char *text = capture(config_write_yaml, &c);
  assert_null(strstr(text, KEY64));
  assert_null(strstr(text, "hunter2"));
  assert_null(strstr(text, "pw2"));
  assert_non_null(strstr(text, "master key (CUSTOS_MASTER_KEY): [set]"));
  assert_non_null(strstr(text, "postgres://u:[redacted]@db/x?sslmode=require&password=[redacted]"));

  /* Without secrets, the output loads back to the same config. */
  snprintf(c.store_url, sizeof c.store_url, "sqlite:/var/lib/custos \"x\".db");
  c.master_key_hex[0] = '\0';
  c.threads = 3;
  c.shutdown_grace_ms = 1500;
  free(text);
  text = capture(config_write_yaml, &c);
  assert_int_equal(load(&back, text, &p), CUSTOS_OK);
  assert_config_equal(&back, &c);
  free(text);
}

static void test_config_cli_check_exit_codes(void **state) {
  (void)state;
  const char *bad = "server:\n  threads: x\n";
  char *path = temp_file(bad, strlen(bad));
  char *check[] = {"config", "check", path, NULL};
  assert_int_equal(cmd_config(3, check), 1);
  char *usage[] = {"config", "check", NULL};
  assert_int_equal(cmd_config(2, usage), 2);
  char *unknown[] = {"config", "frobnicate", NULL};
  assert_int_equal(cmd_config(2, unknown), 2);
  unlink(path);
  free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_defaults),
      cmocka_unit_test(test_config_file_sets_every_key),
      cmocka_unit_test(test_config_empty_and_comment_only_files_give_defaults),
      cmocka_unit_test(test_config_durations_and_sizes),
      cmocka_unit_test(test_config_listen_addresses),
      cmocka_unit_test(test_config_problem_lines),
      cmocka_unit_test(test_config_reports_every_problem),
      cmocka_unit_test(test_config_depth_and_scalar_limits),
      cmocka_unit_test(test_config_oversized_file_refused),
      cmocka_unit_test(test_config_env_overrides_and_typos),
      cmocka_unit_test(test_config_precedence_file_env_flags),
      cmocka_unit_test(test_config_args_help_dashdash_and_set),
      cmocka_unit_test(test_config_default_file_is_optional),
      cmocka_unit_test(test_config_validate_production_needs_key),
      cmocka_unit_test(test_config_example_file_yields_defaults),
      cmocka_unit_test(test_config_show_masks_secrets_and_round_trips),
      cmocka_unit_test(test_config_cli_check_exit_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
