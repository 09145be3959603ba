/*
 * custos admin init — create the first admin token (also the way back in
 * after every admin token was revoked), custos admin token … (over the
 * admin API, cmd_admin_token.c), and custos routes — the route table, for
 * tests that compare it with the OpenAPI document.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "auth/apikey.h"
#include "cli/commands.h"
#include "core/config.h"

extern char **environ;

#define ADMIN_INIT_DEFAULT_NAME "initial"
#define ADMIN_INIT_ACTOR "cli:admin-init"
/* Revoked tokens --replace audits one by one; beyond this many (no store
 * has that many admin tokens in practice) one event counts the rest. */
#define ADMIN_REPLACE_LISTED 1000

static void usage(FILE *out) {
  fprintf(out,
          "usage: custos admin init [--name NAME] [--replace] [serve flags: --store URL, --config FILE, …]\n"
          "       custos admin token create|list|show|revoke …  (admin API; --help)\n\n"
          "init creates the first admin token with store access and prints it once on\n"
          "stdout. Only its SHA-256 is stored. Refuses (exit 1) while an active admin\n"
          "token exists, so it also recovers a store whose every token was revoked.\n"
          "--replace revokes every active admin token and creates the new one in one\n"
          "store transaction: for a lost or leaked last token.\n");
}

/* An audit event by this command. The change it records has happened, so
 * a failure is a warning. Steals `detail` (may be NULL). */
static void audit(store_t *s, const char *action, const char *target, json_t *detail) {
  store_audit_t ev;
  memset(&ev, 0, sizeof ev);
  snprintf(ev.actor, sizeof ev.actor, "%s", ADMIN_INIT_ACTOR);
  snprintf(ev.action, sizeof ev.action, "%s", action);
  snprintf(ev.target, sizeof ev.target, "%s", target);
  snprintf(ev.outcome, sizeof ev.outcome, "ok");
  ev.detail_json = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
  if ((detail && !ev.detail_json) || store_audit_append(s, &ev) != 0)
    fprintf(stderr, "custos admin init: warning: audit event %s on %s not recorded\n", action, target);
  free(ev.detail_json);
  json_decref(detail);
}

/* The first token: only while none is active. 0, or 1 with the reason
 * on stderr. */
static int create_first(store_t *s, store_admin_token_t *t) {
  /* Checked and created in one store transaction: of concurrent inits on
   * one store, exactly one gets a token. */
  int rc = store_admin_token_create_first(s, t);
  if (rc == CUSTOS_EDENIED) {
    int64_t active = 0;
    if (store_admin_token_count_active(s, &active) == 0)
      fprintf(stderr, "custos admin init: refused: %lld active admin token(s) already exist; ", (long long)active);
    else
      fprintf(stderr, "custos admin init: refused: an active admin token already exists; ");
    fprintf(stderr, "use one of them with the admin API (custos admin token …), or --replace them\n");
    return 1;
  }
  if (rc != 0) {
    fprintf(stderr, "custos admin init: cannot store the token: %s\n", custos_strerror(rc));
    return 1;
  }
  audit(s, "admin_token.create", t->id, NULL);
  return 0;
}

/* --replace: every active token revoked and `t` created, one transaction;
 * each revocation audited as the admin API's forced revoke is. 0 or 1. */
static int replace_all(store_t *s, store_admin_token_t *t) {
  int n = 0;
  store_admin_token_t *old = calloc(ADMIN_REPLACE_LISTED, sizeof *old);
  int rc = old ? store_admin_token_replace(s, t, old, ADMIN_REPLACE_LISTED, &n) : CUSTOS_ENOMEM;
  if (rc != 0) {
    fprintf(stderr, "custos admin init: cannot replace the admin tokens: %s\n", custos_strerror(rc));
    free(old);
    return 1;
  }
  for (int i = 0; i < n && i < ADMIN_REPLACE_LISTED; i++)
    audit(s, "admin_token.revoke", old[i].id,
          json_pack("{s:s,s:b,s:s}", "name", old[i].name, "forced", 1, "replaced_by", t->id));
  if (n > ADMIN_REPLACE_LISTED)
    audit(s, "admin_token.revoke", "", json_pack("{s:i,s:s}", "unlisted", n - ADMIN_REPLACE_LISTED, "replaced_by", t->id));
  audit(s, "admin_token.create", t->id, json_pack("{s:s,s:i}", "name", t->name, "replaced", n));
  fprintf(stderr, "%d active admin token(s) revoked\n", n);
  OPENSSL_cleanse(old, (size_t)ADMIN_REPLACE_LISTED * sizeof *old);
  free(old);
  return 0;
}

/* Opens the store the way `custos serve` does: development migrates by
 * itself, production only checks the schema version. */
static int open_store(const config_t *c, store_t **out) {
  char err[512] = "";
  store_opts_t so = {.pool_size = 1};
  store_t *s = NULL;
  if (store_open(c->store_url, &so, &s, err, sizeof err) != 0) {
    fprintf(stderr, "custos admin: %s\n", err);
    return -1;
  }
  if (strcmp(c->mode, "production") != 0) {
    int applied = 0;
    int v = 0;
    if (!(store_schema_version(s, &v) == 0 && v > store_binary_schema_version()) &&
        store_migrate(s, &applied) != 0) {
      fprintf(stderr, "custos admin: store: migration failed\n");
      store_close(s);
      return -1;
    }
  }
  if (store_check_version(s, err, sizeof err) != 0) {
    fprintf(stderr, "custos admin: store: %s\n", err);
    store_close(s);
    return -1;
  }
  *out = s;
  return 0;
}

static int admin_init(int argc, char **argv) {
  /* argv[0] is "init". Take --name out; the rest are serve's flags. */
  const char *name = ADMIN_INIT_DEFAULT_NAME;
  bool replace = false;
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  if (!rest) return 1;
  int n = 0;
  rest[n++] = argv[0];
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
      name = argv[++i];
    } else if (strcmp(argv[i], "--replace") == 0) {
      replace = true;
    } else if (strncmp(argv[i], "--name=", 7) == 0) {
      name = argv[i] + 7;
    } else if (strcmp(argv[i], "--name") == 0) {
      fprintf(stderr, "custos admin init: --name needs a value\n");
      free(rest);
      return 2;
    } else {
      rest[n++] = argv[i];
    }
  }
  config_t cfg;
  config_problems_t probs;
  config_problems_init(&probs);
  int argi = 0;
  int rc = config_from_args(&cfg, n, rest, environ, &probs, &argi);
  int code = 1;
  store_t *s = NULL;
  char text[APIKEY_TEXT_MAX] = "";
  if (rc == CONFIG_HELP) {
    usage(stdout);
    free(rest);
    return 0;
  }
  if (rc != 0) {
    config_problems_print(&probs, probs.file, stderr);
    free(rest);
    return 2;
  }
  if (argi < n) {
    fprintf(stderr, "custos admin init: unexpected argument '%s'\n", rest[argi]);
    code = 2;
    goto out;
  }
  size_t nlen = strlen(name);
  if (nlen < 1 || nlen > STORE_NAME_LEN_MAX) {
    fprintf(stderr, "custos admin init: --name must be 1 to %d bytes\n", STORE_NAME_LEN_MAX);
    code = 2;
    goto out;
  }
  if (open_store(&cfg, &s) != 0) goto out;
  store_admin_token_t t;
  memset(&t, 0, sizeof t);
  snprintf(t.name, sizeof t.name, "%s", name);
  if (apikey_generate(ADMIN_TOKEN_PREFIX, text) != 0) {
    fprintf(stderr, "custos admin init: cannot generate a token\n");
    goto out;
  }
  apikey_hash(text, strlen(text), t.hash);
  rc = replace ? replace_all(s, &t) : create_first(s, &t);
  OPENSSL_cleanse(t.hash, sizeof t.hash);
  if (rc != 0) goto out;
  printf("%s\n", text);
  fflush(stdout);
  fprintf(stderr, "admin token %s (\"%s\") created; it is shown only this once\n", t.id, t.name);
  code = 0;
out:
  OPENSSL_cleanse(text, sizeof text);
  store_close(s);
  config_wipe(&cfg);
  free(rest);
  return code;
}

int cmd_admin(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "init") == 0) return admin_init(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "token") == 0) return cmd_admin_token(argc - 1, argv + 1);
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  usage(stderr);
  return 2;
}

int cmd_routes(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    fprintf(stderr, "usage: custos routes\n");
    return 2;
  }
  app_t *a = calloc(1, sizeof *a);
  if (!a || app_routes(a) != 0) {
    free(a);
    return 1;
  }
  static const struct { unsigned m; const char *name; } M[] = {
      {HTTP_GET, "GET"}, {HTTP_POST, "POST"}, {HTTP_PUT, "PUT"}, {HTTP_PATCH, "PATCH"}, {HTTP_DELETE, "DELETE"},
  };
  for (int i = 0; i < a->router.n; i++)
    for (size_t j = 0; j < sizeof M / sizeof *M; j++)
      if (a->router.routes[i].methods & M[j].m) printf("%s %s\n", M[j].name, a->router.routes[i].pattern);
  free(a);
  return 0;
}
