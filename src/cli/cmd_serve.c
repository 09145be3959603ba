/*
 * custos serve — load configuration, open the store, serve HTTP until
 * SIGTERM/SIGINT, then drain in-flight requests and close the store.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "core/config.h"
#include "core/log.h"
#include "core/masterkey.h"
#include "perm/authreq.h"
#include "perm/policy.h"
#include "profiles/assetpay_merchant.h"
#include "profiles/openledger.h"
#include "server/app.h"

extern char **environ;

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
      return -1;
    }
    return 0;
  }
  if (!c->master_key_file[0]) {
    log_msg(LOG_ERROR, "no master key: set CUSTOS_MASTER_KEY or secrets.master_key_file");
    return -1;
  }
  if (dev && make_parent_dir(c->master_key_file) != 0) {
    log_msg(LOG_ERROR, "cannot create directory for %s: %s", c->master_key_file, strerror(errno));
    return -1;
  }
  if (masterkey_load_or_create(c->master_key_file, dev, a->master_key, err, sizeof err) != 0) {
    if (dev)
      log_msg(LOG_ERROR, "master key: %s", err);
    else
      log_msg(LOG_ERROR, "production mode needs a master key (CUSTOS_MASTER_KEY or "
                         "secrets.master_key_file): %s", err);
    return -1;
  }
  return 0;
}

static int open_store(app_t *a) {
  char err[512];
  const config_t *c = &a->cfg;
  bool dev = strcmp(c->mode, "production") != 0;
  if (dev && strncmp(c->store_url, "sqlite:", 7) == 0 && strcmp(c->store_url, "sqlite::memory:") != 0 &&
      make_parent_dir(c->store_url + 7) != 0) {
    log_msg(LOG_ERROR, "cannot create directory for %s: %s", c->store_url + 7, strerror(errno));
    return -1;
  }
  store_opts_t so = {.pool_size = c->store_pool};
  if (store_open(c->store_url, &so, &a->store, err, sizeof err) != 0) {
    log_msg(LOG_ERROR, "store: %s", err);
    return -1;
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
      return -1;
    }
  }
  if (store_check_version(a->store, err, sizeof err) != 0) {
    log_msg(LOG_ERROR, "store: %s", err);
    return -1;
  }
  if (applied) log_msg(LOG_INFO, "store: applied %d migration(s)", applied);
  return 0;
}

/* Signing keys: after the store and the master key, before any request. */
static int start_signer(app_t *a) {
  char err[512];
  jose_alg_t algs[JOSE_ALG_COUNT_];
  size_t nalgs = 0;
  if (signer_parse_algs(a->cfg.signing_algs, algs, JOSE_ALG_COUNT_, &nalgs) != 0) {
    log_msg(LOG_ERROR, "signing.algs: unknown algorithm in \"%s\"", a->cfg.signing_algs);
    return -1;
  }
  signer_opts_t so = {.algs = algs, .nalgs = nalgs, .retired_keep = a->cfg.signing_retired_keep_s};
  if (signer_new(a->store, a->master_key, &so, &a->signer, err, sizeof err) != 0) {
    log_msg(LOG_ERROR, "signing keys: %s", err);
    return -1;
  }
  return 0;
}

static void usage(FILE *out) {
  fprintf(out, "usage: custos serve [flags]\n\n");
  config_flags_usage(out);
}

int cmd_serve(int argc, char **argv) {
  app_t *a = calloc(1, sizeof *a);
  if (!a) return 1;
  int code = 1;
  config_problems_t probs;
  config_problems_init(&probs);
  int argi = 0;
  int rc = config_from_args(&a->cfg, argc, argv, environ, &probs, &argi);
  if (rc == CONFIG_HELP) {
    usage(stdout);
    code = 0;
    goto out;
  }
  if (rc != 0) {
    config_problems_print(&probs, probs.file, stderr);
    code = 2;
    goto out;
  }
  if (argi < argc) {
    fprintf(stderr, "custos serve: unexpected argument '%s'\n", argv[argi]);
    code = 2;
    goto out;
  }
  log_set_level((log_level_t)log_level_parse(a->cfg.log_level));

  /* Route policies before anything starts: a bad file is a refusal to
   * start, with every problem listed, never a check answering wrongly. */
  if (a->cfg.policy_file[0]) {
    config_problems_init(&probs);
    if (policy_load_file(a->cfg.policy_file, &a->policy, &probs) != CUSTOS_OK) {
      config_problems_print(&probs, a->cfg.policy_file, stderr);
      log_msg(LOG_ERROR, "policy.file %s has problems; not starting", a->cfg.policy_file);
      goto out;
    }
    log_msg(LOG_INFO, "policy: %zu route(s) from %s", policy_count(a->policy), a->cfg.policy_file);
  } else {
    a->policy = policy_empty();
    if (!a->policy) goto out;
    log_msg(LOG_WARN, "no policy.file: /v1/check refuses every route");
  }

  /* Signals are taken by sigwait() below; block them before any thread
   * starts so MHD's threads inherit the mask. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  if (load_master_key(a) != 0 || open_store(a) != 0) goto out;
  keycheck_opts_t ko = {.rate_per_s = a->cfg.key_rate_per_s, .burst = a->cfg.key_burst};
  a->keys = keycheck_new(a->store, &ko);
  keycheck_opts_t uo = ko;
  uo.source = &keycheck_user_tokens;
  a->user_tokens = a->keys ? keycheck_new(a->store, &uo) : NULL;
  if (!a->keys || !a->user_tokens) {
    log_msg(LOG_ERROR, "cannot start the key-check service");
    goto out;
  }
  a->merchants = ap_merchants_new(a->store, a->master_key);
  if (!a->merchants) {
    log_msg(LOG_ERROR, "cannot start the AssetPay merchant service");
    goto out;
  }
  if (start_signer(a) != 0) goto out;
  a->bearer_cache = token_cache_new(OPENLEDGER_TOKEN_CACHE_ENTRIES, OPENLEDGER_TOKEN_CACHE_TTL);
  if (!a->bearer_cache) {
    log_msg(LOG_ERROR, "cannot start the bearer token cache");
    goto out;
  }
  a->metrics = metrics_new();
  if (!a->metrics || app_routes(a) != 0) {
    log_msg(LOG_ERROR, "cannot set up routes");
    goto out;
  }
  http_server_opts_t ho = {
      .listen = a->cfg.listen,
      .threads = a->cfg.threads,
      .max_body_bytes = a->cfg.max_body_bytes,
      .max_header_bytes = a->cfg.max_header_bytes,
      .max_headers = a->cfg.max_headers,
      .connection_timeout_s = a->cfg.connection_timeout_s,
      .access_log = a->cfg.access_log,
      .raw_uri_prefix = AUTHREQ_CHECK_PATH "/",
  };
  char err[512];
  a->http = http_server_start(&ho, &a->router, a->metrics, a, err, sizeof err);
  if (!a->http) {
    log_msg(LOG_ERROR, "%s", err);
    goto out;
  }
  char shown[1024];
  store_url_redact(a->cfg.store_url, shown, sizeof shown);
  const char *colon = strrchr(a->cfg.listen, ':');
  int hostlen = colon ? (int)(colon - a->cfg.listen) : 0;
  log_msg(LOG_INFO, "custos %s listening on %.*s:%u (mode %s, store %s)", custos_version(), hostlen,
          a->cfg.listen, http_server_port(a->http), a->cfg.mode, shown);

  int sig = 0;
  sigwait(&set, &sig);
  log_msg(LOG_INFO, "received %s: draining (grace %d ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
          a->cfg.shutdown_grace_ms);
  int64_t left = http_server_drain(a->http, a->cfg.shutdown_grace_ms);
  if (left > 0) log_msg(LOG_WARN, "%lld request(s) still in flight after the grace period", (long long)left);
  http_server_stop(a->http);
  a->http = NULL;
  code = 0;
  log_msg(LOG_INFO, "stopped");
out:
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
  return code;
}
