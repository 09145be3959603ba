/*
 * signer.h — the service that signs custos tokens and publishes its JWKS.
 *
 * Keys live in the store (store_signing_key_*), their private halves
 * sealed under the master key with context "signing_key:<kid>". A signer
 * loads them once, unseals and parses each into a jose_jwk_t, and keeps
 * the whole set parsed, together with the public JWKS text and its ETag,
 * in one immutable snapshot. Requests take a reference to the current
 * snapshot under a read lock held for a pointer copy; a reload builds a
 * new snapshot without any lock held and swaps the pointer, so readers
 * never wait for the store.
 *
 * Per alg, at most one key is "active" (signs), one "next" (published so
 * verifiers learn it before it signs) and any number "retired" (published
 * for retired_keep after retirement, so tokens they signed still verify).
 * When a reload finds a retired key past retired_keep (no longer published,
 * so nothing verifies with it) it erases that key's sealed private half
 * from the store after swapping in the new snapshot
 * (store_signing_key_purge, cut-off now - retired_keep, the load's own
 * clock reading): the row stays as a tombstone for history. Rows already
 * purged are never loaded, whatever this node's retired_keep. So every node
 * should run with the same retired_keep: one with a shorter value purges
 * keys that the others still publish, and they drop them on their next
 * reload.
 *
 * Reloads happen:
 *  - on a notification on STORE_SIGNING_CHANNEL (store_listen; PostgreSQL
 *    delivers those from every node, SQLite only from this process);
 *  - on a request (sign or JWKS) at most once per poll interval when the
 *    store's signing_key_generation changed: how a SQLite node learns of
 *    `custos keys rotate` run by another process (default: every second on
 *    SQLite, off on PostgreSQL);
 *  - on a request once a published retired key has aged past retired_keep.
 * A reload that fails (store down, a row that does not unseal) keeps the
 * previous snapshot and is logged; the next trigger tries again.
 *
 * Private key material is never logged and never leaves the signer except
 * sealed (signer_seal_key). All functions are thread-safe.
 */
#ifndef CUSTOS_JOSE_SIGNER_H
#define CUSTOS_JOSE_SIGNER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/masterkey.h"
#include "jose/alg.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "lib/token_cache.h"
#include "store/store.h"

#define SIGNER_DEFAULT_RETIRED_KEEP (7 * 24 * 3600) /* seconds a retired key stays published */
#define SIGNER_DEFAULT_POLL_MS 1000  /* generation check interval on SQLite, milliseconds */
#define SIGNER_MAX_KEYS 100          /* keys loaded per state (JOSE_JWKS_MAX_KEYS) */
#define SIGNER_ETAG_MAX 32           /* "\"" + 22 base64url chars + "\"" + NUL, rounded up */
#define SIGNER_CONTEXT_PREFIX "signing_key:" /* seal context = prefix + kid */

typedef struct signer signer_t;

typedef struct signer_opts {
  const jose_alg_t *algs; /* algs that must have keys: bootstrapped when missing; may be NULL */
  size_t nalgs;           /* entries in algs */
  int64_t retired_keep;   /* seconds; 0 = SIGNER_DEFAULT_RETIRED_KEEP; < 0 is CUSTOS_EINVAL */
  int poll_ms;            /* 0 = default (SQLite SIGNER_DEFAULT_POLL_MS, PostgreSQL never);
                             > 0 = that interval; < 0 = never */
  bool no_listen;         /* true: do not store_listen (one-shot tools) */
  int64_t (*clock)(void); /* unix seconds; NULL = time(NULL). For tests. */
} signer_opts_t;

/*
 * Creates a signer over `s` (which must outlive it) with a copy of
 * `master_key` (wiped by signer_free). For each alg in o->algs that has
 * no active key, one is generated and stored as active; likewise a next
 * key (store_signing_key_create, so nodes starting together create one
 * each, not two; a losing node just loads the winner's). When it created
 * any key it notifies STORE_SIGNING_CHANNEL. Then it loads every key and
 * registers its listener (unless o->no_listen), reloading once more if the
 * keys changed in between.
 *
 * Returns CUSTOS_OK with *out set, or with *out untouched and a message
 * for the operator in `err` (never key material):
 *   CUSTOS_EINVAL   bad options (alg without a key pair: HS*, UNSET)
 *   CUSTOS_ECRYPTO  a stored key does not unseal: wrong master key, or a
 *                   damaged row ("cannot unseal signing key KID: …")
 *   CUSTOS_EKEY     a key unseals but is not the key its row says
 *   CUSTOS_ESTORE, CUSTOS_ENOMEM, CUSTOS_ETOOBIG (store_listen: too many
 *                   listeners)
 * Nothing fails once the listener is registered, so a failed signer_new
 * leaves no listener behind.
 */
int signer_new(store_t *s, const unsigned char master_key[MASTERKEY_LEN],
               const signer_opts_t *o, signer_t **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Frees the signer and wipes its copy of the master key. NULL is a no-op.
 * When it listens (no_listen false), call store_close() on its store
 * first: the store's listener holds a pointer to the signer until then.
 */
void signer_free(signer_t *sg);

/*
 * Signs `claims` (a JSON object) as a compact JWT with the active key of
 * `alg`: header {"alg","typ":"JWT","kid"} plus `extra_header` (may be
 * NULL; may not set alg or crit). *token gets a new NUL-terminated string
 * (free() it). Returns CUSTOS_OK; CUSTOS_EKEY when `alg` has no active key;
 * jose_jwt_sign's codes otherwise. *token untouched on failure.
 */
int signer_sign(signer_t *sg, jose_alg_t alg, const json_t *claims, const json_t *extra_header,
                char **token) __attribute__((warn_unused_result));

/*
 * Verifies `token` (`len` bytes) with jose_jwt_verify against the public
 * halves of every key the JWKS publishes now (next, active, recently
 * retired), under `policy` (which should name its algs). Returns
 * jose_jwt_verify's codes; on CUSTOS_OK *claims / *header (each may be
 * NULL) get new references. Nothing is written on failure. Thread-safe.
 */
int signer_verify(signer_t *sg, const char *token, size_t len, const jose_policy_t *policy,
                  json_t **claims, json_t **header) __attribute__((warn_unused_result));

/*
 * signer_verify for the gateway hot path: the payload is read by the
 * claims scanner (jose_jwt_verify_scan: the same verdicts and codes, no
 * jansson tree) and on CUSTOS_OK *claims gets a new claims object
 * (custos_claims_free it; read it through lib/claims.h).
 *
 * With a `cache` (token_cache_new; NULL = none) a token verified before
 * is answered without its signature. The caller gives one cache one
 * policy: entries remember the verdict under the policy they were made
 * with. An entry is trusted only
 *  - under the key-set snapshot that verified it. Every reload of the
 *    keys makes a new snapshot, whatever its cause: a rotation, a retired
 *    key aging out of the JWKS (checked on each call, as signer_verify
 *    does), a key removed or changed in the store (notification, or the
 *    SQLite generation poll). So after any change of the signing keys
 *    each remembered token is verified again against the new set;
 *  - while now < min(exp, remembered + the cache's ttl), without leeway:
 *    never at or after the token's "exp".
 * Failures are never remembered. `now` is policy->now, else the signer's
 * clock. Thread-safe.
 */
int signer_verify_claims(signer_t *sg, token_cache_t *cache, const char *token, size_t len,
                         const jose_policy_t *policy, custos_claims_t **claims)
    __attribute__((warn_unused_result));

/*
 * Appends the public JWKS, {"keys":[…]} with every next, active and
 * recently retired key (no private member), to `out`, and when `etag` is
 * not NULL writes its strong ETag (quoted, NUL-terminated) there. The text
 * of one snapshot never changes, so equal ETags mean equal bodies.
 * Returns CUSTOS_OK, CUSTOS_ENOMEM or CUSTOS_ETOOBIG (out's cap); on
 * failure `out` is unchanged.
 */
int signer_jwks(signer_t *sg, buf_t *out, char etag[SIGNER_ETAG_MAX])
    __attribute__((warn_unused_result));

/* Only the current ETag (as signer_jwks writes it), for If-None-Match
 * without copying the body. Cannot fail. */
void signer_jwks_etag(signer_t *sg, char etag[SIGNER_ETAG_MAX]);

/* Reloads every key from the store now and swaps the snapshot. Returns
 * CUSTOS_OK or signer_new's load codes; on failure the previous snapshot
 * stays. */
int signer_reload(signer_t *sg) __attribute__((warn_unused_result));

/* ---- helpers shared with `custos keys` ------------------------------------- */

/*
 * Parses a comma-separated list of algorithm names ("RS256, EdDSA", the
 * signing.algs setting) into `out` (capacity `cap`), *n_out entries.
 * Returns CUSTOS_OK; CUSTOS_EALG for an unknown name, an HMAC algorithm,
 * or an empty list; CUSTOS_ETOOBIG past `cap`. Duplicates are dropped.
 */
int signer_parse_algs(const char *list, jose_alg_t *out, size_t cap, size_t *n_out)
    __attribute__((warn_unused_result));

/*
 * Fills `row` for storing `key` (which must be private, with kid and
 * alg): kid, alg, sealed (the private JWK sealed with context
 * "signing_key:<kid>") and public_jwk, the last two newly allocated: free
 * them with store_signing_key_cleanup(). The private JWK text is wiped
 * after sealing. state and the times are zeroed. CUSTOS_OK, CUSTOS_EINVAL,
 * CUSTOS_ENOMEM, CUSTOS_ECRYPTO; `row` holds nothing to free on failure.
 */
int signer_seal_key(const unsigned char master_key[MASTERKEY_LEN], const jose_jwk_t *key,
                    store_signing_key_t *row) __attribute__((warn_unused_result));

/*
 * Generates a key for `alg`, seals it and runs store_signing_key_rotate()
 * at `now` (0 = time(NULL)), then notifies STORE_SIGNING_CHANNEL (a failed
 * notification is logged, not returned: the rotation stands and nodes
 * pick it up on their next poll or restart). On success *out (may be
 * NULL) gets the new key's row without its strings (sealed and public_jwk
 * NULL). Returns CUSTOS_OK, CUSTOS_EALG, or the codes of jose_keygen,
 * signer_seal_key and store_signing_key_rotate.
 */
int signer_rotate(store_t *s, const unsigned char master_key[MASTERKEY_LEN], jose_alg_t alg,
                  int64_t now, store_signing_key_t *out) __attribute__((warn_unused_result));

#endif
