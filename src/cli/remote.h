/*
 * remote.h — what every admin-API command (account, env, app, key, audit)
 * shares: argument parsing with the global options, the admin token, the
 * request with error reporting, and human or JSON output.
 *
 * Global options, accepted anywhere after the command group:
 *   --url URL    admin API base (else $CUSTOS_URL, else REMOTE_DEFAULT_URL)
 *   --json       print the server's JSON, pretty, instead of tables
 *   --limit N    page size on list commands (1..REMOTE_MAX_LIMIT)
 *   --after ID   list from after this id (the `next` of a previous page)
 *   --all        follow `next` until the end
 * The admin token comes only from $CUSTOS_ADMIN_TOKEN: flags are visible to
 * every user through ps(1).
 *
 * Exit codes, as for every command: 0 ok, 1 the request failed (server
 * error or unreachable), 2 usage (bad flags, no token).
 */
#ifndef CUSTOS_CLI_REMOTE_H
#define CUSTOS_CLI_REMOTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/client.h"

#define REMOTE_DEFAULT_URL "http://127.0.0.1:8080"
#define REMOTE_TOKEN_ENV "CUSTOS_ADMIN_TOKEN"
#define REMOTE_URL_ENV "CUSTOS_URL"
#define REMOTE_MAX_ARGS 64     /* options plus positionals per command line */
#define REMOTE_MAX_LIMIT 100   /* --limit, as the admin API allows */
#define REMOTE_MAX_PAGES 10000 /* --all stops (and fails) after this many pages */

/* The last lines of every admin command's usage. */
#define REMOTE_USAGE_GLOBAL                                                     \
  "global: --url URL (else $CUSTOS_URL, else " REMOTE_DEFAULT_URL "), --json\n" \
  "the admin token is read from $" REMOTE_TOKEN_ENV "\n"

typedef struct remote_opt {
  const char *name;  /* without the leading "--" */
  const char *value; /* borrowed from argv */
} remote_opt_t;

/* The parsed command line; every string is borrowed from argv. */
typedef struct remote_args {
  const char *url;                   /* --url, NULL = env/default */
  bool json;                         /* --json */
  bool all;                          /* --all */
  bool help;                         /* -h / --help */
  int limit;                         /* --limit, 0 = server default */
  const char *after;                 /* --after, NULL = from the start */
  bool paged;                        /* one of --limit/--after/--all was given */
  const char *pos[REMOTE_MAX_ARGS];  /* positionals; pos[0] is the verb */
  int npos;
  remote_opt_t opts[REMOTE_MAX_ARGS]; /* group options in command-line order */
  int nopts;
} remote_args_t;

/*
 * Parses argv[1..argc) (argv[0] is the group, "key"). `value_opts` is the
 * NULL-terminated list of the group's own options, all taking a value
 * (as "--name V" or "--name=V"). "--" ends options. Returns 0, or 2 after
 * printing "PROG: <problem>" to stderr, where PROG is "custos <group>".
 */
int remote_parse(remote_args_t *a, int argc, char **argv, const char *const *value_opts);

/* The last value given for --name, or NULL. */
const char *remote_opt(const remote_args_t *a, const char *name);

/*
 * Checks that the verb got what it takes: between min_pos and max_pos
 * positionals after the verb, only the options in `allowed`
 * (NULL-terminated, may be NULL), and --limit/--after/--all only when
 * `paged`. Returns 0, or 2 after printing the problem to stderr.
 */
int remote_check(const remote_args_t *a, const char *prog, int min_pos, int max_pos,
                 const char *const *allowed, bool paged);

/* A connection to the admin API for one command. */
struct remote;

/* One subcommand of a group: its name, how many positionals follow it,
 * the group options it takes, whether it lists, and what runs it. */
typedef struct remote_verb {
  const char *name;
  int min_pos, max_pos;      /* positionals after the verb */
  const char *const *opts;   /* NULL-terminated option names, or NULL */
  bool paged;                /* takes --limit/--after/--all */
  int (*run)(struct remote *r, const remote_args_t *a); /* exit code */
} remote_verb_t;

/*
 * The whole life of a group command: parse argv (argv[0] = group), answer
 * --help with `usage` on stdout, find the verb, check its arguments, open
 * the connection, run it, close. Usage errors, including a verb's run
 * returning 2 after printing its problem, add `usage` on stderr and
 * return 2.
 */
int remote_main(int argc, char **argv, const char *const *group_opts, const remote_verb_t *verbs,
                size_t nverbs, void (*usage)(FILE *out));

/* For a request body that could not be built: jansson refuses text that is
 * not UTF-8. Prints that and returns 2. */
int remote_bad_text(const struct remote *r);

typedef struct remote {
  client_t client;  /* private */
  const char *prog; /* "custos key create", for messages */
  bool json;        /* print JSON */
  bool all;         /* follow next */
  int limit;        /* 0 = server default */
  const char *after;
} remote_t;

/*
 * Reads the token and URL and prepares `r`. Returns 0, or 2 (no token,
 * bad URL) after printing why. On 0, remote_close must follow.
 */
int remote_open(remote_t *r, const remote_args_t *a, const char *prog);
void remote_close(remote_t *r);

/*
 * Sends a request; `body` may be NULL. On a 2xx answer with a JSON body
 * returns 0 with *out set (caller json_decref's). Otherwise prints to
 * stderr "PROG: <server message> (field ..., HTTP status code)" or
 * "PROG: cannot reach URL ..." and returns 1 (*out NULL).
 */
int remote_call(remote_t *r, const char *method, const char *path, const json_t *body,
                json_t **out);

/* How one table column shows its field. */
typedef enum remote_fmt {
  REMOTE_TEXT,  /* string (or any scalar), null = "-" */
  REMOTE_TIME,  /* unix seconds as 2026-01-02T03:04:05Z, null = "-" */
  REMOTE_USED,  /* like REMOTE_TIME, null = "never" */
  REMOTE_LIST,  /* array of strings joined by "," */
} remote_fmt_t;

typedef struct remote_col {
  const char *title;  /* column header, upper case */
  const char *field;  /* member of each list item */
  remote_fmt_t fmt;
} remote_col_t;

/* Optional hook that turns a column's text into something friendlier
 * (environment ids into names). Returns a malloc'd string or NULL to keep
 * the original. */
typedef char *(*remote_xform_fn)(void *ctx, const remote_col_t *col, const json_t *item,
                                 const char *text);

/*
 * GETs a list at `path` ("/admin/v1/apps?account_id=X" or without query),
 * adding limit/after, following `next` when --all. Prints a table of
 * `cols` (or, with --json, the server's answer; with --all one document
 * {"data":[every item],"next":null}). `xform` (may be NULL) rewrites cell
 * texts, with `ctx` passed through. Returns 0/1 like remote_call.
 */
int remote_list(remote_t *r, const char *path, const remote_col_t *cols, size_t ncols,
                remote_xform_fn xform, void *ctx);

/* Prints one object: with --json the JSON, else "field: value" lines in the
 * server's order (times as dates, arrays joined), skipping the member named
 * `skip` (may be NULL). Returns 0, or 1 on a write error. */
int remote_print_object(const remote_t *r, const json_t *obj, const char *skip);

/* Pretty JSON of `v` and a newline to stdout. Returns 0 or 1. */
int remote_print_json(const json_t *v);

/* Text for one field as the tables show it (see remote_fmt_t); malloc'd,
 * NULL on ENOMEM. Cleaned for the terminal by the caller. */
char *remote_format(const json_t *v, remote_fmt_t fmt);

/*
 * Appends "/" + the escaped `id` + `suffix` (may be NULL, e.g.
 * "/environments") to `path` (capacity cap). `what` names the id in
 * messages ("an account"). Refuses empty, "." and ".." (which would change
 * the route) with 2 after printing the problem; 1 if it does not fit; 0 on
 * success.
 */
int remote_path_id(char *path, size_t cap, const char *prog, const char *what, const char *id,
                   const char *suffix);

/*
 * Reads DURATION (duration.h) given as --`flag`. 0 with *out set, or 2
 * after printing "PROG: --flag "TEXT" is not a duration (...)".
 */
int remote_duration_opt(const remote_t *r, const char *flag, const char *text, int64_t *out);

/*
 * Prints the one secret of a create/rotate answer: member `field` of
 * `obj` (a key's "key", a user token's "token", a merchant's "secret"),
 * set apart, with a line saying it will not be shown again. With --json
 * the JSON is already out; only the warning goes, to stderr, so stdout
 * stays one document. 0, or 1 (no secret in the answer, write error).
 */
int remote_print_secret(const remote_t *r, const json_t *obj, const char *field);

/*
 * Prints a rotation answer {"<member>": new object with its secret under
 * `field`, "previous": old object}: with --json the JSON; else the new
 * object without the secret, "previous <noun> ID keeps working until
 * TIME", then the secret (remote_print_secret). 0 or 1.
 */
int remote_print_rotation(const remote_t *r, const json_t *out, const char *member, const char *field,
                          const char *noun);

/* Appends "&name=escaped(value)" (or "?" first) to path. 0, 1 if too long. */
int remote_query(char *path, size_t cap, const char *name, const char *value);

#endif
