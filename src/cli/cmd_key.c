/*
 * cmd_key.c — `custos key create | list | show | rotate | revoke | scopes`:
 * an app's API keys over the admin API (cli/remote.h).
 *
 * A key's secret exists in exactly one answer, the one that created it
 * (create, rotate). It is printed once, set apart from the other fields,
 * with a line saying it will not be shown again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/remote.h"
#include "cli/table.h"
#include "custos.h"

#define ENV_MAX_PAGES 20 /* environment pages read to name the ENV column */

static void usage(FILE *out) {
  fputs("usage: custos key create --app ID [--env NAME|ID] [--name N] [--scope S]...\n"
        "                         [--expires-in DURATION] [--prefix PREFIX]\n"
        "       custos key list --app ID [--limit N] [--after ID] [--all]\n"
        "       custos key show ID\n"
        "       custos key rotate ID [--grace DURATION]   (default grace 24h)\n"
        "       custos key revoke ID\n"
        "       custos key scopes ID SCOPE [SCOPE...]     (replaces the key's scopes)\n"
        "DURATION: 30s, 15m, 24h, 7d, or sums such as 1h30m\n"
        "--env defaults to production, --scope to CORE_ACCESS, --prefix to the app\n"
        "profile's (ap_, ol_, tl_, else ck_)\n"
        REMOTE_USAGE_GLOBAL,
        out);
}

static const remote_col_t COLS[] = {
    {"ID", "id", REMOTE_TEXT},           {"NAME", "name", REMOTE_TEXT},
    {"START", "start", REMOTE_TEXT},     {"STATUS", "status", REMOTE_TEXT},
    {"SCOPES", "scopes", REMOTE_LIST},   {"ENV", "environment_id", REMOTE_TEXT},
    {"EXPIRES", "expires_at", REMOTE_TIME}, {"LAST USED", "last_used_at", REMOTE_USED},
};

/* "/admin/v1/keys/ID" + suffix into path; 0 or an exit code. */
static int key_path(remote_t *r, const char *id, const char *suffix, char *path, size_t cap) {
  snprintf(path, cap, "/admin/v1/keys");
  return remote_path_id(path, cap, r->prog, "a key", id, suffix);
}

static int create(remote_t *r, const remote_args_t *a) {
  const char *app = remote_opt(a, "app"), *env = remote_opt(a, "env");
  const char *name = remote_opt(a, "name"), *expires = remote_opt(a, "expires-in");
  const char *prefix = remote_opt(a, "prefix");
  char path[CLIENT_MAX_URL] = "/admin/v1/apps";
  json_t *body = NULL, *scopes = NULL, *out = NULL;
  int code = 2;
  if (app == NULL) {
    fprintf(stderr, "%s: --app is required\n", r->prog);
    return 2;
  }
  int64_t ttl = 0;
  if (expires != NULL && remote_duration_opt(r, "expires-in", expires, &ttl) != 0) return 2;
  if (expires != NULL && ttl == 0) {
    fprintf(stderr, "%s: --expires-in must be longer than 0s\n", r->prog);
    return 2;
  }
  if ((code = remote_path_id(path, sizeof path, r->prog, "an app", app, "/keys")) != 0)
    return code;

  body = json_object();
  if (body == NULL) goto bad_text;
  if (env != NULL && json_object_set_new(body, "environment", json_string(env)) != 0)
    goto bad_text;
  if (name != NULL && json_object_set_new(body, "name", json_string(name)) != 0) goto bad_text;
  if (prefix != NULL && json_object_set_new(body, "prefix", json_string(prefix)) != 0)
    goto bad_text;
  if (expires != NULL &&
      json_object_set_new(body, "expires_at", json_integer((json_int_t)time(NULL) + ttl)) != 0)
    goto bad_text;
  for (int i = 0; i < a->nopts; i++) {
    if (strcmp(a->opts[i].name, "scope") != 0) continue;
    if (scopes == NULL && (scopes = json_array()) == NULL) goto bad_text;
    if (json_array_append_new(scopes, json_string(a->opts[i].value)) != 0) goto bad_text;
  }
  if (scopes != NULL && json_object_set(body, "scopes", scopes) != 0) goto bad_text;

  code = remote_call(r, "POST", path, body, &out);
  if (code == 0) code = remote_print_object(r, out, "key");
  if (code == 0) code = remote_print_secret(r, out, "key");
  goto done;
bad_text:
  code = remote_bad_text(r);
done:
  json_decref(scopes);
  json_decref(body);
  json_decref(out);
  return code;
}

/* Names for the ENV column: environment id -> name per account, read once
 * per account with the key list's own connection. Any failure leaves the id
 * in place; the list itself has succeeded. */
typedef struct env_names {
  remote_t *r;
  json_t *by_account; /* account_id -> {env_id: name} */
} env_names_t;

static json_t *load_envs(remote_t *r, const char *account_id) {
  json_t *names = json_object();
  char after[256] = "";
  for (int page = 0; names != NULL && page < ENV_MAX_PAGES; page++) {
    char path[CLIENT_MAX_URL] = "/admin/v1/accounts";
    client_resp_t resp;
    if (remote_path_id(path, sizeof path, r->prog, "an account", account_id, "/environments") ||
        remote_query(path, sizeof path, "limit", "100") ||
        (after[0] && remote_query(path, sizeof path, "after", after)) ||
        client_request(&r->client, "GET", path, NULL, &resp) != CUSTOS_OK)
      break;
    json_t *data = json_object_get(resp.json, "data"), *e;
    size_t i;
    if (resp.status == 200)
      json_array_foreach(data, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        json_t *n = json_object_get(e, "name");
        if (id && json_is_string(n)) json_object_set(names, id, n);
      }
    const char *next = json_string_value(json_object_get(resp.json, "next"));
    int more = resp.status == 200 && next && next[0] && strlen(next) < sizeof after &&
               strcmp(next, after) != 0;
    if (more) snprintf(after, sizeof after, "%s", next);
    json_decref(resp.json);
    if (!more) break;
  }
  return names;
}

static char *env_name(void *ctx, const remote_col_t *col, const json_t *item, const char *text) {
  env_names_t *en = ctx;
  const char *account = json_string_value(json_object_get(item, "account_id"));
  if (strcmp(col->field, "environment_id") != 0 || account == NULL || en->by_account == NULL)
    return NULL;
  json_t *names = json_object_get(en->by_account, account);
  if (names == NULL) {
    names = load_envs(en->r, account);
    if (names == NULL || json_object_set_new(en->by_account, account, names) != 0) return NULL;
  }
  const char *name = json_string_value(json_object_get(names, text));
  return name ? strdup(name) : NULL;
}

static int list(remote_t *r, const remote_args_t *a) {
  const char *app = remote_opt(a, "app");
  char path[CLIENT_MAX_URL] = "/admin/v1/apps";
  if (app == NULL) {
    fprintf(stderr, "%s: --app is required\n", r->prog);
    return 2;
  }
  int code = remote_path_id(path, sizeof path, r->prog, "an app", app, "/keys");
  if (code != 0) return code;
  env_names_t en = {r, json_object()};
  code = remote_list(r, path, COLS, sizeof COLS / sizeof *COLS, env_name, &en);
  json_decref(en.by_account);
  return code;
}

static int show(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *out = NULL;
  int code = key_path(r, a->pos[1], NULL, path, sizeof path);
  if (code == 0) code = remote_call(r, "GET", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

static int rotate(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  const char *grace = remote_opt(a, "grace");
  json_t *body = NULL, *out = NULL;
  int64_t secs = 0;
  if (grace != NULL && remote_duration_opt(r, "grace", grace, &secs) != 0) return 2;
  int code = key_path(r, a->pos[1], "/rotate", path, sizeof path);
  if (code != 0) return code;
  body = grace ? json_pack("{s:I}", "grace_seconds", (json_int_t)secs) : json_object();
  if (body == NULL) return remote_bad_text(r);
  code = remote_call(r, "POST", path, body, &out);
  if (code == 0) code = remote_print_rotation(r, out, "key", "key", "key");
  json_decref(body);
  json_decref(out);
  return code;
}

static int revoke(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *out = NULL;
  int code = key_path(r, a->pos[1], "/revoke", path, sizeof path);
  if (code == 0) code = remote_call(r, "POST", path, NULL, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
  json_decref(out);
  return code;
}

static int scopes(remote_t *r, const remote_args_t *a) {
  char path[CLIENT_MAX_URL];
  json_t *list = json_array(), *body = NULL, *out = NULL;
  int code = key_path(r, a->pos[1], NULL, path, sizeof path);
  if (code != 0) goto out;
  for (int i = 2; list != NULL && i < a->npos; i++)
    if (json_array_append_new(list, json_string(a->pos[i])) != 0) {
      json_decref(list);
      list = NULL;
    }
  if (list == NULL || (body = json_pack("{s:O}", "scopes", list)) == NULL) {
    code = remote_bad_text(r);
    goto out;
  }
  code = remote_call(r, "PATCH", path, body, &out);
  if (code == 0) code = remote_print_object(r, out, NULL);
out:
  json_decref(list);
  json_decref(body);
  json_decref(out);
  return code;
}

static const char *const GROUP_OPTS[] = {"app",    "env",   "name", "scope",
                                         "expires-in", "prefix", "grace", NULL};
static const char *const CREATE_OPTS[] = {"app", "env", "name", "scope", "expires-in", "prefix",
                                          NULL};
static const char *const LIST_OPTS[] = {"app", NULL};
static const char *const ROTATE_OPTS[] = {"grace", NULL};

static const remote_verb_t VERBS[] = {
    {"create", 0, 0, CREATE_OPTS, false, create},
    {"list", 0, 0, LIST_OPTS, true, list},
    {"show", 1, 1, NULL, false, show},
    {"rotate", 1, 1, ROTATE_OPTS, false, rotate},
    {"revoke", 1, 1, NULL, false, revoke},
    {"scopes", 2, REMOTE_MAX_ARGS - 1, NULL, false, scopes},
};

int cmd_key(int argc, char **argv) {
  return remote_main(argc, argv, GROUP_OPTS, VERBS, sizeof VERBS / sizeof *VERBS, usage);
}
