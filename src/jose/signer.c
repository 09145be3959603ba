#include "jose/signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64url.h"
#include "core/log.h"
#include "core/seal.h"
#include "custos.h"
#include "jose/jwt.h"
#include "jose/keygen.h"
#include "lib/claims.h"

#define CONTEXT_MAX (sizeof SIGNER_CONTEXT_PREFIX + STORE_KID_MAX) /* seal context buffer */

/* One loaded key. */
typedef struct entry {
  jose_jwk_t *jwk;     /* private, parsed; one reference */
  jose_alg_t alg;      /* never UNSET */
  char state;          /* 'a'ctive, 'n'ext, 'r'etired */
  int64_t retired_at;  /* unix seconds, 0 unless retired */
} entry_t;

/* An immutable snapshot of the key set; shared by reference. */
typedef struct keyset {
  atomic_int refs;                         /* the signer's + one per reader */
  uint64_t seq;                            /* snapshot number: every reload makes a new one */
  size_t n;                                /* entries used */
  entry_t e[3 * SIGNER_MAX_KEYS];          /* active, next, then retired, newest first */
  const jose_jwk_t *active[JOSE_ALG_COUNT_]; /* signing key per alg, borrowed from e[] */
  char *jwks;                              /* public JWKS text, NUL-terminated */
  size_t jwks_len;                         /* bytes */
  char etag[SIGNER_ETAG_MAX];              /* quoted strong ETag of jwks */
  jose_jwks_t *pub;                        /* the published keys, public halves, for signer_verify */
} keyset_t;

struct signer {
  store_t *store;                     /* borrowed; outlives the signer */
  unsigned char mk[MASTERKEY_LEN];    /* master key copy, wiped on free */
  int64_t retired_keep;               /* seconds */
  int poll_ms;                        /* > 0: generation check interval; else never */
  int64_t (*clock)(void);             /* unix seconds */
  pthread_rwlock_t rw;                /* guards `cur` (the pointer only) */
  keyset_t *cur;                      /* current snapshot; never NULL after signer_new */
  pthread_mutex_t reload_mu;          /* one reload at a time */
  _Atomic int64_t generation;         /* store generation the snapshot was loaded at */
  _Atomic int64_t stale_at;           /* unix seconds when a published retired key expires */
  _Atomic int64_t next_poll_ms;       /* CLOCK_MONOTONIC ms of the next allowed check */
  _Atomic uint64_t seq;               /* number of the last snapshot made */
};

static int64_t default_clock(void) { return (int64_t)time(NULL); }

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static void context_for(const char *kid, char out[CONTEXT_MAX]) {
  snprintf(out, CONTEXT_MAX, "%s%s", SIGNER_CONTEXT_PREFIX, kid);
}

/* ---- snapshots ------------------------------------------------------------- */

static void keyset_unref(keyset_t *ks) {
  if (!ks || atomic_fetch_sub_explicit(&ks->refs, 1, memory_order_acq_rel) != 1) return;
  for (size_t i = 0; i < ks->n; i++) jose_jwk_free(ks->e[i].jwk);
  jose_jwks_free(ks->pub);
  free(ks->jwks);
  free(ks);
}

/* The current snapshot with a reference the caller drops (keyset_unref). */
static keyset_t *acquire(signer_t *sg) {
  pthread_rwlock_rdlock(&sg->rw);
  keyset_t *ks = sg->cur;
  atomic_fetch_add_explicit(&ks->refs, 1, memory_order_relaxed);
  pthread_rwlock_unlock(&sg->rw);
  return ks;
}

/* Unseals and parses one row into e[]. */
static int load_row(const signer_t *sg, const store_signing_key_t *row, entry_t *e, char *err,
                    size_t errlen) {
  char ctx[CONTEXT_MAX];
  buf_t pt;
  jose_jwk_t *k = NULL;
  int rc;
  buf_init(&pt, 0);
  context_for(row->kid, ctx);
  rc = unseal_text(sg->mk, ctx, row->sealed, strlen(row->sealed), &pt);
  if (rc) {
    seterr(err, errlen,
           "cannot unseal signing key %s: %s (wrong master key, or a damaged row)", row->kid,
           custos_strerror(rc));
    goto out;
  }
  if ((rc = jose_jwk_parse(pt.data, pt.len, &k))) {
    seterr(err, errlen, "signing key %s: the unsealed key does not parse: %s", row->kid,
           custos_strerror(rc));
    goto out;
  }
  jose_alg_t alg = jose_alg_from_name(row->alg, strlen(row->alg));
  const char *kid = jose_jwk_kid(k);
  rc = CUSTOS_EKEY;
  if (!alg || jose_jwk_alg(k) != alg || !jose_jwk_allows(k, alg) || !jose_jwk_has_private(k) ||
      !kid || strcmp(kid, row->kid) != 0) {
    seterr(err, errlen, "signing key %s: the unsealed key is not the key its row describes",
           row->kid);
    goto out;
  }
  e->jwk = k;
  k = NULL;
  e->alg = alg;
  e->state = row->state[0];
  e->retired_at = row->retired_at;
  rc = CUSTOS_OK;
out:
  jose_jwk_free(k);
  buf_cleanup_secure(&pt);
  return rc;
}

/* Builds the public JWKS text and its ETag. */
static int build_jwks(keyset_t *ks) {
  json_t *keys = json_array(), *doc = NULL;
  unsigned char md[32];
  unsigned int mdlen = 0;
  int rc = CUSTOS_ENOMEM;
  if (!keys) goto out;
  for (size_t i = 0; i < ks->n; i++) {
    json_t *pub = jose_jwk_to_json(ks->e[i].jwk, JOSE_JWK_PUBLIC);
    if (!pub || json_array_append_new(keys, pub) != 0) goto out;
  }
  if (!(doc = json_pack("{s:O}", "keys", keys))) goto out;
  if (!(ks->jwks = json_dumps(doc, JSON_COMPACT))) goto out;
  ks->jwks_len = strlen(ks->jwks);
  rc = CUSTOS_ECRYPTO;
  if (EVP_Digest(ks->jwks, ks->jwks_len, md, &mdlen, EVP_sha256(), NULL) != 1) goto out;
  /* 16 bytes of SHA-256 are plenty to tell key sets apart. */
  ks->etag[0] = '"';
  size_t n = b64url_encode(md, 16, ks->etag + 1);
  ks->etag[1 + n] = '"';
  ks->etag[2 + n] = '\0';
  /* Verification uses exactly what is published: the public halves of the
   * same snapshot, so a token verifies here iff it verifies against the
   * JWKS a client fetched at the same moment. */
  rc = jose_jwks_parse(ks->jwks, ks->jwks_len, &ks->pub, NULL);
out:
  json_decref(keys);
  json_decref(doc);
  return rc;
}

/*
 * Loads every active and next key and the retired keys still published
 * into a new snapshot. *gen_out gets the store generation read before the
 * rows (so a change racing the load shows up as a newer generation),
 * *stale_out the time the first published retired key expires, *now_out
 * the clock reading the load judged by, and *purge_out whether a retired
 * key it left out still has its private key in the store.
 */
static int load(signer_t *sg, keyset_t **out, int64_t *gen_out, int64_t *stale_out,
                int64_t *now_out, bool *purge_out, char *err, size_t errlen) {
  static const char *const STATES[] = {"active", "next", "retired"};
  store_signing_key_t *rows = NULL;
  keyset_t *ks = NULL;
  int64_t gen = 0, now = sg->clock(), stale = INT64_MAX;
  bool purge = false;
  int n = 0, rc;

  if ((rc = store_signing_key_generation(sg->store, &gen))) {
    seterr(err, errlen, "cannot read signing keys: %s", custos_strerror(rc));
    return rc;
  }
  rc = CUSTOS_ENOMEM;
  rows = calloc(SIGNER_MAX_KEYS, sizeof *rows);
  ks = calloc(1, sizeof *ks);
  if (!rows || !ks) goto fail_msg;
  atomic_init(&ks->refs, 1);
  for (size_t s = 0; s < 3; s++) {
    if ((rc = store_signing_key_list(sg->store, STATES[s], SIGNER_MAX_KEYS, rows, &n))) {
      seterr(err, errlen, "cannot read signing keys: %s", custos_strerror(rc));
      goto fail;
    }
    for (int i = 0; i < n && rc == CUSTOS_OK; i++) {
      if (s == 2) {
        /* A tombstone has nothing to load, even if this node's retired_keep
         * is longer than that of the node that purged it. */
        if (rows[i].purged_at) continue;
        /* Published while retired less than retired_keep ago. */
        int64_t until = rows[i].retired_at + sg->retired_keep;
        if (until <= now) {
          purge = true;
          continue;
        }
        if (until < stale) stale = until;
      }
      if ((rc = load_row(sg, &rows[i], &ks->e[ks->n], err, errlen)) == CUSTOS_OK) {
        if (s == 0) ks->active[ks->e[ks->n].alg] = ks->e[ks->n].jwk;
        ks->n++;
      }
    }
    for (int i = 0; i < n; i++) store_signing_key_cleanup(&rows[i]);
    if (rc) goto fail;
  }
  if ((rc = build_jwks(ks))) goto fail_msg;
  free(rows);
  *out = ks;
  *gen_out = gen;
  *stale_out = stale;
  *now_out = now;
  *purge_out = purge;
  return CUSTOS_OK;

fail_msg:
  seterr(err, errlen, "cannot build the signing key set: %s", custos_strerror(rc));
fail:
  free(rows);
  keyset_unref(ks);
  return rc;
}

/*
 * Erases the private keys of the retired keys that `load` left out at
 * `now` (store_signing_key_purge with exactly load's cut-off, so a key in
 * the snapshot just swapped in is never touched). Runs after the swap: the
 * JWKS no longer has them. A failure is logged and left for the next
 * reload (notification, poll, restart, the next key aging out).
 */
static void purge(signer_t *sg, int64_t now) {
  int n = 0;
  int rc = store_signing_key_purge(sg->store, now - sg->retired_keep, now, &n);
  if (rc)
    log_msg(LOG_WARN, "signing keys: cannot purge retired keys: %s (will retry)",
            custos_strerror(rc));
  else if (n)
    log_msg(LOG_INFO, "signing keys: purged the private key of %d retired key%s", n,
            n == 1 ? "" : "s");
}

/* Loads and swaps in a new snapshot; the old one goes when its last
 * reader is done. Then purges what aged out. */
static int reload(signer_t *sg, char *err, size_t errlen) {
  keyset_t *ks = NULL, *old;
  int64_t gen = 0, stale = 0, now = 0;
  bool need_purge = false;
  pthread_mutex_lock(&sg->reload_mu);
  int rc = load(sg, &ks, &gen, &stale, &now, &need_purge, err, errlen);
  if (rc == CUSTOS_OK) {
    ks->seq = atomic_fetch_add(&sg->seq, 1) + 1;
    pthread_rwlock_wrlock(&sg->rw);
    old = sg->cur;
    sg->cur = ks;
    pthread_rwlock_unlock(&sg->rw);
    atomic_store(&sg->generation, gen);
    atomic_store(&sg->stale_at, stale);
    keyset_unref(old);
    if (need_purge) purge(sg, now);
  }
  pthread_mutex_unlock(&sg->reload_mu);
  return rc;
}

static void reload_logged(signer_t *sg, const char *why) {
  char err[512];
  if (reload(sg, err, sizeof err) != CUSTOS_OK)
    log_msg(LOG_ERROR, "signing keys: reload after %s failed, keeping the previous keys: %s", why,
            err);
}

/* Request-time triggers: a published retired key aged out, or (at most
 * once per poll interval) the store generation moved. Each is claimed
 * with a compare-and-swap so one request does the work, not all. */
static void maybe_refresh(signer_t *sg) {
  int64_t stale = atomic_load_explicit(&sg->stale_at, memory_order_relaxed);
  if (stale != INT64_MAX && sg->clock() >= stale &&
      atomic_compare_exchange_strong(&sg->stale_at, &stale, INT64_MAX)) {
    reload_logged(sg, "a retired key expired");
    return;
  }
  if (sg->poll_ms <= 0) return;
  int64_t now = mono_ms(), due = atomic_load_explicit(&sg->next_poll_ms, memory_order_relaxed);
  if (now < due || !atomic_compare_exchange_strong(&sg->next_poll_ms, &due, now + sg->poll_ms))
    return;
  int64_t gen = 0;
  if (store_signing_key_generation(sg->store, &gen) != CUSTOS_OK) return; /* logged by the store */
  if (gen != atomic_load(&sg->generation)) reload_logged(sg, "a change in the store");
}

/* store_listen callback: any payload (including "*" after a reconnect)
 * means "reload". */
static void on_notify(void *ctx, const char *channel, const char *payload) {
  (void)channel;
  (void)payload;
  reload_logged(ctx, "a notification");
}

/* ---- keys in the store ----------------------------------------------------- */

int signer_seal_key(const unsigned char master_key[MASTERKEY_LEN], const jose_jwk_t *key,
                    store_signing_key_t *row) {
  char ctx[CONTEXT_MAX];
  json_t *priv = NULL, *pub = NULL;
  char *priv_text = NULL, *pub_text = NULL;
  buf_t sealed;
  int rc = CUSTOS_EINVAL;
  buf_init(&sealed, STORE_SEALED_MAX);
  if (!master_key || !key || !row) return CUSTOS_EINVAL;
  const char *kid = jose_jwk_kid(key), *alg = jose_alg_name(jose_jwk_alg(key));
  if (!kid || !alg || !jose_jwk_has_private(key) || strlen(kid) >= STORE_KID_MAX) goto out;
  rc = CUSTOS_ENOMEM;
  if (!(priv = jose_jwk_to_json(key, JOSE_JWK_PRIVATE)) ||
      !(pub = jose_jwk_to_json(key, JOSE_JWK_PUBLIC)) ||
      !(priv_text = json_dumps(priv, JSON_COMPACT)) || !(pub_text = json_dumps(pub, JSON_COMPACT)))
    goto out;
  context_for(kid, ctx);
  if ((rc = seal_text(master_key, ctx, (const unsigned char *)priv_text, strlen(priv_text),
                      &sealed)))
    goto out;
  memset(row, 0, sizeof *row);
  snprintf(row->kid, sizeof row->kid, "%s", kid);
  snprintf(row->alg, sizeof row->alg, "%s", alg);
  row->sealed = buf_take(&sealed);
  row->public_jwk = pub_text;
  pub_text = NULL;
  rc = row->sealed ? CUSTOS_OK : CUSTOS_ENOMEM;
  if (rc) store_signing_key_cleanup(row);
out:
  if (priv_text) {
    OPENSSL_cleanse(priv_text, strlen(priv_text));
    free(priv_text);
  }
  free(pub_text);
  json_decref(priv);
  json_decref(pub);
  buf_cleanup(&sealed);
  return rc;
}

/* Generates, seals and inserts a key for `alg` in `state`. */
static int create_key(store_t *s, const unsigned char *mk, jose_alg_t alg, const char *state) {
  jose_jwk_t *k = NULL;
  store_signing_key_t row;
  int rc = jose_keygen(alg, &k);
  if (rc) return rc;
  rc = signer_seal_key(mk, k, &row);
  jose_jwk_free(k);
  if (rc) return rc;
  snprintf(row.state, sizeof row.state, "%s", state);
  rc = store_signing_key_create(s, &row);
  store_signing_key_cleanup(&row);
  return rc;
}

int signer_rotate(store_t *s, const unsigned char master_key[MASTERKEY_LEN], jose_alg_t alg,
                  int64_t now, store_signing_key_t *out) {
  jose_jwk_t *k = NULL;
  store_signing_key_t row;
  if (!s || !master_key) return CUSTOS_EINVAL;
  int rc = jose_keygen(alg, &k);
  if (rc) return rc;
  rc = signer_seal_key(master_key, k, &row);
  jose_jwk_free(k);
  if (rc) return rc;
  rc = store_signing_key_rotate(s, row.alg, &row, now ? now : (int64_t)time(NULL));
  store_signing_key_cleanup(&row);
  if (rc) return rc;
  if (store_notify(s, STORE_SIGNING_CHANNEL, row.kid) != CUSTOS_OK)
    log_msg(LOG_WARN, "signing keys: rotated %s, but could not notify other nodes", row.alg);
  if (out) *out = row;
  return CUSTOS_OK;
}

int signer_parse_algs(const char *list, jose_alg_t *out, size_t cap, size_t *n_out) {
  size_t n = 0;
  if (!list || !out || !n_out) return CUSTOS_EINVAL;
  for (const char *p = list; *p;) {
    p += strspn(p, " ,");
    size_t len = strcspn(p, " ,");
    if (!len) break;
    jose_alg_t alg = jose_alg_from_name(p, len);
    jose_kty_t kty = jose_alg_kty(alg);
    if (kty == JOSE_KTY_UNSET || kty == JOSE_KTY_OCT) return CUSTOS_EALG;
    bool dup = false;
    for (size_t i = 0; i < n; i++) dup = dup || out[i] == alg;
    if (!dup) {
      if (n == cap) return CUSTOS_ETOOBIG;
      out[n++] = alg;
    }
    p += len;
  }
  if (!n) return CUSTOS_EALG;
  *n_out = n;
  return CUSTOS_OK;
}

/* Creates the active and next keys missing for the configured algs. */
static int bootstrap(signer_t *sg, const jose_alg_t *algs, size_t nalgs, bool *created,
                     char *err, size_t errlen) {
  static const char *const STATES[] = {"active", "next"};
  store_signing_key_t *rows = calloc(SIGNER_MAX_KEYS, sizeof *rows);
  int rc = CUSTOS_ENOMEM, n = 0;
  if (!rows) {
    seterr(err, errlen, "out of memory");
    return rc;
  }
  for (size_t s = 0; s < 2; s++) {
    if ((rc = store_signing_key_list(sg->store, STATES[s], SIGNER_MAX_KEYS, rows, &n))) {
      seterr(err, errlen, "cannot read signing keys: %s", custos_strerror(rc));
      break;
    }
    for (size_t a = 0; a < nalgs && rc == CUSTOS_OK; a++) {
      const char *name = jose_alg_name(algs[a]);
      bool have = false;
      for (int i = 0; i < n; i++) have = have || strcmp(rows[i].alg, name) == 0;
      if (have) continue;
      rc = create_key(sg->store, sg->mk, algs[a], STATES[s]);
      if (rc == CUSTOS_EEXISTS) {
        rc = CUSTOS_OK; /* another node got there first */
      } else if (rc == CUSTOS_OK) {
        *created = true;
        log_msg(LOG_INFO, "signing keys: created the %s %s key", STATES[s], name);
      } else {
        seterr(err, errlen, "cannot create the %s %s signing key: %s", STATES[s], name,
               custos_strerror(rc));
      }
    }
    for (int i = 0; i < n; i++) store_signing_key_cleanup(&rows[i]);
    if (rc) break;
  }
  free(rows);
  return rc;
}

/* ---- public ---------------------------------------------------------------- */

static void signer_destroy(signer_t *sg) {
  keyset_unref(sg->cur);
  pthread_rwlock_destroy(&sg->rw);
  pthread_mutex_destroy(&sg->reload_mu);
  OPENSSL_cleanse(sg->mk, sizeof sg->mk);
  free(sg);
}

int signer_new(store_t *s, const unsigned char master_key[MASTERKEY_LEN],
               const signer_opts_t *o, signer_t **out, char *err, size_t errlen) {
  signer_opts_t d = {0};
  bool created = false;
  int64_t gen = 0;
  int rc;
  seterr(err, errlen, "%s", "");
  if (!o) o = &d;
  if (!s || !master_key || !out || o->retired_keep < 0 || (o->nalgs && !o->algs)) {
    seterr(err, errlen, "signer: invalid arguments");
    return CUSTOS_EINVAL;
  }
  for (size_t i = 0; i < o->nalgs; i++) {
    jose_kty_t kty = jose_alg_kty(o->algs[i]);
    if (kty == JOSE_KTY_UNSET || kty == JOSE_KTY_OCT) {
      seterr(err, errlen, "signing keys: %s is not an algorithm with key pairs",
             jose_alg_name(o->algs[i]) ? jose_alg_name(o->algs[i]) : "(unset)");
      return CUSTOS_EINVAL;
    }
  }
  signer_t *sg = calloc(1, sizeof *sg);
  if (!sg) {
    seterr(err, errlen, "out of memory");
    return CUSTOS_ENOMEM;
  }
  sg->store = s;
  memcpy(sg->mk, master_key, MASTERKEY_LEN);
  sg->retired_keep = o->retired_keep ? o->retired_keep : SIGNER_DEFAULT_RETIRED_KEEP;
  sg->poll_ms = o->poll_ms ? o->poll_ms
                           : (strcmp(store_kind(s), "sqlite") == 0 ? SIGNER_DEFAULT_POLL_MS : -1);
  sg->clock = o->clock ? o->clock : default_clock;
  pthread_rwlock_init(&sg->rw, NULL);
  pthread_mutex_init(&sg->reload_mu, NULL);
  atomic_init(&sg->stale_at, INT64_MAX);
  atomic_init(&sg->generation, 0);
  atomic_init(&sg->seq, 0);
  atomic_init(&sg->next_poll_ms, mono_ms() + (sg->poll_ms > 0 ? sg->poll_ms : 0));

  if ((rc = bootstrap(sg, o->algs, o->nalgs, &created, err, errlen))) goto fail;
  if (created && store_notify(s, STORE_SIGNING_CHANNEL, "bootstrap") != CUSTOS_OK)
    log_msg(LOG_WARN, "signing keys: created keys, but could not notify other nodes");
  if ((rc = reload(sg, err, errlen))) goto fail;
  if (!o->no_listen) {
    if ((rc = store_listen(s, STORE_SIGNING_CHANNEL, on_notify, sg))) {
      seterr(err, errlen, "signing keys: cannot listen for changes: %s", custos_strerror(rc));
      goto fail;
    }
    /* A change between the load and LISTEN would otherwise go unseen. */
    if (store_signing_key_generation(s, &gen) != CUSTOS_OK || gen != atomic_load(&sg->generation))
      reload_logged(sg, "start-up");
  }
  *out = sg;
  return CUSTOS_OK;
fail:
  signer_destroy(sg);
  return rc;
}

void signer_free(signer_t *sg) {
  if (sg) signer_destroy(sg);
}

int signer_reload(signer_t *sg) {
  char err[512];
  int rc = reload(sg, err, sizeof err);
  if (rc) log_msg(LOG_ERROR, "signing keys: %s", err);
  return rc;
}

int signer_sign(signer_t *sg, jose_alg_t alg, const json_t *claims, const json_t *extra_header,
                char **token) {
  if (!sg || !claims || !token) return CUSTOS_EINVAL;
  maybe_refresh(sg);
  keyset_t *ks = acquire(sg);
  const jose_jwk_t *k = (alg > JOSE_ALG_UNSET && alg < JOSE_ALG_COUNT_) ? ks->active[alg] : NULL;
  int rc = k ? jose_jwt_sign(k, alg, claims, extra_header, token) : CUSTOS_EKEY;
  keyset_unref(ks);
  return rc;
}

int signer_verify(signer_t *sg, const char *token, size_t len, const jose_policy_t *policy,
                  json_t **claims, json_t **header) {
  if (!sg || !token) return CUSTOS_EINVAL;
  maybe_refresh(sg);
  keyset_t *ks = acquire(sg);
  int rc = ks->pub ? jose_jwt_verify(token, len, ks->pub, policy, claims, header, NULL) : CUSTOS_EKEY;
  keyset_unref(ks);
  return rc;
}

/* The current snapshot, after the request-time refresh checks. */
static keyset_t *acquire_fresh(signer_t *sg) {
  maybe_refresh(sg);
  return acquire(sg);
}

int signer_verify_claims(signer_t *sg, token_cache_t *cache, const char *token, size_t len,
                         const jose_policy_t *policy, custos_claims_t **claims) {
  unsigned char key[TOKEN_CACHE_KEY_LEN];
  if (!sg || !token || !policy || !claims) return CUSTOS_EINVAL;
  jose_policy_t pol = *policy;
  int64_t now = pol.now ? pol.now : sg->clock();
  pol.now = now;
  keyset_t *ks = acquire_fresh(sg);
  bool cached = cache && token_cache_key(cache, token, len, key) == CUSTOS_OK;
  custos_claims_t *c = cached ? token_cache_get(cache, key, ks->seq, now) : NULL;
  int rc = CUSTOS_OK;
  if (!c) {
    jose_jindex_t ix;
    jose_jindex_init(&ix);
    unsigned char *payload = NULL;
    size_t plen = 0;
    rc = ks->pub ? jose_jwt_verify_scan(token, len, ks->pub, &pol, &ix, &payload, &plen) : CUSTOS_EKEY;
    if (rc == CUSTOS_OK && !(c = claims_new(&ix, (const char *)payload, plen))) rc = CUSTOS_ENOMEM;
    if (rc == CUSTOS_OK && cached) {
      double exp = 0;
      bool has_exp = claims_exp(c, &exp);
      token_cache_put(cache, key, ks->seq, now, has_exp, exp, c);
    }
    jose_jindex_cleanup(&ix);
    free(payload);
  }
  keyset_unref(ks);
  if (rc == CUSTOS_OK) *claims = c;
  return rc;
}

int signer_jwks(signer_t *sg, buf_t *out, char etag[SIGNER_ETAG_MAX]) {
  if (!sg || !out) return CUSTOS_EINVAL;
  maybe_refresh(sg);
  keyset_t *ks = acquire(sg);
  int rc = buf_append(out, ks->jwks, ks->jwks_len);
  if (rc == CUSTOS_OK && etag) memcpy(etag, ks->etag, SIGNER_ETAG_MAX);
  keyset_unref(ks);
  return rc;
}

void signer_jwks_etag(signer_t *sg, char etag[SIGNER_ETAG_MAX]) {
  maybe_refresh(sg);
  keyset_t *ks = acquire(sg);
  memcpy(etag, ks->etag, SIGNER_ETAG_MAX);
  keyset_unref(ks);
}
