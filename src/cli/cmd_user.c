/*
 * cmd_user.c — `custos user create | list | show` and `custos user token
 * issue | list | show | rotate | revoke`: the end users of an app and
 * their user tokens (The Layer's Token2, docs/profiles/thelayer.md) over
 * the admin API (cli/remote.h).
 *
 * `user token …` is a group of its own inside `user`: remote_main runs it
 * with "user token" as the group name, so messages read "custos user token
 * issue: …". A token's secret is printed once, when it is issued or
 * rotated, as `custos key` prints a key's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *out) {
  fputs("usage: custos user create --app ID --external-id EXT\n"
        "       custos user list --app ID [--limit N] [--after ID] [--all]\n"
        "       custos user show USER_ID\n"
        "       custos user token issue USER_ID --level read|write|admin [--expires-in DURATION]\n"
        "       custos user token list USER_ID [--limit N] [--after ID] [--all]\n"
        "       custos user token show TOKEN_ID\n"
        "       custos user token rotate TOKEN_ID [--grace DURATION]   (default grace 24h)\n"
        "       custos user token revoke TOKEN_ID\n"
        "DURATION: 30s, 15m, 24h, 7d, or sums such as 1h30m\n"
        "EXT is the user's id in your application (1-200 bytes, unique per app)\n" REMOTE_USAGE_GLOBAL,
        out);
}

static const remote_col_t USER_COLS[] = {
    {"ID", "id", REMOTE_TEXT},
    {"EXTERNAL ID", "external_id", REMOTE_TEXT},
    {"CREATED", "created_at", REMOTE_TIME},
};

static const remote_col_t TOKEN_COLS[] = {
    {"ID", "id", REMOTE_TEXT},           {"START", "start", REMOTE_TEXT},
    {"LEVEL", "access_level", REMOTE_TEXT}, {"STATUS", "status", REMOTE_TEXT},
    {"EXPIRES", "expires_at", REMOTE_TIME}, {"LAST USED", "last_used_at", REMOTE_USED},
};

/* "/admin/v1/<coll>/ID" + suffix into path; 0 or an exit code. */
static int id_path(const remote_t *r, const char *coll, const char *what, const char *id, const char *suffix,
                   char *path, size_t cap) {
  snprintf(path, cap, "/admin/v1/%s", coll);
  return remote_path_id(path, cap, r->prog, what, id, suffix);
}

/* GET path, print the object. */
static int show_at(remote_t *r, const char *path) {
  json_t *out = NULL;
  int code = remote_call(r, "GET", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

/* --- users ----------------------------------------------------------------- */

static int user_create(remote_t *r, const remote_args_t *a) {
  const char *app = remote_opt(a, "app"), *ext = remote_opt(a, "external-id");
  char path[CLIENT_MAX_URL];
  if (app == NULL || ext == NULL) {
    fprintf(stderr, "%s: --app and --external-id are required\n", r->prog);
    return 2;
  }
  int code = id_path(r, "apps", "an app", app, "/users", path, sizeof path);
  if (code != 0) return code;
  json_t *body = json_pack("{s:s}", "external_id", ext), *out = NULL;
  if (body == NULL) return remote_bad_text(r);
  code = remote_call(r, "POST", path, body, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(body);
  json_decref(out);
  return code;
}

static int user_list(remote_t *r, const remote_args_t *a) {
  const char *app = remote_opt(a, "app");
  char path[CLIENT_MAX_URL];
  if (app == NULL) {
    fprintf(stderr, "%s: --app is required\n", r->prog);
    return 2;
  }
  int code = id_path(r, "apps", "an app", app, "/users", path, sizeof path);
  if (code == 0) code = remote_list(r, path, USER_COLS, sizeof USER_COLS / sizeof *USER_COLS, NULL, NULL);
  return code;
}

static int user_show(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  int code = id_path(r, "users", "a user", a->pos[1], NULL, path, sizeof path);
  return code == 0 ? show_at(r, path) : code;
}

/* --- user tokens ------------------------------------------------------------ */

static int token_issue(remote_t *r, const remote_args_t *a) {
  const char *level = remote_opt(a, "level"), *expires = remote_opt(a, "expires-in");
  char path[CLIENT_MAX_URL];
  json_t *user = NULL, *body = NULL, *out = NULL;
  int64_t ttl = 0;
  if (level == NULL) {
    fprintf(stderr, "%s: --level is required (read, write or admin)\n", r->prog);
    return 2;
  }
  if (expires != NULL && remote_duration_opt(r, "expires-in", expires, &ttl) != 0) return 2;
  if (expires != NULL && ttl == 0) {
    fprintf(stderr, "%s: --expires-in must be longer than 0s\n", r->prog);
    return 2;
  }
  /* The token route names the user's app; ask the server which it is
   * rather than make the caller repeat it. */
  int code = id_path(r, "users", "a user", a->pos[1], NULL, path, sizeof path);
  if (code == 0) code = remote_call(r, "GET", path, NULL, &user);
  if (code != 0) goto out;
  const char *app = json_string_value(json_object_get(user, "app_id"));
  const char *uid = json_string_value(json_object_get(user, "id"));
  if (app == NULL || uid == NULL) {
    fprintf(stderr, "%s: the server's user has no app_id\n", r->prog);
    code = 1;
    goto out;
  }
  if ((code = id_path(r, "apps", "an app", app, "/users", path, sizeof path)) != 0 ||
      (code = remote_path_id(path, sizeof path, r->prog, "a user", uid, "/tokens")) != 0)
    goto out;
  body = json_pack("{s:s}", "access_level", level);
  if (body == NULL || (expires != NULL && json_object_set_new(body, "expires_at",
                                                              json_integer((json_int_t)time(NULL) + ttl)) != 0)) {
    code = remote_bad_text(r);
    goto out;
  }
  code = remote_call(r, "POST", path, body, &out);
  if (code == 0) code = remote_print_object(r, out, "token");
  if (code == 0) code = remote_print_secret(r, out, "token");
out:
  json_decref(user);
  json_decref(body);
  json_decref(out);
  return code;
}

static int token_list(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  int code = id_path(r, "users", "a user", a->pos[1], "/tokens", path, sizeof path);
  if (code == 0) code = remote_list(r, path, TOKEN_COLS, sizeof TOKEN_COLS / sizeof *TOKEN_COLS, NULL, NULL);
  return code;
}

static int token_show(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  int code = id_path(r, "user-tokens", "a user token", a->pos[1], NULL, path, sizeof path);
  return code == 0 ? show_at(r, path) : code;
}

static int token_rotate(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  const char *grace = remote_opt(a, "grace");
  json_t *body = NULL, *out = NULL;
  int64_t secs = 0;
  if (grace != NULL && remote_duration_opt(r, "grace", grace, &secs) != 0) return 2;
  int code = id_path(r, "user-tokens", "a user token", a->pos[1], "/rotate", path, sizeof path);
  if (code != 0) return code;
  body = grace ? json_pack("{s:I}", "grace_seconds", (json_int_t)secs) : json_object();
  if (body == NULL) return remote_bad_text(r);
  code = remote_call(r, "POST", path, body, &out);
  if (code == 0) code = remote_print_rotation(r, out, "token", "token", "token");
  json_decref(body);
  json_decref(out);
  return code;
}

static int token_revoke(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *out = NULL;
  int code = id_path(r, "user-tokens", "a user token", a->pos[1], "/revoke", path, sizeof path);
  if (code == 0) code = remote_call(r, "POST", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

static const char *const USER_OPTS[] = {"app", "external-id", NULL};
static const char *const CREATE_OPTS[] = {"app", "external-id", NULL};
static const char *const LIST_OPTS[] = {"app", NULL};

static const remote_verb_t USER_VERBS[] = {
    {"create", 0, 0, CREATE_OPTS, false, user_create},
    {"list", 0, 0, LIST_OPTS, true, user_list},
    {"show", 1, 1, NULL, false, user_show},
};

static const char *const TOKEN_OPTS[] = {"level", "expires-in", "grace", NULL};
static const char *const ISSUE_OPTS[] = {"level", "expires-in", NULL};
static const char *const ROTATE_OPTS[] = {"grace", NULL};

static const remote_verb_t TOKEN_VERBS[] = {
    {"issue", 1, 1, ISSUE_OPTS, false, token_issue},   {"list", 1, 1, NULL, true, token_list},
    {"show", 1, 1, NULL, false, token_show},           {"rotate", 1, 1, ROTATE_OPTS, false, token_rotate},
    {"revoke", 1, 1, NULL, false, token_revoke},
};

int cmd_user(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "token") == 0) {
    /* argv[1] becomes the group name "user token"; argv itself is left as is. */
    char *targv[REMOTE_MAX_ARGS + 2];
    char group[] = "user token";
    if (argc - 1 > REMOTE_MAX_ARGS + 1) {
      fprintf(stderr, "custos user token: more than %d arguments\n", REMOTE_MAX_ARGS);
      usage(stderr);
      return 2;
    }
    targv[0] = group;
    for (int i = 2; i < argc; i++) targv[i - 1] = argv[i];
    targv[argc - 1] = NULL;
    return remote_main(argc - 1, targv, TOKEN_OPTS, TOKEN_VERBS, sizeof TOKEN_VERBS / sizeof *TOKEN_VERBS, usage);
  }
  return remote_main(argc, argv, USER_OPTS, USER_VERBS, sizeof USER_VERBS / sizeof *USER_VERBS, usage);
}
