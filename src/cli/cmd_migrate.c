/*
 * cmd_migrate.c — `custos migrate [--store URL] [--status]`.
 *
 * Applies pending schema migrations (or, with --status, reports the
 * schema version). The store URL comes from --store, else $CUSTOS_STORE_URL,
 * else sqlite:./var/custos.db. Results go to stdout, errors to stderr;
 * URLs are only ever printed redacted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "custos.h"
#include "store/store.h"

#define DEFAULT_STORE_URL "sqlite:./var/custos.db"

static void usage(FILE *f) {
  fprintf(f,
          "usage: custos migrate [--store URL] [--status]\n"
          "  --store URL  sqlite:PATH or postgres://USER@HOST/DB\n"
          "               (default: $CUSTOS_STORE_URL, else %s)\n"
          "  --status     print the schema version; change nothing\n",
          DEFAULT_STORE_URL);
}

/* Prints "version newer" (or any other gate failure) and returns 1. */
static int version_error(store_t *s) {
  char err[256];
  int rc = store_check_version(s, err, sizeof err);
  fprintf(stderr, "custos migrate: %s\n", rc ? err : custos_strerror(CUSTOS_EVERSION));
  return 1;
}

static int print_status(store_t *s) {
  int v = 0, bin = store_binary_schema_version();
  int rc = store_schema_version(s, &v);
  if (rc) {
    fprintf(stderr, "custos migrate: cannot read the schema version: %s\n", custos_strerror(rc));
    return 1;
  }
  if (v > bin) return version_error(s);
  if (v == bin) {
    printf("%s schema version %d (custos knows up to %d): up to date\n", store_kind(s), v, bin);
  } else {
    printf("%s schema version %d (custos knows up to %d): %d pending; run `custos migrate`\n",
           store_kind(s), v, bin, bin - v);
  }
  return 0;
}

static int run_migrate(store_t *s) {
  int from = 0, to = 0, applied = 0;
  int rc = store_schema_version(s, &from);
  if (rc == CUSTOS_OK) rc = store_migrate(s, &applied);
  if (rc == CUSTOS_EVERSION) return version_error(s);
  if (rc == CUSTOS_OK) rc = store_schema_version(s, &to);
  if (rc) {
    fprintf(stderr, "custos migrate: migration failed: %s\n", custos_strerror(rc));
    return 1;
  }
  printf("migrated %s from version %d to %d\n", store_kind(s), from, to);
  return 0;
}

int cmd_migrate(int argc, char **argv) {
  const char *url = NULL;
  int status = 0, rc;
  store_t *s = NULL;
  char err[512];

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--status") == 0) {
      status = 1;
    } else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
      url = argv[++i];
    } else if (strncmp(argv[i], "--store=", 8) == 0) {
      url = argv[i] + 8;
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "custos migrate: unexpected argument \"%s\"\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (!url) url = getenv("CUSTOS_STORE_URL");
  if (!url || !*url) url = DEFAULT_STORE_URL;

  if ((rc = store_open(url, NULL, &s, err, sizeof err))) {
    fprintf(stderr, "custos migrate: %s\n", err[0] ? err : custos_strerror(rc));
    return 1;
  }
  rc = status ? print_status(s) : run_migrate(s);
  store_close(s);
  return rc;
}
