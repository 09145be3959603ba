/*
 * app.c — bringing up and tearing down what a custos node decides with
 * (app.h): route policies, master key, store, key checks, AssetPay
 * merchants, signing keys. `custos serve` adds its HTTP server on top;
 * libcustos's in-process checker (src/lib/checker.c) uses it as is, so
 * both start the same way and keep their caches coherent the same way
 * (each service registers its own store listener: LISTEN/NOTIFY on
 * PostgreSQL).
 */
#include "server/app.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "custos.h"
#include "core/log.h"
#include "core/masterkey.h"
#include "profiles/assetpay_merchant.h"
#include "profiles/openledger.h"

/* mkdir -p for the parent directory of `path`, mode 0700: ./var holds the
 * store and the master key, which nobody else should read. */
static int make_parent_dir(const char *path) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return 0;
  *slash = '\0';
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -1;
  return 0;
}

/* Development creates what it needs; production refuses to run without a
 * master key it was given. */
static int load_master_key(app_t *a) {
  char err[512];
  const config_t *c = &a->cfg;
  bool dev = strcmp(c->mode, "production") != 0;
  if (c->master_key_hex[0]) {
    if (masterkey_from_hex(c->master_key_hex, a->master_key) != 0) {
      log_msg(LOG_ERROR, "CUSTOS_MASTER_KEY must be 64 hex characters");
      return CUSTOS_EINVAL;
    }
    return CUSTOS_OK;
  }
  if (!c->master_key_file[0]) {
    log_msg(LOG_ERROR, "no master key: set CUSTOS_MASTER_KEY or secrets.master_key_file");
    return CUSTOS_EINVAL;
  }
  if (dev && make_parent_dir(c->master_key_file) != 0) {
    log_msg(LOG_ERROR, "cannot create directory for %s: %s", c->master_key_file, strerror(errno));
    return CUSTOS_EIO;
  }
  if (masterkey_load_or_create(c->master_key_file, dev, a->master_key, err, sizeof err) != 0) {
    if (dev)
      log_msg(LOG_ERROR, "master key: %s", err);
    else
      log_msg(LOG_ERROR, "production mode needs a master key (CUSTOS_MASTER_KEY or "
                         "secrets.master_key_file): %s", err);
    return CUSTOS_EIO;
  }
  return CUSTOS_OK;
}

static int open_store(app_t *a) {
  char err[512];
  const config_t *c = &a->cfg;
  bool dev = strcmp(c->mode, "production") != 0;
  if (dev && strncmp(c->store_url, "sqlite:", 7) == 0 && strcmp(c->store_url, "sqlite::memory:") != 0 &&
      make_parent_dir(c->store_url + 7) != 0) {
    log_msg(LOG_ERROR, "cannot create directory for %s: %s", c->store_url + 7, strerror(errno));
    return CUSTOS_EIO;
  }
  store_opts_t so = {.pool_size = c->store_pool};
  int rc = store_open(c->store_url, &so, &a->store, err, sizeof err);
  if (rc != CUSTOS_OK) {
    log_msg(LOG_ERROR, "store: %s", err);
    return rc < 0 ? rc : CUSTOS_ESTORE;
  }
  /* Development migrates by itself; production runs `custos migrate` as a
   * deliberate step, so a rolling upgrade never changes the schema under
   * older nodes by surprise. */
  int applied = 0;
  if (dev) {
    int v = 0;
    if (store_schema_version(a->store, &v) == 0 && v > store_binary_schema_version()) {
      /* fall through to the version check's message */
    } else if (store_migrate(a->store, &applied) != 0) {
      log_msg(LOG_ERROR, "store: migration failed");
      return CUSTOS_ESTORE;
    }
  }
  rc = store_check_version(a->store, err, sizeof err);
  if (rc != CUSTOS_OK) {
    log_msg(LOG_ERROR, "store: %s", err);
    return rc < 0 ? rc : CUSTOS_ESTORE;
  }
  if (applied) log_msg(LOG_INFO, "store: applied %d migration(s)", applied);
  return CUSTOS_OK;
}

/* Signing keys: after the store and the master key, before any request. */
static int start_signer(app_t *a) {
  char err[512];
  jose_alg_t algs[JOSE_ALG_COUNT_];
  size_t nalgs = 0;
  if (signer_parse_algs(a->cfg.signing_algs, algs, JOSE_ALG_COUNT_, &nalgs) != 0) {
    log_msg(LOG_ERROR, "signing.algs: unknown algorithm in \"%s\"", a->cfg.signing_algs);
    return CUSTOS_EINVAL;
  }
  signer_opts_t so = {.algs = algs, .nalgs = nalgs, .retired_keep = a->cfg.signing_retired_keep_s};
  int rc = signer_new(a->store, a->master_key, &so, &a->signer, err, sizeof err);
  if (rc != CUSTOS_OK) {
    log_msg(LOG_ERROR, "signing keys: %s", err);
    return rc < 0 ? rc : CUSTOS_ECRYPTO;
  }
  return CUSTOS_OK;
}

int app_open(app_t *a) {
  /* Route policies before anything starts: a bad file is a refusal to
   * start, with every problem listed, never a check answering wrongly. */
  if (a->cfg.policy_file[0]) {
    config_problems_t probs;
    config_problems_init(&probs);
    int prc = policy_load_file(a->cfg.policy_file, &a->policy, &probs);
    if (prc != CUSTOS_OK) {
      config_problems_print(&probs, a->cfg.policy_file, stderr);
      log_msg(LOG_ERROR, "policy.file %s has problems; not starting", a->cfg.policy_file);
      return prc;
    }
    log_msg(LOG_INFO, "policy: %zu route(s) from %s", policy_count(a->policy), a->cfg.policy_file);
  } else {
    a->policy = policy_empty();
    if (!a->policy) return CUSTOS_ENOMEM;
    log_msg(LOG_WARN, "no policy.file: /v1/check refuses every route");
  }

  int rc = load_master_key(a);
  if (rc == CUSTOS_OK) rc = open_store(a);
  if (rc != CUSTOS_OK) return rc;
  keycheck_opts_t ko = {.rate_per_s = a->cfg.key_rate_per_s, .burst = a->cfg.key_burst};
  a->keys = keycheck_new(a->store, &ko);
  keycheck_opts_t uo = ko;
  uo.source = &keycheck_user_tokens;
  a->user_tokens = a->keys ? keycheck_new(a->store, &uo) : NULL;
  if (!a->keys || !a->user_tokens) {
    log_msg(LOG_ERROR, "cannot start the key-check service");
    return CUSTOS_ENOMEM;
  }
  a->merchants = ap_merchants_new(a->store, a->master_key);
  if (!a->merchants) {
    log_msg(LOG_ERROR, "cannot start the AssetPay merchant service");
    return CUSTOS_ENOMEM;
  }
  a->bearer_cache = token_cache_new(OPENLEDGER_TOKEN_CACHE_ENTRIES, OPENLEDGER_TOKEN_CACHE_TTL);
  if (!a->bearer_cache) {
    log_msg(LOG_ERROR, "cannot start the bearer token cache");
    return CUSTOS_ENOMEM;
  }
  return start_signer(a);
}

void app_close(app_t *a) {
  if (!a) return;
  http_server_stop(a->http);
  /* After the server (no request can use it) and before the store (its
   * last usage flush writes there). */
  keycheck_free(a->keys);
  keycheck_free(a->user_tokens);
  ap_merchants_free(a->merchants);
  token_cache_free(a->bearer_cache);
  store_close(a->store);
  signer_free(a->signer); /* after the store: its listener points here until then */
  policy_free(a->policy);
  metrics_free(a->metrics);
  OPENSSL_cleanse(a->master_key, sizeof a->master_key);
  config_wipe(&a->cfg);
  free(a);
}
