/*
 * sqlite_schema.c — SQLite ping, schema version and migrations.
 */
#include <stdio.h>
#include <time.h>

#include "core/log.h"
#include "store/migrations.h"
#include "store/sqlite_conn.h"

enum { ST_PING, ST_HAS_MIGRATIONS, ST_VERSION, ST_MIGRATION_INSERT, ST_COUNT };
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    [ST_PING] = "SELECT 1",
    [ST_HAS_MIGRATIONS] =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    [ST_VERSION] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
    [ST_MIGRATION_INSERT] = "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
};
static const sq_table_t T = {SQ_T_SCHEMA, SQL, ST_COUNT};

int sq__ping(void *impl) {
  sq_t *q = impl;
  sq_conn_t *c;
  int64_t one;
  int rc = sq__reader_get(q, &c);
  if (rc) return rc;
  rc = sq__get_on(c, &T, ST_PING, NULL, 0, &sq__row_i64, &one);
  sq__reader_put(q, c);
  return rc;
}

/* Reads the version on `c`; 0 when schema_migrations does not exist. */
static int read_version(sq_conn_t *c, int *v) {
  int64_t exists = 0, version = 0;
  int rc = sq__get_on(c, &T, ST_HAS_MIGRATIONS, NULL, 0, &sq__row_i64, &exists);
  if (rc) return rc;
  if (!exists) {
    *v = 0;
    return CUSTOS_OK;
  }
  if ((rc = sq__get_on(c, &T, ST_VERSION, NULL, 0, &sq__row_i64, &version))) return rc;
  *v = (int)version;
  return CUSTOS_OK;
}

int sq__schema_version(void *impl, int *v) {
  sq_t *q = impl;
  sq_conn_t *c;
  int rc = sq__reader_get(q, &c);
  if (rc) return rc;
  rc = read_version(c, v);
  sq__reader_put(q, c);
  return rc;
}

/* Applies the next pending migration, if any, in one IMMEDIATE
 * transaction. *done = true when nothing was pending. */
static int migrate_step(sq_conn_t *c, bool *done) {
  int rc, v = 0, bin = migrations_count();
  char *msg = NULL;

  *done = false;
  if ((rc = sq__begin(c))) return rc;
  if (sqlite3_exec(c->db, MIGRATIONS_BOOTSTRAP_SQL, NULL, NULL, NULL) != SQLITE_OK) {
    rc = sq__fail_rc(c, sqlite3_extended_errcode(c->db), "bootstrap");
    goto fail;
  }
  if ((rc = read_version(c, &v))) goto fail;
  if (v > bin) {
    rc = CUSTOS_EVERSION;
    goto fail;
  }
  if (v == bin) {
    *done = true;
    sq__rollback(c);
    return CUSTOS_OK;
  }
  if (sqlite3_exec(c->db, migrations_sql(v + 1, STORE_DIALECT_SQLITE), NULL, NULL, &msg) !=
      SQLITE_OK) {
    log_msg(LOG_ERROR, "store: sqlite: migration %d: %s", v + 1, msg ? msg : "?");
    sqlite3_free(msg);
    rc = CUSTOS_ESTORE;
    goto fail;
  }
  const sq_arg_t args[] = {SQ_INT(v + 1), SQ_INT(time(NULL))};
  if ((rc = sq__exec(c, &T, ST_MIGRATION_INSERT, args, SQ_NARGS(args)))) goto fail;
  if ((rc = sq__commit(c))) goto fail;
  return CUSTOS_OK;

fail:
  sq__rollback(c);
  return rc;
}

int sq__migrate(void *impl, int *applied_out) {
  sq_t *q = impl;
  sq_conn_t *c;
  int rc, applied = 0;
  bool done = false;
  if ((rc = sq__writer_get(q, &c))) return rc;
  while (!done && rc == CUSTOS_OK) {
    rc = migrate_step(c, &done);
    if (rc == CUSTOS_OK && !done) applied++;
  }
  sq__writer_put(q);
  if (rc == CUSTOS_OK) *applied_out = applied;
  return rc;
}
