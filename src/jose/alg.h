/*
 * alg.h — the JWS algorithms custos knows (RFC 7518 §3, RFC 8037 §3.1).
 *
 * An algorithm is a small enum so that allowlists are cheap to check and
 * "none" cannot even be represented: jose_alg_from_name("none") fails like
 * any other unknown name. Everything here is a pure function of its
 * arguments: thread-safe, allocation-free, cannot fail unless it says so.
 */
#ifndef CUSTOS_JOSE_ALG_H
#define CUSTOS_JOSE_ALG_H

#include <stdbool.h>
#include <stddef.h>

/* JWS "alg" values. 0 is "no algorithm" (absent or unknown), never valid. */
typedef enum jose_alg {
  JOSE_ALG_UNSET = 0,
  JOSE_ALG_HS256,
  JOSE_ALG_HS384,
  JOSE_ALG_HS512,
  JOSE_ALG_RS256,
  JOSE_ALG_RS384,
  JOSE_ALG_RS512,
  JOSE_ALG_PS256,
  JOSE_ALG_PS384,
  JOSE_ALG_PS512,
  JOSE_ALG_ES256,
  JOSE_ALG_ES384,
  JOSE_ALG_EDDSA,
  JOSE_ALG_COUNT_ /* number of values above, for tables; not an algorithm */
} jose_alg_t;

/* JWK "kty" values custos can hold (RFC 7518 §6.1, RFC 8037 §2). */
typedef enum jose_kty {
  JOSE_KTY_UNSET = 0,
  JOSE_KTY_RSA,
  JOSE_KTY_EC,
  JOSE_KTY_OKP,
  JOSE_KTY_OCT,
} jose_kty_t;

/* Curves for EC and OKP keys; JOSE_CRV_NONE for RSA and oct. */
typedef enum jose_crv {
  JOSE_CRV_NONE = 0,
  JOSE_CRV_P256,    /* "P-256", 32-byte coordinates */
  JOSE_CRV_P384,    /* "P-384", 48-byte coordinates */
  JOSE_CRV_ED25519, /* "Ed25519", 32-byte public key */
} jose_crv_t;

/*
 * Returns the algorithm named by the `n` bytes at `name` (exact,
 * case-sensitive match as RFC 7515 §4.1.1 requires), or JOSE_ALG_UNSET for
 * anything else, "none" included.
 */
jose_alg_t jose_alg_from_name(const char *name, size_t n);

/* Returns the registered name ("HS256", ...; static storage), or NULL for
 * JOSE_ALG_UNSET and out-of-range values. */
const char *jose_alg_name(jose_alg_t alg);

/* Returns the key type that `alg` needs, JOSE_KTY_UNSET when invalid. */
jose_kty_t jose_alg_kty(jose_alg_t alg);

/* Returns the curve that `alg` needs: P-256 for ES256, P-384 for ES384,
 * Ed25519 for EdDSA (the only OKP curve custos signs with), NONE otherwise. */
jose_crv_t jose_alg_crv(jose_alg_t alg);

/* Returns the digest name for OpenSSL ("SHA256", ...), or NULL for EdDSA
 * (which hashes internally) and invalid values. */
const char *jose_alg_digest(jose_alg_t alg);

/* Returns the digest output size in bytes (32, 48, 64), 0 for EdDSA and
 * invalid values. For HS* this is also the minimum secret length
 * (RFC 7518 §3.2). */
size_t jose_alg_hash_len(jose_alg_t alg);

/* Returns the curve for a JWK "crv" name of `n` bytes, JOSE_CRV_NONE if
 * unknown or unsupported. */
jose_crv_t jose_crv_from_name(const char *name, size_t n);

/* Returns the JWK "crv" name (static storage), NULL for JOSE_CRV_NONE. */
const char *jose_crv_name(jose_crv_t crv);

/* Returns the byte length of one coordinate (EC) or of the public key
 * (OKP); 0 for JOSE_CRV_NONE. */
size_t jose_crv_coord_len(jose_crv_t crv);

#endif
