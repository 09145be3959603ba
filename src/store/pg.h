/*
 * pg.h — PostgreSQL backend internals shared by its files: pg_conn.c
 * (pool, statements, helpers), one pg_<concept>.c per concept, pg_listen.c
 * (LISTEN connections and their threads) and postgres.c (the ops table).
 *
 * Statements: each concept file owns one table of queries (a pg_table_t in
 * a slot PG_T_*), indexed by its own enum. A statement is prepared once
 * per connection (PQprepare, named "custos_<slot>_<index>"), with text
 * parameters; the prepared set is forgotten when a connection is replaced.
 * A new concept adds one slot here and nothing else.
 */
#ifndef CUSTOS_STORE_PG_H
#define CUSTOS_STORE_PG_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/backend.h"

/* Statement table slots, one per concept file. */
enum {
  PG_T_SCHEMA,   /* pg_schema.c: ping, migrations */
  PG_T_ACCOUNTS, /* pg_accounts.c */
  PG_T_AUDIT,    /* pg_audit.c */
  PG_T_KEYS,     /* pg_keys.c */
  PG_T_USERS,    /* pg_users.c */
  PG_T_ADMIN,    /* pg_admin.c */
  PG_T_SIGNING,  /* pg_signing.c */
  PG_T_ENTITIES, /* pg_entities.c */
  PG_T_ASSETPAY, /* pg_assetpay.c */
  PG_T_NOTIFY,   /* pg_notify.c */
  PG_T_COUNT
};
#define PG_TABLE_MAX 32  /* statements per table: bits of pconn_t.prepared[] */
#define PG_PARAMS_MAX 16 /* parameters per statement */
#define PG_I64_LEN 24    /* a decimal int64 and its NUL */

typedef struct pg_query {
  const char *sql;
  int nparams;   /* <= PG_PARAMS_MAX */
  bool readonly; /* safe to retry on a fresh connection */
} pg_query_t;

typedef struct pg_table {
  int slot;            /* PG_T_* */
  const pg_query_t *q; /* n queries, indexed by the owner's enum */
  int n;
} pg_table_t;

typedef struct pconn {
  PGconn *c;                       /* NULL until first checkout or after a failure */
  uint32_t prepared[PG_T_COUNT];   /* bit n of [t]: statement n of table t is prepared on c */
  uint32_t fprepared;              /* bit m: audit-find variant m is prepared on c */
  bool busy;                       /* checked out; guarded by pg_t.mu */
} pconn_t;

struct pg;

typedef struct pg_listener {
  struct pg *g;                            /* the backend it belongs to */
  char channel[STORE_CHANNEL_LEN_MAX + 1]; /* [a-z_]{1,63}, NUL-terminated */
  store_notify_fn fn;                      /* called on the listener thread */
  void *ctx;                               /* fn's first argument */
  _Atomic uint64_t *errors; /* the store's failure counter */
  PGconn *c;                /* owned by the thread once started; NULL while reconnecting */
  pthread_t thread;         /* joined by pg__listeners_stop */
} pg_listener_t;

typedef struct pg {
  char *conninfo; /* the URL, owned; never logged */
  pthread_mutex_t mu;
  pthread_cond_t cv; /* signalled when a connection is returned */
  pconn_t *conns;
  int n;
  pthread_mutex_t lmu; /* guards listeners/nlisteners (registration) */
  pg_listener_t *listeners[STORE_LISTENERS_MAX];
  int nlisteners;
  int stop_rd, stop_wr; /* self-pipe: readable once store_close() begins */
} pg_t;

/* libpq notice processor that drops notices. */
void pg__quiet_notice(void *arg, const char *msg);
/* Copies libpq's message into err with `prefix`, newlines folded. */
void pg__message(char *err, size_t errlen, const char *prefix, const char *msg);
/* True for a successful command or query result. */
bool pg__result_ok(const PGresult *r);

/* --- pool and statements (pg_conn.c) ----------------------------------------- */

void pg__close(void *impl);
/* A pool connection, (re)connected when needed; CUSTOS_ESTORE after
 * STORE_CHECKOUT_TIMEOUT_MS. Each checkout is paired with a checkin, which
 * rolls back a transaction left open by a failure. */
int pg__checkout(pg_t *g, pconn_t **out);
void pg__checkin(pg_t *g, pconn_t *pc);
/* (Re)connects `pc`, forgetting what was prepared on it. */
int pg__connect(pg_t *g, pconn_t *pc, char *err, size_t errlen);

/* Maps a failed result to a custos code; logs store failures (primary
 * message only: DETAIL may quote bound values). Clears `r`. */
int pg__fail_rc(pconn_t *pc, PGresult *r, const char *what);
/* Runs fixed SQL (no parameters) through the simple protocol. */
int pg__simple(pconn_t *pc, const char *sql, const char *what);
/* Transactions: BEGIN, COMMIT, and a ROLLBACK whose result is ignored. */
int pg__begin(pconn_t *pc);
int pg__commit(pconn_t *pc);
void pg__rollback(pconn_t *pc);
/* Executes statement `id` of `t` (prepared on first use on this
 * connection), retrying a read-only one once on a fresh connection when
 * this one turned out to be broken. On CUSTOS_OK *res_out is the result,
 * the caller clears it. */
int pg__run(pg_t *g, pconn_t *pc, const pg_table_t *t, int id, const char *const *params,
            PGresult **res_out);
/* pg__run of a write whose result is not needed. */
int pg__exec(pg_t *g, pconn_t *pc, const pg_table_t *t, int id, const char *const *params);
/* pg__exec; *rows gets the number of rows it affected. */
int pg__exec_count(pg_t *g, pconn_t *pc, const pg_table_t *t, int id, const char *const *params,
                   int64_t *rows);
/* pg__exec on a connection of its own. */
int pg__write(pg_t *g, const pg_table_t *t, int id, const char *const *params);
/* A one-statement UPDATE; CUSTOS_ENOTFOUND when no row matched. */
int pg__update_one(pg_t *g, const pg_table_t *t, int id, const char *const *params);

/* `v` in decimal into buf; returns buf (for parameter lists). */
const char *pg__i64(char buf[PG_I64_LEN], int64_t v);

/* --- rows ------------------------------------------------------------------- */

/* Decodes row `i` of `r` into `out`. On failure the row owns nothing. */
typedef int (*pg_row_fn)(const PGresult *r, int i, void *out);
/* How one kind of row is decoded, released (NULL: owns nothing) and sized. */
typedef struct pg_row {
  pg_row_fn fn;
  void (*cleanup)(void *row);
  size_t size;
} pg_row_t;

/* Column `col` of row `i` as an int64; CUSTOS_ESTORE when it is not one. */
int pg__get_i64(const PGresult *r, int i, int col, int64_t *v);
/* A single int64 column 0 (counts, lifetimes). */
extern const pg_row_t pg__row_i64;
/* Decodes up to `limit` rows of `r` into `out`; with `notfound`, zero rows
 * is CUSTOS_ENOTFOUND. On failure the rows decoded so far are released.
 * `what` names the query in the log of a malformed row. */
int pg__decode(const PGresult *r, const pg_row_t *row, void *out, int limit, bool notfound,
               int *n_out, const char *what);
/* The one row of statement `id`; CUSTOS_ENOTFOUND when none. Also for an
 * INSERT … RETURNING, where no row means nothing was inserted. */
int pg__get(pg_t *g, const pg_table_t *t, int id, const char *const *params, const pg_row_t *row,
            void *out);
/* A page: `params` are all but the last parameter, which is `limit`. */
int pg__list(pg_t *g, const pg_table_t *t, int id, const char *const *params,
             const pg_row_t *row, void *out, int limit, int *n_out);

/* --- key-shaped rows (pg_keys.c) -------------------------------------------- */

/* API keys and user tokens share one row shape (KEY_COLS / UTK_COLS) and
 * the same revoke / rotate / usage logic; a keyset names one table's
 * statements. */
typedef struct pg_keyset {
  const pg_table_t *t;
  int get, get_hash, revoke, mark_rotated, insert_rotated, usage;
} pg_keyset_t;

extern const pg_row_t pg__row_key;
int pg__keyset_get(pg_t *g, const pg_keyset_t *ks, const char *id, store_api_key_t *out);
int pg__keyset_get_by_hash(pg_t *g, const pg_keyset_t *ks,
                           const unsigned char hash[STORE_KEY_HASH_LEN], store_api_key_t *out);
int pg__keyset_revoke(pg_t *g, const pg_keyset_t *ks, const char *id, int64_t at);
int pg__keyset_rotate(pg_t *g, const pg_keyset_t *ks, const char *old_id, int64_t grace_until,
                      store_api_key_t *nk);

/* --- usage flush (pg_usage.c) ----------------------------------------------- */

/* Usage records per statement: bounds the array parameters (about 100 KB
 * of ids at most); a larger flush runs several in its one transaction. */
#define PG_USAGE_CHUNK 1000

/* A keyset's usage statement for `table`: $1 text[] ids (sorted, unique),
 * $2 bigint[] uses, $3 bigint[] last_used_at, element by element. The
 * rules are store_api_key_record_usage's: use_count += uses saturating at
 * INT64_MAX, last_used_at = max(stored, given), ids without a row skipped.
 * `l` locks the rows in id order before any is written, as the former
 * one-UPDATE-per-key loop did, so concurrent flushes from several nodes
 * cannot deadlock whatever join order the planner picks; ORDER BY sits
 * below FOR UPDATE, and a CTE with FOR UPDATE is never inlined. The UPDATE
 * only reaches rows `l` has returned, which are already locked. */
#define PG_USAGE_SQL(table)                                                                   \
  "WITH l AS (SELECT id FROM " table " WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE)"   \
  " UPDATE " table " AS k SET use_count = CASE WHEN k.use_count >"                          \
  " 9223372036854775807 - u.uses THEN 9223372036854775807 ELSE k.use_count + u.uses END,"   \
  " last_used_at = GREATEST(k.last_used_at, u.at)"                                          \
  " FROM l JOIN unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(id, uses, at)"          \
  " ON u.id = l.id WHERE k.id = l.id"

/* Records usage u[0..n) (sorted by id, ids unique: store.c merges) for the
 * keyset in one transaction, PG_USAGE_CHUNK records per statement. */
int pg__keyset_record_usage(pg_t *g, const pg_keyset_t *ks, const store_key_usage_t *u, int n);

/* --- ops (one file per concept; the table is in postgres.c) ----------------- */

/* pg_schema.c */
int pg__ping(void *impl);
int pg__schema_version(void *impl, int *v);
int pg__migrate(void *impl, int *applied_out);
/* pg_accounts.c */
int pg__account_create(void *impl, const store_account_t *a, const store_environment_t *envs,
                       int nenv);
int pg__account_get(void *impl, const char *id, store_account_t *out);
int pg__account_list(void *impl, const char *after, int limit, store_account_t *out, int *n);
int pg__environment_create(void *impl, const store_environment_t *e);
int pg__environment_list(void *impl, const char *account_id, const char *after, int limit,
                         store_environment_t *out, int *n);
int pg__app_create(void *impl, const store_app_t *a);
int pg__app_get(void *impl, const char *id, store_app_t *out);
int pg__app_list(void *impl, const char *account_id, const char *after, int limit,
                 store_app_t *out, int *n);
int pg__account_token_lifetime(void *impl, const char *account_id, int64_t *out);
int pg__account_set_token_lifetime(void *impl, const char *account_id, int64_t seconds);
/* pg_audit.c */
int pg__audit_append(void *impl, const store_audit_t *e);
int pg__audit_list(void *impl, int64_t after, int limit, store_audit_t *out, int *n);
int pg__audit_find(void *impl, const store__audit_query_t *q, int64_t after, int limit,
                   store_audit_t *out, int *n_out);
/* pg_keys.c */
int pg__api_key_create(void *impl, store_api_key_t *k);
int pg__api_key_get(void *impl, const char *id, store_api_key_t *out);
int pg__api_key_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                            store_api_key_t *out);
int pg__api_key_list(void *impl, const char *app_id, const char *after, int limit,
                     store_api_key_t *out, int *n);
int pg__api_key_set_scopes(void *impl, const char *id, const char *scopes);
int pg__api_key_revoke(void *impl, const char *id, int64_t at);
int pg__api_key_rotate(void *impl, const char *old_id, int64_t grace_until, store_api_key_t *nk);
int pg__api_key_record_usage(void *impl, const store_key_usage_t *u, int n);
/* pg_users.c */
int pg__user_create(void *impl, store_user_t *u);
int pg__user_get(void *impl, const char *id, store_user_t *out);
int pg__user_list(void *impl, const char *app_id, const char *after, int limit, store_user_t *out,
                  int *n);
int pg__user_token_create(void *impl, store_api_key_t *k);
int pg__user_token_get(void *impl, const char *id, store_api_key_t *out);
int pg__user_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                               store_api_key_t *out);
int pg__user_token_list(void *impl, const char *user_id, const char *after, int limit,
                        store_api_key_t *out, int *n);
int pg__user_token_revoke(void *impl, const char *id, int64_t at);
int pg__user_token_rotate(void *impl, const char *old_id, int64_t grace_until,
                          store_api_key_t *nk);
int pg__user_token_record_usage(void *impl, const store_key_usage_t *u, int n);
/* pg_admin.c */
int pg__admin_token_create(void *impl, const store_admin_token_t *t, bool only_first);
int pg__admin_token_replace(void *impl, const store_admin_token_t *t, store_admin_token_t *revoked, int max,
                            int *n_revoked);
int pg__admin_token_get(void *impl, const char *id, store_admin_token_t *out);
int pg__admin_token_get_by_hash(void *impl, const unsigned char hash[STORE_KEY_HASH_LEN],
                                store_admin_token_t *out);
int pg__admin_token_list(void *impl, const char *after, int limit, store_admin_token_t *out,
                         int *n);
int pg__admin_token_count_active(void *impl, int64_t *n_out);
int pg__admin_token_revoke(void *impl, const char *id, int64_t at, bool keep_one);
/* pg_signing.c */
int pg__signing_key_create(void *impl, const store_signing_key_t *k);
int pg__signing_key_list(void *impl, const char *state, int limit, store_signing_key_t *out,
                         int *n);
int pg__signing_key_rotate(void *impl, store_signing_key_t *k);
int pg__signing_key_generation(void *impl, int64_t *gen_out);
int pg__signing_key_purge(void *impl, int64_t retired_before, int64_t now, int *n_out);
/* pg_entities.c */
int pg__entity_create(void *impl, const store_entity_t *e);
int pg__entity_get(void *impl, const char *id, store_entity_t *out);
int pg__entity_list(void *impl, const char *account_id, const char *after, int limit,
                    store_entity_t *out, int *n);
/* pg_assetpay.c */
int pg__merchant_ensure(void *impl, const char *app_id, int64_t created_at,
                        store_merchant_t *out);
int pg__merchant_get(void *impl, const char *app_id, store_merchant_t *out);
int pg__merchant_get_by_mid(void *impl, int64_t mid, store_merchant_t *out);
int pg__merchant_set_secret(void *impl, const store_merchant_t *m, const char *expect);
int pg__ap_client_upsert(void *impl, const store_ap_client_t *x);
int pg__ap_client_get(void *impl, const char *app_id, const char *steam_id,
                      store_ap_client_t *out);
int pg__ap_client_list(void *impl, const char *app_id, const char *after, int limit,
                       store_ap_client_t *out, int *n);
/* pg_notify.c */
int pg__notify(void *impl, const char *channel, const char *payload);

/* store_ops_t.listen (pg_listen.c). */
int pg__listen(void *impl, const char *channel, store_notify_fn fn, void *ctx,
               _Atomic uint64_t *errors);
/* Wakes every listener, joins its thread, closes its connection, frees it,
 * and closes the stop pipe. For pg_close. */
void pg__listeners_stop(pg_t *g);

#endif
