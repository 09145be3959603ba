/*
 * jwk.h — JSON Web Keys (RFC 7517, 7518 §6, 8037) held ready for use.
 *
 * A jose_jwk_t is parsed once and then only read: RSA, EC (P-256, P-384)
 * and OKP (Ed25519) keys keep one EVP_PKEY built with EVP_PKEY_fromdata;
 * oct keys keep their secret and one pre-keyed HMAC EVP_MAC_CTX per usable
 * hash, which signing and verification duplicate per call. Nothing is
 * re-parsed on the hot path.
 *
 * Keys are reference counted (atomically): a key set and a store cache can
 * share one key. A key never changes after parsing, so any number of
 * threads may use it at once.
 *
 * Key acceptance (checked when parsing, so a held key is always usable):
 *  - RSA: modulus of JOSE_RSA_MIN_BITS..JOSE_RSA_MAX_BITS bits and odd,
 *    exponent odd with 1 < e < n (deterministic checks only: OpenSSL's
 *    randomized SP 800-56B check is not used); private keys need d and
 *    either all of p, q, dp, dq, qi or none of them; "oth" (multi-prime)
 *    is refused. A private key's consistency with n is not checked.
 *  - EC: x, y (and d) exactly the curve's coordinate size; the point must
 *    be on the curve and a private d must match it.
 *  - OKP: Ed25519 only; x (and d) 32 bytes; d must derive x.
 *  - oct: secret of at least 32 bytes (RFC 7518 §3.2: at least the hash
 *    size; with "alg" HS384/HS512 at least 48/64).
 *  - "alg", when present, must be a supported JWS algorithm for this kty
 *    and curve; "use", when present, is kept and must be a string.
 */
#ifndef CUSTOS_JOSE_JWK_H
#define CUSTOS_JOSE_JWK_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "jose/alg.h"

#define JOSE_JWK_MAX_BYTES 16384   /* one JWK as text, bytes */
#define JOSE_JWK_MAX_DEPTH 4       /* nesting of one JWK as text */
#define JOSE_KID_MAX 256           /* "kid" value, bytes */
#define JOSE_RSA_MIN_BITS 2048     /* smallest RSA modulus accepted */
#define JOSE_RSA_MAX_BITS 8192     /* largest, so one verify stays cheap */
#define JOSE_OCT_MIN_BYTES 32      /* smallest HMAC secret (HS256) */
#define JOSE_OCT_MAX_BYTES 1024    /* largest HMAC secret */
#define JOSE_THUMBPRINT_LEN 43     /* base64url SHA-256, without NUL */

/* Flags for jose_jwk_to_json. */
#define JOSE_JWK_PUBLIC 0u         /* public members only (the default) */
#define JOSE_JWK_PRIVATE 1u        /* also private members (d, p, ..., k) */

typedef struct jose_jwk jose_jwk_t;

/*
 * Parses the JWK object `obj` into a new key in *out (refcount 1, release
 * with jose_jwk_free). `obj` is only read; nothing of it is kept.
 *
 * Returns CUSTOS_OK, or on failure leaves *out untouched and returns:
 *   CUSTOS_EINVAL  not an object, a member missing or of the wrong type,
 *                  bad base64url, wrong coordinate length, kid too long
 *   CUSTOS_EKEY    unsupported kty or crv, or key material refused (see
 *                  the acceptance rules above)
 *   CUSTOS_EALG    "alg" unknown, unsupported, or not for this key type
 *   CUSTOS_ENOMEM  allocation failed
 * Thread-safe.
 */
int jose_jwk_from_json(const json_t *obj, jose_jwk_t **out) __attribute__((warn_unused_result));

/*
 * Parses `len` bytes of JWK text (need not be NUL-terminated). Before
 * jose_jwk_from_json's checks: over JOSE_JWK_MAX_BYTES is CUSTOS_ETOOBIG
 * (checked before anything is read), deeper than JOSE_JWK_MAX_DEPTH is
 * CUSTOS_EDEPTH, a duplicate member CUSTOS_EDUP, malformed JSON
 * CUSTOS_EINVAL. *out untouched on failure. Thread-safe.
 */
int jose_jwk_parse(const char *text, size_t len, jose_jwk_t **out)
    __attribute__((warn_unused_result));

/* Adds a reference to `k` and returns it; NULL stays NULL. Thread-safe. */
jose_jwk_t *jose_jwk_ref(jose_jwk_t *k);

/* Drops a reference; the last one wipes secrets (OPENSSL_cleanse) and
 * frees the key. NULL does nothing. Thread-safe against other refs. */
void jose_jwk_free(jose_jwk_t *k);

/* Read-only accessors; `k` must not be NULL. Strings are borrowed and live
 * as long as the key; NULL when the member was absent. */
jose_kty_t jose_jwk_kty(const jose_jwk_t *k);
jose_crv_t jose_jwk_crv(const jose_jwk_t *k);
const char *jose_jwk_kid(const jose_jwk_t *k);
jose_alg_t jose_jwk_alg(const jose_jwk_t *k); /* JOSE_ALG_UNSET when absent */
const char *jose_jwk_use(const jose_jwk_t *k);
bool jose_jwk_has_private(const jose_jwk_t *k); /* can sign (oct: always) */

/*
 * True when the key's material can be used with `alg`: kty and curve match
 * and, for oct, the secret is at least the hash size. Says nothing about
 * the key's "alg" member or any allowlist; jose_jwk_allows does that.
 */
bool jose_jwk_fits(const jose_jwk_t *k, jose_alg_t alg);

/*
 * The per-key half of RFC 8725's algorithm check: true when the key fits
 * `alg` and, if the JWK named an "alg", it is this one. A key without
 * "alg" allows nothing by itself; callers then need an explicit list
 * (see jose_policy_t in jwt.h).
 */
bool jose_jwk_allows(const jose_jwk_t *k, jose_alg_t alg);

/*
 * Returns the key as a new JWK object (caller json_decref's), or NULL on
 * allocation failure or when JOSE_JWK_PRIVATE is asked of a public-only
 * key. Required members come first in RFC 7638 (lexicographic) order, then
 * "kid", "alg", "use" when set, then private members only if `flags` has
 * JOSE_JWK_PRIVATE. Numbers are re-derived from the key, so "n" and "e"
 * come out minimal even if the input had leading zero bytes.
 */
json_t *jose_jwk_to_json(const jose_jwk_t *k, unsigned flags) __attribute__((warn_unused_result));

/*
 * Writes the RFC 7638 thumbprint (base64url of SHA-256 over the required
 * public members, sorted, no whitespace) and a NUL into `out`.
 * Returns CUSTOS_OK, CUSTOS_ENOMEM or CUSTOS_ECRYPTO; `out` is untouched
 * on failure. Thread-safe.
 */
int jose_jwk_thumbprint(const jose_jwk_t *k, char out[JOSE_THUMBPRINT_LEN + 1])
    __attribute__((warn_unused_result));

/*
 * Wraps an existing key pair or public key `pkey` (RSA, EC P-256/P-384,
 * Ed25519) as a new JWK in *out (refcount 1) for `alg`, with "use":"sig".
 * The JWK takes its own reference to `pkey` (EVP_PKEY_up_ref); the caller
 * keeps theirs. `kid` is copied; NULL means the RFC 7638 thumbprint. The
 * key must pass the same acceptance rules as a parsed JWK (RSA size and
 * exponent, curve) and fit `alg`.
 * Returns CUSTOS_OK, or with *out untouched: CUSTOS_EINVAL (NULL
 * arguments, kid longer than JOSE_KID_MAX), CUSTOS_EALG (alg unknown, HMAC,
 * or not for this key), CUSTOS_EKEY (key type, curve or size refused),
 * CUSTOS_ENOMEM, CUSTOS_ECRYPTO. Thread-safe.
 */
int jose_jwk_from_pkey(EVP_PKEY *pkey, jose_alg_t alg, const char *kid, jose_jwk_t **out)
    __attribute__((warn_unused_result));

/* ---- for src/jose only -------------------------------------------------- */

/* The key's EVP_PKEY (RSA, EC, OKP), NULL for oct. Borrowed; lives as long
 * as the key; callers must only read it (EVP_*Init on it is fine). */
EVP_PKEY *jose_jwk__pkey(const jose_jwk_t *k);

/* A new HMAC context keyed with the secret for `alg`'s hash, ready for
 * EVP_MAC_update; caller frees it with EVP_MAC_CTX_free. NULL if the key is
 * not oct, does not fit `alg`, or on allocation failure. */
EVP_MAC_CTX *jose_jwk__mac(const jose_jwk_t *k, jose_alg_t alg);

#endif
