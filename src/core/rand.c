#include "core/rand.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "custos.h"

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int rand_bytes(void *p, size_t n) {
  if (n == 0) return CUSTOS_OK;
  return RAND_bytes(p, (int)n) == 1 ? CUSTOS_OK : CUSTOS_ECRYPTO;
}

int rand_base62(char *out, size_t n) {
  unsigned char pool[64];
  size_t have = 0, used = 0, i = 0;
  while (i < n) {
    if (used == have) {
      if (rand_bytes(pool, sizeof pool)) return CUSTOS_ECRYPTO;
      have = sizeof pool;
      used = 0;
    }
    unsigned char c = pool[used++];
    /* 248 = 4 * 62: reject the tail so each character is uniform. */
    if (c < 248) out[i++] = B62[c % 62];
  }
  out[n] = '\0';
  return CUSTOS_OK;
}

int rand_id(char *out, const char *prefix) {
  char r[23];
  if (rand_base62(r, 22)) return CUSTOS_ECRYPTO;
  int n = snprintf(out, RAND_ID_MAX, "%s_%s", prefix, r);
  return (n > 0 && n < RAND_ID_MAX) ? CUSTOS_OK : CUSTOS_EINVAL;
}
