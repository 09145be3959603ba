/*
 * seal.h — encrypting secrets at rest under the master key (AES-256-GCM).
 *
 * A sealed value is
 *     0x01 (version) || 12-byte random nonce || ciphertext || 16-byte tag
 * and the GCM additional data is the version byte followed by `context`, a
 * string naming what the secret is and whose it is ("signing_key:kid-1",
 * "app_secret:app_…"). Binding the context means a sealed value copied
 * into another row or column no longer opens. The context is not stored:
 * the caller supplies the same one to unseal.
 *
 * Random 96-bit nonces are safe for far more than 2^30 seals under one
 * key, which is orders of magnitude above what a key store holds.
 *
 * All functions are thread-safe.
 */
#ifndef CUSTOS_CORE_SEAL_H
#define CUSTOS_CORE_SEAL_H

#include <stddef.h>

#include "core/buf.h"
#include "core/masterkey.h"

#define SEAL_VERSION 0x01
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_OVERHEAD (1 + SEAL_NONCE_LEN + SEAL_TAG_LEN) /* bytes added to the plaintext */
#define SEAL_MAX_PLAINTEXT (1u << 20)                      /* bytes; secrets are small */
#define SEAL_MAX_CONTEXT 1024                              /* bytes of context string */

/*
 * Seals `ptlen` bytes of `pt` (may be NULL when ptlen is 0) and appends
 * the SEAL_OVERHEAD + ptlen bytes to `out`. `context` must not be NULL;
 * "" is allowed but wastes the binding.
 * Returns CUSTOS_OK; CUSTOS_EINVAL (NULL context or longer than
 * SEAL_MAX_CONTEXT); CUSTOS_ETOOBIG
 * (ptlen > SEAL_MAX_PLAINTEXT, or out's cap); CUSTOS_ENOMEM;
 * CUSTOS_ECRYPTO. On failure `out` is unchanged.
 */
int seal(const unsigned char key[MASTERKEY_LEN], const char *context, const unsigned char *pt,
         size_t ptlen, buf_t *out) __attribute__((warn_unused_result));

/*
 * Opens a value made by seal() with the same key and context and appends
 * the plaintext to `out`. Use buf_cleanup_secure on `out` afterwards.
 * Returns CUSTOS_OK; CUSTOS_ECRYPTO for anything that does not
 * authenticate -- wrong key or context, any modified byte, truncated
 * input, unknown version; CUSTOS_EINVAL (context as for seal); CUSTOS_ETOOBIG or
 * CUSTOS_ENOMEM when `out` cannot take the plaintext. On failure `out` is
 * unchanged: no unauthenticated plaintext is ever appended.
 */
int unseal(const unsigned char key[MASTERKEY_LEN], const char *context, const unsigned char *in,
           size_t inlen, buf_t *out) __attribute__((warn_unused_result));

/*
 * seal() and then base64url (no padding) onto `out`, for TEXT columns.
 * Same returns; on failure `out` is unchanged.
 */
int seal_text(const unsigned char key[MASTERKEY_LEN], const char *context,
              const unsigned char *pt, size_t ptlen, buf_t *out)
    __attribute__((warn_unused_result));

/*
 * Decodes `textlen` chars of base64url `text` and unseal()s them. Text
 * that is not strict base64url is CUSTOS_ECRYPTO like any other damage.
 * Same returns; on failure `out` is unchanged.
 */
int unseal_text(const unsigned char key[MASTERKEY_LEN], const char *context, const char *text,
                size_t textlen, buf_t *out) __attribute__((warn_unused_result));

#endif
