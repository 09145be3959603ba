/*
 * jwt.h — signing JWTs and verifying them strictly (RFC 7519, RFC 8725).
 *
 * jose_jwt_verify is the one call every custos token check goes through.
 * It fails closed: only CUSTOS_OK grants, each cause has its own code, and
 * outputs are written only on success.
 */
#ifndef CUSTOS_JOSE_JWT_H
#define CUSTOS_JOSE_JWT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jose/alg.h"
#include "jose/jindex.h"
#include "jose/jwk.h"
#include "jose/jwks.h"

#define JOSE_JWT_DEFAULT_LEEWAY 30  /* seconds */

/*
 * What a verification accepts. Fill with jose_policy_init, then override.
 * The struct and what it points to are only read, so one policy may be
 * shared by any number of threads.
 */
typedef struct jose_policy {
  const jose_alg_t *algs;  /* explicit allowlist, NULL = none (see below) */
  size_t nalgs;            /* entries in algs */
  int64_t leeway;          /* clock skew for exp/nbf/iat, seconds, >= 0 */
  int64_t now;             /* Unix seconds to check against; 0 = time(NULL) */
  const char *iss;         /* required "iss" (exact), NULL = not checked */
  const char *aud;         /* required audience, NULL = "aud" not checked */
  const char *typ;         /* required header "typ", NULL = not checked */
  bool require_exp;        /* a token without "exp" fails (CUSTOS_ECLAIM) */
  size_t max_token_bytes;  /* 0 = JOSE_JWS_MAX_BYTES (8192) */
  int max_depth;           /* JSON nesting cap, 0 = JOSE_JSON_MAX_DEPTH (16) */
} jose_policy_t;

/* Sets the defaults: no explicit algs, leeway JOSE_JWT_DEFAULT_LEEWAY,
 * now = clock, no iss/aud/typ, require_exp true, default limits. */
void jose_policy_init(jose_policy_t *p);

/*
 * Verifies compact JWS `token` (`len` bytes) as a JWT against `keys`.
 *
 * Checks, in order, each failing with its own code:
 *  1. len > max_token_bytes, before any decoding          CUSTOS_ETOOBIG
 *  2. structure: two dots, non-empty header and signature,
 *     strict base64url, header a JSON object, "alg"/"kid"
 *     of the right type                                   CUSTOS_EINVAL
 *     header nested too deep / duplicate member           CUSTOS_EDEPTH / CUSTOS_EDUP
 *  3. "alg" is none or unknown                            CUSTOS_EALG
 *  4. "crit" present (custos supports no extension)       CUSTOS_ECRIT
 *  5. key: the header's "kid" names no key, or without a
 *     kid no single key fits the alg (jose_jwks_select)   CUSTOS_EKEY
 *  6. the alg is not allowed for that key: the key's type
 *     or curve does not fit it (an RSA key and "HS256"),
 *     the JWK's own "alg" differs, it is not in
 *     policy->algs, or neither names any alg              CUSTOS_EALG
 *  7. signature                                           CUSTOS_EBADSIG
 *  8. payload: a JSON object within max_depth, no
 *     duplicate members                                   CUSTOS_EINVAL / EDEPTH / EDUP
 *  9. header "typ" when policy->typ is set (compared
 *     case-insensitively, "application/" optional)        CUSTOS_ECLAIM
 * 10. "exp", "nbf", "iat" when present must be numbers    CUSTOS_EINVAL
 *     now - leeway >= exp                                 CUSTOS_EEXPIRED
 *     no exp while require_exp                            CUSTOS_ECLAIM
 *     now + leeway < nbf, or iat > now + leeway           CUSTOS_ENOTYET
 * 11. "iss" equal to policy->iss; "aud" (a string or an
 *     array of strings) containing policy->aud            CUSTOS_ECLAIM
 *     (an "aud" or "iss" of the wrong type is CUSTOS_EINVAL)
 * and CUSTOS_ENOMEM / CUSTOS_ECRYPTO for internal faults.
 *
 * Allowed algorithms (RFC 8725 §3.1): a key's "alg" and policy->algs both
 * restrict, and at least one of them must exist; a key without "alg" and a
 * policy without a list allow nothing.
 *
 * On CUSTOS_OK: *claims (if non-NULL) gets a new reference to the payload
 * object, *header (if non-NULL) one to the header, *key (if non-NULL) the
 * verifying key, borrowed from `keys`. On failure nothing is written.
 * `policy` NULL means jose_policy_init's defaults. Thread-safe.
 */
int jose_jwt_verify(const char *token, size_t len, const jose_jwks_t *keys,
                    const jose_policy_t *policy, json_t **claims, json_t **header,
                    const jose_jwk_t **key) __attribute__((warn_unused_result));

/*
 * The pieces of jose_jwt_verify, for callers that select the key and check
 * the signature themselves (libcustos's remembered-header path). Each gives
 * exactly the verdict and code that jose_jwt_verify gives for that step;
 * all are thread-safe and only read their arguments.
 *
 * jose_jwt_alg_allowed: step 6, true when `alg` may be used with `k`
 * under `p` (key fits, key's own "alg", policy list; see above).
 * jose_jwt_check_typ: step 9 on the header object (CUSTOS_OK when
 * p->typ is NULL). jose_jwt_check_claims: steps 10 and 11 on the payload
 * object: exp/nbf/iat against policy->now (0 = clock) and leeway,
 * require_exp, iss and aud.
 */
bool jose_jwt_alg_allowed(const jose_policy_t *p, const jose_jwk_t *k, jose_alg_t alg);
int jose_jwt_check_typ(const jose_policy_t *p, const json_t *header)
    __attribute__((warn_unused_result));

/*
 * See above: steps 10 and 11 of jose_jwt_verify on an already verified payload object:
 * exp/nbf/iat against policy->now (0 = clock) and leeway, require_exp,
 * iss and aud, with the same codes. For callers that verify the signature
 * themselves (libcustos's cached-header path). Thread-safe; reads only.
 */
int jose_jwt_check_claims(const jose_policy_t *policy, const json_t *claims)
    __attribute__((warn_unused_result));

/*
 * jose_jwt_check_claims on a scanned payload (jose/jindex.h) instead of a
 * jansson object: the same steps 10 and 11, the same verdicts and codes
 * (tests/fuzz/fuzz_claims_diff.c compares the two). CUSTOS_ENOMEM only
 * when an "aud" array holds a string too long for the stack. Thread-safe;
 * reads only.
 */
int jose_jwt_check_claims_view(const jose_policy_t *policy, const jose_jview_t *claims)
    __attribute__((warn_unused_result));

/*
 * jose_jwt_verify with the payload read by the claims scanner
 * (jose/jindex.h) instead of a jansson tree: the same steps, order,
 * verdicts and codes (the scanner accepts and refuses exactly what
 * jose_json_parse does). `ix` must be initialised (jose_jindex_init); the
 * caller cleans it up in every case. On CUSTOS_OK *payload is the decoded
 * payload (malloc'd, free() it; `ix` points into it) and *plen its length;
 * on failure neither is written. Thread-safe.
 */
int jose_jwt_verify_scan(const char *token, size_t len, const jose_jwks_t *keys,
                         const jose_policy_t *policy, jose_jindex_t *ix, unsigned char **payload,
                         size_t *plen) __attribute__((warn_unused_result));

/*
 * Signs `claims` (a JSON object) as a compact JWT with `key` under `alg`.
 * The header is {"alg":ALG,"typ":"JWT","kid":KID} (kid only when the key
 * has one) followed by the members of `extra_header` (may be NULL), which
 * may not set "alg" or "crit" (CUSTOS_EINVAL). The key's own "alg", when
 * set, must be `alg` (CUSTOS_EALG). Returns CUSTOS_OK with *out a new
 * NUL-terminated token (free() it), or jose_jws_sign's codes; *out is
 * untouched on failure. Thread-safe.
 */
int jose_jwt_sign(const jose_jwk_t *key, jose_alg_t alg, const json_t *claims,
                  const json_t *extra_header, char **out) __attribute__((warn_unused_result));

#endif
