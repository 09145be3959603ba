/*
 * sig.h — JWS signatures over bytes (RFC 7518 §3, RFC 8037 §3.1).
 *
 * The one place that talks to OpenSSL for signing and verifying. Signatures
 * are in JWS form: HMAC output, RSA PKCS#1 v1.5 or PSS (salt length = hash
 * length, MGF1 with the same hash), ECDSA as fixed-size big-endian r||s
 * (converted to and from DER for OpenSSL), Ed25519 as 64 raw bytes.
 *
 * Both calls check only that the key's material fits `alg`; allowlists are
 * the caller's (jwt.h). Both are thread-safe on a shared key: per-call
 * contexts are created (HMAC: duplicated from the key's keyed context).
 */
#ifndef CUSTOS_JOSE_SIG_H
#define CUSTOS_JOSE_SIG_H

#include <stddef.h>

#include "jose/alg.h"
#include "jose/jwk.h"

/* Largest signature any supported alg produces: RSA at JOSE_RSA_MAX_BITS. */
#define JOSE_SIG_MAX_BYTES (JOSE_RSA_MAX_BITS / 8)

/*
 * Signs `len` bytes at `data` with `key` under `alg` into `sig`, which
 * holds `cap` bytes (JOSE_SIG_MAX_BYTES always suffices), and stores the
 * length in *siglen. Returns CUSTOS_OK, CUSTOS_EALG (key does not fit alg),
 * CUSTOS_EKEY (public-only key), CUSTOS_ETOOBIG (cap too small),
 * CUSTOS_ECRYPTO, CUSTOS_ENOMEM. On failure *siglen is untouched and `sig`
 * unspecified.
 */
int jose_sig_sign(const jose_jwk_t *key, jose_alg_t alg, const void *data, size_t len,
                  unsigned char *sig, size_t cap, size_t *siglen)
    __attribute__((warn_unused_result));

/*
 * Verifies JWS signature `sig` (`siglen` bytes) over `len` bytes at `data`.
 * Returns CUSTOS_OK only for a valid signature; CUSTOS_EBADSIG for a wrong
 * one, including a wrong length (an ES256 signature is exactly 64 bytes,
 * RSA exactly the modulus size, HMAC exactly the hash size);
 * CUSTOS_EALG when the key does not fit `alg`; CUSTOS_ENOMEM;
 * CUSTOS_ECRYPTO for other OpenSSL faults. MACs are compared with
 * CRYPTO_memcmp.
 */
int jose_sig_verify(const jose_jwk_t *key, jose_alg_t alg, const void *data, size_t len,
                    const unsigned char *sig, size_t siglen) __attribute__((warn_unused_result));

#endif
