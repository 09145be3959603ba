/*
 * custos keys — the signing keys in the store, opened directly (like
 * `custos demo`, with the same --store/--config flags):
 *
 *   custos keys list [--json]          every key, newest first; a retired
 *                                      key whose private half was purged
 *                                      shows its purge time
 *   custos keys rotate [--alg ALG]     one rotation per alg (default: each
 *                                      alg in signing.algs), then a
 *                                      notification so running nodes reload
 *   custos keys sign --alg ALG CLAIMS  test aid: sign the JSON object CLAIMS
 *                                      with the active key and print the JWT
 *
 * The master key comes from CUSTOS_MASTER_KEY or secrets.master_key_file;
 * unlike `custos serve` in development mode this never creates one, since
 * keys sealed under a new master key would be unreadable to the server.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "core/config.h"
#include "core/masterkey.h"
#include "jose/signer.h"
#include "store/store.h"

extern char **environ;

#define MAX_ARGS 64

static void usage(FILE *f) {
  fprintf(f,
          "usage: custos keys list [--json] [flags]\n"
          "       custos keys rotate [--alg ALG] [flags]\n"
          "       custos keys sign --alg ALG CLAIMS_JSON [flags]   (test aid)\n\n"
          "Signing keys in the store. rotate retires the active key, activates the\n"
          "next one and creates a new next key (default: each alg in signing.algs),\n"
          "then notifies running nodes. ALG: RS256 RS384 RS512 PS256 PS384 PS512\n"
          "ES256 ES384 EdDSA. sign prints a JWT signed with the active key (for\n"
          "tests; real tokens come from the token endpoints).\n\n");
  config_flags_usage(f);
}

typedef struct opts {
  const char *sub;   /* "list" | "rotate" | "sign" */
  bool json;         /* --json */
  const char *alg;   /* --alg value or NULL */
  const char *claims; /* sign's positional argument */
  config_t cfg;
} opts_t;

/* Splits our own flags from the config flags and loads the config. Returns
 * -1 to continue, else an exit code. */
static int parse(int argc, char **argv, opts_t *o) {
  char *rest[MAX_ARGS];
  int nrest = 0, argi = 0;
  config_problems_t probs;
  config_problems_init(&probs);
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  o->sub = argv[1];
  if (strcmp(o->sub, "list") != 0 && strcmp(o->sub, "rotate") != 0 && strcmp(o->sub, "sign") != 0) {
    fprintf(stderr, "custos keys: unknown subcommand '%s'\n", o->sub);
    usage(stderr);
    return 2;
  }
  if (argc > MAX_ARGS) {
    fprintf(stderr, "custos keys: too many arguments\n");
    return 2;
  }
  rest[nrest++] = argv[0];
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      o->json = true;
    } else if (strcmp(argv[i], "--alg") == 0 && i + 1 < argc) {
      o->alg = argv[++i];
    } else if (strncmp(argv[i], "--alg=", 6) == 0) {
      o->alg = argv[i] + 6;
    } else if (argv[i][strspn(argv[i], " \t\n")] == '{' && !o->claims) {
      /* sign's CLAIMS_JSON, wherever it stands among the flags */
      o->claims = argv[i];
    } else {
      rest[nrest++] = argv[i];
    }
  }
  rest[nrest] = NULL;
  int rc = config_from_args(&o->cfg, nrest, rest, environ, &probs, &argi);
  if (rc == CONFIG_HELP) {
    usage(stdout);
    return 0;
  }
  if (rc != 0) {
    config_problems_print(&probs, probs.file, stderr);
    return 2;
  }
  bool is_sign = strcmp(o->sub, "sign") == 0;
  if ((o->json && strcmp(o->sub, "list") != 0) || (o->alg && strcmp(o->sub, "list") == 0) ||
      (is_sign ? !(o->alg && o->claims) : o->claims != NULL) || argi != nrest) {
    usage(stderr);
    config_wipe(&o->cfg);
    return 2;
  }
  return -1;
}

/* CUSTOS_MASTER_KEY, else the key file (never created here). */
static int master_key(const config_t *c, unsigned char key[MASTERKEY_LEN]) {
  char err[512];
  if (c->master_key_hex[0]) {
    if (masterkey_from_hex(c->master_key_hex, key) != 0) {
      fprintf(stderr, "custos keys: CUSTOS_MASTER_KEY must be 64 hex characters\n");
      return -1;
    }
    return 0;
  }
  if (!c->master_key_file[0]) {
    fprintf(stderr, "custos keys: no master key: set CUSTOS_MASTER_KEY or secrets.master_key_file\n");
    return -1;
  }
  if (masterkey_load_or_create(c->master_key_file, false, key, err, sizeof err) != 0) {
    fprintf(stderr, "custos keys: master key: %s\n", err);
    return -1;
  }
  return 0;
}

static void fmt_time(int64_t t, char *out, size_t n) {
  struct tm tm;
  time_t tt = (time_t)t;
  if (t <= 0 || !gmtime_r(&tt, &tm)) {
    snprintf(out, n, "-");
    return;
  }
  strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *time_json(int64_t t) { return t > 0 ? json_integer(t) : json_null(); }

static int list(store_t *s, bool as_json) {
  store_signing_key_t *rows = calloc(STORE_LIST_MAX, sizeof *rows);
  int n = 0, rc;
  if (!rows) return 1;
  if ((rc = store_signing_key_list(s, NULL, STORE_LIST_MAX, rows, &n))) {
    fprintf(stderr, "custos keys: cannot list signing keys: %s\n", custos_strerror(rc));
    free(rows);
    return 1;
  }
  int code = 0;
  if (as_json) {
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++) {
      json_t *jwk = json_loads(rows[i].public_jwk, 0, NULL);
      json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "kid", rows[i].kid, "alg",
                            rows[i].alg, "state", rows[i].state, "created_at",
                            time_json(rows[i].created_at), "activated_at",
                            time_json(rows[i].activated_at), "retired_at",
                            time_json(rows[i].retired_at), "purged_at",
                            time_json(rows[i].purged_at), "public_jwk",
                            jwk ? jwk : json_null());
      if (!o || json_array_append_new(arr, o) != 0) code = 1;
    }
    char *text = arr && !code ? json_dumps(arr, JSON_INDENT(2)) : NULL;
    if (text) {
      printf("%s\n", text);
    } else {
      fprintf(stderr, "custos keys: out of memory\n");
      code = 1;
    }
    free(text);
    json_decref(arr);
  } else {
    printf("%-44s %-6s %-8s %-21s %-21s %-21s %s\n", "KID", "ALG", "STATE", "CREATED",
           "ACTIVATED", "RETIRED", "PURGED");
    for (int i = 0; i < n; i++) {
      char c[32], a[32], r[32], p[32];
      fmt_time(rows[i].created_at, c, sizeof c);
      fmt_time(rows[i].activated_at, a, sizeof a);
      fmt_time(rows[i].retired_at, r, sizeof r);
      fmt_time(rows[i].purged_at, p, sizeof p);
      printf("%-44s %-6s %-8s %-21s %-21s %-21s %s\n", rows[i].kid, rows[i].alg, rows[i].state, c,
             a, r, p);
    }
  }
  for (int i = 0; i < n; i++) store_signing_key_cleanup(&rows[i]);
  free(rows);
  return code;
}

static int rotate(store_t *s, const unsigned char *mk, const opts_t *o) {
  jose_alg_t algs[JOSE_ALG_COUNT_];
  size_t nalgs = 0;
  const char *list_text = o->alg ? o->alg : o->cfg.signing_algs;
  if (signer_parse_algs(list_text, algs, JOSE_ALG_COUNT_, &nalgs) != 0) {
    fprintf(stderr, "custos keys: unknown algorithm in \"%s\"\n", list_text);
    return 2;
  }
  for (size_t i = 0; i < nalgs; i++) {
    store_signing_key_t row;
    int rc = signer_rotate(s, mk, algs[i], 0, &row);
    if (rc) {
      fprintf(stderr, "custos keys: rotating %s failed: %s\n", jose_alg_name(algs[i]),
              custos_strerror(rc));
      return 1;
    }
    printf("%s: new %s key %s\n", row.alg, row.state, row.kid);
  }
  return 0;
}

static int sign(store_t *s, const unsigned char *mk, const opts_t *o) {
  jose_alg_t alg;
  size_t n = 0;
  signer_t *sg = NULL;
  char err[512], *token = NULL;
  json_error_t jerr;
  int code = 1;
  if (signer_parse_algs(o->alg, &alg, 1, &n) != 0) {
    fprintf(stderr, "custos keys: unknown algorithm \"%s\"\n", o->alg);
    return 2;
  }
  json_t *claims = json_loads(o->claims, JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object(claims)) {
    fprintf(stderr, "custos keys: CLAIMS_JSON must be a JSON object\n");
    json_decref(claims);
    return 2;
  }
  /* The configured retired_keep: this signer purges what it finds aged
   * out, and must not purge a key the servers still publish. */
  signer_opts_t so = {.no_listen = true, .poll_ms = -1,
                      .retired_keep = o->cfg.signing_retired_keep_s};
  int rc = signer_new(s, mk, &so, &sg, err, sizeof err);
  if (rc) {
    fprintf(stderr, "custos keys: %s\n", err);
  } else if ((rc = signer_sign(sg, alg, claims, NULL, &token))) {
    fprintf(stderr, "custos keys: cannot sign with %s: %s\n", o->alg, custos_strerror(rc));
  } else {
    printf("%s\n", token);
    code = 0;
  }
  free(token);
  signer_free(sg);
  json_decref(claims);
  return code;
}

int cmd_keys(int argc, char **argv) {
  opts_t o = {0};
  unsigned char mk[MASTERKEY_LEN];
  store_t *s = NULL;
  char err[512];
  int code = parse(argc, argv, &o);
  if (code >= 0) return code;
  code = 1;
  store_opts_t so = {.pool_size = 1};
  if (store_open(o.cfg.store_url, &so, &s, err, sizeof err) != 0) {
    fprintf(stderr, "custos keys: %s\n", err);
    goto out;
  }
  if (store_check_version(s, err, sizeof err) != 0) {
    fprintf(stderr, "custos keys: %s\n", err);
    goto out;
  }
  if (strcmp(o.sub, "list") == 0) {
    code = list(s, o.json);
    goto out;
  }
  if (master_key(&o.cfg, mk) != 0) goto out;
  code = strcmp(o.sub, "rotate") == 0 ? rotate(s, mk, &o) : sign(s, mk, &o);
  OPENSSL_cleanse(mk, sizeof mk);
out:
  store_close(s);
  config_wipe(&o.cfg);
  return code;
}
