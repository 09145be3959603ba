/*
 * config.h — custos server configuration: one YAML file, CUSTOS_* environment
 * overrides, command-line flags.
 *
 * Precedence, lowest to highest: built-in defaults < file < environment <
 * flags. config_from_args() runs the whole chain for `custos serve`; the
 * other calls are its steps, exposed for `custos config` and the tests.
 *
 * Every loader collects *all* problems it finds (bounded by
 * CONFIG_MAX_PROBLEMS) instead of stopping at the first, so an operator
 * fixes a file in one round. Loaders write `c` only on success: after a
 * failure the config is exactly what it was before the call.
 *
 * The file format is a strict subset of YAML (see docs/configuration.md):
 * mappings, sequences, plain and quoted scalars, comments. Anchors,
 * aliases, tags, merge keys, duplicate keys and multiple documents are
 * refused with their line.
 *
 * Not thread-safe per object; distinct config_t / config_problems_t values
 * may be used from different threads.
 */
#ifndef CUSTOS_CORE_CONFIG_H
#define CUSTOS_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Limits, checked before any work. */
#define CONFIG_MAX_FILE_BYTES (1024 * 1024) /* bigger files are refused unread */
#define CONFIG_MAX_DEPTH 32                 /* nested mappings/sequences */
#define CONFIG_MAX_SCALAR 4096              /* bytes in one key or value */
#define CONFIG_MAX_NODES 4096               /* nodes in one file's tree */
#define CONFIG_MAX_PROBLEMS 64              /* kept; the rest are counted */

/* Positive return of config_from_args(): -h/--help was given; print
 * config_flags_usage() and exit 0. Nothing was loaded. */
#define CONFIG_HELP 1

typedef struct config {
  char mode[16];              /* "development" (default) | "production" */
  char listen[128];           /* server.listen, default "127.0.0.1:8080"; "host:port", IPv6 as "[::1]:8080"; port 0 = pick a free port */
  int threads;                /* server.threads, 0 = one per core (default), 1..256 */
  size_t max_body_bytes;      /* server.limits.max_body_bytes, default 65536, 1024..16777216 */
  size_t max_header_bytes;    /* server.limits.max_header_bytes, default 16384 (total request head), 1024..1048576 */
  int max_headers;            /* server.limits.max_headers, default 64, 1..1000 */
  int json_max_depth;         /* server.limits.json_max_depth, default 32, 1..256 */
  int connection_timeout_s;   /* server.connection_timeout, default 30 s, 1..3600 */
  int shutdown_grace_ms;      /* server.shutdown_grace, default 10000 ms, 0..600000 */
  char store_url[1024];       /* store.url, default "sqlite:./var/custos.db" */
  int store_pool;             /* store.pool, default 4, 1..256 */
  char master_key_file[1024]; /* secrets.master_key_file, default "./var/master.key"; "" = none */
  char master_key_hex[65];    /* CUSTOS_MASTER_KEY env only (64 hex chars); never from the file, never printed */
  int key_rate_per_s;         /* keys.rate_per_second, default 100, 1..1000000: per-key token bucket refill */
  int key_burst;              /* keys.burst, default 200, 1..1000000: per-key bucket size */
  char signing_algs[64];      /* signing.algs, default "RS256": comma-separated RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|EdDSA */
  int signing_retired_keep_s; /* signing.retired_keep, default 7d, 1m..365d: how long a retired signing key stays in the JWKS */
  char policy_file[1024];     /* policy.file, default "" = no route policies (/v1/check refuses every route) */
  bool ap_reject_partner_mismatch; /* assetpay.reject_partner_mismatch, default false */
  int ap_secret_grace_s;      /* assetpay.secret_grace, default 86400 s, 0..30 d: old API secret still verifies after rotation */
  int ap_risk_base_limit;     /* assetpay.risk.base_limit, USD, default 50, 0..1000000000 */
  int ap_risk_kyc_bonus;      /* assetpay.risk.kyc_bonus, USD per KYC level, default 25, 0..1000000000 */
  int ap_risk_method_bonus;   /* assetpay.risk.method_bonus, USD per payment method, default 25, 0..1000000000 */
  int ap_risk_wager_percent;  /* assetpay.risk.wager_percent, default 10, 0..100 */
  int ap_risk_wager_ceiling;  /* assetpay.risk.wager_ceiling, USD, default 1000, 0..1000000000 */
  int ap_risk_top_boost;      /* assetpay.risk.top_boost, default 2, 1..100 */
  char ol_issuer[256];        /* openledger.issuer, default "custos": "iss" of Open Ledger tokens */
  char ol_audience[256];      /* openledger.audience, default "openledger": their "aud" */
  int ol_leeway_s;            /* openledger.leeway, default 30 s, 0..300: clock skew for exp/nbf/iat */
  int ol_max_lifetime_s;      /* openledger.max_token_lifetime, default 3600 s, 60..INT_MAX: cap for accounts without their own */
  char log_level[8];          /* log.level: debug|info|warn|error, default "info" */
  bool access_log;            /* log.access, default true */
} config_t;

typedef struct config_problem {
  int line;          /* 1-based line in the file; 0 = not from a file line */
  char source[32];   /* "file", "env CUSTOS_X", "flag --x"; NUL-terminated, may be truncated */
  char message[256]; /* NUL-terminated; never contains the master key */
} config_problem_t;

typedef struct config_problems {
  size_t count;                                 /* entries used in items */
  size_t dropped;                               /* problems past CONFIG_MAX_PROBLEMS, counted only */
  char file[1024];                              /* name of the last file or buffer loaded, "" if none */
  config_problem_t items[CONFIG_MAX_PROBLEMS];  /* in the order found */
} config_problems_t;

/* Empties `p`. A zero-initialised config_problems_t is also empty. */
void config_problems_init(config_problems_t *p);

/* Appends a problem (printf-formatted, truncated to fit); when the list is
 * full only `dropped` grows. `source` NULL means "file". */
void config_problem_add(config_problems_t *p, int line, const char *source,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fills `c` with the built-in defaults (the values in the struct comments).
 * Can't fail. */
void config_defaults(config_t *c);

/* Wipes the master key from `c` (OPENSSL_cleanse). Call before `c` goes out
 * of scope once the key has been used. */
void config_wipe(config_t *c);

/*
 * Reads `path` (at most CONFIG_MAX_FILE_BYTES; pipes such as /dev/stdin
 * work) and applies it on top of `c`.
 * Returns CUSTOS_OK; CUSTOS_EIO if it can't be read; CUSTOS_ETOOBIG if it is
 * too large; CUSTOS_EINVAL if it has any problem. Every problem is appended to
 * `p` with its line; `c` is left unchanged on failure.
 */
int config_load_file(config_t *c, const char *path, config_problems_t *p)
    __attribute__((warn_unused_result));

/* Same as config_load_file for `len` bytes at `data` (need not be
 * NUL-terminated; may contain anything). `name` is recorded in p->file for
 * printing; NULL means "config". */
int config_load_buffer(config_t *c, const char *data, size_t len, const char *name,
                       config_problems_t *p) __attribute__((warn_unused_result));

/*
 * Applies CUSTOS_* variables from `envp` (NULL-terminated "NAME=value"
 * strings, e.g. `environ`; NULL = empty environment) on top of `c`.
 * Names are "CUSTOS_" + the dotted key upper-cased with '.' -> '_'
 * (CUSTOS_SERVER_LIMITS_MAX_BODY_BYTES), plus the short aliases
 * CUSTOS_LISTEN and CUSTOS_MASTER_KEY (64 hex characters, the only way to
 * set master_key_hex). If a full name and its alias are both set they must
 * agree. Unknown variables under CUSTOS_SERVER_, CUSTOS_STORE_, CUSTOS_LOG_,
 * CUSTOS_SECRETS_, CUSTOS_KEYS_, CUSTOS_SIGNING_, CUSTOS_POLICY_, CUSTOS_ASSETPAY_ are
 * problems; other CUSTOS_* names belong to other tools and are ignored.
 * Returns CUSTOS_OK or CUSTOS_EINVAL; `c` unchanged on failure.
 */
int config_apply_env(config_t *c, char **envp, config_problems_t *p)
    __attribute__((warn_unused_result));

/*
 * The full chain for `custos serve`: defaults -> file -> env -> flags ->
 * config_validate(). `argv[0]` is the command's own name and is skipped.
 * The file is --config FILE, else $CUSTOS_CONFIG, else ./custos.yaml if
 * that exists, else none. Flags (both `--x v` and `--x=v`): --config,
 * --listen, --threads, --store, --mode, --log-level, --master-key-file,
 * --max-body-bytes, --set dotted.key=value, -h/--help. Parsing stops at the
 * first non-flag argument or after `--`; its index goes to *argi_out (may be
 * NULL).
 * Returns CUSTOS_OK; CONFIG_HELP (positive) when help was asked for;
 * otherwise a negative custos_err_t with every problem in `p`. `c` is
 * written only on CUSTOS_OK.
 */
int config_from_args(config_t *c, int argc, char **argv, char **envp,
                     config_problems_t *p, int *argi_out)
    __attribute__((warn_unused_result));

/* Cross-field checks that need nothing but `c` (no file system): production
 * mode needs a master key source; signing.algs names 1..9 known algorithms. Returns CUSTOS_OK or CUSTOS_EINVAL. */
int config_validate(const config_t *c, config_problems_t *p)
    __attribute__((warn_unused_result));

/* Prints one line per problem: "FILE:LINE: message" for file problems
 * (FILE is `file`, else p->file, else "config"), "env CUSTOS_X: message" or
 * "flag --x: message" for the others, then "... N more problems" if some
 * were dropped. */
void config_problems_print(const config_problems_t *p, const char *file, FILE *out);

/* Writes the documented example config: every key with its default. The
 * same text is shipped as examples/custos.yaml. Returns 0, or -1 on a
 * write error. */
int config_write_example(FILE *out);

/* Writes `c` as a loadable YAML config (no comments except a header).
 * Never prints the master key: its presence is shown as a comment,
 * "[set]" or "[unset]"; a password inside store.url is shown as
 * "[redacted]". Returns 0, or -1 on a write error. */
int config_write_yaml(const config_t *c, FILE *out);

/* Prints the flag summary accepted by config_from_args(). */
void config_flags_usage(FILE *out);

#endif
