#include "lib/keyset.h"

#include <stdlib.h>
#include <string.h>

keyset_t *keyset_new(jose_jwks_t *set, uint64_t gen) {
  keyset_t *ks = calloc(1, sizeof *ks);
  if (!ks || pthread_mutex_init(&ks->hdr_lock, NULL) != 0) {
    free(ks);
    jose_jwks_free(set);
    return NULL;
  }
  atomic_init(&ks->refs, 1);
  atomic_init(&ks->nhdr, 0);
  ks->set = set;
  ks->gen = gen;
  return ks;
}

keyset_t *keyset_ref(keyset_t *ks) {
  atomic_fetch_add_explicit(&ks->refs, 1, memory_order_relaxed);
  return ks;
}

void keyset_unref(keyset_t *ks) {
  if (!ks || atomic_fetch_sub_explicit(&ks->refs, 1, memory_order_acq_rel) != 1) return;
  size_t n = atomic_load_explicit(&ks->nhdr, memory_order_acquire);
  for (size_t i = 0; i < n; i++) free(ks->hdr[i].text);
  pthread_mutex_destroy(&ks->hdr_lock);
  jose_jwks_free(ks->set);
  free(ks);
}

const keyset_hdr_t *keyset_hdr_find(const keyset_t *ks, const char *hdr, size_t len) {
  /* Acquire pairs with the release in keyset_hdr_add: an index below nhdr
   * is a fully written entry. */
  size_t n = atomic_load_explicit(&ks->nhdr, memory_order_acquire);
  for (size_t i = 0; i < n; i++)
    if (ks->hdr[i].len == len && memcmp(ks->hdr[i].text, hdr, len) == 0) return &ks->hdr[i];
  return NULL;
}

void keyset_hdr_add(keyset_t *ks, const char *hdr, size_t len, jose_alg_t alg,
                    const jose_jwk_t *key, int typ_rc) {
  if (len == 0 || len > KEYSET_HDR_MAX) return;
  if (atomic_load_explicit(&ks->nhdr, memory_order_relaxed) >= KEYSET_HDR_SLOTS) return;
  pthread_mutex_lock(&ks->hdr_lock);
  size_t n = atomic_load_explicit(&ks->nhdr, memory_order_relaxed);
  if (n < KEYSET_HDR_SLOTS && !keyset_hdr_find(ks, hdr, len)) {
    char *t = malloc(len);
    if (t) {
      memcpy(t, hdr, len);
      ks->hdr[n] = (keyset_hdr_t){.text = t, .len = len, .alg = alg, .key = key, .typ_rc = typ_rc};
      atomic_store_explicit(&ks->nhdr, n + 1, memory_order_release);
    }
  }
  pthread_mutex_unlock(&ks->hdr_lock);
}
