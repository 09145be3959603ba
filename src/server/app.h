/*
 * app.h — what `custos serve` holds while it runs: configuration, store,
 * master key, router, metrics. Handlers reach it through `ctx`.
 */
#ifndef CUSTOS_SERVER_APP_H
#define CUSTOS_SERVER_APP_H

#include <stdbool.h>

#include "core/config.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "auth/keycheck.h"
#include "jose/signer.h"
#include "lib/token_cache.h"
#include "perm/policy.h"
#include "store/store.h"

typedef struct app {
  config_t cfg;
  store_t *store;
  metrics_t *metrics;
  router_t router;
  unsigned char master_key[32];  /* wiped at shutdown */
  http_server_t *http;
  keycheck_t *keys;              /* API key checks (whoami, profiles); invalidated by the admin API */
  signer_t *signer;              /* signing keys and the JWKS; freed after the store closes */
  keycheck_t *user_tokens;       /* user token checks (thelayer Token2); same machinery, own cache */
  struct ap_merchants *merchants; /* AssetPay merchant secrets and keys (profiles/assetpay_merchant.h) */
  policy_set_t *policy;          /* route policies for /v1/check (policy.file); never NULL when serving */
  token_cache_t *bearer_cache;   /* Open Ledger bearer tokens the signer verified (profiles/openledger.c); NULL = none */
} app_t;

/*
 * Brings up, from a->cfg (loaded and validated), everything a node decides
 * with: route policies (policy.file; none = every route refused), the
 * master key (created in development mode when missing), the store
 * (migrated in development mode), API key and user token checks, AssetPay
 * merchants and the signer, each with its store listener. Not the HTTP
 * server, metrics or routes (serve adds them). `a` must be zeroed apart
 * from cfg. Returns CUSTOS_OK, or with the cause logged (policy problems
 * printed to stderr): CUSTOS_EINVAL (policy file problems, bad master key
 * or signing.algs), CUSTOS_EIO (policy or master key file unreadable, a
 * directory that cannot be made), CUSTOS_ETOOBIG (policy file too big),
 * CUSTOS_ESTORE (store unreachable, migration, needs migrations),
 * CUSTOS_EVERSION (schema newer than this binary), CUSTOS_ENOMEM, or the
 * signer's codes. Call app_close(a) either way. Threads started here
 * inherit the caller's signal mask.
 */
int app_open(app_t *a) __attribute__((warn_unused_result));

/* Stops the HTTP server if any, then frees everything app_open (and serve)
 * set up, in the order that keeps listeners and usage flushes safe, wipes
 * the master key and frees `a`. NULL ok. */
void app_close(app_t *a);

/* Registers every route custos serves. Returns 0, or -1 if the route
 * table is malformed (a programming error). */
int app_routes(app_t *a);

/* Operational endpoints (src/server/ops.c). */
void ops_healthz(http_req_t *r, void *ctx);
void ops_readyz(http_req_t *r, void *ctx);
void ops_metrics(http_req_t *r, void *ctx);

/* GET /v1/whoami (src/server/whoami.c): who does the presented API key
 * belong to. */
void whoami(http_req_t *r, void *ctx);

/* GET /.well-known/jwks.json (src/server/jwks.c). */
void jwks_get(http_req_t *r, void *ctx);

/* /v1/check and /v1/check/{path...}, every method (src/server/check.c):
 * the gateway auth subrequest. */
void gateway_check(http_req_t *r, void *ctx);

#endif
