/*
 * jws.h — JWS compact serialization (RFC 7515 §3.1, §5.1, §5.2).
 *
 * A compact JWS is BASE64URL(header) "." BASE64URL(payload) "."
 * BASE64URL(signature): exactly two dots, strict unpadded base64url
 * (core/b64url.h), a non-empty header and a non-empty signature for every
 * algorithm ("none" is not an algorithm here at all). Parsing applies the
 * header rules every JWS consumer needs; policy (which key, which
 * algorithms, claims) is jwt.h's.
 *
 * All functions are thread-safe; a jose_jws_t belongs to one thread.
 */
#ifndef CUSTOS_JOSE_JWS_H
#define CUSTOS_JOSE_JWS_H

#include <jansson.h>
#include <stddef.h>

#include "jose/alg.h"
#include "jose/jwk.h"

#define JOSE_JWS_MAX_BYTES 8192   /* default cap on a whole compact token */
#define JOSE_JWS_MAX_OUT (1u << 20) /* cap on a token jose_jws_sign writes */

/* A parsed compact JWS. Spans point into the caller's token, which must
 * outlive this struct; `header` and `sig` are owned. */
typedef struct jose_jws {
  json_t *header;               /* protected header object, owned */
  jose_alg_t alg;               /* header "alg", never UNSET after parsing */
  const char *kid;              /* header "kid", borrowed from header; NULL if absent */
  const char *signing_input;    /* "header.payload" as in the token */
  size_t signing_input_len;     /* bytes */
  const char *payload_b64;      /* payload segment, still encoded */
  size_t payload_b64_len;       /* bytes, may be 0 */
  unsigned char *sig;           /* decoded signature, owned */
  size_t sig_len;               /* bytes, > 0 */
} jose_jws_t;

/*
 * Splits and checks `len` bytes of `token` into *out. Limits: `max_len`
 * (0 = JOSE_JWS_MAX_BYTES) is checked before anything else; `max_depth`
 * (0 = JOSE_JSON_MAX_DEPTH) bounds the header's JSON nesting.
 *
 * Returns CUSTOS_OK, or on failure (with *out untouched):
 *   CUSTOS_ETOOBIG  len > max_len
 *   CUSTOS_EINVAL   not exactly two dots, empty header or signature,
 *                   bad base64url anywhere, header not a JSON object,
 *                   "alg" missing or not a string, "kid" not a string,
 *                   "crit" not a non-empty array of strings
 *   CUSTOS_EDEPTH   header nested deeper than max_depth
 *   CUSTOS_EDUP     duplicate member name in the header
 *   CUSTOS_EALG     "alg" is "none" or anything else custos does not know
 *   CUSTOS_ECRIT    a well-formed "crit": custos understands no extension
 *   CUSTOS_ENOMEM
 * The payload segment is base64url-checked too, but decoded only by
 * jose_jws_payload, after the signature has been checked.
 */
int jose_jws_parse(const char *token, size_t len, size_t max_len, int max_depth,
                   jose_jws_t *out) __attribute__((warn_unused_result));

/* Frees what jose_jws_parse allocated; safe on a zeroed struct and twice. */
void jose_jws_cleanup(jose_jws_t *jws);

/*
 * Checks the signature of a parsed JWS with `key` under jws->alg. Returns
 * jose_sig_verify's codes (CUSTOS_OK, CUSTOS_EBADSIG, CUSTOS_EALG, ...).
 * The caller decides first whether the key may use that alg (jwt.h).
 */
int jose_jws_verify(const jose_jws_t *jws, const jose_jwk_t *key)
    __attribute__((warn_unused_result));

/*
 * Decodes the payload into a new buffer (*out, NUL-terminated for
 * convenience, free() it) and its length in *outlen. Returns CUSTOS_OK or
 * CUSTOS_ENOMEM; outputs untouched on failure.
 */
int jose_jws_payload(const jose_jws_t *jws, unsigned char **out, size_t *outlen)
    __attribute__((warn_unused_result));

/*
 * Signs: returns in *out a new NUL-terminated compact JWS (free() it) over
 * exactly the given header bytes and payload bytes, so callers control the
 * serialization (RFC test vectors depend on it). `header` must be a JSON
 * object whose "alg" names `alg`; the caller vouches for that (jose_jwt_sign
 * builds it). *outlen (may be NULL) gets strlen(*out).
 * Returns CUSTOS_OK, CUSTOS_ETOOBIG (over JOSE_JWS_MAX_OUT), or
 * jose_sig_sign's codes; outputs untouched on failure.
 */
int jose_jws_sign(const jose_jwk_t *key, jose_alg_t alg, const void *header, size_t hlen,
                  const void *payload, size_t plen, char **out, size_t *outlen)
    __attribute__((warn_unused_result));

#endif
