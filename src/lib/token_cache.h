/*
 * token_cache.h — a bounded cache of verified tokens.
 *
 * Keyed by SHA-256 of the token text, so the cache never holds tokens
 * themselves. Each entry keeps the verified claims (a shared, read-only,
 * reference-counted custos_claims_t), the key-set generation it was
 * verified under, and an absolute expiry: min(token "exp", insertion +
 * ttl), with no leeway, so a cached success is never returned at or after
 * "exp". A lookup under a different generation misses (keys changed:
 * verify again).
 *
 * The cache is split into shards, each a mutex, a hash index and a FIFO
 * ring of at most capacity/shards entries: inserting into a full shard
 * evicts its oldest entry, so memory stays bounded by `capacity`.
 *
 * Thread-safe: lookups and inserts may run in any number of threads.
 */
#ifndef CUSTOS_LIB_TOKEN_CACHE_H
#define CUSTOS_LIB_TOKEN_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "custos.h"

#define TOKEN_CACHE_KEY_LEN 32     /* SHA-256, bytes */
#define TOKEN_CACHE_MAX_SHARDS 16  /* shards at most (fewer for small caches) */

typedef struct token_cache token_cache_t;

/* A cache of at most `capacity` entries (>= 1), each living at most `ttl`
 * seconds (>= 1). NULL on allocation failure. */
token_cache_t *token_cache_new(size_t capacity, int64_t ttl);

/* Frees every entry (dropping their claims references). NULL ok. */
void token_cache_free(token_cache_t *c);

/* Writes SHA-256 of the token into `key`. Returns CUSTOS_OK or
 * CUSTOS_ECRYPTO / CUSTOS_ENOMEM. */
int token_cache_key(const token_cache_t *c, const char *token, size_t len,
                    unsigned char key[TOKEN_CACHE_KEY_LEN]) __attribute__((warn_unused_result));

/* Returns a new reference to the cached claims for `key` when an entry
 * exists for generation `gen` and `now` < its expiry; NULL otherwise
 * (an expired entry found on the way is dropped). */
custos_claims_t *token_cache_get(token_cache_t *c, const unsigned char key[TOKEN_CACHE_KEY_LEN],
                        uint64_t gen, int64_t now);

/* Stores `claims` (a reference is taken; the object must never be
 * modified afterwards) for `key` and generation `gen`, valid until
 * min(exp, now + ttl) where `exp` is the token's "exp" (has_exp false
 * when it has none). Does nothing when that is not after `now`, or when
 * memory is short. Replaces an existing entry for the same key. */
void token_cache_put(token_cache_t *c, const unsigned char key[TOKEN_CACHE_KEY_LEN],
                     uint64_t gen, int64_t now, bool has_exp, double exp,
                     custos_claims_t *claims);

/* Number of live entries (expired ones not yet evicted included); for
 * tests. */
size_t token_cache_size(token_cache_t *c);

#endif
