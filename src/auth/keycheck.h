/*
 * keycheck.h — the hot-path check of a presented API key, shared by every
 * profile.
 *
 * Order of work, cheapest first: length and shape → checksum (bad keys never
 * reach the store) → SHA-256 → negative cache (recently unknown hashes) →
 * positive cache (bounded, by hash, compared in constant time) → store on a
 * miss. A per-key token bucket limits request rate. Successful checks are
 * counted in memory and written to the store in batches by a background
 * thread. Revocation and rotation invalidate the caches of every node
 * through store_notify()/store_listen() on channel "custos_keys".
 *
 * Thread-safe. Fail closed: only CUSTOS_OK means the key may be used.
 */
#ifndef CUSTOS_AUTH_KEYCHECK_H
#define CUSTOS_AUTH_KEYCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define KEYCHECK_CHANNEL "custos_keys"
#define KEYCHECK_USER_TOKEN_CHANNEL "custos_user_tokens"

typedef struct keycheck keycheck_t;

/*
 * What one keycheck instance checks. The machinery (shape and checksum,
 * caches, rate limit, usage batching, failure bursts, invalidation) is the
 * same for every long-lived hashed secret; only where rows come from and
 * how their ids look differ. A source's rows are store_api_key_t: id, app,
 * account and a fourth id (the environment of an API key, the user of a
 * user token), kind, scopes, expiry, revocation and rotation grace.
 */
typedef struct keycheck_source {
  const char *name;                      /* for logs: "key", "user token" */
  const char *channel;                   /* invalidation channel, [a-z_]{1,63} */
  const char *const *id_prefixes;        /* KEYCACHE_NIDS prefixes of the four ids */
  const char *burst_action;              /* audit action of a failed-check burst */
  int (*lookup)(store_t *s, const unsigned char hash[STORE_KEY_HASH_LEN], store_api_key_t *out);
  int (*record_usage)(store_t *s, const store_key_usage_t *u, int n);
} keycheck_source_t;

/* API keys (the api_key table): the default source. */
extern const keycheck_source_t keycheck_api_keys;
/* User tokens (the user_token table; fourth id = the user, scopes = the
 * access level, kind "user_token"). */
extern const keycheck_source_t keycheck_user_tokens;

typedef struct keycheck_opts {
  size_t cache_max;          /* positive entries, 0 = 1,048,576 */
  size_t negative_max;       /* negative entries, 0 = 65,536 */
  int negative_ttl_s;        /* how long an unknown hash stays refused, 0 = 30 */
  int positive_ttl_s;        /* re-read a cached key from the store after, 0 = 300 */
  double rate_per_s;         /* token bucket refill per key, 0 = 100 */
  double burst;              /* bucket size, 0 = 200 */
  int flush_interval_ms;     /* usage batch period, 0 = 1000 */
  int fail_burst_threshold;  /* failed checks per minute that raise an audit event, 0 = 20 */
  const keycheck_source_t *source; /* what is checked; NULL = keycheck_api_keys */
} keycheck_opts_t;

typedef struct keycheck_result {
  char key_id[RAND_ID_MAX];
  char app_id[RAND_ID_MAX];
  char account_id[RAND_ID_MAX];
  char environment_id[RAND_ID_MAX];
  char kind[STORE_KEY_KIND_MAX];
  char scopes[STORE_SCOPES_MAX];   /* space-separated */
  int64_t expires_at;              /* 0 = never */
  bool in_grace;                   /* an old key inside its rotation grace period */
  int retry_after_s;               /* set with CUSTOS_ELIMIT */
} keycheck_result_t;

/* Starts the service (and its usage-flush thread) over `s`, registering a
 * listener on the source's channel (KEYCHECK_CHANNEL for API keys). `opts`
 * may be NULL. NULL on failure. */
keycheck_t *keycheck_new(store_t *s, const keycheck_opts_t *opts);
/* Flushes pending usage, stops the thread, frees. NULL ok. */
void keycheck_free(keycheck_t *kc);

/*
 * Checks `key` (len bytes) at time `now` (unix seconds). On CUSTOS_OK fills
 * *out. Otherwise *out is untouched except retry_after_s for CUSTOS_ELIMIT:
 *   CUSTOS_EINVAL    malformed or bad checksum (no store lookup was made)
 *   CUSTOS_ENOTFOUND unknown key
 *   CUSTOS_EREVOKED  revoked
 *   CUSTOS_EEXPIRED  past expires_at, or a rotated-out key past its grace
 *   CUSTOS_ELIMIT    rate limit exceeded for this key
 *   CUSTOS_ESTORE    the store failed (the caller answers 503)
 */
int keycheck_verify(keycheck_t *kc, const char *key, size_t len, int64_t now,
                    keycheck_result_t *out) __attribute__((warn_unused_result));

/* After revoking, rotating or re-scoping key `hash`: drops it from this
 * node's caches and notifies every other node (on the source's channel).
 * CUSTOS_OK or CUSTOS_ESTORE (the local cache is dropped either way). */
int keycheck_changed(keycheck_t *kc, const unsigned char hash[STORE_KEY_HASH_LEN])
    __attribute__((warn_unused_result));

/* Writes pending usage counts now. CUSTOS_OK or CUSTOS_ESTORE. */
int keycheck_flush(keycheck_t *kc) __attribute__((warn_unused_result));

/* Entries in the positive cache and the bytes they use (for /metrics and the
 * memory benchmark). */
size_t keycheck_cache_entries(const keycheck_t *kc);
size_t keycheck_cache_bytes(const keycheck_t *kc);

/* Store lookups (by hash) made so far: misses, stale re-reads. Atomic; for
 * /metrics, and for tests proving a refusal cost no lookup. */
uint64_t keycheck_store_lookups(const keycheck_t *kc);

/* Replaces the monotonic nanosecond clock the rate limiter reads (default
 * CLOCK_MONOTONIC). For tests: call right after keycheck_new(), before any
 * other thread uses `kc`. */
void keycheck_set_clock(keycheck_t *kc, int64_t (*clock_ns)(void *ctx), void *ctx);

/* True when space-separated `scopes` contains `scope` exactly. */
bool scopes_has(const char *scopes, const char *scope);

#endif
