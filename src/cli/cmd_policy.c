/*
 * cmd_policy.c — `custos policy check FILE`: every problem of a route
 * policy file, with its line, as `custos serve` would refuse it.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/config.h"
#include "custos.h"
#include "perm/policy.h"

static void usage(FILE *out) {
  fputs("usage: custos policy check FILE   report every problem in the route policy FILE, with its line\n", out);
}

int cmd_policy(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
    usage(stdout);
    return 0;
  }
  if (argc != 3 || strcmp(argv[1], "check") != 0) {
    usage(stderr);
    return 2;
  }
  config_problems_t p;
  config_problems_init(&p);
  policy_set_t *ps = NULL;
  if (policy_load_file(argv[2], &ps, &p) != CUSTOS_OK) {
    config_problems_print(&p, argv[2], stderr);
    return 1;
  }
  printf("%s: ok (%zu routes)\n", argv[2], policy_count(ps));
  policy_free(ps);
  return 0;
}
