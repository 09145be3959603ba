#include "jose/keygen.h"

#include <openssl/evp.h>
#include <stddef.h>

#include "custos.h"

int jose_keygen(jose_alg_t alg, jose_jwk_t **out) {
  EVP_PKEY *pk = NULL;
  if (!out) return CUSTOS_EINVAL;
  switch (jose_alg_kty(alg)) {
  case JOSE_KTY_RSA: pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)JOSE_KEYGEN_RSA_BITS); break;
  case JOSE_KTY_EC:
    pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
                           jose_alg_crv(alg) == JOSE_CRV_P256 ? "P-256" : "P-384");
    break;
  case JOSE_KTY_OKP: pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
  default: return CUSTOS_EALG;
  }
  if (!pk) return CUSTOS_ECRYPTO;
  int rc = jose_jwk_from_pkey(pk, alg, NULL, out);
  EVP_PKEY_free(pk); /* the JWK holds its own reference */
  return rc;
}
