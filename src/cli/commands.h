/*
 * commands.h — the `custos` subcommands. Each takes argv with argv[0] the
 * subcommand's own name (e.g. "serve") and returns the process exit code:
 * 0 success, 1 failure, 2 usage error.
 */
#ifndef CUSTOS_CLI_COMMANDS_H
#define CUSTOS_CLI_COMMANDS_H

#endif
