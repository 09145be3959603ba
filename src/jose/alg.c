#include "jose/alg.h"

#include <string.h>

typedef struct alg_info {
  const char *name;   /* registered "alg" value */
  jose_kty_t kty;     /* key type it needs */
  jose_crv_t crv;     /* curve it needs, NONE when not a curve alg */
  const char *digest; /* OpenSSL digest name, NULL for EdDSA */
  size_t hash_len;    /* digest bytes, 0 for EdDSA */
} alg_info_t;

static const alg_info_t ALGS[JOSE_ALG_COUNT_] = {
    [JOSE_ALG_HS256] = {"HS256", JOSE_KTY_OCT, JOSE_CRV_NONE, "SHA256", 32},
    [JOSE_ALG_HS384] = {"HS384", JOSE_KTY_OCT, JOSE_CRV_NONE, "SHA384", 48},
    [JOSE_ALG_HS512] = {"HS512", JOSE_KTY_OCT, JOSE_CRV_NONE, "SHA512", 64},
    [JOSE_ALG_RS256] = {"RS256", JOSE_KTY_RSA, JOSE_CRV_NONE, "SHA256", 32},
    [JOSE_ALG_RS384] = {"RS384", JOSE_KTY_RSA, JOSE_CRV_NONE, "SHA384", 48},
    [JOSE_ALG_RS512] = {"RS512", JOSE_KTY_RSA, JOSE_CRV_NONE, "SHA512", 64},
    [JOSE_ALG_PS256] = {"PS256", JOSE_KTY_RSA, JOSE_CRV_NONE, "SHA256", 32},
    [JOSE_ALG_PS384] = {"PS384", JOSE_KTY_RSA, JOSE_CRV_NONE, "SHA384", 48},
    [JOSE_ALG_PS512] = {"PS512", JOSE_KTY_RSA, JOSE_CRV_NONE, "SHA512", 64},
    [JOSE_ALG_ES256] = {"ES256", JOSE_KTY_EC, JOSE_CRV_P256, "SHA256", 32},
    [JOSE_ALG_ES384] = {"ES384", JOSE_KTY_EC, JOSE_CRV_P384, "SHA384", 48},
    [JOSE_ALG_EDDSA] = {"EdDSA", JOSE_KTY_OKP, JOSE_CRV_ED25519, NULL, 0},
};

static const alg_info_t *info(jose_alg_t alg) {
  if (alg <= JOSE_ALG_UNSET || alg >= JOSE_ALG_COUNT_) return NULL;
  return &ALGS[alg];
}

jose_alg_t jose_alg_from_name(const char *name, size_t n) {
  if (!name) return JOSE_ALG_UNSET;
  for (int a = JOSE_ALG_UNSET + 1; a < JOSE_ALG_COUNT_; a++)
    if (strlen(ALGS[a].name) == n && memcmp(ALGS[a].name, name, n) == 0) return (jose_alg_t)a;
  return JOSE_ALG_UNSET;
}

const char *jose_alg_name(jose_alg_t alg) {
  const alg_info_t *i = info(alg);
  return i ? i->name : NULL;
}

jose_kty_t jose_alg_kty(jose_alg_t alg) {
  const alg_info_t *i = info(alg);
  return i ? i->kty : JOSE_KTY_UNSET;
}

jose_crv_t jose_alg_crv(jose_alg_t alg) {
  const alg_info_t *i = info(alg);
  return i ? i->crv : JOSE_CRV_NONE;
}

const char *jose_alg_digest(jose_alg_t alg) {
  const alg_info_t *i = info(alg);
  return i ? i->digest : NULL;
}

size_t jose_alg_hash_len(jose_alg_t alg) {
  const alg_info_t *i = info(alg);
  return i ? i->hash_len : 0;
}

static const struct {
  const char *name;
  size_t coord_len;
} CRVS[] = {
    [JOSE_CRV_NONE] = {NULL, 0},
    [JOSE_CRV_P256] = {"P-256", 32},
    [JOSE_CRV_P384] = {"P-384", 48},
    [JOSE_CRV_ED25519] = {"Ed25519", 32},
};

#define NCRVS (sizeof CRVS / sizeof CRVS[0])

jose_crv_t jose_crv_from_name(const char *name, size_t n) {
  if (!name) return JOSE_CRV_NONE;
  for (size_t c = 1; c < NCRVS; c++)
    if (strlen(CRVS[c].name) == n && memcmp(CRVS[c].name, name, n) == 0) return (jose_crv_t)c;
  return JOSE_CRV_NONE;
}

const char *jose_crv_name(jose_crv_t crv) {
  return (size_t)crv < NCRVS ? CRVS[crv].name : NULL;
}

size_t jose_crv_coord_len(jose_crv_t crv) {
  return (size_t)crv < NCRVS ? CRVS[crv].coord_len : 0;
}
