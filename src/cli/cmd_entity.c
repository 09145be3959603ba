/*
 * cmd_entity.c — `custos entity create ACCOUNT_ID NAME [--id ID] | list
 * ACCOUNT_ID | get ENTITY_ID`: Open Ledger entities of an account (the
 * developer) over the admin API (cli/remote.h, docs/profiles/openledger.md).
 */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *out) {
  fputs("usage: custos entity create ACCOUNT_ID NAME [--id ENTITY_ID]\n"
        "       custos entity list ACCOUNT_ID [--limit N] [--after ID] [--all]\n"
        "       custos entity get ENTITY_ID\n"
        "--id sets an external entity id (1-64 of A-Z a-z 0-9 _ . : -); default ent_...\n"
        REMOTE_USAGE_GLOBAL,
        out);
}

static const remote_col_t COLS[] = {
    {"ID", "id", REMOTE_TEXT},
    {"NAME", "name", REMOTE_TEXT},
    {"CREATED", "created_at", REMOTE_TIME},
};

/* "/admin/v1/accounts/ID/entities" into path; 0 or an exit code. */
static int entities_path(remote_t *r, const char *account_id, char *path, size_t cap) {
  snprintf(path, cap, "/admin/v1/accounts");
  return remote_path_id(path, cap, r->prog, "an account", account_id, "/entities");
}

static int create(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  const char *id = remote_opt(a, "id");
  json_t *body = json_pack("{s:s}", "name", a->pos[2]), *out = NULL;
  if (body == NULL || (id && json_object_set_new(body, "id", json_string(id)) != 0)) {
    json_decref(body);
    return remote_bad_text(r);
  }
  int code = entities_path(r, a->pos[1], path, sizeof path);
  if (code == 0) code = remote_call(r, "POST", path, body, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(body);
  json_decref(out);
  return code;
}

static int list(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  int code = entities_path(r, a->pos[1], path, sizeof path);
  if (code == 0) code = remote_list(r, path, COLS, sizeof COLS / sizeof *COLS, NULL, NULL);
  return code;
}

static int get(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *out = NULL;
  snprintf(path, sizeof path, "/admin/v1/entities");
  int code = remote_path_id(path, sizeof path, r->prog, "an entity", a->pos[1], NULL);
  if (code == 0) code = remote_call(r, "GET", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

static const char *const GROUP_OPTS[] = {"id", NULL};
static const char *const CREATE_OPTS[] = {"id", NULL};

static const remote_verb_t VERBS[] = {
    {"create", 2, 2, CREATE_OPTS, false, create},
    {"list", 1, 1, NULL, true, list},
    {"get", 1, 1, NULL, false, get},
};

int cmd_entity(int argc, char **argv) {
  return remote_main(argc, argv, GROUP_OPTS, VERBS, sizeof VERBS / sizeof *VERBS, usage);
}
