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

static void usage(FILE *out) {
  fprintf(out,
          "usage: custos admin init [--name NAME] [serve flags: --store URL, --config FILE, …]\n"
          "       custos admin token create|list|show|revoke …  (admin API; --help)\n\n"
          "init creates the first admin token with store access and prints it once on\n"
          "stdout. Only its SHA-256 is stored. Refuses (exit 1) while an active admin\n"
          "token exists, so it also recovers a store whose every token was revoked.\n");
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
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  if (!rest) return 1;
  int n = 0;
  rest[n++] = argv[0];
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
      name = argv[++i];
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
  /* Checked and created in one store transaction: of concurrent inits on
   * one store, exactly one gets a token. */
  rc = store_admin_token_create_first(s, &t);
  OPENSSL_cleanse(t.hash, sizeof t.hash);
  if (rc == CUSTOS_EDENIED) {
    int64_t active = 0;
    if (store_admin_token_count_active(s, &active) == 0)
      fprintf(stderr, "custos admin init: refused: %lld active admin token(s) already exist; ", (long long)active);
    else
      fprintf(stderr, "custos admin init: refused: an active admin token already exists; ");
    fprintf(stderr, "use one of them with the admin API (custos admin token …)\n");
    goto out;
  }
  if (rc != 0) {
    fprintf(stderr, "custos admin init: cannot store the token: %s\n", custos_strerror(rc));
    goto out;
  }
  store_audit_t ev;
  memset(&ev, 0, sizeof ev);
  snprintf(ev.actor, sizeof ev.actor, "cli:admin-init");
  snprintf(ev.action, sizeof ev.action, "admin_token.create");
  snprintf(ev.target, sizeof ev.target, "%s", t.id);
  snprintf(ev.outcome, sizeof ev.outcome, "ok");
  if (store_audit_append(s, &ev) != 0) fprintf(stderr, "custos admin init: warning: audit event not recorded\n");
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
