/*
 * migrations.h — the numbered schema migrations, compiled into the binary.
 *
 * Version N (1-based) is the N-th entry. Each is one SQL text run in its own
 * transaction; a dialect variant exists only where the dialects cannot
 * share text (identity columns, triggers, collations).
 */
#ifndef CUSTOS_STORE_MIGRATIONS_H
#define CUSTOS_STORE_MIGRATIONS_H

typedef enum store_dialect { STORE_DIALECT_SQLITE, STORE_DIALECT_PG } store_dialect_t;

/* Number of migrations = the highest version this binary knows. */
int migrations_count(void);

/* SQL for `version` (1..migrations_count()) in `dialect`, possibly several
 * statements. Static string. NULL when `version` is out of range. */
const char *migrations_sql(int version, store_dialect_t dialect);

/* Bootstrap: creates schema_migrations if missing (not itself a version). */
#define MIGRATIONS_BOOTSTRAP_SQL                                          \
  "CREATE TABLE IF NOT EXISTS schema_migrations ("                        \
  " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"

#endif
