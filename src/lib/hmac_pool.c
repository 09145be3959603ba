#include "lib/hmac_pool.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custos.h"

int hmac_pool_init(hmac_pool_t *p, const void *secret, size_t len, const char *digest) {
  EVP_MAC *mac = NULL;
  int rc = CUSTOS_ENOMEM;
  memset(p, 0, sizeof *p);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  size_t n = ncpu > 0 ? (size_t)ncpu * 2 : HMAC_POOL_MIN_SLOTS;
  if (n < HMAC_POOL_MIN_SLOTS) n = HMAC_POOL_MIN_SLOTS;
  if (n > HMAC_POOL_MAX_SLOTS) n = HMAC_POOL_MAX_SLOTS;

  rc = CUSTOS_ECRYPTO;
  if (!(mac = EVP_MAC_fetch(NULL, "HMAC", NULL))) goto fail;
  rc = CUSTOS_ENOMEM;
  if (!(p->tmpl = EVP_MAC_CTX_new(mac))) goto fail;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
      OSSL_PARAM_construct_end()};
  rc = CUSTOS_ECRYPTO;
  if (EVP_MAC_init(p->tmpl, secret, len, params) != 1) goto fail;
  p->outlen = EVP_MAC_CTX_get_mac_size(p->tmpl);
  if (p->outlen == 0 || p->outlen > HMAC_POOL_OUT_MAX) goto fail;
  rc = CUSTOS_ENOMEM;
  /* aligned_alloc keeps each slot on its own cache line. */
  size_t bytes = n * sizeof(hmac_slot_t);
  if (!(p->slots = aligned_alloc(_Alignof(hmac_slot_t), bytes))) goto fail;
  memset(p->slots, 0, bytes);
  p->nslots = n;
  for (size_t i = 0; i < n; i++) {
    atomic_init(&p->slots[i].busy, 0);
    if (!(p->slots[i].ctx = EVP_MAC_CTX_dup(p->tmpl))) goto fail;
  }
  EVP_MAC_free(mac);
  return CUSTOS_OK;
fail:
  ERR_clear_error();
  EVP_MAC_free(mac);
  hmac_pool_cleanup(p);
  return rc;
}

void hmac_pool_cleanup(hmac_pool_t *p) {
  if (!p) return;
  for (size_t i = 0; p->slots && i < p->nslots; i++) EVP_MAC_CTX_free(p->slots[i].ctx);
  free(p->slots);
  EVP_MAC_CTX_free(p->tmpl);
  memset(p, 0, sizeof *p);
}

static int run(EVP_MAC_CTX *c, size_t want, const void *data, size_t len, unsigned char *out) {
  size_t n = 0;
  if (EVP_MAC_update(c, data, len) != 1 || EVP_MAC_final(c, out, &n, HMAC_POOL_OUT_MAX) != 1 ||
      n != want) {
    ERR_clear_error();
    return CUSTOS_ECRYPTO;
  }
  return CUSTOS_OK;
}

int hmac_pool_mac(hmac_pool_t *p, const void *data, size_t len,
                  unsigned char out[HMAC_POOL_OUT_MAX]) {
  /* Start where this thread probably started last time, so threads tend
   * to keep to their own slots. */
  uintptr_t self = (uintptr_t)pthread_self();
  size_t start = (size_t)((self >> 12) ^ (self >> 20)) % p->nslots;
  for (size_t k = 0; k < p->nslots; k++) {
    hmac_slot_t *s = &p->slots[(start + k) % p->nslots];
    if (atomic_load_explicit(&s->busy, memory_order_relaxed) ||
        atomic_exchange_explicit(&s->busy, 1, memory_order_acquire))
      continue;
    int rc = EVP_MAC_init(s->ctx, NULL, 0, NULL) == 1 ? run(s->ctx, p->outlen, data, len, out)
                                                       : CUSTOS_ECRYPTO;
    atomic_store_explicit(&s->busy, 0, memory_order_release);
    return rc;
  }
  EVP_MAC_CTX *c = EVP_MAC_CTX_dup(p->tmpl);
  if (!c) return CUSTOS_ENOMEM;
  int rc = run(c, p->outlen, data, len, out);
  EVP_MAC_CTX_free(c);
  return rc;
}
