/*
 * cmd_account.c — `custos account create NAME | list | show ID` over the
 * admin API (cli/remote.h: global options, token, exit codes).
 */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *out) {
  fputs("usage: custos account create NAME\n"
        "       custos account list [--limit N] [--after ID] [--all]\n"
        "       custos account show ID\n"
        REMOTE_USAGE_GLOBAL,
        out);
}

static const remote_col_t COLS[] = {
    {"ID", "id", REMOTE_TEXT},
    {"NAME", "name", REMOTE_TEXT},
    {"CREATED", "created_at", REMOTE_TIME},
};

static int create(remote_t *r, const remote_args_t *a) {
  json_t *body = json_pack("{s:s}", "name", a->pos[1]), *out = NULL;
  if (body == NULL) return remote_bad_text(r);
  int code = remote_call(r, "POST", "/admin/v1/accounts", body, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(body);
  json_decref(out);
  return code;
}

static int list(remote_t *r, const remote_args_t *a) {
  (void)a;
  return remote_list(r, "/admin/v1/accounts", COLS, sizeof COLS / sizeof *COLS, NULL, NULL);
}

static int show(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL] = "/admin/v1/accounts";
  json_t *out = NULL;
  int code = remote_path_id(path, sizeof path, r->prog, "an account", a->pos[1], NULL);
  if (code == 0) code = remote_call(r, "GET", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

static const remote_verb_t VERBS[] = {
    {"create", 1, 1, NULL, false, create},
    {"list", 0, 0, NULL, true, list},
    {"show", 1, 1, NULL, false, show},
};

int cmd_account(int argc, char **argv) {
  return remote_main(argc, argv, NULL, VERBS, sizeof VERBS / sizeof *VERBS, usage);
}
