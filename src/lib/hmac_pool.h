/*
 * hmac_pool.h — pre-keyed HMAC contexts shared by the threads of one
 * verifier.
 *
 * Keying HMAC (hashing the padded secret) and duplicating a keyed
 * EVP_MAC_CTX both cost more than MACing a short token, so an HMAC
 * verifier keeps a few keyed contexts. A verifying thread claims a free
 * one with one atomic exchange, resets it to the keyed state
 * (EVP_MAC_init with no key, which OpenSSL does by copying the saved inner
 * digest state), MACs, and releases it. If every slot is busy it falls
 * back to duplicating the never-used template, so no thread waits.
 *
 * Thread-safe: hmac_pool_mac may run in any number of threads at once.
 */
#ifndef CUSTOS_LIB_HMAC_POOL_H
#define CUSTOS_LIB_HMAC_POOL_H

#include <openssl/evp.h>
#include <stdatomic.h>
#include <stddef.h>

#define HMAC_POOL_MIN_SLOTS 4    /* slots at least */
#define HMAC_POOL_MAX_SLOTS 64   /* slots at most (2 per online CPU otherwise) */
#define HMAC_POOL_OUT_MAX 64     /* largest MAC (SHA-512), bytes */

typedef struct hmac_slot {
  _Alignas(64) atomic_int busy;  /* 0 free, 1 claimed; own cache line */
  EVP_MAC_CTX *ctx;              /* keyed context, owned */
} hmac_slot_t;

typedef struct hmac_pool {
  EVP_MAC_CTX *tmpl;      /* keyed, only ever duplicated, owned */
  size_t nslots;          /* entries in slots */
  size_t outlen;          /* MAC size, bytes */
  hmac_slot_t *slots;     /* owned */
} hmac_pool_t;

/* Keys a pool with `len` bytes of `secret` for `digest` ("SHA256", ...).
 * The secret is not kept (OpenSSL keeps its padded form inside the
 * contexts, freed with them). Returns CUSTOS_OK, CUSTOS_ENOMEM or
 * CUSTOS_ECRYPTO; on failure `p` holds nothing to clean up. */
int hmac_pool_init(hmac_pool_t *p, const void *secret, size_t len, const char *digest)
    __attribute__((warn_unused_result));

/* Frees every context. Safe on a zeroed pool; no thread may be inside
 * hmac_pool_mac. */
void hmac_pool_cleanup(hmac_pool_t *p);

/* Computes the MAC of `len` bytes at `data` into `out` (p->outlen bytes).
 * Returns CUSTOS_OK, CUSTOS_ENOMEM or CUSTOS_ECRYPTO. */
int hmac_pool_mac(hmac_pool_t *p, const void *data, size_t len,
                  unsigned char out[HMAC_POOL_OUT_MAX]) __attribute__((warn_unused_result));

#endif
