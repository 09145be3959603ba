#include "lib/verifier.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64url.h"
#include "jose/jindex.h"
#include "jose/jws.h"
#include "jose/sig.h"
#include "lib/claims.h"

#define ALL_ALGS 0xfffu            /* every CUSTOS_ALG_* bit */
#define MAX_LEEWAY 86400           /* seconds */
#define DEFAULT_CACHE_TTL 60       /* seconds */
#define PAYLOAD_STACK 2048         /* payloads up to this decode on the stack */

/* CUSTOS_ALG_* bit i <-> jose_alg_t i + 1 (both in RFC 7518 order). */
static jose_alg_t alg_of_bit(unsigned bit) {
  for (unsigned i = 0; i < JOSE_ALG_COUNT_ - 1; i++)
    if (bit == 1u << i) return (jose_alg_t)(i + 1);
  return JOSE_ALG_UNSET;
}

static int64_t wall_now(const custos_verifier_t *v) {
  return v->clock ? v->clock(v->clock_arg) : (int64_t)time(NULL);
}

static int64_t mono_now(const custos_verifier_t *v) {
  if (v->clock) return v->clock(v->clock_arg);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec;
}

CUSTOS_API void custos_verify_opts_init(custos_verify_opts_t *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->leeway = CUSTOS_DEFAULT_LEEWAY;
  o->require_exp = 1;
  o->cache_ttl = DEFAULT_CACHE_TTL;
  o->jwks_refetch_interval = CUSTOS_DEFAULT_JWKS_REFETCH;
  o->jwks_max_age = CUSTOS_DEFAULT_JWKS_MAX_AGE;
  o->jwks_max_bytes = CUSTOS_MAX_JWKS_BYTES;
  o->jwks_timeout_ms = CUSTOS_DEFAULT_JWKS_TIMEOUT_MS;
  o->jwks_connect_timeout_ms = CUSTOS_DEFAULT_JWKS_CONNECT_MS;
}

static int dup_opt(const char *s, char **out) {
  *out = NULL;
  if (!s) return CUSTOS_OK;
  return (*out = strdup(s)) ? CUSTOS_OK : CUSTOS_ENOMEM;
}

static void verifier_destroy(custos_verifier_t *v) {
  if (!v) return;
  token_cache_free(v->cache);
  hmac_pool_cleanup(&v->pool);
  keyset_unref(v->ks);
  pthread_mutex_destroy(&v->ks_lock);
  pthread_mutex_destroy(&v->fetch_lock);
  free(v->url);
  free((char *)v->fetch.ca_file);
  free(v->iss);
  free(v->aud);
  free(v->typ);
  free(v);
}

/* Checks the options and builds everything but the keys. */
static int verifier_alloc(const custos_verify_opts_t *opts, custos_verifier_t **out) {
  custos_verify_opts_t defaults;
  custos_verifier_t *v = NULL;
  int rc = CUSTOS_EINVAL;
  if (!opts) {
    custos_verify_opts_init(&defaults);
    opts = &defaults;
  }
  if ((opts->algs & ~ALL_ALGS) || opts->leeway < 0 || opts->leeway > MAX_LEEWAY ||
      opts->max_token_bytes > CUSTOS_MAX_TOKEN_LEN_LIMIT ||
      opts->cache_entries > CUSTOS_MAX_CACHE_ENTRIES ||
      (opts->cache_entries && opts->cache_ttl < 1) || opts->jwks_refetch_interval < 0 ||
      opts->jwks_max_age < 0 || opts->jwks_max_bytes > CUSTOS_MAX_JWKS_BYTES ||
      opts->jwks_timeout_ms < 0 || opts->jwks_connect_timeout_ms < 0)
    return CUSTOS_EINVAL;

  if (!(v = calloc(1, sizeof *v))) return CUSTOS_ENOMEM;
  pthread_mutex_init(&v->ks_lock, NULL);
  pthread_mutex_init(&v->fetch_lock, NULL);
  atomic_init(&v->fetched_at, 0);
  atomic_init(&v->last_attempt, 0);
  atomic_init(&v->gen, 1);
  jose_policy_init(&v->policy);
  for (unsigned i = 0; i < JOSE_ALG_COUNT_ - 1; i++)
    if (opts->algs & (1u << i)) v->algs[v->policy.nalgs++] = (jose_alg_t)(i + 1);
  v->policy.algs = v->policy.nalgs ? v->algs : NULL;
  v->policy.leeway = opts->leeway;
  v->policy.require_exp = opts->require_exp != 0;
  v->policy.max_token_bytes = opts->max_token_bytes ? opts->max_token_bytes : CUSTOS_MAX_TOKEN_LEN;
  rc = CUSTOS_ENOMEM;
  char *ca = NULL;
  if (dup_opt(opts->iss, &v->iss) || dup_opt(opts->aud, &v->aud) || dup_opt(opts->typ, &v->typ) ||
      dup_opt(opts->jwks_ca_file, &ca))
    goto fail;
  v->policy.iss = v->iss;
  v->policy.aud = v->aud;
  v->policy.typ = v->typ;
  v->fetch = (jwks_fetch_opts_t){
      .max_bytes = opts->jwks_max_bytes ? opts->jwks_max_bytes : CUSTOS_MAX_JWKS_BYTES,
      .timeout_ms = opts->jwks_timeout_ms ? opts->jwks_timeout_ms : CUSTOS_DEFAULT_JWKS_TIMEOUT_MS,
      .connect_ms = opts->jwks_connect_timeout_ms ? opts->jwks_connect_timeout_ms
                                                  : CUSTOS_DEFAULT_JWKS_CONNECT_MS,
      .allow_http = opts->jwks_allow_http != 0,
      .ca_file = ca};
  v->refetch_interval = opts->jwks_refetch_interval;
  v->max_age = opts->jwks_max_age;
  if (opts->cache_entries && !(v->cache = token_cache_new(opts->cache_entries, opts->cache_ttl)))
    goto fail;
  *out = v;
  return CUSTOS_OK;
fail:
  verifier_destroy(v);
  return rc;
}

/* Parses JWKS text into a keyset of generation `gen`; an empty usable set
 * is CUSTOS_EKEY (it could verify nothing). */
static int keyset_from_text(const char *text, size_t len, uint64_t gen, keyset_t **out) {
  jose_jwks_t *set = NULL;
  int rc = jose_jwks_parse(text, len, &set, NULL);
  if (rc) return rc;
  if (jose_jwks_count(set) == 0) {
    jose_jwks_free(set);
    return CUSTOS_EKEY;
  }
  return (*out = keyset_new(set, gen)) ? CUSTOS_OK : CUSTOS_ENOMEM;
}

CUSTOS_API int custos_verifier_new_jwks(const char *jwks, size_t len,
                                        const custos_verify_opts_t *opts,
                                        custos_verifier_t **out) {
  custos_verifier_t *v = NULL;
  int rc;
  if (!jwks || !out) return CUSTOS_EINVAL;
  if (len > CUSTOS_MAX_JWKS_BYTES) return CUSTOS_ETOOBIG;
  if ((rc = verifier_alloc(opts, &v))) return rc;
  if ((rc = keyset_from_text(jwks, len, 1, &v->ks))) {
    verifier_destroy(v);
    return rc;
  }
  *out = v;
  return CUSTOS_OK;
}

CUSTOS_API int custos_verifier_new_jwks_url(const char *url, const custos_verify_opts_t *opts,
                                            custos_verifier_t **out) {
  custos_verifier_t *v = NULL;
  char *body = NULL;
  size_t blen = 0;
  int rc;
  if (!url || !out) return CUSTOS_EINVAL;
  if ((rc = verifier_alloc(opts, &v))) return rc;
  if ((rc = jwks_url_check(url, v->fetch.allow_http))) goto fail;
  rc = CUSTOS_ENOMEM;
  if (!(v->url = strdup(url))) goto fail;
  if ((rc = jwks_fetch(v->url, &v->fetch, &body, &blen))) goto fail;
  if ((rc = keyset_from_text(body, blen, 1, &v->ks))) goto fail;
  atomic_store(&v->last_attempt, mono_now(v));
  atomic_store(&v->fetched_at, atomic_load(&v->last_attempt));
  free(body);
  *out = v;
  return CUSTOS_OK;
fail:
  free(body);
  verifier_destroy(v);
  return rc;
}

/* Builds the oct JWK for an HMAC secret through jose's own parser, so the
 * key obeys the same acceptance rules as a JWKS one. */
static int hmac_jwk(const void *secret, size_t len, jose_alg_t alg, jose_jwk_t **out) {
  size_t elen = b64url_encoded_len(len);
  char *k = malloc(elen + 1);
  json_t *obj = NULL, *kstr = NULL;
  int rc = CUSTOS_ENOMEM;
  if (!k) return rc;
  b64url_encode(secret, len, k);
  k[elen] = '\0';
  if (!(kstr = json_stringn_nocheck(k, elen))) goto out;
  if (!(obj = json_pack("{s:s, s:O, s:s}", "kty", "oct", "k", kstr, "alg", jose_alg_name(alg))))
    goto out;
  rc = jose_jwk_from_json(obj, out);
out:
  /* The JSON string holds the encoded secret: wipe it before jansson frees it. */
  if (kstr) OPENSSL_cleanse((char *)json_string_value(kstr), elen);
  json_decref(obj);
  json_decref(kstr);
  OPENSSL_cleanse(k, elen);
  free(k);
  return rc;
}

CUSTOS_API int custos_verifier_new_hmac(const void *secret, size_t len, custos_alg_t alg,
                                        const custos_verify_opts_t *opts,
                                        custos_verifier_t **out) {
  custos_verifier_t *v = NULL;
  jose_jwks_t *set = NULL;
  jose_jwk_t *key = NULL;
  int rc = CUSTOS_EINVAL;
  jose_alg_t ja = alg_of_bit((unsigned)alg);
  if (!secret || !out || jose_alg_kty(ja) != JOSE_KTY_OCT) return CUSTOS_EINVAL;
  if (opts && opts->algs && !(opts->algs & (unsigned)alg)) return CUSTOS_EINVAL;
  if (len < jose_alg_hash_len(ja) || len > CUSTOS_MAX_SECRET_LEN) return CUSTOS_EKEY;
  if ((rc = verifier_alloc(opts, &v))) return rc;
  /* The one algorithm is the allowlist, whatever else opts->algs held. */
  v->algs[0] = ja;
  v->policy.algs = v->algs;
  v->policy.nalgs = 1;
  if ((rc = hmac_jwk(secret, len, ja, &key))) goto fail;
  rc = CUSTOS_ENOMEM;
  if (!(set = jose_jwks_new())) goto fail;
  if ((rc = jose_jwks_add(set, key))) goto fail;
  v->hmac_key = key;
  v->hmac_alg = ja;
  jose_jwk_free(key); /* the set holds its own reference */
  key = NULL;
  rc = CUSTOS_ENOMEM;
  if (!(v->ks = keyset_new(set, 1))) {
    set = NULL; /* keyset_new freed it */
    goto fail;
  }
  set = NULL;
  if ((rc = hmac_pool_init(&v->pool, secret, len, jose_alg_digest(ja)))) goto fail;
  *out = v;
  return CUSTOS_OK;
fail:
  jose_jwk_free(key);
  jose_jwks_free(set);
  verifier_destroy(v);
  return rc;
}

CUSTOS_API void custos_verifier_free(custos_verifier_t *v) { verifier_destroy(v); }

/* ---- verification ------------------------------------------------------- */

static keyset_t *pin_keys(custos_verifier_t *v) {
  if (!v->url) return v->ks; /* never replaced: no reference needed */
  pthread_mutex_lock(&v->ks_lock);
  keyset_t *ks = keyset_ref(v->ks);
  pthread_mutex_unlock(&v->ks_lock);
  return ks;
}

static void unpin_keys(custos_verifier_t *v, keyset_t *ks) {
  if (v->url) keyset_unref(ks);
}

/*
 * Refetches the JWKS when allowed. `urgent` (an unknown kid) waits for a
 * fetch in progress; otherwise (age) only one thread fetches and the rest
 * carry on. Returns true when a set newer than `seen_gen` is in place.
 * A failed fetch or a bad document keeps the current keys.
 */
static bool refresh_keys(custos_verifier_t *v, bool urgent, uint64_t seen_gen) {
  if (urgent) {
    pthread_mutex_lock(&v->fetch_lock);
  } else if (pthread_mutex_trylock(&v->fetch_lock) != 0) {
    return false;
  }
  bool fresh = atomic_load(&v->gen) != seen_gen; /* another thread just did it */
  int64_t now = mono_now(v);
  if (!fresh && now - atomic_load(&v->last_attempt) >= v->refetch_interval &&
      (urgent || now - atomic_load(&v->fetched_at) >= v->max_age)) {
    char *body = NULL;
    size_t blen = 0;
    keyset_t *ks = NULL;
    atomic_store(&v->last_attempt, now);
    uint64_t gen = atomic_load(&v->gen) + 1;
    if (jwks_fetch(v->url, &v->fetch, &body, &blen) == CUSTOS_OK &&
        keyset_from_text(body, blen, gen, &ks) == CUSTOS_OK) {
      pthread_mutex_lock(&v->ks_lock);
      keyset_t *old = v->ks;
      v->ks = ks;
      atomic_store(&v->gen, gen);
      atomic_store(&v->fetched_at, now);
      pthread_mutex_unlock(&v->ks_lock);
      keyset_unref(old);
      fresh = true;
    }
    free(body);
  }
  pthread_mutex_unlock(&v->fetch_lock);
  return fresh;
}

/* Lock-free pre-check for the age refresh, so the common case (set fresh,
 * or a refetch attempted recently) costs two atomic loads. */
static bool age_due(custos_verifier_t *v) {
  int64_t now = mono_now(v);
  return now - atomic_load_explicit(&v->fetched_at, memory_order_relaxed) >= v->max_age &&
         now - atomic_load_explicit(&v->last_attempt, memory_order_relaxed) >= v->refetch_interval;
}


static int check_sig(custos_verifier_t *v, const jose_jwk_t *key, jose_alg_t alg,
                     const char *data, size_t len, const unsigned char *sig, size_t siglen) {
  if (key == v->hmac_key && alg == v->hmac_alg && v->pool.tmpl) {
    unsigned char mac[HMAC_POOL_OUT_MAX];
    int rc = hmac_pool_mac(&v->pool, data, len, mac);
    if (rc == CUSTOS_OK)
      rc = siglen == v->pool.outlen && CRYPTO_memcmp(mac, sig, siglen) == 0 ? CUSTOS_OK
                                                                             : CUSTOS_EBADSIG;
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
  }
  return jose_sig_verify(key, alg, data, len, sig, siglen);
}

/* Steps after a good signature on the decoded payload: payload object,
 * typ verdict, times, iss/aud, all on the scanned index (no jansson tree).
 * When `claims` is non-NULL it gets a new claims object on success. */
static int check_payload_text(const jose_policy_t *pol, const char *text, size_t len, int typ_rc,
                              custos_claims_t **claims) {
  jose_jindex_t ix;
  jose_jindex_init(&ix);
  int rc = jose_jindex_scan(&ix, text, len, pol->max_depth);
  if (rc) goto out;
  jose_jview_t view = jose_jindex_view(&ix, text, len);
  if ((rc = typ_rc) || (rc = jose_jwt_check_claims_view(pol, &view))) goto out;
  rc = CUSTOS_ENOMEM;
  if (claims && !(*claims = claims_new(&ix, text, len))) goto out;
  rc = CUSTOS_OK;
out:
  jose_jindex_cleanup(&ix);
  return rc;
}

/* check_payload_text on the still-encoded payload segment. */
static int check_payload(const jose_policy_t *pol, const char *b64, size_t n, int typ_rc,
                         custos_claims_t **claims) {
  unsigned char stackbuf[PAYLOAD_STACK];
  unsigned char *buf = stackbuf;
  size_t plen = 0;
  int rc = CUSTOS_ENOMEM;
  if (b64url_decoded_max(n) > sizeof stackbuf && !(buf = malloc(b64url_decoded_max(n) + 1)))
    return rc;
  rc = CUSTOS_EINVAL;
  if (b64url_decode(b64, n, buf, &plen) == CUSTOS_OK)
    rc = check_payload_text(pol, (const char *)buf, plen, typ_rc, claims);
  if (buf != stackbuf) free(buf);
  return rc;
}

/* The header of this token has not been seen with this key set: the full
 * jose path (parse, select, allow), then remember the header once its
 * signature verified. */
static int verify_slow(custos_verifier_t *v, keyset_t *ks, const jose_policy_t *pol,
                       const char *token, size_t len, custos_claims_t **claims) {
  jose_jws_t jws = {0};
  const jose_jwk_t *key = NULL;
  int rc;
  if ((rc = jose_jws_parse(token, len, pol->max_token_bytes, pol->max_depth, &jws))) goto out;
  if (v->hmac_key)
    key = v->hmac_key; /* one secret: any kid, or none, names it */
  else if ((rc = jose_jwks_select(ks->set, jws.alg, jws.kid, &key)))
    goto out;
  rc = CUSTOS_EALG;
  if (!jose_jwt_alg_allowed(pol, key, jws.alg)) goto out;
  if ((rc = check_sig(v, key, jws.alg, jws.signing_input, jws.signing_input_len, jws.sig,
                      jws.sig_len)))
    goto out;
  int typ_rc = jose_jwt_check_typ(pol, jws.header);
  size_t hlen = (size_t)(jws.payload_b64 - 1 - token);
  keyset_hdr_add(ks, token, hlen, jws.alg, key, typ_rc);
  rc = check_payload(pol, jws.payload_b64, jws.payload_b64_len, typ_rc, claims);
out:
  jose_jws_cleanup(&jws);
  return rc;
}

static int verify_with(custos_verifier_t *v, keyset_t *ks, const jose_policy_t *pol,
                       const char *token, size_t len, custos_claims_t **claims) {
  const char *d1 = memchr(token, '.', len);
  const keyset_hdr_t *h = d1 && d1 > token ? keyset_hdr_find(ks, token, (size_t)(d1 - token)) : NULL;
  if (!h) return verify_slow(v, ks, pol, token, len, claims);

  /* A header this set already verified: the structural checks that
   * jose_jws_parse makes on the rest, in its order, then the signature. */
  size_t rest = len - (size_t)(d1 + 1 - token);
  const char *d2 = memchr(d1 + 1, '.', rest);
  if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) return CUSTOS_EINVAL;
  size_t pl = (size_t)(d2 - d1 - 1), sl = len - (size_t)(d2 + 1 - token);
  /* A small payload is decoded now, which also proves its shape in the
   * same pass. Only when that fails is the shape judged on its own: a
   * canonical-alphabet payload with stray trailing bits is refused after
   * the signature, as jose_jws_parse's order has it. */
  unsigned char payload[PAYLOAD_STACK];
  size_t plen = 0;
  bool decoded = b64url_decoded_max(pl) <= sizeof payload &&
                 b64url_decode(d1 + 1, pl, payload, &plen) == CUSTOS_OK;
  if ((!decoded && !b64url_shape_ok(d1 + 1, pl)) || sl == 0) return CUSTOS_EINVAL;
  unsigned char sig[JOSE_SIG_MAX_BYTES];
  size_t siglen = 0;
  if (b64url_decoded_max(sl) > sizeof sig) return verify_slow(v, ks, pol, token, len, claims);
  if (b64url_decode(d2 + 1, sl, sig, &siglen) != CUSTOS_OK) return CUSTOS_EINVAL;
  int rc = check_sig(v, h->key, h->alg, token, (size_t)(d2 - token), sig, siglen);
  if (rc) return rc;
  if (decoded) return check_payload_text(pol, (const char *)payload, plen, h->typ_rc, claims);
  return check_payload(pol, d1 + 1, pl, h->typ_rc, claims);
}

CUSTOS_API int custos_verify(const custos_verifier_t *cv, const char *token, size_t len,
                             custos_claims_t **out) {
  /* The verifier is logically const: what changes inside (key set, cache,
   * HMAC slots) is synchronised and invisible to callers. */
  custos_verifier_t *v = (custos_verifier_t *)cv;
  unsigned char ckey[TOKEN_CACHE_KEY_LEN];
  custos_claims_t *claims = NULL;
  bool cached = false;
  int rc;
  if (!v || !token) return CUSTOS_EINVAL;
  if (len > v->policy.max_token_bytes) return CUSTOS_ETOOBIG;

  jose_policy_t pol = v->policy;
  pol.now = wall_now(v);
  keyset_t *ks = pin_keys(v);
  if (v->url && v->max_age && age_due(v) && refresh_keys(v, false, ks->gen)) {
    unpin_keys(v, ks);
    ks = pin_keys(v);
  }
  bool use_cache = v->cache && token_cache_key(v->cache, token, len, ckey) == CUSTOS_OK;
  /* A claims object is built only when someone keeps it. */
  custos_claims_t **want = out || use_cache ? &claims : NULL;
  if (use_cache && (claims = token_cache_get(v->cache, ckey, ks->gen, pol.now))) {
    cached = true;
    rc = CUSTOS_OK;
  } else {
    rc = verify_with(v, ks, &pol, token, len, want);
    if (rc == CUSTOS_EKEY && v->url && refresh_keys(v, true, ks->gen)) {
      unpin_keys(v, ks);
      ks = pin_keys(v);
      rc = verify_with(v, ks, &pol, token, len, want);
    }
  }
  if (rc == CUSTOS_OK && use_cache && !cached) {
    double exp = 0;
    bool has_exp = claims_exp(claims, &exp);
    token_cache_put(v->cache, ckey, ks->gen, pol.now, has_exp, exp, claims);
  }
  unpin_keys(v, ks);
  if (rc != CUSTOS_OK) return rc;
  if (out)
    *out = claims;
  else
    custos_claims_free(claims);
  return CUSTOS_OK;
}

/* ---- test hooks ---------------------------------------------------------- */

void custos__verifier_set_clock(custos_verifier_t *v, verifier_clock_fn fn, void *arg) {
  v->clock = fn;
  v->clock_arg = arg;
  atomic_store(&v->last_attempt, mono_now(v));
  atomic_store(&v->fetched_at, atomic_load(&v->last_attempt));
}

uint64_t custos__verifier_generation(const custos_verifier_t *v) { return atomic_load(&v->gen); }

token_cache_t *custos__verifier_cache(const custos_verifier_t *v) { return v->cache; }
