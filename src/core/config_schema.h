/*
 * config_schema.h — internal to the config module: the table of keys shared
 * by the loader (config.c), the value parsers (config_value.c) and the
 * writers (config_write.c).
 */
#ifndef CUSTOS_CORE_CONFIG_SCHEMA_H
#define CUSTOS_CORE_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

/* Longest dotted key or variable name ever built; longer is simply unknown. */
#define PATH_MAX_KEY 256

typedef enum ktype {
  K_ENUM,    /* one of `choices` */
  K_LISTEN,  /* host:port */
  K_URL,     /* store URL: sqlite:PATH | postgres[ql]://… */
  K_PATH,    /* any string, "" allowed */
  K_INT,     /* int in [min, max] */
  K_SIZE,    /* size_t bytes in [min, max]; 64KiB, 1MiB, 65536 */
  K_SECONDS, /* int seconds; 10s, 2m, bare integer = seconds */
  K_MILLIS,  /* int milliseconds; 500ms, 10s, bare integer = ms */
  K_BOOL,
} ktype_t;

typedef struct cfgkey {
  const char *name;             /* dotted key, e.g. "server.limits.max_body_bytes" */
  const char *alias_env;        /* extra env name, or NULL */
  const char *flag;             /* dedicated flag without "--", or NULL */
  ktype_t type;
  size_t off;                   /* offsetof(config_t, field) */
  size_t size;                  /* sizeof the field (string capacity) */
  long long min, max;           /* K_INT, K_SIZE, K_SECONDS, K_MILLIS (field unit) */
  const char *const *choices;   /* K_ENUM, NULL-terminated */
  const char *doc;              /* example-file comment; '\n' separates lines */
} cfgkey_t;

/* Every key, grouped by section (the order of the example file). */
extern const cfgkey_t config_keys[];
extern const size_t config_nkeys;

/* "CUSTOS_" + the dotted name upper-cased with '.' -> '_'. */
void config__env_name(const cfgkey_t *k, char *out, size_t n);
/* The part after the last '.'; the whole string if there is none. */
const char *config__last_part(const char *s);
/* Exactly 64 hex digits. */
bool config__is_hex64(const char *s);
/* Parses `v` for key `k` and stores it in `c`. Returns 0, or -1 with a
 * reason starting with a verb ("must be …") in `why`; `c` unchanged then. */
int config__set_value(config_t *c, const cfgkey_t *k, const char *v, char *why, size_t whylen);

#endif
