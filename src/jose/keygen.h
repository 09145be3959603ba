/*
 * keygen.h — new signing key pairs for the algorithms custos signs with.
 *
 * One key pair per call, from OpenSSL's default random generator:
 * RS256/RS384/RS512/PS256/PS384/PS512 -> RSA-JOSE_KEYGEN_RSA_BITS (e = 65537),
 * ES256 -> P-256, ES384 -> P-384, EdDSA -> Ed25519. The result is a
 * private jose_jwk_t with "alg" set, "use":"sig", and kid = its RFC 7638
 * thumbprint. Emit it with jose_jwk_to_json(k, JOSE_JWK_PRIVATE) only to
 * seal it; everything published uses JOSE_JWK_PUBLIC.
 */
#ifndef CUSTOS_JOSE_KEYGEN_H
#define CUSTOS_JOSE_KEYGEN_H

#include "jose/alg.h"
#include "jose/jwk.h"

#define JOSE_KEYGEN_RSA_BITS 2048 /* modulus size of generated RSA keys */

/*
 * Generates a key pair for `alg` into *out (refcount 1, release with
 * jose_jwk_free). Returns CUSTOS_OK; CUSTOS_EALG for HS* (secrets are not
 * key pairs), UNSET and unknown values; CUSTOS_ECRYPTO when OpenSSL fails;
 * CUSTOS_ENOMEM. *out untouched on failure. Thread-safe.
 */
int jose_keygen(jose_alg_t alg, jose_jwk_t **out) __attribute__((warn_unused_result));

#endif
