/*
 * cmd_config.c — `custos config check FILE | example | show [flags…]`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/config.h"
#include "custos.h"

extern char **environ;

static void usage(FILE *out) {
  fputs("usage: custos config check FILE     report every problem in FILE, with its line\n"
        "       custos config example        print a config with every key and its default\n"
        "       custos config show [FLAGS]   print the effective config (file < env < flags)\n"
        "FLAGS (as for `custos serve`):\n",
        out);
  config_flags_usage(out);
}

/* Checks FILE alone: defaults + file + config_validate, no env, no flags,
 * so the verdict does not depend on the shell it runs in. */
static int check(const char *path) {
  config_t c;
  config_problems_t p;
  config_defaults(&c);
  config_problems_init(&p);
  int rc = config_load_file(&c, path, &p);
  if (rc == CUSTOS_OK)
    rc = config_validate(&c, &p);
  config_wipe(&c);
  if (rc != CUSTOS_OK) {
    config_problems_print(&p, path, stderr);
    return 1;
  }
  printf("%s: ok\n", path);
  return 0;
}

static int show(int argc, char **argv) {
  config_t c;
  config_problems_t p;
  int argi = 0, code;
  config_problems_init(&p);
  int rc = config_from_args(&c, argc, argv, environ, &p, &argi);
  if (rc == CONFIG_HELP) {
    usage(stdout);
    return 0;
  }
  if (rc != CUSTOS_OK) {
    config_problems_print(&p, NULL, stderr);
    return 1;
  }
  if (argi < argc) {
    fprintf(stderr, "custos config show: unexpected argument \"%s\"\n", argv[argi]);
    code = 2;
  } else {
    code = config_write_yaml(&c, stdout) == 0 ? 0 : 1;
  }
  config_wipe(&c);
  return code;
}

int cmd_config(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(sub, "check") == 0) {
    if (argc != 3) {
      fputs("usage: custos config check FILE\n", stderr);
      return 2;
    }
    return check(argv[2]);
  }
  if (strcmp(sub, "example") == 0) {
    if (argc != 2) {
      fputs("usage: custos config example\n", stderr);
      return 2;
    }
    return config_write_example(stdout) == 0 && fflush(stdout) == 0 ? 0 : 1;
  }
  if (strcmp(sub, "show") == 0)
    return show(argc - 1, argv + 1); /* argv[0] = "show", as config_from_args expects */
  fprintf(stderr, "custos config: unknown subcommand \"%s\"\n", sub);
  usage(stderr);
  return 2;
}
