/*
 * cmd_admin_token.c — `custos admin token create | list | show | revoke`:
 * the admin API's own tokens over the admin API (cli/remote.h), so a
 * leaked token can be revoked without store access.
 *
 * `admin token …` is a group of its own inside `admin`: remote_main runs
 * it with "admin token" as the group name. A new token is printed once,
 * as `custos key create` prints a key.
 *
 * `revoke --force` is the one option that takes no value; remote_parse
 * knows only valued options, so it is taken out of argv here, before
 * parsing (up to a "--"), and only revoke accepts it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/remote.h"

static bool g_force; /* --force was given */

static void usage(FILE *out) {
  fputs("usage: custos admin token create --name NAME\n"
        "       custos admin token list [--limit N] [--after ID] [--all]\n"
        "       custos admin token show ID\n"
        "       custos admin token revoke ID [--force]\n"
        "revoke refuses the last active admin token unless --force: after that only\n"
        "`custos admin init` with store access makes a new one\n" REMOTE_USAGE_GLOBAL,
        out);
}

static const remote_col_t COLS[] = {
    {"ID", "id", REMOTE_TEXT},          {"NAME", "name", REMOTE_TEXT},
    {"STATUS", "status", REMOTE_TEXT},  {"CREATED", "created_at", REMOTE_TIME},
    {"REVOKED", "revoked_at", REMOTE_TIME}, {"CURRENT", "current", REMOTE_TEXT},
};

/* --force anywhere but on revoke is a usage error (2). */
static int no_force(const remote_t *r) {
  if (!g_force) return 0;
  fprintf(stderr, "%s: --force applies to revoke only\n", r->prog);
  return 2;
}

static int token_path(const remote_t *r, const char *id, const char *suffix, char *path, size_t cap) {
  snprintf(path, cap, "/admin/v1/admin-tokens");
  return remote_path_id(path, cap, r->prog, "an admin token", id, suffix);
}

static int create(remote_t *r, const remote_args_t *a) {
  const char *name = remote_opt(a, "name");
  json_t *body = NULL, *out = NULL;
  int code = no_force(r);
  if (code != 0) return code;
  if (name == NULL) {
    fprintf(stderr, "%s: --name is required\n", r->prog);
    return 2;
  }
  if ((body = json_pack("{s:s}", "name", name)) == NULL) return remote_bad_text(r);
  code = remote_call(r, "POST", "/admin/v1/admin-tokens", body, &out);
  if (code == 0) code = remote_print_object(r, out, "token");
  if (code == 0) code = remote_print_secret(r, out, "token");
  json_decref(body);
  json_decref(out);
  return code;
}

static int list(remote_t *r, const remote_args_t *a) {
  (void)a;
  int code = no_force(r);
  return code != 0 ? code : remote_list(r, "/admin/v1/admin-tokens", COLS, sizeof COLS / sizeof *COLS, NULL, NULL);
}

static int show(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *out = NULL;
  int code = no_force(r);
  if (code == 0) code = token_path(r, a->pos[1], NULL, path, sizeof path);
  if (code == 0) code = remote_call(r, "GET", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

static int revoke(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *body = NULL, *out = NULL;
  int code = token_path(r, a->pos[1], "/revoke", path, sizeof path);
  if (code != 0) return code;
  if ((body = g_force ? json_pack("{s:b}", "force", 1) : json_object()) == NULL) return remote_bad_text(r);
  code = remote_call(r, "POST", path, body, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(body);
  json_decref(out);
  return code;
}

static const char *const GROUP_OPTS[] = {"name", NULL};
static const char *const CREATE_OPTS[] = {"name", NULL};

static const remote_verb_t VERBS[] = {
    {"create", 0, 0, CREATE_OPTS, false, create},
    {"list", 0, 0, NULL, true, list},
    {"show", 1, 1, NULL, false, show},
    {"revoke", 1, 1, NULL, false, revoke},
};

int cmd_admin_token(int argc, char **argv) {
  /* argv[0] is "token"; it becomes the group name "admin token", and
   * --force (before any "--") is taken out. */
  char *targv[REMOTE_MAX_ARGS + 2];
  char group[] = "admin token";
  int n = 0;
  bool only_pos = false;
  if (argc > REMOTE_MAX_ARGS + 1) {
    fprintf(stderr, "custos admin token: more than %d arguments\n", REMOTE_MAX_ARGS);
    usage(stderr);
    return 2;
  }
  g_force = false;
  targv[n++] = group;
  for (int i = 1; i < argc; i++) {
    if (!only_pos && strcmp(argv[i], "--force") == 0) {
      g_force = true;
      continue;
    }
    if (strcmp(argv[i], "--") == 0) only_pos = true;
    targv[n++] = argv[i];
  }
  targv[n] = NULL;
  return remote_main(n, targv, GROUP_OPTS, VERBS, sizeof VERBS / sizeof *VERBS, usage);
}
