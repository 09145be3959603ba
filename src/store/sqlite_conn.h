/*
 * sqlite_conn.h — SQLite backend internals shared by its concept files
 * (sqlite_<concept>.c) and the ops table (sqlite.c): connections, the
 * writer/reader pool, per-connection statement caches, and the helpers
 * that bind, step and decode.
 *
 * Statements: each concept file owns one table of SQL (an sq_table_t in a
 * slot SQ_T_*), indexed by its own enum. Every connection caches prepared
 * statements per (slot, index), prepared on first use and kept until close
 * (SQLITE_PREPARE_PERSISTENT); after each use they are reset and their
 * bindings cleared. A new concept adds one slot here and nothing else.
 */
#ifndef CUSTOS_STORE_SQLITE_CONN_H
#define CUSTOS_STORE_SQLITE_CONN_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/backend.h"

/* Statement table slots, one per concept file. */
enum {
  SQ_T_CONN,     /* sqlite_conn.c: transactions */
  SQ_T_SCHEMA,   /* sqlite_schema.c: ping, migrations */
  SQ_T_ACCOUNTS, /* sqlite_accounts.c */
  SQ_T_AUDIT,    /* sqlite_audit.c */
  SQ_T_KEYS,     /* sqlite_keys.c */
  SQ_T_USERS,    /* sqlite_users.c */
  SQ_T_ADMIN,    /* sqlite_admin.c */
  SQ_T_SIGNING,  /* sqlite_signing.c */
  SQ_T_ENTITIES, /* sqlite_entities.c */
  SQ_T_ASSETPAY, /* sqlite_assetpay.c */
  SQ_T_COUNT
};
#define SQ_TABLE_MAX 16 /* statements per table (checked by each table's _Static_assert) */

typedef struct sq_table {
  int slot;               /* SQ_T_* */
  const char *const *sql; /* n statements, indexed by the owner's enum */
  int n;
} sq_table_t;

typedef struct sq_conn {
  sqlite3 *db;
  sqlite3_stmt *st[SQ_T_COUNT][SQ_TABLE_MAX]; /* prepared lazily, kept until close */
  sqlite3_stmt *find[STORE_AQ_VARIANTS];      /* audit_find variants, likewise */
} sq_conn_t;

typedef struct sq_listener {
  char channel[STORE_CHANNEL_LEN_MAX + 1];
  store_notify_fn fn;
  void *ctx;
} sq_listener_t;

typedef struct sq {
  pthread_mutex_t wmu; /* guards writer */
  sq_conn_t writer;
  pthread_mutex_t rmu;  /* guards free_idx/nfree */
  pthread_cond_t rcv;   /* signalled when a reader is returned */
  sq_conn_t *readers;   /* nreaders; empty for :memory: */
  int nreaders;
  int *free_idx; /* stack of free reader indexes */
  int nfree;
  pthread_mutex_t lmu; /* guards listeners/nlisteners; never held while calling out */
  sq_listener_t listeners[STORE_LISTENERS_MAX];
  int nlisteners;
} sq_t;

/* --- pool (sqlite_conn.c) --------------------------------------------------- */

void sq__close(void *impl);
/* The writer (always succeeds, may wait on the mutex) / a reader, or the
 * writer when there are no readers (CUSTOS_ESTORE after
 * STORE_CHECKOUT_TIMEOUT_MS). Each get is paired with its put. */
int sq__writer_get(sq_t *q, sq_conn_t **c);
void sq__writer_put(sq_t *q);
int sq__reader_get(sq_t *q, sq_conn_t **c);
void sq__reader_put(sq_t *q, sq_conn_t *c);

/* --- statements ------------------------------------------------------------- */

/* One bound parameter. Text NULL binds SQL NULL. */
typedef struct sq_arg {
  bool is_int;
  const char *s; /* text, borrowed until the statement is reset */
  int64_t i;
} sq_arg_t;
#define SQ_TEXT(v) ((sq_arg_t){false, (v), 0})
#define SQ_INT(v) ((sq_arg_t){true, NULL, (int64_t)(v)})
#define SQ_NARGS(a) ((int)(sizeof(a) / sizeof *(a)))

/* Logs a failure on `c` and maps it to a custos code. Constraint
 * violations are expected outcomes, not store failures. */
int sq__fail_rc(sq_conn_t *c, int rc, const char *what);
/* Statement `id` of `t` on `c`, prepared on first use; NULL (logged) when
 * it cannot be prepared. */
sqlite3_stmt *sq__stmt(sq_conn_t *c, const sq_table_t *t, int id);
/* Resets `st` and clears its bindings; NULL ok. */
void sq__stmt_done(sqlite3_stmt *st);
/* sq__stmt with args[0..n) bound to ?1..?n; NULL (nothing left bound) on
 * failure. */
sqlite3_stmt *sq__prepare(sq_conn_t *c, const sq_table_t *t, int id, const sq_arg_t *args, int n);
/* Steps a bound statement that returns no rows and resets it. */
int sq__step_done(sq_conn_t *c, sqlite3_stmt *st, const char *what);
/* Prepares, binds and runs a write on `c` (no transaction of its own);
 * sqlite3_changes(c->db) tells how many rows it touched. */
int sq__exec(sq_conn_t *c, const sq_table_t *t, int id, const sq_arg_t *args, int n);
/* sq__exec on the writer. */
int sq__write(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n);
/* sq__write of an UPDATE; CUSTOS_ENOTFOUND when it matched no row. */
int sq__update_one(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n);

/* Transactions on the writer: BEGIN IMMEDIATE, COMMIT, and a ROLLBACK that
 * does nothing outside a transaction. */
int sq__begin(sq_conn_t *c);
int sq__commit(sq_conn_t *c);
void sq__rollback(sq_conn_t *c);

/* --- rows ------------------------------------------------------------------- */

/* Decodes the current row into `out`. On failure the row owns nothing. */
typedef int (*sq_row_fn)(sqlite3_stmt *st, void *out);
/* How one kind of row is decoded, released (NULL: owns nothing) and sized. */
typedef struct sq_row {
  sq_row_fn fn;
  void (*cleanup)(void *row);
  size_t size;
} sq_row_t;

/* Column `i` as text, "" for NULL. */
const char *sq__col_text(sqlite3_stmt *st, int i);
/* A single int64 column 0 (counts, lifetimes). */
extern const sq_row_t sq__row_i64;

/*
 * Steps a bound SELECT on `c`, decoding up to `limit` rows into `out`. For
 * a single-row get pass limit 1 and `notfound` true: no row is
 * CUSTOS_ENOTFOUND. Resets the statement. On failure the rows decoded so
 * far are released.
 */
int sq__fetch(sq_conn_t *c, sqlite3_stmt *st, const sq_row_t *row, void *out, int limit,
              bool notfound, int *n_out);
/* Prepares, binds and fetches the one row of `id` on `c`;
 * CUSTOS_ENOTFOUND when there is none. */
int sq__get_on(sq_conn_t *c, const sq_table_t *t, int id, const sq_arg_t *args, int n,
               const sq_row_t *row, void *out);
/* sq__get_on on a reader. */
int sq__get(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n,
            const sq_row_t *row, void *out);
/* sq__get_on on the writer, for an INSERT … RETURNING (its first step
 * runs the whole insert): CUSTOS_ENOTFOUND when it inserted nothing. */
int sq__returning(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n,
                  const sq_row_t *row, void *out);
/* A page on a reader: args bound to ?1..?n, `limit` to ?n+1. */
int sq__list(sq_t *q, const sq_table_t *t, int id, const sq_arg_t *args, int n,
             const sq_row_t *row, void *out, int limit, int *n_out);

/* --- key-shaped rows (sqlite_keys.c) ---------------------------------------- */

/* API keys and user tokens share one row shape (KEY_COLS / UTK_COLS) and
 * the same revoke / rotate / usage logic; a keyset names one table's
 * statements. */
typedef struct sq_keyset {
  const sq_table_t *t;
  int get, get_hash, revoke, mark_rotated, insert_rotated, usage;
  const char *what; /* table name, for logs */
} sq_keyset_t;

extern const sq_row_t sq__row_key;
int sq__keyset_get(sq_t *q, const sq_keyset_t *ks, const char *id, store_api_key_t *out);
int sq__keyset_get_by_hash(sq_t *q, const sq_keyset_t *ks,
                           const unsigned char hash[STORE_KEY_HASH_LEN], store_api_key_t *out);
int sq__keyset_revoke(sq_t *q, const sq_keyset_t *ks, const char *id, int64_t at);
int sq__keyset_rotate(sq_t *q, const sq_keyset_t *ks, const char *old_id, int64_t grace_until,
                      store_api_key_t *nk);
int sq__keyset_record_usage(sq_t *q, const sq_keyset_t *ks, const store_key_usage_t *u, int n);

/* --- ops (one file per concept; the table is in sqlite.c) ------------------- */

/* sqlite_schema.c */
int sq__ping(void *impl);
int sq__schema_version(void *impl, int *v);
int sq__migrate(void *impl, int *applied_out);
/* sqlite_accounts.c */
int sq__account_create(void *impl, const store_account_t *a, const store_environment_t *envs,
                       int nenv);
int sq__account_get(void *impl, const char *id, store_account_t *out);
int sq__account_list(void *impl, const char *after, int limit, store_account_t *out, int *n);
int sq__environment_create(void *impl, const store_environment_t *e);
int sq__environment_list(void *impl, const char *account_id, const char *after, int limit,
                         store_environment_t *out, int *n);
int sq__app_create(void *impl, const store_app_t *a);
int sq__app_get(void *impl, const char *id, store_app_t *out);
int sq__app_list(void *impl, const char *account_id, const char *after, int limit,
                 store_app_t *out, int *n);
int sq__account_token_lifetime(void *impl, const char *account_id, int64_t *out);
int sq__account_set_token_lifetime(void *impl, const char *account_id, int64_t seconds);
/* sqlite_audit.c */
int sq__audit_append(void *impl, const store_audit_t *e);
int sq__audit_list(void *impl, int64_t after, int limit, store_audit_t *out, int *n);
int sq__audit_find(void *impl, const store__audit_query_t *aq, int64_t after, int limit,
                   store_audit_t *out, int *n);
/* sqlite_keys.c */
int sq__api_key_create(void *impl, store_api_key_t *k);
int sq__api_key_get(void *impl, const char *id, store_api_key_t *out);
int sq__api_key_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                            store_api_key_t *out);
int sq__api_key_list(void *impl, const char *app_id, const char *after, int limit,
                     store_api_key_t *out, int *n);
int sq__api_key_set_scopes(void *impl, const char *id, const char *scopes);
int sq__api_key_revoke(void *impl, const char *id, int64_t at);
int sq__api_key_rotate(void *impl, const char *old_id, int64_t grace_until, store_api_key_t *nk);
int sq__api_key_record_usage(void *impl, const store_key_usage_t *u, int n);
/* sqlite_users.c */
int sq__user_create(void *impl, store_user_t *u);
int sq__user_get(void *impl, const char *id, store_user_t *out);
int sq__user_list(void *impl, const char *app_id, const char *after, int limit, store_user_t *out,
                  int *n);
int sq__user_token_create(void *impl, store_api_key_t *k);
int sq__user_token_get(void *impl, const char *id, store_api_key_t *out);
int sq__user_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                               store_api_key_t *out);
int sq__user_token_list(void *impl, const char *user_id, const char *after, int limit,
                        store_api_key_t *out, int *n);
int sq__user_token_revoke(void *impl, const char *id, int64_t at);
int sq__user_token_rotate(void *impl, const char *old_id, int64_t grace_until,
                          store_api_key_t *nk);
int sq__user_token_record_usage(void *impl, const store_key_usage_t *u, int n);
/* sqlite_admin.c */
int sq__admin_token_create(void *impl, const store_admin_token_t *t, bool only_first);
int sq__admin_token_replace(void *impl, const store_admin_token_t *t, store_admin_token_t *revoked, int max,
                            int *n_revoked);
int sq__admin_token_get(void *impl, const char *id, store_admin_token_t *out);
int sq__admin_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                store_admin_token_t *out);
int sq__admin_token_list(void *impl, const char *after, int limit, store_admin_token_t *out,
                         int *n);
int sq__admin_token_count_active(void *impl, int64_t *n_out);
int sq__admin_token_revoke(void *impl, const char *id, int64_t at, bool keep_one);
/* sqlite_signing.c */
int sq__signing_key_create(void *impl, const store_signing_key_t *k);
int sq__signing_key_list(void *impl, const char *state, int limit, store_signing_key_t *out,
                         int *n);
int sq__signing_key_rotate(void *impl, store_signing_key_t *k);
int sq__signing_key_generation(void *impl, int64_t *gen_out);
int sq__signing_key_purge(void *impl, int64_t retired_before, int64_t now, int *n_out);
/* sqlite_entities.c */
int sq__entity_create(void *impl, const store_entity_t *e);
int sq__entity_get(void *impl, const char *id, store_entity_t *out);
int sq__entity_list(void *impl, const char *account_id, const char *after, int limit,
                    store_entity_t *out, int *n);
/* sqlite_assetpay.c */
int sq__merchant_ensure(void *impl, const char *app_id, int64_t created_at,
                        store_merchant_t *out);
int sq__merchant_get(void *impl, const char *app_id, store_merchant_t *out);
int sq__merchant_get_by_mid(void *impl, int64_t mid, store_merchant_t *out);
int sq__merchant_set_secret(void *impl, const store_merchant_t *m, const char *expect);
int sq__ap_client_upsert(void *impl, const store_ap_client_t *x);
int sq__ap_client_get(void *impl, const char *app_id, const char *steam_id,
                      store_ap_client_t *out);
int sq__ap_client_list(void *impl, const char *app_id, const char *after, int limit,
                       store_ap_client_t *out, int *n);
/* sqlite_notify.c */
int sq__notify(void *impl, const char *channel, const char *payload);
int sq__listen(void *impl, const char *channel, store_notify_fn fn, void *ctx,
               _Atomic uint64_t *errors);

#endif
