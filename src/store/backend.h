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

#include "store/store.h"

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

#endif
