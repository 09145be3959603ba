/* custos — one binary, subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "custos.h"

static const struct {
  const char *name;
  int (*fn)(int, char **);
  const char *help;
} COMMANDS[] = {
    {"serve", cmd_serve, "serve HTTP (gateway checks, token endpoints, admin API)"},
    {"migrate", cmd_migrate, "apply pending store migrations (--status to only show)"},
    {"config", cmd_config, "check FILE | example | show: work with configuration"},
    {"policy", cmd_policy, "check FILE: check a route policy file (gateway checks)"},
    {"demo", cmd_demo, "create (once) and print a demo account and app"},
    {"admin", cmd_admin, "init: create the first admin token (printed once) | token …: admin tokens (admin API)"},
    {"account", cmd_account, "create NAME | list | show ID: accounts (admin API)"},
    {"env", cmd_env, "create ACCOUNT_ID NAME | list ACCOUNT_ID: environments (admin API)"},
    {"entity", cmd_entity, "create ACCOUNT_ID NAME [--id ID] | list ACCOUNT_ID | get ID: Open Ledger entities (admin API)"},
    {"app", cmd_app, "create | list | show: apps (admin API)"},
    {"key", cmd_key, "create | list | show | rotate | revoke | scopes: API keys (admin API)"},
    {"user", cmd_user, "create | list | show | token …: an app's users and their tokens (The Layer Token2)"},
    {"merchant", cmd_merchant, "show | secret | clients | client: AssetPay merchants and clients (admin API)"},
    {"audit", cmd_audit, "list [filters]: the audit trail (admin API)"},
    {"keys", cmd_keys, "list | rotate: token signing keys, the JWKS (store directly)"},
    /* Hidden (help NULL): for tests. */
    {"routes", cmd_routes, NULL},
};

static void usage(FILE *out) {
  fprintf(out, "usage: custos COMMAND [args]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
    if (COMMANDS[i].help) fprintf(out, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].help);
  fprintf(out, "  %-9s %s\n", "version", "print the version");
  fprintf(out, "\n`custos COMMAND --help` for a command's flags.\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
    printf("custos %s\n", custos_version());
    return 0;
  }
  for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
    if (strcmp(argv[1], COMMANDS[i].name) == 0) return COMMANDS[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "custos: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
