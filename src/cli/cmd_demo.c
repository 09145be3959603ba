/*
 * custos demo — create, once, a demo account and app in the configured
 * store, plus a fresh API key on every run, and print them: what `make run`
 * shows a new user. Running it again finds the same account and app; the
 * key is new each time because a key's text is shown only when created.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/config.h"
#include "auth/apikey.h"
#include "store/store.h"

extern char **environ;

#define DEMO_ACCOUNT "demo"
#define DEMO_APP "demo-app"

static int find_account(store_t *s, store_account_t *out) {
  store_account_t page[100];
  char after[RAND_ID_MAX] = "";
  for (;;) {
    int n = 0;
    if (store_account_list(s, after[0] ? after : NULL, 100, page, &n) != 0) return -1;
    for (int i = 0; i < n; i++)
      if (strcmp(page[i].name, DEMO_ACCOUNT) == 0) {
        *out = page[i];
        return 1;
      }
    if (n < 100) return 0;
    snprintf(after, sizeof after, "%s", page[n - 1].id);
  }
}

static int find_app(store_t *s, const char *account_id, store_app_t *out) {
  store_app_t page[100];
  char after[RAND_ID_MAX] = "";
  for (;;) {
    int n = 0;
    if (store_app_list(s, account_id, after[0] ? after : NULL, 100, page, &n) != 0) return -1;
    for (int i = 0; i < n; i++)
      if (strcmp(page[i].name, DEMO_APP) == 0) {
        *out = page[i];
        return 1;
      }
    if (n < 100) return 0;
    snprintf(after, sizeof after, "%s", page[n - 1].id);
  }
}

static int audit(store_t *s, const char *action, const char *target) {
  store_audit_t ev = {0};
  snprintf(ev.actor, sizeof ev.actor, "cli:demo");
  snprintf(ev.action, sizeof ev.action, "%s", action);
  snprintf(ev.target, sizeof ev.target, "%s", target);
  snprintf(ev.outcome, sizeof ev.outcome, "success");
  return store_audit_append(s, &ev);
}

/* A new CORE_ACCESS key for the app in the account's development
 * environment; its text goes to `text`, only its hash to the store. */
static int create_key(store_t *s, const store_app_t *app, char text[APIKEY_TEXT_MAX]) {
  store_environment_t envs[16];
  int n = 0;
  if (store_environment_list(s, app->account_id, NULL, 16, envs, &n) != 0) return -1;
  const char *env_id = NULL;
  for (int i = 0; i < n; i++)
    if (strcmp(envs[i].name, "development") == 0) env_id = envs[i].id;
  if (!env_id) return -1;
  if (apikey_generate(apikey_default_prefix(app->profile), text) != 0) return -1;
  store_api_key_t k = {0};
  snprintf(k.app_id, sizeof k.app_id, "%s", app->id);
  snprintf(k.environment_id, sizeof k.environment_id, "%s", env_id);
  snprintf(k.kind, sizeof k.kind, "api_key");
  snprintf(k.name, sizeof k.name, "demo");
  snprintf(k.scopes, sizeof k.scopes, "CORE_ACCESS");
  apikey_hash(text, strlen(text), k.hash);
  apikey_start(text, strlen(text), k.start);
  if (store_api_key_create(s, &k) != 0) return -1;
  return audit(s, "key.create", k.id);
}

int cmd_demo(int argc, char **argv) {
  config_t cfg;
  config_problems_t probs;
  config_problems_init(&probs);
  int rc = config_from_args(&cfg, argc, argv, environ, &probs, NULL);
  if (rc == CONFIG_HELP) {
    printf("usage: custos demo [serve flags: --store URL, --config FILE, …]\n");
    return 0;
  }
  if (rc != 0) {
    config_problems_print(&probs, probs.file, stderr);
    return 2;
  }
  char err[512];
  store_t *s = NULL;
  int code = 1;
  store_opts_t so = {.pool_size = 1};
  if (store_open(cfg.store_url, &so, &s, err, sizeof err) != 0) {
    fprintf(stderr, "custos demo: %s\n", err);
    goto out;
  }
  int applied = 0;
  if (store_migrate(s, &applied) != 0 || store_check_version(s, err, sizeof err) != 0) {
    fprintf(stderr, "custos demo: %s\n", err[0] ? err : "migration failed");
    goto out;
  }
  store_account_t acct;
  store_app_t app;
  int found = find_account(s, &acct);
  if (found < 0) goto store_fail;
  if (!found) {
    if (store_account_create(s, DEMO_ACCOUNT, &acct) != 0) goto store_fail;
    if (audit(s, "account.create", acct.id) != 0) goto store_fail;
  }
  found = find_app(s, acct.id, &app);
  if (found < 0) goto store_fail;
  if (!found) {
    if (store_app_create(s, acct.id, DEMO_APP, "custos", &app) != 0) goto store_fail;
    if (audit(s, "app.create", app.id) != 0) goto store_fail;
  }
  char key[APIKEY_TEXT_MAX];
  if (create_key(s, &app, key) != 0) goto store_fail;
  printf("demo account: %s  (name \"%s\")\n", acct.id, acct.name);
  printf("demo app:     %s  (name \"%s\", profile %s)\n", app.id, app.name, app.profile);
  printf("demo API key: %s  (scope CORE_ACCESS; shown once, a new one each run)\n", key);
  OPENSSL_cleanse(key, sizeof key);
  code = 0;
  goto out;
store_fail:
  fprintf(stderr, "custos demo: store operation failed\n");
out:
  store_close(s);
  config_wipe(&cfg);
  return code;
}
