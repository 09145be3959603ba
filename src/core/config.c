#include "core/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/config_schema.h"
#include "core/yamlcfg.h"
#include "custos.h"

/* ---- schema ------------------------------------------------------------ */

static const char *const modes[] = {"development", "production", NULL};
static const char *const levels[] = {"debug", "info", "warn", "error", NULL};

#define F(field) offsetof(config_t, field), sizeof(((config_t *)0)->field)

/* Order matters: it is the order of the example file and `config show`,
 * grouped by section. */
const cfgkey_t config_keys[] = {
    {"mode", NULL, "mode", K_ENUM, F(mode), 0, 0, modes,
     "development | production. Production refuses to start without a master key\n"
     "(CUSTOS_MASTER_KEY or secrets.master_key_file)."},
    {"server.listen", "CUSTOS_LISTEN", "listen", K_LISTEN, F(listen), 0, 0, NULL,
     "host:port to listen on. IPv6 in brackets and quoted: \"[::1]:8080\".\n"
     "Port 0 picks a free port. All interfaces: \"0.0.0.0:8080\"."},
    {"server.threads", NULL, "threads", K_INT, F(threads), 0, 256, NULL,
     "Worker threads, 0 = one per CPU core. 0..256."},
    {"server.limits.max_body_bytes", NULL, "max-body-bytes", K_SIZE, F(max_body_bytes), 1024,
     16777216, NULL, "Largest request body. Sizes: 65536, 64KiB, 1MiB. 1KiB..16MiB."},
    {"server.limits.max_header_bytes", NULL, NULL, K_SIZE, F(max_header_bytes), 1024, 1048576,
     NULL, "Largest request head (request line + all headers). 1KiB..1MiB."},
    {"server.limits.max_headers", NULL, NULL, K_INT, F(max_headers), 1, 256, NULL,
     "Most header fields in one request. 1..256."},
    {"server.limits.json_max_depth", NULL, NULL, K_INT, F(json_max_depth), 1, 256, NULL,
     "Deepest JSON nesting accepted in a request body. 1..256."},
    {"server.connection_timeout", NULL, NULL, K_SECONDS, F(connection_timeout_s), 1, 3600, NULL,
     "Idle connection timeout. Durations: 30s, 2m, 500ms; bare number = seconds. 1s..1h."},
    {"server.shutdown_grace", NULL, NULL, K_MILLIS, F(shutdown_grace_ms), 0, 600000, NULL,
     "How long in-flight requests may finish on shutdown; bare number = ms. 0..10m."},
    {"store.url", NULL, "store", K_URL, F(store_url), 0, 0, NULL,
     "sqlite:PATH (one node) or postgres://user@host/db (many nodes).\n"
     "Prefer CUSTOS_STORE_URL for a URL holding a password."},
    {"store.pool", NULL, NULL, K_INT, F(store_pool), 1, 256, NULL,
     "Database connections per node. 1..256."},
    {"secrets.master_key_file", NULL, "master-key-file", K_PATH, F(master_key_file), 0, 0, NULL,
     "File holding the 32-byte master key that encrypts signing keys at rest.\n"
     "CUSTOS_MASTER_KEY (64 hex characters) overrides it; the key itself is\n"
     "never read from this file's YAML. \"\" = no key file."},
    {"keys.rate_per_second", NULL, NULL, K_INT, F(key_rate_per_s), 1, 1000000, NULL,
     "Requests per second one API key may make (token bucket refill). 1..1000000."},
    {"keys.burst", NULL, NULL, K_INT, F(key_burst), 1, 1000000, NULL,
     "Requests one API key may make at once before rate_per_second applies. 1..1000000."},
    {"signing.algs", NULL, NULL, K_PATH, F(signing_algs), 0, 0, NULL,
     "Algorithms custos signs tokens with, comma-separated; each gets an active\n"
     "and a next key at start-up when it has none. RS256, RS384, RS512, PS256,\n"
     "PS384, PS512, ES256, ES384, EdDSA."},
    {"signing.retired_keep", NULL, NULL, K_SECONDS, F(signing_retired_keep_s), 60, 31536000, NULL,
     "How long a retired signing key stays in the JWKS, so tokens it signed\n"
     "still verify: at least the longest token lifetime. 1m..365d."},
    {"policy.file", NULL, NULL, K_PATH, F(policy_file), 0, 0, NULL,
     "Route policies for the gateway check (/v1/check): a YAML file of\n"
     "method + path pattern -> profile, class, scopes (docs/operations.md).\n"
     "Checked at start; `custos policy check FILE` lists its problems.\n"
     "\"\" = none: /v1/check refuses every route."},
    {"assetpay.reject_partner_mismatch", NULL, NULL, K_BOOL, F(ap_reject_partner_mismatch), 0, 0,
     NULL,
     "Refuse /auth/authenticate-client when the trade URL's partner is not the\n"
     "Steam ID's account (steamID64 - 76561197960265728). Off by default: the\n"
     "AssetPay docs' own example pairs do not match. true | false."},
    {"assetpay.secret_grace", NULL, NULL, K_SECONDS, F(ap_secret_grace_s), 0, 2592000, NULL,
     "How long a rotated-out merchant API secret still verifies client tokens. 0..30d."},
    {"assetpay.risk.base_limit", NULL, NULL, K_INT, F(ap_risk_base_limit), 0, 1000000000, NULL,
     "Collateral limit (USD) with no clientData at all. See docs/profiles/assetpay.md."},
    {"assetpay.risk.kyc_bonus", NULL, NULL, K_INT, F(ap_risk_kyc_bonus), 0, 1000000000, NULL,
     "USD added per KYC level (0..3)."},
    {"assetpay.risk.method_bonus", NULL, NULL, K_INT, F(ap_risk_method_bonus), 0, 1000000000,
     NULL, "USD added per payment method used (fiatDeposits, cryptoDeposits)."},
    {"assetpay.risk.wager_percent", NULL, NULL, K_INT, F(ap_risk_wager_percent), 0, 100, NULL,
     "Percent of the counted totalWager added to the limit. 0..100."},
    {"assetpay.risk.wager_ceiling", NULL, NULL, K_INT, F(ap_risk_wager_ceiling), 0, 1000000000,
     NULL,
     "Wager (USD) counted at KYC 0 with no payment methods; multiplied by\n"
     "(1 + kycLevel) * (1 + methods)."},
    {"assetpay.risk.top_boost", NULL, NULL, K_INT, F(ap_risk_top_boost), 1, 100, NULL,
     "Extra wager-ceiling multiplier at KYC 3 with both payment methods. 1..100."},
    {"openledger.issuer", NULL, NULL, K_PATH, F(ol_issuer), 0, 0, NULL,
     "\"iss\" of Open Ledger tokens (docs/profiles/openledger.md); checked on\n"
     "every protected request. 1..255 characters."},
    {"openledger.audience", NULL, NULL, K_PATH, F(ol_audience), 0, 0, NULL,
     "\"aud\" of Open Ledger tokens; checked on every protected request.\n"
     "1..255 characters."},
    {"openledger.max_token_lifetime", NULL, NULL, K_SECONDS, F(ol_max_lifetime_s), 60, 2147483647,
     NULL,
     "Longest lifetime of an Open Ledger token, for accounts without their own\n"
     "maximum (admin API: token_max_lifetime). Requested lifetimes are clamped\n"
     "to it. 1m..68y."},
    {"openledger.leeway", NULL, NULL, K_SECONDS, F(ol_leeway_s), 0, 300, NULL,
     "Clock skew allowed when checking an Open Ledger token's exp, nbf and iat.\n"
     "0s..5m."},
    {"log.level", NULL, "log-level", K_ENUM, F(log_level), 0, 0, levels,
     "debug | info | warn | error."},
    {"log.access", NULL, NULL, K_BOOL, F(access_log), 0, 0, NULL,
     "One JSON line per request. true | false."},
};
#undef F

const size_t config_nkeys = sizeof config_keys / sizeof config_keys[0];
#define ENV_MASTER_KEY "CUSTOS_MASTER_KEY"
#define DEFAULT_FILE "./custos.yaml"

static const cfgkey_t *key_find(const char *name) {
  for (size_t i = 0; i < config_nkeys; i++)
    if (strcmp(config_keys[i].name, name) == 0)
      return &config_keys[i];
  return NULL;
}

/* True when `name` is a section ("server", "server.limits"): a proper
 * prefix of some key followed by a dot. */
static bool is_section(const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < config_nkeys; i++)
    if (strncmp(config_keys[i].name, name, n) == 0 && config_keys[i].name[n] == '.')
      return true;
  return false;
}

/* The master key is a secret: it may come only from the environment, where
 * it neither lands in version control (file) nor in `ps` output (flags). */
static bool is_master_key_name(const char *name) {
  return strcmp(name, "secrets.master_key") == 0 || strcmp(name, "secrets.master_key_hex") == 0 ||
         strcmp(name, "master_key") == 0 || strcmp(name, "master_key_hex") == 0;
}

void config__env_name(const cfgkey_t *k, char *out, size_t n) {
  size_t j = (size_t)snprintf(out, n, "CUSTOS_");
  for (const char *s = k->name; *s && j + 1 < n; s++)
    out[j++] = *s == '.' ? '_' : (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
  out[j] = '\0';
}

/* ---- problems ---------------------------------------------------------- */

void config_problems_init(config_problems_t *p) { memset(p, 0, sizeof *p); }

void config_problem_add(config_problems_t *p, int line, const char *source, const char *fmt,
                        ...) {
  if (p->count >= CONFIG_MAX_PROBLEMS) {
    p->dropped++;
    return;
  }
  config_problem_t *e = &p->items[p->count++];
  va_list ap;
  e->line = line;
  snprintf(e->source, sizeof e->source, "%s", source ? source : "file");
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  /* Messages echo input; keep control characters (newlines, escapes) out
   * of the operator's terminal and of one-line-per-problem output. */
  for (char *s = e->message; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      *s = '?';
}

static size_t problems_total(const config_problems_t *p) { return p->count + p->dropped; }

void config_problems_print(const config_problems_t *p, const char *file, FILE *out) {
  if (!file || !*file)
    file = p->file[0] ? p->file : "config";
  for (size_t i = 0; i < p->count; i++) {
    const config_problem_t *e = &p->items[i];
    if (strcmp(e->source, "file") == 0 && e->line > 0)
      fprintf(out, "%s:%d: %s\n", file, e->line, e->message);
    else if (strcmp(e->source, "file") == 0)
      fprintf(out, "%s: %s\n", file, e->message);
    else
      fprintf(out, "%s: %s\n", e->source, e->message);
  }
  if (p->dropped)
    fprintf(out, "... %zu more problems\n", p->dropped);
}

/* Levenshtein distance for "did you mean" hints; inputs are short keys. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  size_t row[PATH_MAX_KEY + 1];
  if (la > PATH_MAX_KEY || lb > PATH_MAX_KEY)
    return SIZE_MAX;
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

const char *config__last_part(const char *s) {
  const char *d = strrchr(s, '.');
  return d ? d + 1 : s;
}

/* Nearest known key or section to `name` into `best` (size PATH_MAX_KEY+1);
 * returns false if nothing is close. A key whose last part matches exactly
 * wins, so a misplaced "listen" points at server.listen. */
static bool nearest_key(const char *name, char *best) {
  char cand[PATH_MAX_KEY + 1];
  size_t best_d = SIZE_MAX;
  for (size_t i = 0; i < config_nkeys; i++) {
    if (strcmp(config__last_part(config_keys[i].name), config__last_part(name)) == 0) {
      snprintf(best, PATH_MAX_KEY + 1, "%s", config_keys[i].name);
      return true;
    }
  }
  for (size_t i = 0; i < config_nkeys; i++) {
    /* Candidates: the key, then each section above it. */
    snprintf(cand, sizeof cand, "%s", config_keys[i].name);
    for (;;) {
      size_t d = edit_distance(name, cand);
      if (d < best_d) {
        best_d = d;
        snprintf(best, PATH_MAX_KEY + 1, "%s", cand);
      }
      char *dot = strrchr(cand, '.');
      if (!dot)
        break;
      *dot = '\0';
    }
  }
  return best_d <= strlen(name) / 3 + 1;
}

static void unknown_key(config_problems_t *p, int line, const char *source, const char *name) {
  char hint[PATH_MAX_KEY + 1];
  if (is_master_key_name(name)) {
    config_problem_add(p, line, source,
                       "%.64s: the master key is read only from the %s environment variable "
                       "(64 hex characters); use secrets.master_key_file for a key file",
                       name, ENV_MASTER_KEY);
    return;
  }
  if (nearest_key(name, hint))
    config_problem_add(p, line, source, "unknown key \"%.64s\" (did you mean \"%s\"?)", name, hint);
  else
    config_problem_add(p, line, source, "unknown key \"%.64s\"", name);
}

/* Sets key `k` from text `v`, reporting a problem as "KEY: reason". */
static int set_reported(config_t *c, const cfgkey_t *k, const char *v, config_problems_t *p,
                        int line, const char *source) {
  char why[200];
  if (config__set_value(c, k, v, why, sizeof why) == 0)
    return 0;
  config_problem_add(p, line, source, "%s: %s", k->name, why);
  return -1;
}

/* ---- defaults ---------------------------------------------------------- */

void config_defaults(config_t *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->mode, sizeof c->mode, "development");
  snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
  c->threads = 0;
  c->max_body_bytes = 65536;
  c->max_header_bytes = 16384;
  c->max_headers = 64;
  c->json_max_depth = 32;
  c->connection_timeout_s = 30;
  c->shutdown_grace_ms = 10000;
  snprintf(c->store_url, sizeof c->store_url, "sqlite:./var/custos.db");
  c->store_pool = 4;
  c->key_rate_per_s = 100;
  c->key_burst = 200;
  c->ap_reject_partner_mismatch = false;
  c->ap_secret_grace_s = 86400;
  c->ap_risk_base_limit = 50;
  c->ap_risk_kyc_bonus = 25;
  c->ap_risk_method_bonus = 25;
  c->ap_risk_wager_percent = 10;
  c->ap_risk_wager_ceiling = 1000;
  c->ap_risk_top_boost = 2;
  snprintf(c->master_key_file, sizeof c->master_key_file, "./var/master.key");
  snprintf(c->signing_algs, sizeof c->signing_algs, "RS256");
  c->signing_retired_keep_s = 7 * 24 * 3600;
  snprintf(c->ol_issuer, sizeof c->ol_issuer, "custos");
  snprintf(c->ol_audience, sizeof c->ol_audience, "openledger");
  c->ol_max_lifetime_s = 3600;
  c->ol_leeway_s = 30;
  snprintf(c->log_level, sizeof c->log_level, "info");
  c->access_log = true;
}

void config_wipe(config_t *c) { OPENSSL_cleanse(c->master_key_hex, sizeof c->master_key_hex); }

/* ---- file -------------------------------------------------------------- */

static bool scalar_is_null(const ynode_t *n) {
  return n->kind == YNODE_SCALAR && n->plain &&
         (n->value[0] == '\0' || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0);
}

static const char *kind_name(ynode_kind_t k) {
  return k == YNODE_MAP ? "a mapping" : k == YNODE_SEQ ? "a sequence" : "a value";
}

static void apply_leaf(config_t *c, const cfgkey_t *k, const ynode_t *n, config_problems_t *p) {
  if (n->kind != YNODE_SCALAR) {
    config_problem_add(p, n->line, "file", "%s: expected a single value, got %s%s", k->name,
                       kind_name(n->kind),
                       k->type == K_LISTEN && n->kind == YNODE_SEQ
                           ? " (quote IPv6 addresses: \"[::1]:8080\")"
                           : "");
    return;
  }
  if (scalar_is_null(n)) {
    config_problem_add(p, n->line, "file", "%s: has no value (give one or delete the line)",
                       k->name);
    return;
  }
  (void)set_reported(c, k, n->value, p, n->line, "file");
}

/* Walks mapping `map` whose entries are under `prefix` ("" at the top). */
static void apply_map(config_t *c, const ynode_t *map, const char *prefix, config_problems_t *p) {
  char path[PATH_MAX_KEY + 1];
  for (const ynode_t *n = map->child; n; n = n->next) {
    if (n->skip)
      continue;
    int w = snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", n->key);
    if (w < 0 || (size_t)w >= sizeof path) {
      config_problem_add(p, n->key_line, "file", "unknown key \"%.64s\"", n->key);
      continue;
    }
    /* YAML has no dotted keys; accepting `server.listen:` as a path would
     * let it and `server: {listen: …}` both set one value unnoticed. */
    if (strchr(n->key, '.')) {
      if (key_find(path) || is_section(path))
        config_problem_add(p, n->key_line, "file",
                           "key \"%.64s\" has a dot: nest it instead (%.*s:, then indented keys)",
                           n->key, (int)strcspn(n->key, "."), n->key);
      else
        unknown_key(p, n->key_line, "file", path);
      continue;
    }
    const cfgkey_t *k = key_find(path);
    if (k) {
      apply_leaf(c, k, n, p);
    } else if (is_section(path)) {
      if (n->kind == YNODE_MAP)
        apply_map(c, n, path, p);
      else if (!scalar_is_null(n)) /* `server:` with everything commented out is fine */
        config_problem_add(p, n->line, "file", "%s: expected a mapping of keys, got %s", path,
                           kind_name(n->kind));
    } else {
      unknown_key(p, n->key_line, "file", path);
    }
  }
}

/* The parser reports some problems (duplicate keys, anchors) before the
 * schema reports others; list this file's problems in line order. Stable
 * insertion sort: at most CONFIG_MAX_PROBLEMS entries. */
static void sort_by_line(config_problems_t *p, size_t from) {
  for (size_t i = from + 1; i < p->count; i++) {
    config_problem_t e = p->items[i];
    size_t j = i;
    for (; j > from && p->items[j - 1].line > e.line; j--)
      p->items[j] = p->items[j - 1];
    p->items[j] = e;
  }
}

int config_load_buffer(config_t *c, const char *data, size_t len, const char *name,
                       config_problems_t *p) {
  config_t tmp = *c;
  ynode_t *root = NULL;
  size_t before = problems_total(p), first = p->count;
  int rc;

  snprintf(p->file, sizeof p->file, "%s", name ? name : "config");
  if (len > CONFIG_MAX_FILE_BYTES) {
    config_problem_add(p, 0, "file", "is %zu bytes; the limit is %d", len, CONFIG_MAX_FILE_BYTES);
    rc = CUSTOS_ETOOBIG;
    goto out;
  }
  rc = yamlcfg_parse(data, len, &root, p);
  if (rc == CUSTOS_ENOMEM)
    goto out;
  /* Apply even after parse problems so schema problems show up too. */
  if (root)
    apply_map(&tmp, root, "", p);
  rc = problems_total(p) == before ? CUSTOS_OK : CUSTOS_EINVAL;
  if (rc == CUSTOS_OK)
    *c = tmp;
  else
    sort_by_line(p, first);

out:
  ynode_free(root);
  OPENSSL_cleanse(&tmp, sizeof tmp);
  return rc;
}

int config_load_file(config_t *c, const char *path, config_problems_t *p) {
  buf_t b;
  FILE *f = NULL;
  char chunk[16384];
  int rc = CUSTOS_OK;

  /* One byte past the limit tells "too big" from "exactly the limit". */
  buf_init(&b, CONFIG_MAX_FILE_BYTES + 1);
  snprintf(p->file, sizeof p->file, "%s", path);
  f = fopen(path, "rb");
  if (!f) {
    config_problem_add(p, 0, "file", "cannot open: %s", strerror(errno));
    rc = CUSTOS_EIO;
    goto out;
  }
  for (;;) {
    size_t n = fread(chunk, 1, sizeof chunk, f);
    if (n > 0 && buf_append(&b, chunk, n) != CUSTOS_OK) {
      /* ETOOBIG or ENOMEM; a config over the limit is refused unparsed. */
      if (b.len + n > CONFIG_MAX_FILE_BYTES) {
        config_problem_add(p, 0, "file", "is larger than the %d-byte limit",
                           CONFIG_MAX_FILE_BYTES);
        rc = CUSTOS_ETOOBIG;
      } else {
        rc = CUSTOS_ENOMEM;
      }
      goto out;
    }
    if (n < sizeof chunk) {
      if (ferror(f)) {
        config_problem_add(p, 0, "file", "cannot read: %s", strerror(errno));
        rc = CUSTOS_EIO;
        goto out;
      }
      break;
    }
  }
  if (b.len > CONFIG_MAX_FILE_BYTES) {
    config_problem_add(p, 0, "file", "is larger than the %d-byte limit", CONFIG_MAX_FILE_BYTES);
    rc = CUSTOS_ETOOBIG;
    goto out;
  }
  rc = config_load_buffer(c, b.data ? b.data : "", b.len, path, p);

out:
  if (f)
    fclose(f);
  buf_cleanup(&b);
  return rc;
}

/* ---- environment ------------------------------------------------------- */

static const char *env_get(char **envp, const char *name) {
  size_t n = strlen(name);
  for (char **e = envp; e && *e; e++)
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
      return *e + n + 1;
  return NULL;
}

/* Reports an unknown CUSTOS_* variable, with the nearest real name. */
static void unknown_env(config_problems_t *p, const char *var, size_t n) {
  char name[PATH_MAX_KEY + 1], cand[PATH_MAX_KEY + 1], best[PATH_MAX_KEY + 1], src[32];
  size_t best_d = SIZE_MAX;
  if (n > PATH_MAX_KEY)
    n = PATH_MAX_KEY;
  memcpy(name, var, n);
  name[n] = '\0';
  snprintf(src, sizeof src, "env %.27s", name);
  if (strncmp(name, "CUSTOS_SECRETS_MASTER_KEY", 25) == 0 && strcmp(name + 25, "_FILE") != 0) {
    config_problem_add(p, 0, src, "unknown config variable; the master key goes in %s",
                       ENV_MASTER_KEY);
    return;
  }
  for (size_t i = 0; i < config_nkeys; i++) {
    config__env_name(&config_keys[i], cand, sizeof cand);
    size_t d = edit_distance(name, cand);
    if (d < best_d) {
      best_d = d;
      memcpy(best, cand, sizeof best);
    }
  }
  if (best_d <= strlen(name) / 3 + 1)
    config_problem_add(p, 0, src, "unknown config variable (did you mean %s?)", best);
  else
    config_problem_add(p, 0, src, "unknown config variable");
}

int config_apply_env(config_t *c, char **envp, config_problems_t *p) {
  config_t tmp = *c;
  size_t before = problems_total(p);
  char name[PATH_MAX_KEY + 1], src[32];
  int rc;

  for (size_t i = 0; i < config_nkeys; i++) {
    const cfgkey_t *k = &config_keys[i];
    config__env_name(k, name, sizeof name);
    /* An empty variable counts as unset: compose files and systemd units
     * often pass VAR= for "not configured". */
    const char *v = env_get(envp, name);
    const char *a = k->alias_env ? env_get(envp, k->alias_env) : NULL;
    if (v && !*v)
      v = NULL;
    if (a && !*a)
      a = NULL;
    if (v && a && strcmp(v, a) != 0) {
      snprintf(src, sizeof src, "env %.27s", k->alias_env);
      config_problem_add(p, 0, src, "conflicts with %s; set only one", name);
      continue;
    }
    if (!v && a)
      snprintf(src, sizeof src, "env %.27s", k->alias_env), v = a;
    else
      snprintf(src, sizeof src, "env %.27s", name);
    if (v)
      (void)set_reported(&tmp, k, v, p, 0, src);
  }

  const char *mk = env_get(envp, ENV_MASTER_KEY);
  if (mk && *mk) {
    /* Never echo the value, not even part of it. */
    if (!config__is_hex64(mk))
      config_problem_add(p, 0, "env " ENV_MASTER_KEY,
                         "must be exactly 64 hex characters (32 bytes); got %zu characters",
                         strlen(mk));
    else
      memcpy(tmp.master_key_hex, mk, 65);
  }

  /* Variables that look like config but match nothing are typos that would
   * otherwise be silently ignored. */
  static const char *const prefixes[] = {"CUSTOS_SERVER_", "CUSTOS_STORE_", "CUSTOS_LOG_",
                                         "CUSTOS_SECRETS_", "CUSTOS_KEYS_", "CUSTOS_SIGNING_",
                                         "CUSTOS_POLICY_", "CUSTOS_ASSETPAY_", "CUSTOS_OPENLEDGER_"};
  for (char **e = envp; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    if (!eq)
      continue;
    size_t n = (size_t)(eq - *e);
    bool configish = false;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
      configish |= strncmp(*e, prefixes[i], strlen(prefixes[i])) == 0;
    if (!configish)
      continue;
    bool known = false;
    for (size_t i = 0; i < config_nkeys && !known; i++) {
      config__env_name(&config_keys[i], name, sizeof name);
      known = strlen(name) == n && strncmp(*e, name, n) == 0;
    }
    if (!known)
      unknown_env(p, *e, n);
  }

  rc = problems_total(p) == before ? CUSTOS_OK : CUSTOS_EINVAL;
  if (rc == CUSTOS_OK)
    *c = tmp;
  OPENSSL_cleanse(&tmp, sizeof tmp);
  return rc;
}

/* ---- flags ------------------------------------------------------------- */

void config_flags_usage(FILE *out) {
  fputs("  --config FILE          config file (default: $CUSTOS_CONFIG, else ./custos.yaml if present)\n"
        "  --listen HOST:PORT     server.listen\n"
        "  --threads N            server.threads (0 = one per core)\n"
        "  --store URL            store.url (sqlite:PATH or postgres://…)\n"
        "  --mode MODE            development | production\n"
        "  --log-level LEVEL      debug | info | warn | error\n"
        "  --master-key-file PATH secrets.master_key_file\n"
        "  --max-body-bytes SIZE  server.limits.max_body_bytes (65536, 64KiB, 1MiB)\n"
        "  --set KEY=VALUE        any config key, e.g. --set server.limits.max_headers=100\n"
        "  -h, --help             this help\n"
        "Precedence: flags > CUSTOS_* environment > config file > defaults.\n",
        out);
}

/*
 * One pass over the flags. With `c` NULL it only checks syntax (reporting
 * problems), finds --config and -h; with `c` set it applies values and
 * reports only value problems, so running both passes reports each problem
 * once. Returns the index of the first argument that is not a flag.
 */
static int scan_flags(int argc, char **argv, config_t *c, config_problems_t *p,
                      const char **config_path, bool *help) {
  int i = 1;
  while (i < argc) {
    const char *arg = argv[i];
    char src[32];
    if (strcmp(arg, "--") == 0)
      return i + 1;
    if (arg[0] != '-' || arg[1] == '\0')
      return i;
    i++;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      *help = true;
      continue;
    }
    /* Split --name=value; otherwise the value is the next argument. */
    char name[40];
    const char *eq = strchr(arg, '=');
    size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
    if (nlen >= sizeof name)
      nlen = sizeof name - 1;
    memcpy(name, arg, nlen);
    name[nlen] = '\0';
    snprintf(src, sizeof src, "flag %.26s", name);

    const cfgkey_t *k = NULL;
    bool is_set = strcmp(name, "--set") == 0, is_config = strcmp(name, "--config") == 0;
    if (strncmp(name, "--", 2) == 0)
      for (size_t j = 0; j < config_nkeys && !k; j++)
        if (config_keys[j].flag && strcmp(config_keys[j].flag, name + 2) == 0)
          k = &config_keys[j];
    if (!k && !is_set && !is_config) {
      if (!c)
        config_problem_add(p, 0, src, "unknown flag (see --help)");
      continue;
    }
    const char *v = eq ? eq + 1 : NULL;
    if (!v) {
      if (i >= argc) {
        if (!c)
          config_problem_add(p, 0, src, "needs a value");
        continue;
      }
      v = argv[i++];
    }
    if (is_config) {
      *config_path = v;
    } else if (is_set) {
      /* --set dotted.key=value */
      const char *e2 = strchr(v, '=');
      char key[PATH_MAX_KEY + 1];
      size_t klen = e2 ? (size_t)(e2 - v) : 0;
      if (!e2 || klen == 0 || klen > PATH_MAX_KEY) {
        if (!c)
          config_problem_add(p, 0, src, "must be KEY=VALUE, e.g. --set server.threads=4");
        continue;
      }
      memcpy(key, v, klen);
      key[klen] = '\0';
      const cfgkey_t *sk = key_find(key);
      if (!sk) {
        if (!c)
          unknown_key(p, 0, src, key);
      } else if (c) {
        (void)set_reported(c, sk, e2 + 1, p, 0, src);
      }
    } else if (c) {
      (void)set_reported(c, k, v, p, 0, src);
    }
  }
  return i;
}

/* "RS256", "ES256,EdDSA": known names of algorithms with key pairs, comma
 * separated (spaces around commas allowed), none twice. */
static bool signing_algs_valid(const char *list) {
  static const char *const ALGS[] = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                     "PS512", "ES256", "ES384", "EdDSA"};
  bool seen[sizeof ALGS / sizeof ALGS[0]] = {false};
  size_t count = 0;
  const char *p = list;
  for (;;) {
    while (*p == ' ') p++;
    size_t n = strcspn(p, ", ");
    size_t i = 0;
    while (i < sizeof ALGS / sizeof ALGS[0] && !(strlen(ALGS[i]) == n && !strncmp(ALGS[i], p, n)))
      i++;
    if (i == sizeof ALGS / sizeof ALGS[0] || seen[i]) return false;
    seen[i] = true;
    count++;
    p += n;
    while (*p == ' ') p++;
    if (!*p) return count > 0;
    if (*p++ != ',') return false;
  }
}

int config_validate(const config_t *c, config_problems_t *p) {
  size_t before = problems_total(p);
  if (strcmp(c->mode, "production") == 0 && c->master_key_hex[0] == '\0' &&
      c->master_key_file[0] == '\0')
    config_problem_add(p, 0, "config",
                       "mode production needs a master key: set CUSTOS_MASTER_KEY or "
                       "secrets.master_key_file");
  if (!signing_algs_valid(c->signing_algs))
    config_problem_add(p, 0, "config",
                       "signing.algs must be 1 to 9 comma-separated names from RS256, RS384, "
                       "RS512, PS256, PS384, PS512, ES256, ES384, EdDSA (got \"%.48s\")",
                       c->signing_algs);
  if (!c->ol_issuer[0])
    config_problem_add(p, 0, "config", "openledger.issuer must not be empty");
  if (!c->ol_audience[0])
    config_problem_add(p, 0, "config", "openledger.audience must not be empty");
  return problems_total(p) == before ? CUSTOS_OK : CUSTOS_EINVAL;
}

int config_from_args(config_t *c, int argc, char **argv, char **envp, config_problems_t *p,
                     int *argi_out) {
  config_t tmp;
  const char *path = NULL;
  bool help = false;
  size_t before = problems_total(p);
  int rc = CUSTOS_OK, argi;

  config_defaults(&tmp);
  argi = scan_flags(argc, argv, NULL, p, &path, &help);
  if (argi_out)
    *argi_out = argi;
  if (help) {
    rc = CONFIG_HELP;
    goto out;
  }
  if (!path) {
    path = env_get(envp, "CUSTOS_CONFIG");
    if (path && !*path)
      path = NULL;
  }
  /* The default file is optional: load it only if it is there. */
  if (!path && access(DEFAULT_FILE, F_OK) == 0)
    path = DEFAULT_FILE;
  /* Keep going after a bad stage so later problems show up too; the first
   * failure's code is the one returned (EIO/ETOOBIG say more than EINVAL). */
  if (path)
    rc = config_load_file(&tmp, path, p);
  int erc = config_apply_env(&tmp, envp, p);
  if (rc == CUSTOS_OK)
    rc = erc;
  (void)scan_flags(argc, argv, &tmp, p, &path, &help);
  if (rc == CUSTOS_OK && problems_total(p) != before)
    rc = CUSTOS_EINVAL;
  if (rc == CUSTOS_OK)
    rc = config_validate(&tmp, p);
  if (rc != CUSTOS_OK)
    goto out;
  *c = tmp;

out:
  OPENSSL_cleanse(&tmp, sizeof tmp);
  return rc;
}

