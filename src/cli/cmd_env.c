/*
 * cmd_env.c — `custos env create ACCOUNT_ID NAME | list ACCOUNT_ID`:
 * an account's environments over the admin API (cli/remote.h). Every
 * account starts with "development" and "production".
 */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *out) {
  fputs("usage: custos env create ACCOUNT_ID NAME\n"
        "       custos env list ACCOUNT_ID [--limit N] [--after ID] [--all]\n"
        REMOTE_USAGE_GLOBAL,
        out);
}

static const remote_col_t COLS[] = {
    {"ID", "id", REMOTE_TEXT},
    {"NAME", "name", REMOTE_TEXT},
    {"CREATED", "created_at", REMOTE_TIME},
};

/* "/admin/v1/accounts/ID/environments" into path; 0 or an exit code. */
static int env_path(remote_t *r, const char *account_id, char *path, size_t cap) {
  snprintf(path, cap, "/admin/v1/accounts");
  return remote_path_id(path, cap, r->prog, "an account", account_id, "/environments");
}

static int create(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *body = json_pack("{s:s}", "name", a->pos[2]), *out = NULL;
  if (body == NULL) return remote_bad_text(r);
  int code = env_path(r, a->pos[1], path, sizeof path);
  if (code == 0) code = remote_call(r, "POST", path, body, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(body);
  json_decref(out);
  return code;
}

static int list(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  int code = env_path(r, a->pos[1], path, sizeof path);
  if (code == 0) code = remote_list(r, path, COLS, sizeof COLS / sizeof *COLS, NULL, NULL);
  return code;
}

static const remote_verb_t VERBS[] = {
    {"create", 2, 2, NULL, false, create},
    {"list", 1, 1, NULL, true, list},
};

int cmd_env(int argc, char **argv) {
  return remote_main(argc, argv, NULL, VERBS, sizeof VERBS / sizeof *VERBS, usage);
}
