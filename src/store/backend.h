/*
 * backend.h — what store.c needs from a backend (internal to src/store).
 *
 * store.c validates input, generates ids and timestamps, and fills the
 * structs; a backend only moves rows. Backend functions follow the
 * conventions of store.h and return CUSTOS_OK, CUSTOS_ENOTFOUND,
 * CUSTOS_EEXISTS, CUSTOS_EVERSION, CUSTOS_ENOMEM or CUSTOS_ESTORE.
 */
#ifndef CUSTOS_STORE_BACKEND_H
#define CUSTOS_STORE_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* Audit filter variants: which conditions a query carries. Each variant is
 * its own prepared statement, so every one gets a plan that can use its
 * index (a generic "(? IS NULL OR col = ?)" plan cannot). */
enum {
  STORE_AQ_ACTION = 1u << 0, /* action = exact */
  STORE_AQ_PREFIX = 1u << 1, /* action_lo <= action < action_hi */
  STORE_AQ_TARGET = 1u << 2,
  STORE_AQ_ACTOR = 1u << 3,
  STORE_AQ_SINCE = 1u << 4,
  STORE_AQ_VARIANTS = 1u << 5 /* number of masks */
};

/* A store_audit_filter_t after validation. Parameters bind in this order:
 * after_id, action (or action_lo, action_hi), target, actor, since, limit,
 * each only when its bit is set (after_id and limit always). */
typedef struct store__audit_query {
  unsigned mask;      /* STORE_AQ_* bits */
  const char *action; /* exact action, or the prefix (= low bound) */
  char action_hi[64]; /* prefix with its final '.' replaced by '/' */
  const char *target;
  const char *actor;
  int64_t since;
} store__audit_query_t;

/* The SELECT for audit query variant `mask`, with placeholders "?N"
 * (SQLite) or "$N" (PostgreSQL, with COLLATE "C" on action). */
void store__audit_find_sql(unsigned mask, bool pg, char *buf, size_t cap);

/* Lowercase hex of a key/token hash (64 chars + NUL), and back. */
#define STORE_HASH_HEX_MAX (2 * STORE_KEY_HASH_LEN + 1)
void store__hash_hex(const unsigned char hash[STORE_KEY_HASH_LEN], char out[STORE_HASH_HEX_MAX]);
/* CUSTOS_OK, or CUSTOS_ESTORE when `hex` is not 64 lowercase hex chars. */
int store__hash_unhex(const char *hex, unsigned char out[STORE_KEY_HASH_LEN]);

typedef struct store_ops {
  const char *kind; /* "sqlite" | "postgres" */
  void (*close)(void *impl);
  int (*ping)(void *impl);
  int (*schema_version)(void *impl, int *version_out);
  int (*migrate)(void *impl, int *applied_out);
  /* Inserts `acct` and `envs[0..nenv)` in one transaction. */
  int (*account_create)(void *impl, const store_account_t *acct,
                        const store_environment_t *envs, int nenv);
  int (*account_get)(void *impl, const char *id, store_account_t *out);
  int (*account_list)(void *impl, const char *after_id, int limit,
                      store_account_t *out, int *n_out);
  int (*environment_create)(void *impl, const store_environment_t *env);
  int (*environment_list)(void *impl, const char *account_id, const char *after_id,
                          int limit, store_environment_t *out, int *n_out);
  int (*app_create)(void *impl, const store_app_t *app);
  int (*app_get)(void *impl, const char *id, store_app_t *out);
  int (*app_list)(void *impl, const char *account_id, const char *after_id,
                  int limit, store_app_t *out, int *n_out);
  /* ev->at is already set. */
  int (*audit_append)(void *impl, const store_audit_t *ev);
  int (*audit_list)(void *impl, int64_t after_id, int limit,
                    store_audit_t *out, int *n_out);
  /* `q` is normalised by store.c (see store__audit_query_t). */
  int (*audit_find)(void *impl, const struct store__audit_query *q, int64_t after_id,
                    int limit, store_audit_t *out, int *n_out);

  /* `k` carries id, created_at and every input field; the backend inserts
   * it only if the app exists and the environment belongs to the app's
   * account (else CUSTOS_ENOTFOUND), and writes the app's account into
   * k->account_id. */
  int (*api_key_create)(void *impl, store_api_key_t *k);
  int (*api_key_get)(void *impl, const char *id, store_api_key_t *out);
  int (*api_key_get_by_hash)(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                             store_api_key_t *out);
  int (*api_key_list)(void *impl, const char *app_id, const char *after_id, int limit,
                      store_api_key_t *out, int *n_out);
  int (*api_key_set_scopes)(void *impl, const char *id, const char *scopes);
  /* Sets revoked_at = at where it is 0; CUSTOS_ENOTFOUND when no row. */
  int (*api_key_revoke)(void *impl, const char *id, int64_t at);
  /* One transaction: marks `old_id` rotated (grace_until, replaced_by =
   * nk->id) if it is neither revoked nor rotated (else CUSTOS_EINVAL), and
   * inserts nk (id, created_at, start, hash set; the rest copied from the
   * old row). On success *nk is the stored new row. */
  int (*api_key_rotate)(void *impl, const char *old_id, int64_t grace_until,
                        store_api_key_t *nk);
  /* `u` is sorted by id, ids unique and fitting; one transaction. */
  int (*api_key_record_usage)(void *impl, const store_key_usage_t *u, int n);

  /* Admin-token writes run in one write transaction (PostgreSQL: under an
   * advisory lock) so the guards below are atomic. only_first: insert only
   * while no token is active, else CUSTOS_EDENIED. */
  int (*admin_token_create)(void *impl, const store_admin_token_t *t, bool only_first);
  /* Revokes every active token (revoked_at = t->created_at), writing the
   * first `max` of them by id, as revoked, into `revoked` and their number
   * into *n_revoked, then inserts `t`; one transaction. */
  int (*admin_token_replace)(void *impl, const store_admin_token_t *t, store_admin_token_t *revoked, int max,
                             int *n_revoked);
  int (*admin_token_get)(void *impl, const char *id, store_admin_token_t *out);
  int (*admin_token_get_by_hash)(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                 store_admin_token_t *out);
  /* `after` is "" for the first page. */
  int (*admin_token_list)(void *impl, const char *after, int limit, store_admin_token_t *out,
                          int *n_out);
  int (*admin_token_count_active)(void *impl, int64_t *n_out);
  /* Sets revoked_at = at where it is 0 (already revoked: CUSTOS_OK, kept);
   * keep_one: CUSTOS_EDENIED when `id` is the only active token. */
  int (*admin_token_revoke)(void *impl, const char *id, int64_t at, bool keep_one);

  /* Validated input; activated_at/retired_at already set. */
  int (*signing_key_create)(void *impl, const store_signing_key_t *k);
  /* state NULL = all; rows own their strings (strdup). */
  int (*signing_key_list)(void *impl, const char *state, int limit, store_signing_key_t *out,
                          int *n_out);
  /* One transaction as store_signing_key_rotate(): k->created_at is `now`;
   * on success writes k->state and k->activated_at. */
  int (*signing_key_rotate)(void *impl, store_signing_key_t *k);
  int (*signing_key_generation)(void *impl, int64_t *gen_out);
  /* As store_signing_key_purge(), validated; *n_out = rows purged. */
  int (*signing_key_purge)(void *impl, int64_t retired_before, int64_t now, int *n_out);

  /* AssetPay merchants and clients (store.h). merchant_ensure inserts
   * (app_id, max+1, created_at) unless the app has a row, then returns the
   * row; a merchant-id collision with a concurrent creator is
   * CUSTOS_EEXISTS (store.c retries). */
  int (*merchant_ensure)(void *impl, const char *app_id, int64_t created_at, store_merchant_t *out);
  int (*merchant_get)(void *impl, const char *app_id, store_merchant_t *out);
  int (*merchant_get_by_mid)(void *impl, int64_t mid, store_merchant_t *out);
  int (*merchant_set_secret)(void *impl, const store_merchant_t *m, const char *expect_sealed);
  /* c->created_at and updated_at are set. */
  int (*ap_client_upsert)(void *impl, const store_ap_client_t *c);
  int (*ap_client_get)(void *impl, const char *app_id, const char *steam_id, store_ap_client_t *out);
  /* Rows own their client_data; `after` is "" for the first page. */
  int (*ap_client_list)(void *impl, const char *app_id, const char *after, int limit,
                        store_ap_client_t *out, int *n_out);

  /* Users: `u` carries id, app_id, external_id, created_at; the backend
   * inserts it only if the app exists (else CUSTOS_ENOTFOUND) and writes
   * the app's account into u->account_id. */
  int (*user_create)(void *impl, store_user_t *u);
  int (*user_get)(void *impl, const char *id, store_user_t *out);
  int (*user_list)(void *impl, const char *app_id, const char *after_id, int limit,
                   store_user_t *out, int *n_out);
  /* User tokens travel as store_api_key_t rows (store_user_token_lookup's
   * view: environment_id = user_id, scopes = access_level). Create: id,
   * environment_id (the user), start, hash, scopes, created_at, expires_at
   * in; app_id and account_id out (CUSTOS_ENOTFOUND when no such user).
   * The rest as the api_key_* functions. */
  int (*user_token_create)(void *impl, store_api_key_t *k);
  int (*user_token_get)(void *impl, const char *id, store_api_key_t *out);
  int (*user_token_list)(void *impl, const char *user_id, const char *after_id, int limit,
                         store_api_key_t *out, int *n_out);
  int (*user_token_get_by_hash)(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                store_api_key_t *out);
  int (*user_token_revoke)(void *impl, const char *id, int64_t at);
  int (*user_token_rotate)(void *impl, const char *old_id, int64_t grace_until,
                           store_api_key_t *nk);
  int (*user_token_record_usage)(void *impl, const store_key_usage_t *u, int n);
  int (*entity_create)(void *impl, const store_entity_t *e);
  int (*entity_get)(void *impl, const char *id, store_entity_t *out);
  int (*entity_list)(void *impl, const char *account_id, const char *after_id, int limit,
                     store_entity_t *out, int *n_out);
  int (*account_token_lifetime)(void *impl, const char *account_id, int64_t *out);
  /* CUSTOS_ENOTFOUND when no account matched. */
  int (*account_set_token_lifetime)(void *impl, const char *account_id, int64_t seconds);

  /* Validated channel/payload. */
  int (*notify)(void *impl, const char *channel, const char *payload);
  /* Registers a listener; CUSTOS_ETOOBIG past STORE_LISTENERS_MAX. Failures
   * of a listener's own connection after registration are added to
   * *errors (the store's counter, which outlives the listener). */
  int (*listen)(void *impl, const char *channel, store_notify_fn fn, void *ctx,
                _Atomic uint64_t *errors);
} store_ops_t;

struct store {
  const store_ops_t *ops; /* never NULL */
  void *impl;             /* backend state, owned */
  _Atomic uint64_t errors; /* CUSTOS_ESTORE results, for /metrics */
};

/* Backend constructors: `path` is the part after "sqlite:", `conninfo` the
 * whole postgres URL. On failure they write `err` and free what they made. */
int store__sqlite_open(const char *path, const store_opts_t *opts, void **impl_out,
                       char *err, size_t errlen);
int store__pg_open(const char *conninfo, const store_opts_t *opts, void **impl_out,
                   char *err, size_t errlen);
extern const store_ops_t store__sqlite_ops;
extern const store_ops_t store__pg_ops;

/* Copies NUL-terminated `src` into `dst` (capacity `cap`). Returns
 * CUSTOS_OK, or CUSTOS_ESTORE (dst = "") when it does not fit: a stored
 * value longer than its field means the database was written by something
 * else, so we refuse it rather than truncate. */
int store__copy(char *dst, size_t cap, const char *src);

/* Masks, in the message `msg` (capacity `cap`), every occurrence of the
 * password(s) carried by `url` ("user:pass@" and "password=" parameters):
 * libpq echoes the URI in some parse errors. */
void store__scrub_url_secrets(char *msg, size_t cap, const char *url);

/* Parses a decimal int64 (a PostgreSQL text result). false on junk. */
bool store__parse_i64(const char *s, int64_t *out);

/* Absolute CLOCK_MONOTONIC deadline `ms` from now, for pool waits. */
struct timespec store__deadline(int ms);

/* Column lists shared by both backends' statements (the schema is one,
 * migrations.c; only dialect details differ). */
#define KEY_COLS                                                                          \
  "id, app_id, account_id, environment_id, kind, name, start, hash, scopes, created_at," \
  " expires_at, revoked_at, grace_until, replaced_by, last_used_at, use_count"
#define ADM_COLS "id, name, hash, created_at, revoked_at"
#define MERCHANT_COLS                                                                     \
  "app_id, merchant_id, secret_sealed, secret_created_at, secret_rotated_at, prev_sealed," \
  " prev_valid_until, created_at"
#define CLIENT_COLS                                                                        \
  "app_id, steam_id, trade_url, partner_match, client_id, client_data, risk_limit,"        \
  " risk_tier, created_at, updated_at, auth_count"
#define USER_COLS "id, account_id, app_id, external_id, created_at"
/* A user token in KEY_COLS' shape (store_user_token_lookup's view). */
#define UTK_COLS                                                                               \
  "id, app_id, account_id, user_id, 'user_token', '', start, hash, access_level, created_at," \
  " expires_at, revoked_at, grace_until, replaced_by, last_used_at, use_count"
#define SK_COLS "kid, alg, state, sealed, public_jwk, created_at, activated_at, retired_at, purged_at"

#endif
