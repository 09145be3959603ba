/*
 * commands.h — the `custos` subcommands. Each takes argv with argv[0] the
 * subcommand's own name (e.g. "serve") and returns the process exit code:
 * 0 success, 1 failure, 2 usage error.
 */
#ifndef CUSTOS_CLI_COMMANDS_H
#define CUSTOS_CLI_COMMANDS_H

/* custos migrate [--store URL] [--status]: applies pending store migrations
 * (src/cli/cmd_migrate.c). URL defaults to $CUSTOS_STORE_URL, else
 * sqlite:./var/custos.db. Prints "migrated KIND from version A to B" or the
 * status; 0 ok, 1 failure (message on stderr), 2 usage. */
int cmd_migrate(int argc, char **argv);

/* custos config check FILE | example | show [flags…] (src/cli/cmd_config.c).
 * check: 0 = FILE: ok on stdout, 1 = problems (FILE:LINE: message) on stderr. */
int cmd_config(int argc, char **argv);

/* custos policy check FILE (src/cli/cmd_policy.c): 0 = "FILE: ok (N
 * routes)" on stdout, 1 = problems (FILE:LINE: message) on stderr, 2 usage. */
int cmd_policy(int argc, char **argv);

/* custos serve [flags]: serve HTTP until SIGTERM/SIGINT, then drain
 * (src/cli/cmd_serve.c). 0 clean stop, 1 start-up failure, 2 bad flags. */
int cmd_serve(int argc, char **argv);

/* custos demo [flags]: create once and print the demo account and app
 * (src/cli/cmd_demo.c). Same flags as serve for the store. */
int cmd_demo(int argc, char **argv);

/* custos admin init [--name NAME] [flags] (src/cli/cmd_admin.c): creates the
 * first admin token in the configured store (migrating in development, as
 * serve does) and prints it once on stdout; only its SHA-256 is stored.
 * 0 created, 1 refused (an active admin token exists) or failed, 2 usage. */
int cmd_admin(int argc, char **argv);

/* custos admin token create --name N | list | show ID | revoke ID [--force]
 * (src/cli/cmd_admin_token.c): admin tokens over the admin API; argv[0] is
 * "token". Exit codes as the admin API clients below. */
int cmd_admin_token(int argc, char **argv);

/* custos routes (hidden; src/cli/cmd_admin.c): prints the route table as
 * "METHOD PATTERN" lines (HEAD, implied by GET, is left out). */
int cmd_routes(int argc, char **argv);

/* Admin API clients (src/cli/remote.h for the shared options: --url,
 * --json, --limit, --after, --all; token from $CUSTOS_ADMIN_TOKEN).
 * 0 success, 1 the request failed (server message or unreachable URL on
 * stderr), 2 usage or no token. */

/* custos account create NAME | list | show ID (src/cli/cmd_account.c). */
int cmd_account(int argc, char **argv);

/* custos env create ACCOUNT_ID NAME | list ACCOUNT_ID (src/cli/cmd_env.c). */
int cmd_env(int argc, char **argv);

/* custos entity create ACCOUNT_ID NAME [--id ID] | list ACCOUNT_ID | get ID
 * (src/cli/cmd_entity.c). */
int cmd_entity(int argc, char **argv);

/* custos app create --account ID --name NAME [--profile P] | list [--account ID]
 * | show ID (src/cli/cmd_app.c). */
int cmd_app(int argc, char **argv);

/* custos key create --app ID [...] | list --app ID | show ID | rotate ID
 * [--grace D] | revoke ID | scopes ID S... (src/cli/cmd_key.c). Create and
 * rotate print the secret once. */
int cmd_key(int argc, char **argv);

/* custos user create --app ID --external-id EXT | list --app ID | show ID
 * and custos user token issue USER_ID --level L [--expires-in D] | list
 * USER_ID | show ID | rotate ID [--grace D] | revoke ID (src/cli/cmd_user.c):
 * an app's end users and their tokens (The Layer Token2). Issue and rotate
 * print the secret once. */
int cmd_user(int argc, char **argv);

/* custos merchant show APP | secret APP [--grace D] | clients APP | client
 * APP STEAM_ID (src/cli/cmd_merchant.c): an assetpay app's merchant, its
 * API secret (printed once, by secret) and its clients. */
int cmd_merchant(int argc, char **argv);

/* custos audit list [--action A] [--target T] [--actor X] [--since WHEN]
 * (src/cli/cmd_audit.c). */
int cmd_audit(int argc, char **argv);

/* custos keys list [--json] | rotate [--alg ALG] | sign --alg ALG CLAIMS
 * (src/cli/cmd_keys.c): signing keys, through the store directly (serve's
 * --store/--config flags; master key from CUSTOS_MASTER_KEY or the key
 * file, never created). rotate notifies running nodes; sign is a test aid.
 * 0 ok, 1 failure, 2 usage. */
int cmd_keys(int argc, char **argv);

#endif
