/*
 * keyset.h — one generation of a verifier's keys, shared by reference.
 *
 * A verifier built from a JWKS URL swaps in a new key set when it
 * refetches; threads verifying with the old set keep it alive through a
 * reference until they finish. Each set also remembers, for the header
 * texts it has already seen verify, what the header resolved to (alg and
 * key): a JWT issuer sends the same header bytes on every token, so the
 * hot path can skip decoding and parsing it. Entries are added only after
 * a signature verified with that header, so forged headers cannot fill the
 * table, and they go away with the set (a refetch starts afresh).
 *
 * Thread safety: every function may run concurrently with the others on
 * the same set; keyset_unref of the last reference needs no other user.
 */
#ifndef CUSTOS_LIB_KEYSET_H
#define CUSTOS_LIB_KEYSET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "jose/alg.h"
#include "jose/jwk.h"
#include "jose/jwks.h"

#define KEYSET_HDR_SLOTS 16   /* distinct header texts remembered per set */
#define KEYSET_HDR_MAX 512    /* longest header segment remembered, bytes */

typedef struct keyset_hdr {
  char *text;                 /* base64url header segment, owned */
  size_t len;                 /* bytes */
  jose_alg_t alg;             /* the header's "alg" */
  const jose_jwk_t *key;      /* key it selected, borrowed from the set */
  int typ_rc;                 /* jose_jwt_check_typ's verdict on it */
} keyset_hdr_t;

typedef struct keyset {
  atomic_uint refs;           /* references held */
  jose_jwks_t *set;           /* the keys, owned; never changed once built */
  uint64_t gen;               /* generation, increases with each refetch */
  pthread_mutex_t hdr_lock;   /* serialises additions to hdr[] */
  atomic_size_t nhdr;         /* hdr[0..nhdr) are complete and immutable */
  keyset_hdr_t hdr[KEYSET_HDR_SLOTS];
} keyset_t;

/* Wraps `set` (taken: freed with the keyset, also on failure) as
 * generation `gen` with one reference. NULL on allocation failure. */
keyset_t *keyset_new(jose_jwks_t *set, uint64_t gen);

/* Adds a reference and returns `ks`. */
keyset_t *keyset_ref(keyset_t *ks);

/* Drops a reference; the last frees the set and the header table. NULL ok. */
void keyset_unref(keyset_t *ks);

/* Looks up header segment `hdr` (`len` bytes). Returns the entry, borrowed
 * for the set's lifetime, or NULL. Lock-free. */
const keyset_hdr_t *keyset_hdr_find(const keyset_t *ks, const char *hdr, size_t len);

/* Remembers that header segment `hdr` resolved to `alg` and `key` (which
 * must belong to this set) with typ verdict `typ_rc`. Silently does nothing
 * when the table is full, the text is too long, it is already present, or
 * memory is short: the table is only an accelerator. */
void keyset_hdr_add(keyset_t *ks, const char *hdr, size_t len, jose_alg_t alg,
                    const jose_jwk_t *key, int typ_rc);

#endif
