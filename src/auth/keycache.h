/*
 * keycache.h — the bounded in-memory cache of API keys behind keycheck.
 *
 * Positive cache: KEYCACHE_SHARDS shards (fewer when the bound is tiny),
 * picked by the first byte of the key's SHA-256. Each shard is one mutex,
 * its entries kept densely in chunks of 128, and an open-addressing index
 * (linear probing, load <= 0.8, backward-shift deletion) of 4-byte slots: a
 * 12-bit hash tag and the entry's number. The hash bytes are the table
 * hash. A hit takes one shard mutex, allocates nothing and touches no other
 * shared state.
 *
 * Bounded: each shard holds at most max_entries / shards entries; inserting
 * into a full shard evicts one entry chosen by CLOCK (a hit sets the entry's
 * reference bit; the hand clears set bits and evicts the first clear one).
 *
 * Compact: an entry is 160 bytes. Ids are kept without their prefixes, each
 * as 22 base62 digits packed 6 bits apiece into 17 bytes; kind and scopes
 * are interned, one refcounted copy per distinct (kind, scopes) pair shared
 * by every entry that has it.
 *
 * Negative cache: hash → refused-until, a fixed 4-way set-associative array
 * of at most negative_max entries (the entry expiring first in a full set is
 * replaced), striped over the same number of mutexes.
 *
 * Usage counts live in the entries; an entry removed or evicted with
 * pending uses hands them to an internal list so keycache_take_usage() never
 * loses a count.
 *
 * Lock order: shard → interned attributes → usage list. All calls are
 * thread-safe unless they take a locked shard, which the caller must hold.
 */
#ifndef CUSTOS_AUTH_KEYCACHE_H
#define CUSTOS_AUTH_KEYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define KEYCACHE_SHARDS 64             /* positive-cache shards (a power of 2) */
#define KEYCACHE_NEG_WAYS 4            /* negative-cache associativity */
#define KEYCACHE_ID_DIGITS 22          /* base62 digits after an id's "prefix_" */
#define KEYCACHE_ID_PACKED 17          /* bytes for 22 digits at 6 bits each */
#define KEYCACHE_USAGE_MAX 1000000     /* pending usage records kept for evicted keys */

/* Which id of an entry. The store writes ids as rand_id(prefix): each
 * slot's prefix is implied by the cache (keycache_new_ids) and not stored. */
enum keycache_id { KEYCACHE_KEY, KEYCACHE_APP, KEYCACHE_ACCOUNT, KEYCACHE_ENV, KEYCACHE_NIDS };

/* The API key slots' prefixes: "key", "app", "acct", "env". */
extern const char *const KEYCACHE_KEY_PREFIXES[KEYCACHE_NIDS];

/* Entry flags. */
#define KEYCACHE_F_REVOKED 0x01 /* revoked_at != 0 in the store */
#define KEYCACHE_F_REF 0x02     /* CLOCK reference bit, set by a hit */

typedef struct keycache keycache_t;
typedef struct keycache_shard keycache_shard_t;
typedef struct keycache_attrs keycache_attrs_t; /* interned kind + scopes */

typedef struct keycache_entry {
  unsigned char hash[STORE_KEY_HASH_LEN]; /* SHA-256 of the key text */
  int64_t expires_at;                     /* unix seconds, 0 = never */
  int64_t grace_until;                    /* unix seconds, 0 = not rotated */
  int64_t loaded_at;                      /* `now` when read from the store */
  int64_t last_used_at;                   /* `now` of the latest counted use */
  int64_t tat;                            /* rate-limit state, see ratelimit.h */
  const keycache_attrs_t *attrs;          /* shared, never NULL */
  uint32_t uses;                          /* successful checks not yet flushed */
  uint32_t fail_window;                   /* minute (now / 60) of fail_count */
  uint16_t fail_count;                    /* failed checks in fail_window, saturating */
  uint8_t flags;                          /* KEYCACHE_F_* */
  uint8_t ids[KEYCACHE_NIDS][KEYCACHE_ID_PACKED]; /* packed ids, see enum keycache_id */
} keycache_entry_t;

/* A cache for up to `max_entries` keys (1..64 × 1,048,574) and
 * `negative_max` refused hashes (>= 1). NULL on allocation failure or a
 * bound out of range. */
keycache_t *keycache_new(size_t max_entries, size_t negative_max);
/* The same for credentials whose ids have other prefixes (user tokens:
 * "utk", "app", "acct", "usr"); `prefixes` must be static strings, each
 * short enough for "<prefix>_<22 digits>" to fit RAND_ID_MAX. */
keycache_t *keycache_new_ids(size_t max_entries, size_t negative_max, const char *const prefixes[KEYCACHE_NIDS]);
/* Frees everything, pending usage included. NULL ok. */
void keycache_free(keycache_t *c);

/* --- positive cache: work on one locked shard ----------------------------- */

/* Locks and returns the shard of `hash`. Pair with keycache_unlock(). */
keycache_shard_t *keycache_lock(keycache_t *c, const unsigned char hash[STORE_KEY_HASH_LEN]);
void keycache_unlock(keycache_shard_t *sh);

/* A counter that changes whenever the shard drops an entry by invalidation
 * (keycache_remove, keycache_clear). Read it before a store lookup and
 * compare before caching the result, so a row read before a revocation is
 * never cached after the revocation's invalidation. */
uint32_t keycache_gen(const keycache_shard_t *sh);

/* The entry for `hash` (compared with CRYPTO_memcmp), or NULL. Sets its
 * reference bit. Valid until the shard is unlocked. */
keycache_entry_t *keycache_find(keycache_shard_t *sh, const unsigned char hash[STORE_KEY_HASH_LEN]);

/*
 * Stores key `k` (read from the store at `now`) in the locked shard `sh`,
 * which must be the shard of k->hash. An existing entry for the hash is
 * refreshed in place and keeps its rate-limit state, pending uses and
 * failure count; a new one may evict another (CLOCK). Sets *out to the
 * entry, valid until unlock. CUSTOS_OK, CUSTOS_ENOMEM, or CUSTOS_EINVAL when
 * an id is not "<prefix>_<22 base62>" with its expected prefix (the cache
 * stores ids packed, so it cannot hold such a row).
 */
int keycache_put(keycache_t *c, keycache_shard_t *sh, const store_api_key_t *k, int64_t now,
                 keycache_entry_t **out) __attribute__((warn_unused_result));

/* Counts one successful use of `e` at `now` (caller holds e's shard). */
void keycache_count_use(keycache_shard_t *sh, keycache_entry_t *e, int64_t now);

/* Writes id `which` of `e` (an entry of `c`) as text ("key_…", "app_…",
 * "acct_…", "env_…" with the default prefixes). */
void keycache_entry_id(const keycache_t *c, const keycache_entry_t *e, enum keycache_id which,
                       char out[RAND_ID_MAX]);
/* Interned strings of an entry; live as long as the entry. */
const char *keycache_attrs_kind(const keycache_attrs_t *a);
const char *keycache_attrs_scopes(const keycache_attrs_t *a);

/* --- whole-cache operations (take the locks they need) --------------------- */

/* Drops `hash` from the positive and negative caches. True if it was in
 * the positive cache. */
bool keycache_remove(keycache_t *c, const unsigned char hash[STORE_KEY_HASH_LEN]);
/* Drops every positive and negative entry (pending uses are kept). */
void keycache_clear(keycache_t *c);

/* True when `hash` was refused and its refusal lasts past `now`. */
bool keycache_neg_has(keycache_t *c, const unsigned char hash[STORE_KEY_HASH_LEN], int64_t now);
/* Refuses `hash` until `until` (unix seconds); `now` picks what to replace. */
void keycache_neg_add(keycache_t *c, const unsigned char hash[STORE_KEY_HASH_LEN], int64_t now,
                      int64_t until);

/*
 * Moves every pending use count (entries and evicted ones) into a new array
 * *out of *n_out records (caller frees; NULL when there are none) and zeroes
 * them. Always CUSTOS_OK: when the array cannot grow, the counts not yet
 * moved stay pending for the next call.
 */
int keycache_take_usage(keycache_t *c, store_key_usage_t **out, size_t *n_out)
    __attribute__((warn_unused_result));
/* Puts back records that could not be written, to be taken again (up to
 * KEYCACHE_USAGE_MAX pending; beyond that they are dropped and counted). */
void keycache_return_usage(keycache_t *c, const store_key_usage_t *u, size_t n);

/* Positive entries now, and the bytes the whole cache holds allocated:
 * entry arrays, indexes, interned attributes, negative cache, shards. */
size_t keycache_entries(const keycache_t *c);
size_t keycache_bytes(const keycache_t *c);

#endif
