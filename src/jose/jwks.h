/*
 * jwks.h — JWK Sets (RFC 7517 §5) and choosing the key for a JWS header.
 *
 * A set holds up to JOSE_JWKS_MAX_KEYS references to jose_jwk_t keys.
 * Build it (parse or add), then share it read-only: every function that
 * takes a `const jose_jwks_t *` may run in any number of threads at once;
 * jose_jwks_add and jose_jwks_free need the caller to exclude all others.
 * Key rotation swaps in a whole new set rather than editing a live one.
 */
#ifndef CUSTOS_JOSE_JWKS_H
#define CUSTOS_JOSE_JWKS_H

#include <jansson.h>
#include <stddef.h>

#include "jose/alg.h"
#include "jose/jwk.h"

#define JOSE_JWKS_MAX_KEYS 100        /* keys in one set */
#define JOSE_JWKS_MAX_BYTES 262144    /* one JWKS as text, bytes */
#define JOSE_JWKS_MAX_DEPTH 6         /* nesting of a JWKS as text */

typedef struct jose_jwks jose_jwks_t;

/* Returns a new empty set, or NULL on allocation failure. */
jose_jwks_t *jose_jwks_new(void);

/* Releases the set's references to its keys and the set. NULL is fine. */
void jose_jwks_free(jose_jwks_t *set);

/*
 * Adds a reference to `key` (the caller keeps its own). Returns CUSTOS_OK,
 * CUSTOS_ETOOBIG when the set is full, CUSTOS_EEXISTS when another key
 * already has the same kid (kid selection must be unambiguous),
 * CUSTOS_EINVAL for NULL arguments, CUSTOS_ENOMEM. The set is unchanged on
 * failure.
 */
int jose_jwks_add(jose_jwks_t *set, jose_jwk_t *key) __attribute__((warn_unused_result));

/*
 * Builds a new set in *out from a {"keys":[...]} object. Keys that custos
 * cannot use are skipped and counted in *skipped (may be NULL): unknown
 * kty, unsupported crv (P-521, X25519, ...), unknown or non-JWS "alg"
 * (RSA-OAEP, ES512, ...), and "use" other than "sig". Every other problem
 * fails the whole set, since a half-loaded set would verify some tokens
 * and not others: a malformed or weak key (jose_jwk_from_json's codes),
 * a duplicate kid (CUSTOS_EEXISTS), more than JOSE_JWKS_MAX_KEYS entries
 * (CUSTOS_ETOOBIG, checked before any key is parsed), "keys" missing or
 * not an array (CUSTOS_EINVAL). An empty result is allowed.
 * *out and *skipped are written only on success. Thread-safe.
 */
int jose_jwks_from_json(const json_t *obj, jose_jwks_t **out, size_t *skipped)
    __attribute__((warn_unused_result));

/* Parses JWKS text: over JOSE_JWKS_MAX_BYTES is CUSTOS_ETOOBIG before any
 * work, then CUSTOS_EDEPTH, CUSTOS_EDUP, CUSTOS_EINVAL for the JSON, then
 * as jose_jwks_from_json. */
int jose_jwks_parse(const char *text, size_t len, jose_jwks_t **out, size_t *skipped)
    __attribute__((warn_unused_result));

/* Number of keys held. */
size_t jose_jwks_count(const jose_jwks_t *set);

/* The i-th key (in insertion/document order), borrowed for the set's
 * lifetime; NULL when i is out of range. */
const jose_jwk_t *jose_jwks_at(const jose_jwks_t *set, size_t i);

/* The key whose kid equals `kid` exactly, borrowed; NULL if none. */
const jose_jwk_t *jose_jwks_find(const jose_jwks_t *set, const char *kid);

/*
 * Chooses the key that may verify a JWS with header `alg` and `kid` (kid
 * NULL when the header has none). Keys whose "use" is set to anything but
 * "sig" are never chosen.
 *  - kid given: the key with that kid, or CUSTOS_EKEY if there is none.
 *    The key is returned even when it does not fit `alg`, so the caller
 *    can report CUSTOS_EALG ("this key does not allow this algorithm").
 *  - no kid: the one key whose material fits `alg` (type, curve, secret
 *    size) and whose "alg", if set, is `alg`; CUSTOS_EKEY when there is no
 *    such key ("wrong key type") or more than one (ambiguous).
 * On success *out is borrowed for the set's lifetime; untouched otherwise.
 */
int jose_jwks_select(const jose_jwks_t *set, jose_alg_t alg, const char *kid,
                     const jose_jwk_t **out) __attribute__((warn_unused_result));

/*
 * Returns {"keys":[...]} with each key as jose_jwk_to_json(key, flags)
 * would emit it, or NULL on allocation failure. With JOSE_JWK_PUBLIC, oct
 * keys are left out (they have no public form), so the result is safe to
 * publish. With JOSE_JWK_PRIVATE, keys without private material appear
 * in their public form.
 */
json_t *jose_jwks_to_json(const jose_jwks_t *set, unsigned flags)
    __attribute__((warn_unused_result));

#endif
