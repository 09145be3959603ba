/*
 * store.h — the persistence interface: one opaque store_t over two
 * backends, SQLite (embedded, the default) and PostgreSQL (libpq, for many
 * custos nodes sharing one database).
 *
 * Every function is thread-safe: the HTTP server calls one store_t from
 * many threads at once. Each backend keeps a small connection pool; a call
 * checks a connection out, runs, and returns it.
 *
 * Conventions for every call below:
 *  - Return CUSTOS_OK (0) or a negative custos_err_t. CUSTOS_ESTORE means the
 *    backend failed (its message is logged, never a secret or bound value)
 *    and bumps store_error_count().
 *  - Outputs are written only on CUSTOS_OK; on failure they are untouched
 *    (list outputs may be partly written, but *n_out is not).
 *  - Writes are atomic: on failure nothing was stored.
 *  - Names are 1..STORE_NAME_LEN_MAX bytes of valid UTF-8, checked here for
 *    both backends (CUSTOS_EINVAL before any I/O).
 *  - SQL uses bound parameters only.
 */
#ifndef CUSTOS_STORE_STORE_H
#define CUSTOS_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rand.h"
#include "custos.h"

#define STORE_WARN __attribute__((warn_unused_result))

#define STORE_NAME_LEN_MAX 200         /* bytes of UTF-8 in a name */
#define STORE_NAME_MAX 201             /* name buffer: 200 bytes + NUL */
#define STORE_PROFILE_MAX 32           /* profile buffer: 31 bytes + NUL */
#define STORE_LIST_MAX 1000            /* largest `limit` a list call accepts */
#define STORE_AUDIT_DETAIL_MAX 16384   /* bytes of detail_json */
#define STORE_URL_MAX 4096             /* longest store URL accepted */
#define STORE_DEFAULT_POOL 4           /* connections when pool_size is 0 */
#define STORE_DEFAULT_BUSY_MS 5000     /* sqlite busy_timeout when 0 */
#define STORE_CHECKOUT_TIMEOUT_MS 5000 /* wait for a free pooled connection */
#define STORE_PG_CONNECT_TIMEOUT_S 3   /* libpq connect_timeout default */

typedef struct store store_t;

typedef struct store_opts {
  int pool_size;       /* connections; 0 = STORE_DEFAULT_POOL, max 64 */
  int busy_timeout_ms; /* sqlite only; 0 = STORE_DEFAULT_BUSY_MS */
} store_opts_t;

typedef struct store_account {
  char id[RAND_ID_MAX];        /* "acct_<22 base62>", NUL-terminated */
  char name[STORE_NAME_MAX];   /* UTF-8, NUL-terminated */
  int64_t created_at;          /* unix seconds */
} store_account_t;

typedef struct store_environment {
  char id[RAND_ID_MAX];         /* "env_<22 base62>" */
  char account_id[RAND_ID_MAX]; /* owning account */
  char name[STORE_NAME_MAX];    /* unique per account, e.g. "production" */
  int64_t created_at;           /* unix seconds */
} store_environment_t;

typedef struct store_app {
  char id[RAND_ID_MAX];           /* "app_<22 base62>" */
  char account_id[RAND_ID_MAX];   /* owning account */
  char name[STORE_NAME_MAX];      /* UTF-8, NUL-terminated */
  char profile[STORE_PROFILE_MAX]; /* [a-z0-9_]{1,31}, e.g. "openledger" */
  int64_t created_at;             /* unix seconds */
} store_app_t;

typedef struct store_audit {
  int64_t id;          /* assigned by the store, increasing; ignored on append */
  int64_t at;          /* unix seconds; 0 on append = now */
  char actor[128];     /* who: "app_…", "admin", … NUL-terminated */
  char action[64];     /* what: "account.create", … */
  char target[128];    /* on what: an id, may be "" */
  char outcome[16];    /* "ok", "denied", "error", … */
  char remote[64];     /* client address, may be "" */
  char request_id[64]; /* may be "" */
  char *detail_json;   /* owned, may be NULL; a JSON value when set */
} store_audit_t;

/* --- lifecycle ----------------------------------------------------------- */

/*
 * Opens a store. `url` is "sqlite:PATH" (e.g. "sqlite:./var/custos.db";
 * "sqlite::memory:" gives a private in-memory database, one connection) or
 * "postgres://…" / "postgresql://…" (a libpq URI; connect_timeout defaults
 * to STORE_PG_CONNECT_TIMEOUT_S). `opts` may be NULL for defaults.
 * A new SQLite file is created with mode 0600 (and its missing parent
 * directory with 0700). Opening does NOT migrate: see store_check_version().
 * Returns CUSTOS_OK and sets *out (caller frees with store_close()), or
 * CUSTOS_EINVAL (unknown scheme, empty path, a postgres URL libpq cannot
 * parse, options out of range), CUSTOS_ESTORE (cannot create/open/connect),
 * CUSTOS_ENOMEM; then *out is untouched and `err` (may be NULL) holds a
 * NUL-terminated message without credentials.
 */
int store_open(const char *url, const store_opts_t *opts, store_t **out,
               char *err, size_t errlen) STORE_WARN;

/* Stops and joins the listener threads (waiting for a callback in
 * progress; about a second at most otherwise), closes every connection and
 * frees `s`. NULL is a no-op. No call may be in flight on `s`, and a
 * listener callback must not call this. */
void store_close(store_t *s);

/* "sqlite" or "postgres". Static string; never NULL for a valid `s`. */
const char *store_kind(const store_t *s);

/* One cheap round-trip (SELECT 1). CUSTOS_OK or CUSTOS_ESTORE. For /readyz. */
int store_ping(store_t *s) STORE_WARN;

/* Backend failures (CUSTOS_ESTORE results) since open. Atomic; for /metrics. */
uint64_t store_error_count(const store_t *s);

/*
 * Writes `url` into `out` (size `outlen`, always NUL-terminated) with any
 * password replaced by "***" (both "user:pass@" and a "password=" query
 * parameter). Use it whenever a URL is printed or logged.
 */
void store_url_redact(const char *url, char *out, size_t outlen);

/* --- schema -------------------------------------------------------------- */

/* The highest schema version this binary knows. Cannot fail. */
int store_binary_schema_version(void);

/* Sets *version_out to the database's schema version (0 when never
 * migrated). CUSTOS_OK or CUSTOS_ESTORE. */
int store_schema_version(store_t *s, int *version_out) STORE_WARN;

/*
 * Applies every pending migration, each in its own transaction, recording
 * it in schema_migrations(version, applied_at). Safe to run concurrently
 * from several processes: on PostgreSQL each step holds
 * pg_advisory_xact_lock, on SQLite BEGIN IMMEDIATE. `applied_out` (may be
 * NULL) gets the number applied (0 when up to date). Returns CUSTOS_OK,
 * CUSTOS_EVERSION (database is newer than this binary: nothing applied), or
 * CUSTOS_ESTORE (the failing migration was rolled back; earlier ones stay
 * applied and *applied_out is not written).
 */
int store_migrate(store_t *s, int *applied_out) STORE_WARN;

/*
 * The start-up gate for the server. Returns CUSTOS_OK when the database is
 * exactly at store_binary_schema_version(). Otherwise writes a message to
 * `err` (may be NULL) and returns:
 *  - CUSTOS_EVERSION: "database schema version N is newer than this custos
 *    (knows up to M); upgrade custos"
 *  - CUSTOS_ESTORE: "database needs migrations; run `custos migrate`"
 *    (version behind), or the backend's failure message.
 */
int store_check_version(store_t *s, char *err, size_t errlen) STORE_WARN;

/* --- accounts ------------------------------------------------------------ */

/*
 * Creates an account named `name` and, in the same transaction, its
 * "development" and "production" environments. Fills *out on success.
 * CUSTOS_EINVAL (bad name), CUSTOS_ESTORE, CUSTOS_ECRYPTO (id generation).
 */
int store_account_create(store_t *s, const char *name,
                         store_account_t *out) STORE_WARN;

/* Fills *out with account `id`. CUSTOS_ENOTFOUND when absent (or `id` is
 * malformed), CUSTOS_ESTORE. */
int store_account_get(store_t *s, const char *id, store_account_t *out) STORE_WARN;

/*
 * Keyset pagination by id: up to `limit` (1..STORE_LIST_MAX) accounts with
 * id > `after_id` (NULL = from the start), in ascending id order (bytewise),
 * into `out` (caller array of at least `limit`). *n_out gets the count;
 * fewer than `limit` means the end. Pass the last id as the next `after_id`.
 * CUSTOS_EINVAL (limit out of range), CUSTOS_ESTORE.
 */
int store_account_list(store_t *s, const char *after_id, int limit,
                       store_account_t *out, int *n_out) STORE_WARN;

/* --- environments -------------------------------------------------------- */

/* Creates environment `name` in `account_id`. CUSTOS_EEXISTS when the
 * account already has that name, CUSTOS_ENOTFOUND when the account does not
 * exist, CUSTOS_EINVAL, CUSTOS_ESTORE. */
int store_environment_create(store_t *s, const char *account_id, const char *name,
                             store_environment_t *out) STORE_WARN;

/* Environments of `account_id`, keyset-paginated by id as
 * store_account_list(). An unknown account gives *n_out = 0. */
int store_environment_list(store_t *s, const char *account_id, const char *after_id,
                           int limit, store_environment_t *out, int *n_out) STORE_WARN;

/* --- apps ---------------------------------------------------------------- */

/* Creates app `name` with `profile` ([a-z0-9_]{1,31}) in `account_id`.
 * CUSTOS_ENOTFOUND when the account does not exist, CUSTOS_EINVAL,
 * CUSTOS_ESTORE. */
int store_app_create(store_t *s, const char *account_id, const char *name,
                     const char *profile, store_app_t *out) STORE_WARN;

/* Fills *out with app `id`. CUSTOS_ENOTFOUND, CUSTOS_ESTORE. */
int store_app_get(store_t *s, const char *id, store_app_t *out) STORE_WARN;

/* Apps of `account_id` (NULL = all accounts), keyset-paginated by id as
 * store_account_list(). */
int store_app_list(store_t *s, const char *account_id, const char *after_id,
                   int limit, store_app_t *out, int *n_out) STORE_WARN;

/* --- audit (append-only: no update or delete exists, and the schema
 * rejects UPDATE/DELETE on audit_event) ------------------------------------ */

/*
 * Appends `ev` (its id is ignored; at == 0 means now). Every char field
 * must be NUL-terminated within its array and actor, action and outcome
 * non-empty; detail_json, when set, must be a JSON value (CUSTOS_EINVAL) of
 * at most STORE_AUDIT_DETAIL_MAX bytes (CUSTOS_ETOOBIG). The caller keeps
 * ownership of `ev`. CUSTOS_EINVAL, CUSTOS_ETOOBIG, CUSTOS_ESTORE.
 */
int store_audit_append(store_t *s, const store_audit_t *ev) STORE_WARN;

/*
 * Up to `limit` events with id > `after_id` (0 = from the start), oldest
 * first, into `out` (caller array of at least `limit`). Each returned
 * element owns its detail_json: call store_audit_cleanup() on each of the
 * *n_out elements. On failure nothing needs cleaning up.
 */
int store_audit_list(store_t *s, int64_t after_id, int limit,
                     store_audit_t *out, int *n_out) STORE_WARN;

/* Frees ev->detail_json and sets it to NULL. NULL `ev` is a no-op. */
void store_audit_cleanup(store_audit_t *ev);

/* --- API keys ----------------------------------------------------------
 * A key's secret text is never stored: only its SHA-256 (`hash`) and a short
 * visible start for humans. Lookups on the hot path go by hash. */

#define STORE_KEY_HASH_LEN 32   /* SHA-256 */
#define STORE_KEY_START_MAX 16  /* visible start buffer, e.g. "ap_Xy7k" + NUL */
#define STORE_KEY_KIND_MAX 16   /* kind buffer */
#define STORE_SCOPES_MAX 512    /* scopes buffer: space-separated names + NUL */

typedef struct store_api_key {
  char id[RAND_ID_MAX];               /* "key_<22 base62>", set by create */
  char app_id[RAND_ID_MAX];           /* owning app (must exist) */
  char account_id[RAND_ID_MAX];       /* the app's account, filled by the store */
  char environment_id[RAND_ID_MAX];   /* an environment of that account */
  char kind[STORE_KEY_KIND_MAX];      /* [a-z_]{1,15}: "api_key", "app_secret", "app_token", … */
  char name[STORE_NAME_MAX];          /* optional label, "" allowed here (0..200 bytes UTF-8) */
  char start[STORE_KEY_START_MAX];    /* visible start, [A-Za-z0-9_]{4,15} */
  unsigned char hash[STORE_KEY_HASH_LEN]; /* SHA-256 of the full key text; unique */
  char scopes[STORE_SCOPES_MAX];      /* space-separated [A-Za-z0-9_:.-]+ names, may be "" */
  int64_t created_at;                 /* unix seconds, set by create */
  int64_t expires_at;                 /* unix seconds, 0 = never */
  int64_t revoked_at;                 /* unix seconds, 0 = not revoked */
  int64_t grace_until;                /* set on a rotated-out key: valid until then; 0 = not rotated */
  char replaced_by[RAND_ID_MAX];      /* id of the key that replaced this one, "" */
  int64_t last_used_at;               /* unix seconds, 0 = never */
  int64_t use_count;                  /* successful checks recorded so far */
} store_api_key_t;

/*
 * Inserts a key. In: app_id, environment_id, kind, name, start, hash,
 * scopes, expires_at (>= 0). Every char field must be NUL-terminated within
 * its array. The store sets id, account_id (from the app), created_at, and
 * zeroes the rest; *k is updated in place on success (untouched on failure).
 * CUSTOS_ENOTFOUND (no such app, or the environment is not the app's
 * account's), CUSTOS_EEXISTS (hash collision), CUSTOS_EINVAL, CUSTOS_ESTORE,
 * CUSTOS_ECRYPTO (id generation).
 */
int store_api_key_create(store_t *s, store_api_key_t *k) STORE_WARN;

/* By id / by hash. CUSTOS_ENOTFOUND, CUSTOS_ESTORE. Revoked and expired keys
 * are returned too: the caller judges validity. */
int store_api_key_get(store_t *s, const char *id, store_api_key_t *out) STORE_WARN;
int store_api_key_get_by_hash(store_t *s, const unsigned char hash[STORE_KEY_HASH_LEN],
                              store_api_key_t *out) STORE_WARN;

/* Keys of `app_id` (NULL = all; an unknown app gives *n_out = 0),
 * keyset-paginated by id as store_account_list(). */
int store_api_key_list(store_t *s, const char *app_id, const char *after_id, int limit,
                       store_api_key_t *out, int *n_out) STORE_WARN;

/* Replaces the scopes (same format as the struct field: "" or names
 * separated by single spaces). CUSTOS_ENOTFOUND, CUSTOS_EINVAL,
 * CUSTOS_ESTORE. */
int store_api_key_set_scopes(store_t *s, const char *id, const char *scopes) STORE_WARN;

/* Sets revoked_at = `at` (unix seconds, > 0) if not already revoked
 * (idempotent: an already revoked key keeps its first revoked_at and this
 * returns CUSTOS_OK). A rotated-out key can be revoked (ending its grace).
 * CUSTOS_ENOTFOUND, CUSTOS_EINVAL (at <= 0), CUSTOS_ESTORE. */
int store_api_key_revoke(store_t *s, const char *id, int64_t at) STORE_WARN;

/*
 * Rotation, atomic: inserts `new_key` (in: start, hash; everything else —
 * app, environment, kind, name, scopes, expires_at — is copied from the old
 * key by the store) and sets the old key's grace_until = `grace_until` and
 * replaced_by = the new id, in one transaction. `grace_until` is unix
 * seconds and must be > 0 (0 means "not rotated"; pass now for no grace):
 * else CUSTOS_EINVAL. A key is "rotated" when replaced_by is non-empty.
 * The old key must be neither revoked nor already rotated: else
 * CUSTOS_EINVAL and nothing changes (also when two rotations race: one
 * wins). CUSTOS_ENOTFOUND, CUSTOS_EEXISTS (hash collision), CUSTOS_ESTORE,
 * CUSTOS_ECRYPTO. On success *new_key is filled like store_api_key_create's
 * output; on failure it is untouched.
 */
int store_api_key_rotate(store_t *s, const char *old_id, int64_t grace_until,
                         store_api_key_t *new_key) STORE_WARN;

typedef struct store_key_usage {
  char id[RAND_ID_MAX];   /* key id */
  int64_t last_used_at;   /* unix seconds; the stored value becomes max(stored, this) */
  int64_t uses;           /* added to use_count */
} store_key_usage_t;

/* Records usage for `n` (>= 0) keys in one transaction (batched by the
 * key-check service; never one write per request): use_count += uses
 * (saturating at INT64_MAX), last_used_at = max(stored, given). Unknown ids
 * are skipped; an id given twice counts both entries. uses and
 * last_used_at must be >= 0. All or nothing: on failure no key changed.
 * CUSTOS_EINVAL, CUSTOS_ENOMEM, CUSTOS_ESTORE. */
int store_api_key_record_usage(store_t *s, const store_key_usage_t *u, int n) STORE_WARN;

/* --- admin tokens (bearer tokens for /admin/v1; only hashes stored) ------- */

typedef struct store_admin_token {
  char id[RAND_ID_MAX];                   /* "adm_<22 base62>", set by create */
  char name[STORE_NAME_MAX];              /* label, 1..200 bytes */
  unsigned char hash[STORE_KEY_HASH_LEN]; /* SHA-256 of the token text */
  int64_t created_at;
  int64_t revoked_at;                     /* 0 = active */
} store_admin_token_t;

/* In: name (1..200 bytes UTF-8), hash. Sets id and created_at, zeroes
 * revoked_at; *t is updated in place on success. CUSTOS_EEXISTS (hash
 * collision), CUSTOS_EINVAL, CUSTOS_ESTORE, CUSTOS_ECRYPTO. */
int store_admin_token_create(store_t *s, store_admin_token_t *t) STORE_WARN;
/* By hash; revoked tokens are returned too (the caller checks revoked_at).
 * CUSTOS_ENOTFOUND, CUSTOS_ESTORE. */
int store_admin_token_get_by_hash(store_t *s, const unsigned char hash[STORE_KEY_HASH_LEN],
                                  store_admin_token_t *out) STORE_WARN;
/* Number of tokens not revoked. CUSTOS_ESTORE. */
int store_admin_token_count_active(store_t *s, int64_t *n_out) STORE_WARN;
/*
 * As store_admin_token_create(), but only while no admin token is active:
 * the check and the insert are one write transaction (SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: under the advisory lock every admin-token write
 * takes), so of concurrent `custos admin init`s exactly one creates a
 * token. CUSTOS_EDENIED (nothing stored) when an active token exists.
 */
int store_admin_token_create_first(store_t *s, store_admin_token_t *t) STORE_WARN;
/*
 * As store_admin_token_create(), after revoking every active admin token
 * (revoked_at = the new token's created_at), in one write transaction
 * under the same lock as store_admin_token_create_first(): afterwards the
 * new token is the only active one. `custos admin init --replace`, for a
 * lost or leaked last token. The first `max` revoked tokens (by id, as
 * they are now) go to `revoked`, their total number to *n_revoked, so the
 * caller can audit each. CUSTOS_EINVAL, CUSTOS_EEXISTS, CUSTOS_ESTORE;
 * nothing changed on failure.
 */
int store_admin_token_replace(store_t *s, store_admin_token_t *t, store_admin_token_t *revoked, int max,
                              int *n_revoked) STORE_WARN;
/* By id. CUSTOS_ENOTFOUND, CUSTOS_ESTORE. */
int store_admin_token_get(store_t *s, const char *id, store_admin_token_t *out) STORE_WARN;
/* Every admin token, revoked ones too, keyset-paginated by id as
 * store_account_list(). */
int store_admin_token_list(store_t *s, const char *after_id, int limit, store_admin_token_t *out,
                           int *n_out) STORE_WARN;
/*
 * As store_api_key_revoke(): idempotent, keeps the first revoked_at;
 * CUSTOS_ENOTFOUND, CUSTOS_EINVAL (at <= 0), CUSTOS_ESTORE. With
 * `keep_one`, refuses (CUSTOS_EDENIED, nothing changed) to revoke the last
 * active token, atomically like store_admin_token_create_first(): two
 * concurrent revocations of the last two tokens cannot both succeed.
 */
int store_admin_token_revoke(store_t *s, const char *id, int64_t at, bool keep_one) STORE_WARN;

/* --- audit queries --------------------------------------------------------- */

typedef struct store_audit_filter {
  const char *action;  /* exact action, or a prefix ending in '.' ("key."); NULL = any; "" is EINVAL */
  const char *target;  /* exact ("" matches events without a target); NULL = any */
  const char *actor;   /* exact; NULL = any */
  int64_t since;       /* at >= since; 0 = any; negative is EINVAL */
} store_audit_filter_t;

/* store_audit_list() restricted by `f` (NULL = no filter): events matching
 * every set field, id > `after_id`, oldest first. A filter string longer
 * than its field can hold matches nothing. Same ownership rules as
 * store_audit_list(). CUSTOS_EINVAL, CUSTOS_ESTORE, CUSTOS_ENOMEM. */
int store_audit_find(store_t *s, const store_audit_filter_t *f, int64_t after_id, int limit,
                     store_audit_t *out, int *n_out) STORE_WARN;

/* --- signing keys ------------------------------------------------------------
 * The key pairs custos signs tokens with (src/jose/signer.h). The store
 * never sees private material in clear: `sealed` is the private JWK sealed
 * by the caller (core/seal.h), `public_jwk` the public half, which the
 * store refuses if it carries a private member. Per alg at most one key is
 * "active" and at most one "next" (a unique index); "retired" keys stay for
 * verification, and once no longer published their private key is purged
 * (store_signing_key_purge): the row stays as a tombstone with sealed ""
 * and purged_at set, for history. Rows are never deleted. */

#define STORE_KID_MAX 65              /* kid buffer: 1..64 chars [A-Za-z0-9_-] + NUL */
#define STORE_SIGNING_ALG_MAX 16      /* alg buffer: [A-Za-z0-9]{1,15} + NUL ("RS256") */
#define STORE_SIGNING_STATE_MAX 8     /* "next" | "active" | "retired" + NUL */
#define STORE_SEALED_MAX 65536        /* bytes of sealed text (base64url) */
#define STORE_PUBLIC_JWK_MAX 16384    /* bytes of public JWK JSON */
#define STORE_SIGNING_CHANNEL "custos_signing_keys" /* store_notify channel after changes */

typedef struct store_signing_key {
  char kid[STORE_KID_MAX];             /* RFC 7638 thumbprint in practice; unique */
  char alg[STORE_SIGNING_ALG_MAX];     /* JWS alg name */
  char state[STORE_SIGNING_STATE_MAX]; /* "next" -> "active" -> "retired" */
  char *sealed;      /* base64url seal_text output; owned by list results, borrowed on create */
  char *public_jwk;  /* JSON object, no private members; ownership as `sealed` */
  int64_t created_at;   /* unix seconds */
  int64_t activated_at; /* unix seconds, 0 = never active */
  int64_t retired_at;   /* unix seconds, 0 = not retired */
  int64_t purged_at;    /* unix seconds, 0 = not purged; when set, sealed is "" */
} store_signing_key_t;

/*
 * Inserts a key. In: kid, alg, state ("next" or "active"; a key is born
 * retired never), sealed (1..STORE_SEALED_MAX base64url chars), public_jwk
 * (a JSON object of at most STORE_PUBLIC_JWK_MAX bytes without any of the
 * private members d, p, q, dp, dq, qi, oth, k), created_at (unix seconds;
 * 0 = now). The store sets activated_at = created_at for an active key, 0
 * otherwise, and retired_at = 0, updating *k in place on success (its
 * pointers are only read). CUSTOS_EEXISTS when the kid exists or the alg
 * already has a key in that state (so racing bootstraps on several nodes
 * create one key each state, not two); CUSTOS_EINVAL; CUSTOS_ESTORE.
 */
int store_signing_key_create(store_t *s, store_signing_key_t *k) STORE_WARN;

/*
 * Up to `limit` (1..STORE_LIST_MAX) keys in `state` ("next", "active",
 * "retired"; NULL = all), newest first (created_at, then kid, descending),
 * into `out` (caller array of at least `limit`). Each returned element owns
 * its sealed and public_jwk: call store_signing_key_cleanup() on each of
 * the *n_out elements. On failure nothing needs cleaning up.
 * CUSTOS_EINVAL (bad state or limit), CUSTOS_ENOMEM, CUSTOS_ESTORE.
 */
int store_signing_key_list(store_t *s, const char *state, int limit, store_signing_key_t *out,
                           int *n_out) STORE_WARN;

/* Frees k->sealed and k->public_jwk and sets them to NULL. NULL is a no-op.
 * Only for keys filled by store_signing_key_list(). */
void store_signing_key_cleanup(store_signing_key_t *k);

/*
 * Rotation of `alg`, atomic (one transaction; concurrent rotations take
 * turns). `new_key` is as for store_signing_key_create (its state is
 * ignored); `now` (unix seconds, > 0) becomes its created_at and the time
 * of every transition:
 *   - the alg has a next key: the active key (if any) is retired, the next
 *     becomes active, the new key becomes next;
 *   - no next but an active key: the new key becomes next and the active
 *     key stays (a key is never made active without first being published
 *     as next, when that can be avoided);
 *   - neither (bootstrap): the new key becomes active at once.
 * So after any rotation the alg has an active key, and a next key unless
 * this was the bootstrap. On success *new_key gets its stored state,
 * created_at and activated_at. CUSTOS_EEXISTS (kid exists, or a
 * concurrent store_signing_key_create won: nothing changed), CUSTOS_EINVAL,
 * CUSTOS_ESTORE. Callers store_notify STORE_SIGNING_CHANNEL afterwards.
 */
int store_signing_key_rotate(store_t *s, const char *alg, store_signing_key_t *new_key,
                             int64_t now) STORE_WARN;

/*
 * A number that grows with every change to the signing keys (each create,
 * rotation step, retirement and purge adds to it): one aggregate over a small
 * table, cheap enough to poll where notifications cannot reach (SQLite
 * written by another process). CUSTOS_ESTORE.
 */
int store_signing_key_generation(store_t *s, int64_t *gen_out) STORE_WARN;

/*
 * Erases the sealed private key of every retired key with
 * 0 < retired_at <= `retired_before` that is not purged yet: sealed
 * becomes "" and purged_at `now` (unix seconds, > 0); kid, alg, state
 * ("retired"), the other times and public_jwk stay. Active and next keys
 * are never touched. One statement in one transaction (PostgreSQL: under
 * the rotation lock), so nodes racing purge each key once: *n_out (may be
 * NULL) gets the number this call purged, 0 when another got there first.
 * Adds to the generation. CUSTOS_EINVAL, CUSTOS_ESTORE.
 */
int store_signing_key_purge(store_t *s, int64_t retired_before, int64_t now,
                            int *n_out) STORE_WARN;

/* --- users and user tokens (The Layer's Token2) ----------------------------
 * A user is an end user of one app. A user token is a long-lived secret of
 * one user, stored like an API key (SHA-256 and a visible start only), with
 * an access level, expiry, revocation and rotation grace. */

#define STORE_LEVEL_MAX 8 /* access level buffer: "read" | "write" | "admin" + NUL */

typedef struct store_user {
  char id[RAND_ID_MAX];              /* "usr_<22 base62>", set by create */
  char account_id[RAND_ID_MAX];      /* the app's account, filled by the store */
  char app_id[RAND_ID_MAX];          /* owning app */
  char external_id[STORE_NAME_MAX];  /* the platform's name for the user, 1..200 bytes UTF-8, unique per app */
  int64_t created_at;                /* unix seconds */
} store_user_t;

typedef struct store_user_token {
  char id[RAND_ID_MAX];                   /* "utk_<22 base62>", set by create */
  char app_id[RAND_ID_MAX];               /* the user's app, filled by the store */
  char account_id[RAND_ID_MAX];           /* the user's account, filled by the store */
  char user_id[RAND_ID_MAX];              /* owning user (must exist) */
  char start[STORE_KEY_START_MAX];        /* visible start, [A-Za-z0-9_]{4,15} */
  unsigned char hash[STORE_KEY_HASH_LEN]; /* SHA-256 of the token text; unique */
  char access_level[STORE_LEVEL_MAX];     /* "read" | "write" | "admin" */
  int64_t created_at;                     /* unix seconds, set by create */
  int64_t expires_at;                     /* unix seconds, 0 = never */
  int64_t revoked_at;                     /* unix seconds, 0 = not revoked */
  int64_t grace_until;                    /* set on a rotated-out token: valid until then; 0 = not rotated */
  char replaced_by[RAND_ID_MAX];          /* id of the token that replaced this one, "" */
  int64_t last_used_at;                   /* unix seconds, 0 = never */
  int64_t use_count;                      /* successful checks recorded so far */
} store_user_token_t;

/* Creates user `external_id` of app `app_id`. CUSTOS_ENOTFOUND (no such
 * app), CUSTOS_EEXISTS (the app has that external id), CUSTOS_EINVAL,
 * CUSTOS_ESTORE, CUSTOS_ECRYPTO. */
int store_user_create(store_t *s, const char *app_id, const char *external_id,
                      store_user_t *out) STORE_WARN;
/* CUSTOS_ENOTFOUND, CUSTOS_ESTORE. */
int store_user_get(store_t *s, const char *id, store_user_t *out) STORE_WARN;
/* Users of `app_id`, keyset-paginated by id as store_account_list(). */
int store_user_list(store_t *s, const char *app_id, const char *after_id, int limit,
                    store_user_t *out, int *n_out) STORE_WARN;

/* Inserts a token. In: user_id, start, hash, access_level, expires_at
 * (>= 0). The store sets id, app_id and account_id (from the user) and
 * created_at and zeroes the rest; *t is updated in place on success.
 * CUSTOS_ENOTFOUND (no such user), CUSTOS_EEXISTS (hash collision),
 * CUSTOS_EINVAL, CUSTOS_ESTORE, CUSTOS_ECRYPTO. */
int store_user_token_create(store_t *s, store_user_token_t *t) STORE_WARN;
/* By id / by hash; revoked and expired tokens too. CUSTOS_ENOTFOUND,
 * CUSTOS_ESTORE. */
int store_user_token_get(store_t *s, const char *id, store_user_token_t *out) STORE_WARN;
int store_user_token_get_by_hash(store_t *s, const unsigned char hash[STORE_KEY_HASH_LEN],
                                 store_user_token_t *out) STORE_WARN;
/* Tokens of `user_id` (revoked, rotated and expired ones too),
 * keyset-paginated by id as store_account_list(). An unknown user gives
 * *n_out = 0. */
int store_user_token_list(store_t *s, const char *user_id, const char *after_id, int limit,
                          store_user_token_t *out, int *n_out) STORE_WARN;
/* As store_api_key_revoke(). */
int store_user_token_revoke(store_t *s, const char *id, int64_t at) STORE_WARN;
/* As store_api_key_rotate(): in new_token start and hash; the rest is
 * copied from the old token. */
int store_user_token_rotate(store_t *s, const char *old_id, int64_t grace_until,
                            store_user_token_t *new_token) STORE_WARN;
/* store_user_token_get() and _rotate() in the key-shaped view of
 * store_user_token_lookup() (for code shared with API keys); rotate reads
 * nk->start and nk->hash and on success writes the stored new row. */
int store_user_token_get_key(store_t *s, const char *id, store_api_key_t *out) STORE_WARN;
int store_user_token_rotate_key(store_t *s, const char *old_id, int64_t grace_until,
                                store_api_key_t *nk) STORE_WARN;
/* The public struct of a token from its key-shaped view. */
void store_user_token_from_key(const store_api_key_t *k, store_user_token_t *t);
/* As store_api_key_record_usage(), for user token ids. */
int store_user_token_record_usage(store_t *s, const store_key_usage_t *u, int n) STORE_WARN;

/* The key-check view of a user token (src/auth/keycheck.h): the row as a
 * store_api_key_t with environment_id = the user id, scopes = the access
 * level, kind = "user_token", name = "". As store_api_key_get_by_hash(). */
int store_user_token_lookup(store_t *s, const unsigned char hash[STORE_KEY_HASH_LEN],
                            store_api_key_t *out) STORE_WARN;
/* --- entities (Open Ledger) ------------------------------------------------
 * An entity belongs to one account (the Open Ledger developer). Its id is
 * unique across the store; its name unique within the account. Entities
 * are never deleted. */

#define STORE_ENTITY_ID_LEN_MAX 64   /* bytes of an entity id */
#define STORE_ENTITY_ID_MAX 65       /* entity id buffer: 64 bytes + NUL */
#define STORE_TOKEN_LIFETIME_MAX 3153600000LL /* 100 years, seconds */

typedef struct store_entity {
  char id[STORE_ENTITY_ID_MAX];  /* "ent_<22 base62>" or an external id [A-Za-z0-9_.:-]{1,64} */
  char account_id[RAND_ID_MAX];  /* owning account (the developer) */
  char name[STORE_NAME_MAX];     /* UTF-8, unique per account */
  int64_t created_at;            /* unix seconds */
} store_entity_t;

/* True when `id` is a well-formed entity id: 1..STORE_ENTITY_ID_LEN_MAX
 * bytes of [A-Za-z0-9_.:-]. */
bool store_entity_id_valid(const char *id);

/*
 * Creates entity `name` in `account_id` with id `id` (NULL = a new
 * "ent_…" id). CUSTOS_EEXISTS when the id exists or the account already
 * has an entity with that name; CUSTOS_ENOTFOUND when the account does
 * not exist; CUSTOS_EINVAL (bad id or name), CUSTOS_ESTORE,
 * CUSTOS_ECRYPTO (id generation).
 */
int store_entity_create(store_t *s, const char *account_id, const char *id, const char *name,
                        store_entity_t *out) STORE_WARN;

/* Fills *out with entity `id`. CUSTOS_ENOTFOUND when absent or malformed,
 * CUSTOS_ESTORE. */
int store_entity_get(store_t *s, const char *id, store_entity_t *out) STORE_WARN;

/* Entities of `account_id`, keyset-paginated by id as store_account_list()
 * (`after_id` may be any well-formed entity id). An unknown account gives
 * *n_out = 0. */
int store_entity_list(store_t *s, const char *account_id, const char *after_id, int limit,
                      store_entity_t *out, int *n_out) STORE_WARN;

/* The account's maximum token lifetime in seconds into *out (0 = not set:
 * the caller's configured default applies). CUSTOS_ENOTFOUND,
 * CUSTOS_ESTORE. */
int store_account_token_lifetime(store_t *s, const char *account_id, int64_t *out) STORE_WARN;

/* Sets it: 0 (back to the default) or 1..STORE_TOKEN_LIFETIME_MAX seconds
 * (else CUSTOS_EINVAL). CUSTOS_ENOTFOUND, CUSTOS_ESTORE. */
int store_account_set_token_lifetime(store_t *s, const char *account_id, int64_t seconds) STORE_WARN;

/* --- change notifications (cache invalidation across nodes) ---------------- */

#define STORE_CHANNEL_LEN_MAX 63   /* bytes of a channel name, [a-z_] */
#define STORE_PAYLOAD_LEN_MAX 7999  /* bytes of a notification payload */
#define STORE_LISTENERS_MAX 8       /* store_listen() registrations per store */
#define STORE_LISTEN_BACKOFF_MIN_MS 100  /* first reconnect delay (PostgreSQL) */
#define STORE_LISTEN_BACKOFF_MAX_MS 2000 /* reconnect delay cap */

/* Called on a store-owned thread (PostgreSQL) or on the notifying thread
 * (SQLite). `payload` is "*" when notifications may have been missed (the
 * listening connection was re-established): treat it as "drop everything".
 * `channel` and `payload` are valid only during the call. The function
 * must not call store_close() on the store it listens to (close waits for
 * it); other store calls are fine. On PostgreSQL one listener's calls are
 * serial; on SQLite they run on whatever thread called store_notify(),
 * possibly several at once. */
typedef void (*store_notify_fn)(void *ctx, const char *channel, const char *payload);

/*
 * Sends `payload` (valid UTF-8, ≤ STORE_PAYLOAD_LEN_MAX bytes) on `channel`
 * ([a-z_]{1,63}) to every listener of every node sharing this store,
 * including this one: PostgreSQL pg_notify(), delivered asynchronously
 * (this call runs outside any transaction, so at once); SQLite has one
 * node, so listeners registered on this store_t are called directly, on
 * this thread, before this returns (other store_t on the same file are not
 * told). CUSTOS_EINVAL, CUSTOS_ESTORE.
 */
int store_notify(store_t *s, const char *channel, const char *payload) STORE_WARN;

/*
 * Registers `fn` for `channel` until store_close(). PostgreSQL: a dedicated
 * connection and thread; LISTEN has completed when this returns, so every
 * notification sent afterwards is delivered. On connection loss the thread
 * reconnects with backoff (STORE_LISTEN_BACKOFF_MIN_MS doubling to
 * STORE_LISTEN_BACKOFF_MAX_MS), LISTENs again and then calls
 * fn(ctx, channel, "*"); each failed attempt counts in store_error_count().
 * store_close() stops and joins the thread within about a second.
 * CUSTOS_EINVAL, CUSTOS_ETOOBIG (already STORE_LISTENERS_MAX listeners),
 * CUSTOS_ENOMEM, CUSTOS_ESTORE (cannot connect or LISTEN now).
 */
int store_listen(store_t *s, const char *channel, store_notify_fn fn, void *ctx) STORE_WARN;

/* --- AssetPay merchants and clients (profile assetpay) ---------------------
 * A merchant is an app with profile "assetpay". It has a numeric merchant
 * id (the "userId" in its client tokens' header), unique and positive, and
 * an API secret that signs client tokens with HS256. Secrets are stored
 * sealed (core/seal.h, context "app_secret:<app id>") as base64url text;
 * the store never sees one in clear. */

#define STORE_SECRET_SEALED_MAX 512        /* sealed secret text buffer (base64url + NUL) */
#define STORE_STEAM_ID_MAX 18       /* 17 digits + NUL */
#define STORE_TRADE_URL_MAX 257     /* 256 bytes + NUL */
#define STORE_CLIENT_ID_MAX 385     /* 384 bytes (128 UTF-16 units) + NUL */
#define STORE_CLIENT_DATA_MAX 65536 /* bytes of client_data JSON */

typedef struct store_merchant {
  char app_id[RAND_ID_MAX];            /* the merchant's app */
  int64_t merchant_id;                 /* > 0, unique, assigned by the store */
  char secret_sealed[STORE_SECRET_SEALED_MAX];/* current secret, sealed; "" = none yet */
  int64_t secret_created_at;           /* unix seconds the current secret was made, 0 = none */
  int64_t secret_rotated_at;           /* last rotation (replacement of a secret), 0 = never */
  char prev_sealed[STORE_SECRET_SEALED_MAX];  /* the replaced secret, sealed; "" = none */
  int64_t prev_valid_until;            /* prev_sealed verifies until then (unix seconds) */
  int64_t created_at;                  /* unix seconds */
} store_merchant_t;

/*
 * The merchant row of `app_id`, created when absent with the next free
 * merchant id (max + 1; concurrent creators on PostgreSQL retry). The
 * caller checks the app's profile first. CUSTOS_ENOTFOUND (no such app),
 * CUSTOS_ESTORE.
 */
int store_merchant_ensure(store_t *s, const char *app_id, store_merchant_t *out) STORE_WARN;
/* By app id / by merchant id. CUSTOS_ENOTFOUND, CUSTOS_ESTORE. */
int store_merchant_get(store_t *s, const char *app_id, store_merchant_t *out) STORE_WARN;
int store_merchant_get_by_mid(store_t *s, int64_t merchant_id, store_merchant_t *out) STORE_WARN;

/*
 * Replaces the secret of `m->app_id` with m->secret_sealed,
 * secret_created_at, secret_rotated_at, prev_sealed and prev_valid_until,
 * only if the stored current secret still equals `expect_sealed` (compare
 * and swap: of two racing rotations one wins). CUSTOS_EINVAL when the
 * stored secret changed meanwhile (or fields are unterminated / too long),
 * CUSTOS_ENOTFOUND, CUSTOS_ESTORE.
 */
int store_merchant_set_secret(store_t *s, const store_merchant_t *m, const char *expect_sealed) STORE_WARN;

typedef struct store_ap_client {
  char app_id[RAND_ID_MAX];              /* the merchant's app */
  char steam_id[STORE_STEAM_ID_MAX];     /* 17 digits; unique per app */
  char trade_url[STORE_TRADE_URL_MAX];
  bool partner_match;                    /* the URL's partner is this Steam ID's account */
  char client_id[STORE_CLIENT_ID_MAX];   /* "" when not given */
  char *client_data;                     /* owned JSON text (as JSON.stringify writes it), NULL = none */
  int64_t risk_limit;                    /* collateral limit, whole USD */
  int risk_tier;                         /* 0..5 */
  int64_t created_at;                    /* first authentication, unix seconds */
  int64_t updated_at;                    /* latest authentication */
  int64_t auth_count;                    /* authentications so far */
} store_ap_client_t;

/*
 * Inserts or replaces client (app_id, steam_id): every field is replaced
 * (client_data included, NULL clearing it), created_at kept, updated_at =
 * c->updated_at (0 = now), auth_count incremented. CUSTOS_ENOTFOUND (no such
 * app), CUSTOS_EINVAL (fields unterminated, client_data over
 * STORE_CLIENT_DATA_MAX or not valid UTF-8), CUSTOS_ESTORE.
 */
int store_ap_client_upsert(store_t *s, const store_ap_client_t *c) STORE_WARN;
/* The client; the caller calls store_ap_client_cleanup(out) afterwards.
 * CUSTOS_ENOTFOUND, CUSTOS_ESTORE, CUSTOS_ENOMEM. */
int store_ap_client_get(store_t *s, const char *app_id, const char *steam_id,
                        store_ap_client_t *out) STORE_WARN;
/*
 * Clients of `app_id` in Steam ID order, keyset-paginated: those after
 * `after_steam_id` (NULL = from the start; anything but 17 digits is
 * CUSTOS_EINVAL), at most `limit` (1..STORE_LIST_MAX). On CUSTOS_OK the
 * caller calls store_ap_client_cleanup() on each of the *n_out rows. An
 * unknown app gives *n_out = 0. CUSTOS_EINVAL, CUSTOS_ESTORE,
 * CUSTOS_ENOMEM.
 */
int store_ap_client_list(store_t *s, const char *app_id, const char *after_steam_id, int limit,
                         store_ap_client_t *out, int *n_out) STORE_WARN;
/* Frees client_data. NULL ok. */
void store_ap_client_cleanup(store_ap_client_t *c);

#endif
