#include "auth/keycheck.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/apikey.h"
#include "auth/keycache.h"
#include "auth/ratelimit.h"
#include "core/hex.h"
#include "core/log.h"
#include "custos.h"

#define DEFAULT_CACHE_MAX 1048576
#define DEFAULT_NEGATIVE_MAX 65536
#define DEFAULT_NEGATIVE_TTL_S 30
#define DEFAULT_POSITIVE_TTL_S 300
#define DEFAULT_FLUSH_MS 1000
#define DEFAULT_FAIL_THRESHOLD 20
#define FAIL_THRESHOLD_MAX 65535 /* per-key counts are 16 bits */
#define FAIL_WINDOW_S 60
#define USAGE_BATCH 1000         /* records per store_api_key_record_usage call */
#define AUDIT_QUEUE_MAX 256      /* burst events waiting for the flusher */
#define PUT_ATTEMPTS 3           /* store reads raced by an invalidation before giving up caching */

/* Global failure counter: (minute << 24) | count, updated by CAS so the
 * failure path takes no lock. */
#define FAIL_COUNT_BITS 24
#define FAIL_COUNT_MAX ((1u << FAIL_COUNT_BITS) - 1)
#define FAIL_MINUTE_MASK ((UINT64_C(1) << (64 - FAIL_COUNT_BITS)) - 1)

typedef struct burst_event {
  char target[RAND_ID_MAX]; /* key id, or "" for the global count */
  uint32_t failures;        /* the count that reached the threshold */
} burst_event_t;

struct keycheck {
  store_t *s;                  /* borrowed; outlives kc */
  const keycheck_source_t *src; /* static */
  keycache_t *cache;
  ratelimit_t rl;
  int negative_ttl_s;
  int positive_ttl_s;
  int flush_interval_ms;
  uint32_t fail_threshold;     /* 1..FAIL_THRESHOLD_MAX */
  int64_t (*clock_ns)(void *); /* rate-limit clock */
  void *clock_ctx;
  uint64_t serial;             /* this instance's id in the listener registry */

  _Atomic uint64_t lookups;    /* store lookups by hash */
  _Atomic uint64_t fail_global; /* see FAIL_COUNT_BITS */

  pthread_mutex_t audit_mu;    /* guards events */
  burst_event_t events[AUDIT_QUEUE_MAX];
  size_t n_events;

  pthread_mutex_t flush_mu;    /* one flush at a time */

  pthread_mutex_t thr_mu;      /* guards stop */
  pthread_cond_t thr_cv;       /* CLOCK_MONOTONIC */
  bool stop;
  bool thr_started;
  pthread_t thr;
};

/* --- listener registry -----------------------------------------------------
 * store_listen() has no unregister: a listener lives until store_close(),
 * which may come after keycheck_free(). The callback's context is therefore
 * not the keycheck_t but a serial number looked up here under a lock that
 * keycheck_free() also takes, so a late notification finds nothing instead
 * of a freed object. Only the notification path uses this lock. */

typedef struct reg_entry {
  uint64_t serial;
  keycheck_t *kc;
} reg_entry_t;

static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static reg_entry_t *g_reg;
static size_t g_reg_n, g_reg_cap;
static uint64_t g_reg_serial;

static int reg_add(keycheck_t *kc) {
  int rc = CUSTOS_OK;
  pthread_mutex_lock(&g_reg_mu);
  if (g_reg_n == g_reg_cap) {
    size_t nc = g_reg_cap ? g_reg_cap * 2 : 8;
    reg_entry_t *p = realloc(g_reg, nc * sizeof *p);
    if (!p) {
      rc = CUSTOS_ENOMEM;
      goto out;
    }
    g_reg = p;
    g_reg_cap = nc;
  }
  kc->serial = ++g_reg_serial;
  g_reg[g_reg_n++] = (reg_entry_t){kc->serial, kc};
out:
  pthread_mutex_unlock(&g_reg_mu);
  return rc;
}

static void reg_remove(keycheck_t *kc) {
  pthread_mutex_lock(&g_reg_mu);
  for (size_t i = 0; i < g_reg_n; i++) {
    if (g_reg[i].kc == kc) {
      g_reg[i] = g_reg[--g_reg_n];
      break;
    }
  }
  if (g_reg_n == 0) {
    free(g_reg);
    g_reg = NULL;
    g_reg_cap = 0;
  }
  pthread_mutex_unlock(&g_reg_mu);
}

static void hex_encode(const unsigned char *p, size_t n, char *out) {
  static const char H[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = H[p[i] >> 4];
    out[2 * i + 1] = H[p[i] & 15];
  }
  out[2 * n] = '\0';
}

/* A hash in hex drops that key; "*" (or anything unparsable: dropping too
 * much is only slower, never wrong) drops everything. */
static void apply_notification(keycheck_t *kc, const char *payload) {
  unsigned char hash[STORE_KEY_HASH_LEN];
  bool ok = payload && strlen(payload) == 2 * STORE_KEY_HASH_LEN;
  for (size_t i = 0; ok && i < STORE_KEY_HASH_LEN; i++) {
    int hi = hex_digit((unsigned char)payload[2 * i]), lo = hex_digit((unsigned char)payload[2 * i + 1]);
    if (hi < 0 || lo < 0) ok = false;
    else hash[i] = (unsigned char)(hi << 4 | lo);
  }
  if (ok) {
    keycache_remove(kc->cache, hash);
    return;
  }
  if (!payload || strcmp(payload, "*") != 0)
    log_msg(LOG_WARN, "keycheck: unexpected notification payload; dropping the whole cache");
  keycache_clear(kc->cache);
}

static void on_notify(void *ctx, const char *channel, const char *payload) {
  uint64_t serial = (uint64_t)(uintptr_t)ctx;
  if (!channel) return;
  pthread_mutex_lock(&g_reg_mu);
  for (size_t i = 0; i < g_reg_n; i++) {
    if (g_reg[i].serial == serial) {
      if (strcmp(channel, g_reg[i].kc->src->channel) == 0) apply_notification(g_reg[i].kc, payload);
      break;
    }
  }
  pthread_mutex_unlock(&g_reg_mu);
}

/* --- failure bursts -------------------------------------------------------- */

static uint32_t minute_of(int64_t now) {
  return (uint32_t)((uint64_t)(now / FAIL_WINDOW_S) & 0xFFFFFFFFu);
}

static void queue_event(keycheck_t *kc, const char *target, uint32_t failures) {
  pthread_mutex_lock(&kc->audit_mu);
  if (kc->n_events < AUDIT_QUEUE_MAX) {
    burst_event_t *ev = &kc->events[kc->n_events++];
    snprintf(ev->target, sizeof ev->target, "%s", target);
    ev->failures = failures;
  } else {
    log_msg(LOG_WARN, "keycheck: audit queue full; failed-check burst event dropped");
  }
  pthread_mutex_unlock(&kc->audit_mu);
}

/* Counts one failed check in the global window; the failure that brings the
 * minute's count to the threshold queues the (one) event for the window. */
static void note_failure(keycheck_t *kc, int64_t now) {
  uint64_t minute = (uint64_t)(now / FAIL_WINDOW_S) & FAIL_MINUTE_MASK;
  uint64_t old = atomic_load_explicit(&kc->fail_global, memory_order_relaxed), nw;
  uint32_t count;
  do {
    uint64_t cnt = old & FAIL_COUNT_MAX;
    if ((old >> FAIL_COUNT_BITS) != minute) cnt = 0;
    count = (uint32_t)(cnt < FAIL_COUNT_MAX ? cnt + 1 : cnt);
    nw = (minute << FAIL_COUNT_BITS) | count;
  } while (!atomic_compare_exchange_weak_explicit(&kc->fail_global, &old, nw,
                                                  memory_order_relaxed, memory_order_relaxed));
  if (count == kc->fail_threshold && nw != old) queue_event(kc, "", count);
}

/* Per-key window, in the entry (caller holds its shard). True when this
 * failure reached the threshold. */
static bool note_key_failure(keycheck_t *kc, keycache_entry_t *e, int64_t now) {
  uint32_t minute = minute_of(now);
  if (e->fail_window != minute) {
    e->fail_window = minute;
    e->fail_count = 0;
  }
  if (e->fail_count == UINT16_MAX) return false;
  return ++e->fail_count == kc->fail_threshold;
}

static int write_events(keycheck_t *kc) {
  burst_event_t evs[AUDIT_QUEUE_MAX];
  size_t n;
  pthread_mutex_lock(&kc->audit_mu);
  n = kc->n_events;
  memcpy(evs, kc->events, n * sizeof *evs);
  kc->n_events = 0;
  pthread_mutex_unlock(&kc->audit_mu);

  int rc = CUSTOS_OK;
  for (size_t i = 0; i < n; i++) {
    char detail[64];
    store_audit_t ev = {0};
    snprintf(ev.actor, sizeof ev.actor, "keycheck");
    snprintf(ev.action, sizeof ev.action, "%s", kc->src->burst_action);
    _Static_assert(sizeof ev.target >= sizeof evs[i].target, "audit target fits");
    memcpy(ev.target, evs[i].target, sizeof evs[i].target);
    snprintf(ev.outcome, sizeof ev.outcome, "denied");
    snprintf(detail, sizeof detail, "{\"failures\":%u,\"window_s\":%d}", evs[i].failures,
             FAIL_WINDOW_S);
    ev.detail_json = detail;
    if (store_audit_append(kc->s, &ev) != CUSTOS_OK) {
      rc = CUSTOS_ESTORE;
      log_msg(LOG_ERROR, "keycheck: could not append a %s audit event", kc->src->burst_action);
    }
  }
  return rc;
}

/* --- usage ----------------------------------------------------------------- */

static int write_usage(keycheck_t *kc) {
  store_key_usage_t *u = NULL;
  size_t n = 0;
  if (keycache_take_usage(kc->cache, &u, &n) != CUSTOS_OK) return CUSTOS_ENOMEM;
  int rc = CUSTOS_OK;
  for (size_t off = 0; off < n; off += USAGE_BATCH) {
    size_t chunk = n - off < USAGE_BATCH ? n - off : USAGE_BATCH;
    if (kc->src->record_usage(kc->s, u + off, (int)chunk) != CUSTOS_OK) {
      /* Keep the counts for the next flush. */
      keycache_return_usage(kc->cache, u + off, n - off);
      log_msg(LOG_ERROR, "keycheck: usage flush failed; %zu records kept for retry", n - off);
      rc = CUSTOS_ESTORE;
      break;
    }
  }
  free(u);
  return rc;
}

int keycheck_flush(keycheck_t *kc) {
  if (!kc) return CUSTOS_OK;
  pthread_mutex_lock(&kc->flush_mu);
  int rc = write_usage(kc);
  int rc2 = write_events(kc);
  pthread_mutex_unlock(&kc->flush_mu);
  return rc != CUSTOS_OK ? rc : rc2;
}

static void *flusher(void *arg) {
  keycheck_t *kc = arg;
  pthread_mutex_lock(&kc->thr_mu);
  while (!kc->stop) {
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += kc->flush_interval_ms / 1000;
    dl.tv_nsec += (long)(kc->flush_interval_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
      dl.tv_sec++;
      dl.tv_nsec -= 1000000000L;
    }
    while (!kc->stop) {
      if (pthread_cond_timedwait(&kc->thr_cv, &kc->thr_mu, &dl) == ETIMEDOUT) break;
    }
    if (kc->stop) break;
    pthread_mutex_unlock(&kc->thr_mu);
    if (keycheck_flush(kc) != CUSTOS_OK) log_msg(LOG_WARN, "keycheck: periodic flush failed");
    pthread_mutex_lock(&kc->thr_mu);
  }
  pthread_mutex_unlock(&kc->thr_mu);
  return NULL;
}

/* --- lifecycle ------------------------------------------------------------- */

static int64_t default_clock(void *ctx) {
  (void)ctx;
  return ratelimit_clock_ns();
}

keycheck_t *keycheck_new(store_t *s, const keycheck_opts_t *opts) {
  keycheck_opts_t o = {0};
  if (opts) o = *opts;
  if (!s || o.negative_ttl_s < 0 || o.positive_ttl_s < 0 || o.flush_interval_ms < 0 ||
      o.fail_burst_threshold < 0 || o.fail_burst_threshold > FAIL_THRESHOLD_MAX)
    return NULL;

  keycheck_t *kc = calloc(1, sizeof *kc);
  if (!kc) return NULL;
  kc->s = s;
  kc->src = o.source ? o.source : &keycheck_api_keys;
  kc->negative_ttl_s = o.negative_ttl_s ? o.negative_ttl_s : DEFAULT_NEGATIVE_TTL_S;
  kc->positive_ttl_s = o.positive_ttl_s ? o.positive_ttl_s : DEFAULT_POSITIVE_TTL_S;
  kc->flush_interval_ms = o.flush_interval_ms ? o.flush_interval_ms : DEFAULT_FLUSH_MS;
  kc->fail_threshold =
      (uint32_t)(o.fail_burst_threshold ? o.fail_burst_threshold : DEFAULT_FAIL_THRESHOLD);
  kc->clock_ns = default_clock;
  atomic_init(&kc->lookups, 0);
  atomic_init(&kc->fail_global, 0);
  pthread_mutex_init(&kc->audit_mu, NULL);
  pthread_mutex_init(&kc->flush_mu, NULL);
  pthread_mutex_init(&kc->thr_mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&kc->thr_cv, &ca);
  pthread_condattr_destroy(&ca);

  if (!ratelimit_init(&kc->rl, o.rate_per_s, o.burst)) goto fail;
  kc->cache = keycache_new_ids(o.cache_max ? o.cache_max : DEFAULT_CACHE_MAX,
                               o.negative_max ? o.negative_max : DEFAULT_NEGATIVE_MAX, kc->src->id_prefixes);
  if (!kc->cache) goto fail;
  if (reg_add(kc) != CUSTOS_OK) goto fail;
  /* The context is the registry serial, not a pointer: on_notify looks the
   * checker up by it, so a freed checker is never dereferenced. */
  void *serial = (void *)(uintptr_t)kc->serial; // NOLINT(performance-no-int-to-ptr): a serial, never dereferenced
  if (store_listen(s, kc->src->channel, on_notify, serial) != CUSTOS_OK) {
    log_msg(LOG_ERROR, "keycheck: cannot listen on %s", kc->src->channel);
    goto fail;
  }
  if (pthread_create(&kc->thr, NULL, flusher, kc) != 0) goto fail;
  kc->thr_started = true;
  return kc;

fail:
  keycheck_free(kc);
  return NULL;
}

void keycheck_free(keycheck_t *kc) {
  if (!kc) return;
  reg_remove(kc);
  if (kc->thr_started) {
    pthread_mutex_lock(&kc->thr_mu);
    kc->stop = true;
    pthread_cond_signal(&kc->thr_cv);
    pthread_mutex_unlock(&kc->thr_mu);
    pthread_join(kc->thr, NULL);
    if (keycheck_flush(kc) != CUSTOS_OK) log_msg(LOG_WARN, "keycheck: final flush failed");
  }
  keycache_free(kc->cache);
  pthread_cond_destroy(&kc->thr_cv);
  pthread_mutex_destroy(&kc->thr_mu);
  pthread_mutex_destroy(&kc->flush_mu);
  pthread_mutex_destroy(&kc->audit_mu);
  free(kc);
}

void keycheck_set_clock(keycheck_t *kc, int64_t (*clock_ns)(void *ctx), void *ctx) {
  if (!kc) return;
  kc->clock_ns = clock_ns ? clock_ns : default_clock;
  kc->clock_ctx = clock_ns ? ctx : NULL;
}

uint64_t keycheck_store_lookups(const keycheck_t *kc) {
  return kc ? atomic_load_explicit(&kc->lookups, memory_order_relaxed) : 0;
}

size_t keycheck_cache_entries(const keycheck_t *kc) { return kc ? keycache_entries(kc->cache) : 0; }
size_t keycheck_cache_bytes(const keycheck_t *kc) { return kc ? keycache_bytes(kc->cache) : 0; }

/* --- the check ------------------------------------------------------------- */

/* The validity rules shared by cached and uncached answers. */
static int validity(bool revoked, int64_t expires_at, int64_t grace_until, int64_t now) {
  if (revoked) return CUSTOS_EREVOKED;
  if (expires_at != 0 && now >= expires_at) return CUSTOS_EEXPIRED;
  if (grace_until != 0 && now >= grace_until) return CUSTOS_EEXPIRED;
  return CUSTOS_OK;
}

/* True while an entry loaded at `loaded_at` may be answered from. */
static bool fresh(int64_t loaded_at, int64_t now, int ttl_s) {
  int64_t age;
  if (__builtin_sub_overflow(now, loaded_at, &age)) return now < loaded_at;
  return age < ttl_s;
}

static void fill_from_entry(const keycache_t *c, keycheck_result_t *out, const keycache_entry_t *e) {
  keycache_entry_id(c, e, KEYCACHE_KEY, out->key_id);
  keycache_entry_id(c, e, KEYCACHE_APP, out->app_id);
  keycache_entry_id(c, e, KEYCACHE_ACCOUNT, out->account_id);
  keycache_entry_id(c, e, KEYCACHE_ENV, out->environment_id);
  const char *kind = keycache_attrs_kind(e->attrs);
  const char *scopes = keycache_attrs_scopes(e->attrs);
  memcpy(out->kind, kind, strlen(kind) + 1);       /* interned within STORE_KEY_KIND_MAX */
  memcpy(out->scopes, scopes, strlen(scopes) + 1); /* interned within STORE_SCOPES_MAX */
  out->expires_at = e->expires_at;
  out->in_grace = e->grace_until != 0;
  out->retry_after_s = 0;
}

/* Answers from entry `e` (caller holds shard `sh`): validity, then rate
 * limit, then counts the use. *burst_target gets the key id when this
 * failure reached the per-key threshold. */
static int judge(keycheck_t *kc, keycache_shard_t *sh, keycache_entry_t *e, int64_t now,
                 int64_t now_ns, keycheck_result_t *out, char *burst_target, uint32_t *burst_n) {
  int rc = validity(e->flags & KEYCACHE_F_REVOKED, e->expires_at, e->grace_until, now);
  if (rc != CUSTOS_OK) {
    if (note_key_failure(kc, e, now)) {
      keycache_entry_id(kc->cache, e, KEYCACHE_KEY, burst_target);
      *burst_n = e->fail_count;
    }
    return rc;
  }
  int retry = 1;
  if (!ratelimit_take(&kc->rl, &e->tat, now_ns, &retry)) {
    out->retry_after_s = retry;
    return CUSTOS_ELIMIT;
  }
  keycache_count_use(sh, e, now);
  fill_from_entry(kc->cache, out, e);
  return CUSTOS_OK;
}

/* The answer for a row that could not be cached (raced by invalidations):
 * validity from the row itself, no rate-limit state, usage still counted. */
static int judge_uncached(keycheck_t *kc, const store_api_key_t *k, int64_t now,
                          keycheck_result_t *out) {
  int rc = validity(k->revoked_at != 0, k->expires_at, k->grace_until, now);
  if (rc != CUSTOS_OK) return rc;
  store_key_usage_t u = {.last_used_at = now, .uses = 1};
  memcpy(u.id, k->id, sizeof u.id);
  keycache_return_usage(kc->cache, &u, 1);
  memcpy(out->key_id, k->id, sizeof out->key_id);
  memcpy(out->app_id, k->app_id, sizeof out->app_id);
  memcpy(out->account_id, k->account_id, sizeof out->account_id);
  memcpy(out->environment_id, k->environment_id, sizeof out->environment_id);
  memcpy(out->kind, k->kind, sizeof out->kind);
  memcpy(out->scopes, k->scopes, sizeof out->scopes);
  out->expires_at = k->expires_at;
  out->in_grace = k->grace_until != 0;
  out->retry_after_s = 0;
  return CUSTOS_OK;
}

/* Failure accounting shared by every exit: the global window, plus the
 * per-key event judge() asked for. ELIMIT (throttling, not a bad
 * credential) and ESTORE (our fault) are not failed checks. */
static int finish(keycheck_t *kc, int rc, int64_t now, const char *burst_target, uint32_t burst_n) {
  if (rc == CUSTOS_EINVAL || rc == CUSTOS_ENOTFOUND || rc == CUSTOS_EREVOKED ||
      rc == CUSTOS_EEXPIRED)
    note_failure(kc, now);
  if (burst_target[0]) queue_event(kc, burst_target, burst_n);
  return rc;
}

int keycheck_verify(keycheck_t *kc, const char *key, size_t len, int64_t now,
                    keycheck_result_t *out) {
  char burst_target[RAND_ID_MAX] = "";
  uint32_t burst_n = 0;
  if (!kc || !out) return CUSTOS_EINVAL;
  if (!key || !apikey_well_formed(key, len)) return finish(kc, CUSTOS_EINVAL, now, "", 0);

  unsigned char hash[STORE_KEY_HASH_LEN];
  apikey_hash(key, len, hash);

  for (int attempt = 0;; attempt++) {
    int64_t now_ns = kc->clock_ns(kc->clock_ctx);
    keycache_shard_t *sh = keycache_lock(kc->cache, hash);
    keycache_entry_t *e = keycache_find(sh, hash);
    if (e && fresh(e->loaded_at, now, kc->positive_ttl_s)) {
      int rc = judge(kc, sh, e, now, now_ns, out, burst_target, &burst_n);
      keycache_unlock(sh);
      return finish(kc, rc, now, burst_target, burst_n);
    }
    uint32_t gen = keycache_gen(sh);
    keycache_unlock(sh);

    if (!e && keycache_neg_has(kc->cache, hash, now)) return finish(kc, CUSTOS_ENOTFOUND, now, "", 0);

    store_api_key_t k;
    atomic_fetch_add_explicit(&kc->lookups, 1, memory_order_relaxed);
    int rc = kc->src->lookup(kc->s, hash, &k);
    if (rc == CUSTOS_ENOTFOUND) {
      /* A stale entry whose row is gone goes too. */
      if (e) keycache_remove(kc->cache, hash);
      int64_t until;
      if (__builtin_add_overflow(now, (int64_t)kc->negative_ttl_s, &until)) until = INT64_MAX;
      keycache_neg_add(kc->cache, hash, now, until);
      return finish(kc, CUSTOS_ENOTFOUND, now, "", 0);
    }
    if (rc != CUSTOS_OK) return CUSTOS_ESTORE;
    if (CRYPTO_memcmp(k.hash, hash, STORE_KEY_HASH_LEN) != 0) {
      log_msg(LOG_ERROR, "keycheck: the store returned a row for another hash");
      return CUSTOS_ESTORE;
    }

    sh = keycache_lock(kc->cache, hash);
    if (keycache_gen(sh) != gen) {
      /* An invalidation ran while we read: the row may predate it. */
      keycache_unlock(sh);
      if (attempt + 1 < PUT_ATTEMPTS) continue;
      return finish(kc, judge_uncached(kc, &k, now, out), now, "", 0);
    }
    rc = keycache_put(kc->cache, sh, &k, now, &e);
    if (rc == CUSTOS_OK) rc = judge(kc, sh, e, now, now_ns, out, burst_target, &burst_n);
    keycache_unlock(sh);
    if (rc == CUSTOS_EINVAL) {
      log_msg(LOG_ERROR, "keycheck: %s %s has ids this custos did not write", kc->src->name, k.id);
      return CUSTOS_ESTORE;
    }
    return finish(kc, rc, now, burst_target, burst_n);
  }
}

int keycheck_changed(keycheck_t *kc, const unsigned char hash[STORE_KEY_HASH_LEN]) {
  if (!kc || !hash) return CUSTOS_EINVAL;
  char hex[2 * STORE_KEY_HASH_LEN + 1];
  keycache_remove(kc->cache, hash);
  hex_encode(hash, STORE_KEY_HASH_LEN, hex);
  return store_notify(kc->s, kc->src->channel, hex) == CUSTOS_OK ? CUSTOS_OK : CUSTOS_ESTORE;
}

const keycheck_source_t keycheck_api_keys = {
    .name = "key",
    .channel = KEYCHECK_CHANNEL,
    .id_prefixes = KEYCACHE_KEY_PREFIXES,
    .burst_action = "key.check_failed_burst",
    .lookup = store_api_key_get_by_hash,
    .record_usage = store_api_key_record_usage,
};

static const char *const USER_TOKEN_PREFIXES[KEYCACHE_NIDS] = {"utk", "app", "acct", "usr"};

const keycheck_source_t keycheck_user_tokens = {
    .name = "user token",
    .channel = KEYCHECK_USER_TOKEN_CHANNEL,
    .id_prefixes = USER_TOKEN_PREFIXES,
    .burst_action = "user_token.check_failed_burst",
    .lookup = store_user_token_lookup,
    .record_usage = store_user_token_record_usage,
};

bool scopes_has(const char *scopes, const char *scope) {
  if (!scopes || !scope || !*scope) return false;
  size_t n = strlen(scope);
  const char *p = scopes;
  while (*p) {
    while (*p == ' ') p++;
    const char *start = p;
    while (*p && *p != ' ') p++;
    if ((size_t)(p - start) == n && memcmp(start, scope, n) == 0) return true;
  }
  return false;
}
