/*
 * cmd_merchant.c — `custos merchant show | secret | clients | client`: the
 * AssetPay merchant of an app with profile assetpay (its merchant id and
 * the API secret that signs client tokens) and the clients it has
 * authenticated, over the admin API (cli/remote.h,
 * docs/profiles/assetpay.md).
 *
 * The API secret is printed once, by the `secret` command that makes it;
 * nothing else ever shows it.
 */
#include <stdint.h>
#include <stdio.h>

#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *out) {
  fputs("usage: custos merchant show APP_ID\n"
        "       custos merchant secret APP_ID [--grace DURATION]\n"
        "       custos merchant clients APP_ID [--limit N] [--after STEAM_ID] [--all]\n"
        "       custos merchant client APP_ID STEAM_ID\n"
        "secret creates the API secret, or replaces it: the previous one keeps\n"
        "verifying tokens for --grace (default: the server's assetpay.secret_grace)\n"
        "DURATION: 30s, 15m, 24h, 7d, or sums such as 1h30m\n" REMOTE_USAGE_GLOBAL,
        out);
}

static const remote_col_t CLIENT_COLS[] = {
    {"STEAM ID", "steam_id", REMOTE_TEXT},   {"CLIENT ID", "client_id", REMOTE_TEXT},
    {"RISK LIMIT", "risk_limit", REMOTE_TEXT}, {"TIER", "risk_tier", REMOTE_TEXT},
    {"AUTHS", "auth_count", REMOTE_TEXT},     {"LAST AUTH", "updated_at", REMOTE_TIME},
};

/* "/admin/v1/apps/APP" + suffix into path; 0 or an exit code. */
static int app_path(const remote_t *r, const char *app, const char *suffix, char *path, size_t cap) {
  snprintf(path, cap, "/admin/v1/apps");
  return remote_path_id(path, cap, r->prog, "an app", app, suffix);
}

static int show(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *out = NULL;
  int code = app_path(r, a->pos[1], "/merchant", path, sizeof path);
  if (code == 0) code = remote_call(r, "GET", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

static int secret(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  const char *grace = remote_opt(a, "grace");
  json_t *body = NULL, *out = NULL;
  int64_t secs = 0;
  if (grace != NULL && remote_duration_opt(r, "grace", grace, &secs) != 0) return 2;
  int code = app_path(r, a->pos[1], "/secret", path, sizeof path);
  if (code != 0) return code;
  body = grace ? json_pack("{s:I}", "grace_seconds", (json_int_t)secs) : json_object();
  if (body == NULL) return remote_bad_text(r);
  code = remote_call(r, "POST", path, body, &out);
  if (code == 0) code = remote_print_object(r, out, "secret");
  if (code == 0) code = remote_print_secret(r, out, "secret");
  json_decref(body);
  json_decref(out);
  return code;
}

static int clients(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  int code = app_path(r, a->pos[1], "/clients", path, sizeof path);
  if (code == 0) code = remote_list(r, path, CLIENT_COLS, sizeof CLIENT_COLS / sizeof *CLIENT_COLS, NULL, NULL);
  return code;
}

static int client(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *out = NULL;
  int code = app_path(r, a->pos[1], "/clients", path, sizeof path);
  if (code == 0) code = remote_path_id(path, sizeof path, r->prog, "a Steam", a->pos[2], NULL);
  if (code == 0) code = remote_call(r, "GET", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

static const char *const GROUP_OPTS[] = {"grace", NULL};
static const char *const SECRET_OPTS[] = {"grace", NULL};

static const remote_verb_t VERBS[] = {
    {"show", 1, 1, NULL, false, show},
    {"secret", 1, 1, SECRET_OPTS, false, secret},
    {"clients", 1, 1, NULL, true, clients},
    {"client", 2, 2, NULL, false, client},
};

int cmd_merchant(int argc, char **argv) {
  return remote_main(argc, argv, GROUP_OPTS, VERBS, sizeof VERBS / sizeof *VERBS, usage);
}
