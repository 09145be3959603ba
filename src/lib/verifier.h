/*
 * verifier.h — the custos_verifier_t object (libcustos internals).
 *
 * Layout of a verification (custos_verify):
 *   1. size cap;  2. token cache lookup (if enabled);
 *   3. the key set in use is pinned by a reference (URL verifiers swap it
 *      on refetch);
 *   4. the header segment is looked up among those this set has already
 *      verified (keyset.h): a hit knows alg and key without decoding it;
 *      a miss runs jose_jws_parse and key selection (the exact order and
 *      codes of jose_jwt_verify);
 *   5. signature (HMAC verifiers use their pool of keyed contexts);
 *   6. payload, typ, times, iss/aud (jose_jwt_check_*);
 *   7. an unknown kid on a URL verifier triggers one rate-limited refetch
 *      and a second attempt.
 */
#ifndef CUSTOS_LIB_VERIFIER_H
#define CUSTOS_LIB_VERIFIER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "custos.h"
#include "jose/jwt.h"
#include "lib/hmac_pool.h"
#include "lib/jwks_fetch.h"
#include "lib/keyset.h"
#include "lib/token_cache.h"

typedef int64_t (*verifier_clock_fn)(void *arg);

struct custos_verifier {
  jose_policy_t policy;            /* algs points into algs[]; now = 0 */
  jose_alg_t algs[JOSE_ALG_COUNT_]; /* the allowlist, policy.nalgs used */
  char *iss, *aud, *typ;           /* owned copies behind policy's pointers */

  keyset_t *ks;                    /* current keys; replaced only if `url` */
  pthread_mutex_t ks_lock;         /* guards the `ks` pointer (URL only) */

  /* JWKS URL verifiers only (url == NULL otherwise). */
  char *url;                       /* owned */
  jwks_fetch_opts_t fetch;         /* ca_file points to an owned copy */
  int64_t refetch_interval;        /* seconds */
  int64_t max_age;                 /* seconds, 0 = no age refresh */
  pthread_mutex_t fetch_lock;      /* one fetch at a time */
  atomic_llong last_attempt;       /* monotonic seconds; written under fetch_lock */
  atomic_llong fetched_at;         /* monotonic seconds of the set in use */
  atomic_ullong gen;               /* generation of the set in use */

  /* HMAC verifiers only. */
  const jose_jwk_t *hmac_key;      /* the one key (owned by ks), or NULL */
  jose_alg_t hmac_alg;             /* its algorithm */
  hmac_pool_t pool;                /* keyed contexts for hmac_key */

  token_cache_t *cache;            /* NULL = no token cache */

  verifier_clock_fn clock;         /* tests only: replaces both clocks */
  void *clock_arg;
};

/*
 * For tests: makes `v` read time from `fn(arg)` (Unix seconds) for token
 * times, the cache and the refetch rate limit. Call before the verifier
 * is shared. Not exported from the shared library.
 */
void custos__verifier_set_clock(custos_verifier_t *v, verifier_clock_fn fn, void *arg);

/* For tests: the generation of the key set in use (1 after creation,
 * +1 per successful refetch), and the token cache (NULL if off). */
uint64_t custos__verifier_generation(const custos_verifier_t *v);
token_cache_t *custos__verifier_cache(const custos_verifier_t *v);

#endif
