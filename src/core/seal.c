#include "core/seal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64url.h"
#include "core/rand.h"
#include "custos.h"

/* Longest text unseal_text will even try to decode. */
#define SEAL_MAX_TEXT b64url_encoded_len(SEAL_MAX_PLAINTEXT + SEAL_OVERHEAD)

static int check_context(const char *context) {
  return context && strnlen(context, SEAL_MAX_CONTEXT + 1) <= SEAL_MAX_CONTEXT ? CUSTOS_OK
                                                                                 : CUSTOS_EINVAL;
}

/*
 * Starts an AES-256-GCM context for `enc` (1 seal, 0 unseal) with `nonce`
 * and feeds the additional data: the version byte, then the context.
 * Returns NULL on any OpenSSL failure.
 */
static EVP_CIPHER_CTX *gcm_start(int enc, const unsigned char key[MASTERKEY_LEN],
                                 const unsigned char nonce[SEAL_NONCE_LEN], const char *context) {
  static const unsigned char version = SEAL_VERSION;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int n;
  if (!ctx) return NULL;
  if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
      EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
      EVP_CipherUpdate(ctx, NULL, &n, &version, 1) != 1 ||
      (*context &&
       EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)context, (int)strlen(context)) != 1)) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

int seal(const unsigned char key[MASTERKEY_LEN], const char *context, const unsigned char *pt,
         size_t ptlen, buf_t *out) {
  if (check_context(context)) return CUSTOS_EINVAL;
  if (ptlen > SEAL_MAX_PLAINTEXT) return CUSTOS_ETOOBIG;

  size_t total = SEAL_OVERHEAD + ptlen;
  unsigned char *sealed = malloc(total);
  EVP_CIPHER_CTX *ctx = NULL;
  int rc = CUSTOS_ECRYPTO, n = 0, fin = 0;
  if (!sealed) return CUSTOS_ENOMEM;

  unsigned char *nonce = sealed + 1, *ct = nonce + SEAL_NONCE_LEN, *tag = ct + ptlen;
  sealed[0] = SEAL_VERSION;
  if (rand_bytes(nonce, SEAL_NONCE_LEN)) goto out;
  if (!(ctx = gcm_start(1, key, nonce, context))) goto out;
  if (ptlen && EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) != 1) goto out;
  /* GCM is a stream mode: Final writes nothing, but must run to make the tag. */
  if (EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 || (size_t)n + (size_t)fin != ptlen) goto out;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) != 1) goto out;
  rc = buf_append(out, sealed, total);

out:
  EVP_CIPHER_CTX_free(ctx);
  free(sealed);
  return rc;
}

int unseal(const unsigned char key[MASTERKEY_LEN], const char *context, const unsigned char *in,
           size_t inlen, buf_t *out) {
  if (check_context(context)) return CUSTOS_EINVAL;
  /* Every length check comes before any copy; a value that could not have
   * come from seal() is damage, hence ECRYPTO. */
  if (!in || inlen < SEAL_OVERHEAD || inlen - SEAL_OVERHEAD > SEAL_MAX_PLAINTEXT ||
      in[0] != SEAL_VERSION)
    return CUSTOS_ECRYPTO;

  size_t ctlen = inlen - SEAL_OVERHEAD;
  const unsigned char *nonce = in + 1, *ct = nonce + SEAL_NONCE_LEN, *tag_in = ct + ctlen;
  unsigned char tag[SEAL_TAG_LEN];
  unsigned char *pt = malloc(ctlen ? ctlen : 1);
  EVP_CIPHER_CTX *ctx = NULL;
  int rc = CUSTOS_ECRYPTO, n = 0, fin = 0;
  if (!pt) return CUSTOS_ENOMEM;

  /* The ctrl takes a non-const pointer; hand it a copy. */
  memcpy(tag, tag_in, SEAL_TAG_LEN);
  if (!(ctx = gcm_start(0, key, nonce, context))) goto out;
  if (ctlen && EVP_DecryptUpdate(ctx, pt, &n, ct, (int)ctlen) != 1) goto out;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tag) != 1) goto out;
  /* Final checks the tag; until it succeeds `pt` is unauthenticated and
   * must not leave this function. */
  if (EVP_DecryptFinal_ex(ctx, pt + n, &fin) != 1 || (size_t)n + (size_t)fin != ctlen) goto out;
  rc = buf_append(out, pt, ctlen);

out:
  EVP_CIPHER_CTX_free(ctx);
  OPENSSL_cleanse(pt, ctlen ? ctlen : 1);
  free(pt);
  return rc;
}

int seal_text(const unsigned char key[MASTERKEY_LEN], const char *context,
              const unsigned char *pt, size_t ptlen, buf_t *out) {
  buf_t raw;
  buf_init(&raw, 0);
  int rc = seal(key, context, pt, ptlen, &raw);
  if (rc == CUSTOS_OK) rc = b64url_encode_buf(out, (const unsigned char *)raw.data, raw.len);
  buf_cleanup(&raw);
  return rc;
}

int unseal_text(const unsigned char key[MASTERKEY_LEN], const char *context, const char *text,
                size_t textlen, buf_t *out) {
  if (check_context(context)) return CUSTOS_EINVAL;
  if (!text || textlen > SEAL_MAX_TEXT) return CUSTOS_ECRYPTO;
  size_t cap = b64url_decoded_max(textlen), rawlen = 0;
  unsigned char *raw = malloc(cap ? cap : 1);
  if (!raw) return CUSTOS_ENOMEM;
  int rc = b64url_decode(text, textlen, raw, &rawlen) == CUSTOS_OK
               ? unseal(key, context, raw, rawlen, out)
               : CUSTOS_ECRYPTO;
  free(raw);
  return rc;
}
