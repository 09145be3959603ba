/*
 * cmd_app.c — `custos app create --account ID --name NAME [--profile P] |
 * list [--account ID] | show ID` over the admin API (cli/remote.h).
 *
 * Creating a thelayer app also yields its Token1 (the server makes it);
 * its secret is printed once, as `custos key create` prints a key's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/remote.h"
#include "cli/table.h"

static void usage(FILE *out) {
  fputs("usage: custos app create --account ID --name NAME [--profile P]\n"
        "       custos app list [--account ID] [--limit N] [--after ID] [--all]\n"
        "       custos app show ID\n"
        "profiles: custos (default), openledger, assetpay, xumm, assetlayer, thelayer\n"
        "a thelayer app comes with its Token1 (an app_token key), printed once\n"
        REMOTE_USAGE_GLOBAL,
        out);
}

static const remote_col_t COLS[] = {
    {"ID", "id", REMOTE_TEXT},
    {"NAME", "name", REMOTE_TEXT},
    {"PROFILE", "profile", REMOTE_TEXT},
    {"ACCOUNT", "account_id", REMOTE_TEXT},
    {"CREATED", "created_at", REMOTE_TIME},
};

static int create(remote_t *r, const remote_args_t *a) {
  const char *account = remote_opt(a, "account"), *name = remote_opt(a, "name");
  const char *profile = remote_opt(a, "profile");
  if (account == NULL || name == NULL) {
    fprintf(stderr, "%s: --account and --name are required\n", r->prog);
    return 2;
  }
  json_t *body = json_pack("{s:s,s:s}", "account_id", account, "name", name), *out = NULL;
  if (body != NULL && profile != NULL &&
      json_object_set_new(body, "profile", json_string(profile)) != 0) {
    json_decref(body);
    body = NULL;
  }
  if (body == NULL) return remote_bad_text(r);
  int code = remote_call(r, "POST", "/admin/v1/apps", body, &out);
  if (code == 0) code = remote_print_object(r, out, "token1");
  const json_t *t1 = json_object_get(out, "token1");
  if (code == 0 && json_is_object(t1)) {
    char *kid = table_clean(json_string_value(json_object_get(t1, "id")), 0);
    if (!r->json && kid) printf("\ntoken1: %s\n", kid);
    free(kid);
    code = remote_print_secret(r, t1, "key");
  } else if (code == 0 && json_is_null(t1)) {
    /* The server made the app but not its Token1 (it logged why). */
    char *id = table_clean(json_string_value(json_object_get(out, "id")), 0);
    fprintf(stderr, "%s: the app was created without its Token1; make one with `custos key create --app %s`\n",
            r->prog, id ? id : "ID");
    free(id);
    code = 1;
  }
  json_decref(body);
  json_decref(out);
  return code;
}

static int list(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL] = "/admin/v1/apps";
  const char *account = remote_opt(a, "account");
  if (account != NULL && remote_query(path, sizeof path, "account_id", account) != 0) {
    fprintf(stderr, "%s: --account is too long\n", r->prog);
    return 2;
  }
  return remote_list(r, path, COLS, sizeof COLS / sizeof *COLS, NULL, NULL);
}

static int show(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL] = "/admin/v1/apps";
  json_t *out = NULL;
  int code = remote_path_id(path, sizeof path, r->prog, "an app", a->pos[1], NULL);
  if (code == 0) code = remote_call(r, "GET", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

static const char *const GROUP_OPTS[] = {"account", "name", "profile", NULL};
static const char *const CREATE_OPTS[] = {"account", "name", "profile", NULL};
static const char *const LIST_OPTS[] = {"account", NULL};

static const remote_verb_t VERBS[] = {
    {"create", 0, 0, CREATE_OPTS, false, create},
    {"list", 0, 0, LIST_OPTS, true, list},
    {"show", 1, 1, NULL, false, show},
};

int cmd_app(int argc, char **argv) {
  return remote_main(argc, argv, GROUP_OPTS, VERBS, sizeof VERBS / sizeof *VERBS, usage);
}
