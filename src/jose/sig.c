#include "jose/sig.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <string.h>

#include "custos.h"

#define MAC_MAX 64        /* HMAC-SHA512 output, bytes */
#define DER_SLACK 16      /* ECDSA DER overhead beyond 2 coordinates */

static bool is_pss(jose_alg_t alg) {
  return alg == JOSE_ALG_PS256 || alg == JOSE_ALG_PS384 || alg == JOSE_ALG_PS512;
}

static int mac_compute(const jose_jwk_t *key, jose_alg_t alg, const void *data, size_t len,
                       unsigned char out[MAC_MAX], size_t *outlen) {
  int rc = CUSTOS_ENOMEM;
  EVP_MAC_CTX *c = jose_jwk__mac(key, alg);
  if (!c) goto out;
  rc = CUSTOS_ECRYPTO;
  if (EVP_MAC_update(c, data, len) != 1 || EVP_MAC_final(c, out, outlen, MAC_MAX) != 1 ||
      *outlen != jose_alg_hash_len(alg))
    goto out;
  rc = CUSTOS_OK;
out:
  EVP_MAC_CTX_free(c);
  return rc;
}

/* Starts a digest-sign or -verify on the key's EVP_PKEY with the alg's
 * hash (none for EdDSA) and, for PS*, PSS padding with salt = hash size. */
static int pkey_init(EVP_MD_CTX *md, const jose_jwk_t *key, jose_alg_t alg, bool sign) {
  EVP_PKEY_CTX *pctx = NULL;
  EVP_PKEY *pk = jose_jwk__pkey(key);
  const char *dg = jose_alg_digest(alg);
  int ok = sign ? EVP_DigestSignInit_ex(md, &pctx, dg, NULL, NULL, pk, NULL)
                : EVP_DigestVerifyInit_ex(md, &pctx, dg, NULL, NULL, pk, NULL);
  if (ok != 1) return CUSTOS_ECRYPTO;
  if (is_pss(alg) && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    return CUSTOS_ECRYPTO;
  return CUSTOS_OK;
}

/* DER ECDSA-Sig-Value -> r||s, each left-padded to `cl` bytes. */
static int der_to_raw(const unsigned char *der, size_t derlen, size_t cl, unsigned char *out) {
  const unsigned char *p = der;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
  if (!es) return CUSTOS_ECRYPTO;
  const BIGNUM *r, *s;
  ECDSA_SIG_get0(es, &r, &s);
  int rc = BN_bn2binpad(r, out, (int)cl) == (int)cl && BN_bn2binpad(s, out + cl, (int)cl) == (int)cl
               ? CUSTOS_OK
               : CUSTOS_ECRYPTO;
  ECDSA_SIG_free(es);
  return rc;
}

/* r||s (2*cl bytes) -> DER in a new OPENSSL_malloc'd buffer. */
static int raw_to_der(const unsigned char *raw, size_t cl, unsigned char **der, size_t *derlen) {
  int rc = CUSTOS_ENOMEM;
  ECDSA_SIG *es = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(raw, (int)cl, NULL), *s = BN_bin2bn(raw + cl, (int)cl, NULL);
  if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) goto out;
  r = s = NULL; /* owned by es now */
  *der = NULL;
  int n = i2d_ECDSA_SIG(es, der);
  if (n <= 0) goto out;
  *derlen = (size_t)n;
  rc = CUSTOS_OK;
out:
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(es);
  return rc;
}

int jose_sig_sign(const jose_jwk_t *key, jose_alg_t alg, const void *data, size_t len,
                  unsigned char *sig, size_t cap, size_t *siglen) {
  unsigned char tmp[JOSE_SIG_MAX_BYTES + DER_SLACK];
  size_t n = sizeof tmp;
  EVP_MD_CTX *md = NULL;
  int rc;
  if (!key || !sig || !siglen || (!data && len)) return CUSTOS_EINVAL;
  if (!jose_jwk_fits(key, alg)) return CUSTOS_EALG;
  if (!jose_jwk_has_private(key)) return CUSTOS_EKEY;

  if (jose_alg_kty(alg) == JOSE_KTY_OCT) {
    unsigned char mac[MAC_MAX];
    if ((rc = mac_compute(key, alg, data, len, mac, &n))) goto out;
    rc = CUSTOS_ETOOBIG;
    if (n > cap) goto out;
    memcpy(sig, mac, n);
    OPENSSL_cleanse(mac, sizeof mac);
    *siglen = n;
    rc = CUSTOS_OK;
    goto out;
  }

  rc = CUSTOS_ECRYPTO;
  int pksize = EVP_PKEY_get_size(jose_jwk__pkey(key));
  if (pksize <= 0 || (size_t)pksize > sizeof tmp) goto out;
  rc = CUSTOS_ENOMEM;
  if (!(md = EVP_MD_CTX_new())) goto out;
  if ((rc = pkey_init(md, key, alg, true))) goto out;
  rc = CUSTOS_ECRYPTO;
  if (EVP_DigestSign(md, tmp, &n, data, len) != 1) goto out;
  if (jose_alg_kty(alg) == JOSE_KTY_EC) {
    size_t cl = jose_crv_coord_len(jose_alg_crv(alg));
    rc = CUSTOS_ETOOBIG;
    if (2 * cl > cap) goto out;
    if ((rc = der_to_raw(tmp, n, cl, sig))) goto out;
    *siglen = 2 * cl;
  } else {
    rc = CUSTOS_ETOOBIG;
    if (n > cap) goto out;
    memcpy(sig, tmp, n);
    *siglen = n;
  }
  rc = CUSTOS_OK;
out:
  if (rc) ERR_clear_error();
  EVP_MD_CTX_free(md);
  return rc;
}

int jose_sig_verify(const jose_jwk_t *key, jose_alg_t alg, const void *data, size_t len,
                    const unsigned char *sig, size_t siglen) {
  EVP_MD_CTX *md = NULL;
  unsigned char *der = NULL;
  size_t derlen = 0;
  int rc;
  if (!key || (!sig && siglen) || (!data && len)) return CUSTOS_EINVAL;
  if (!jose_jwk_fits(key, alg)) return CUSTOS_EALG;

  if (jose_alg_kty(alg) == JOSE_KTY_OCT) {
    unsigned char mac[MAC_MAX];
    size_t n = 0;
    if ((rc = mac_compute(key, alg, data, len, mac, &n))) return rc;
    rc = siglen == n && CRYPTO_memcmp(mac, sig, n) == 0 ? CUSTOS_OK : CUSTOS_EBADSIG;
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
  }

  /* Exact lengths first: JWS fixes them, and OpenSSL need not see junk. */
  EVP_PKEY *pk = jose_jwk__pkey(key);
  size_t want;
  switch (jose_alg_kty(alg)) {
  case JOSE_KTY_RSA: want = (size_t)EVP_PKEY_get_size(pk); break;
  case JOSE_KTY_EC: want = 2 * jose_crv_coord_len(jose_alg_crv(alg)); break;
  default: want = 64; break; /* Ed25519 */
  }
  if (siglen != want) return CUSTOS_EBADSIG;
  if (jose_alg_kty(alg) == JOSE_KTY_EC) {
    if ((rc = raw_to_der(sig, want / 2, &der, &derlen))) goto out;
    sig = der;
    siglen = derlen;
  }
  rc = CUSTOS_ENOMEM;
  if (!(md = EVP_MD_CTX_new())) goto out;
  if ((rc = pkey_init(md, key, alg, false))) goto out;
  rc = EVP_DigestVerify(md, sig, siglen, data, len) == 1 ? CUSTOS_OK : CUSTOS_EBADSIG;
out:
  if (rc) ERR_clear_error();
  EVP_MD_CTX_free(md);
  OPENSSL_free(der);
  return rc;
}
