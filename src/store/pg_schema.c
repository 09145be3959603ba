/*
 * pg_schema.c — PostgreSQL ping, schema version and migrations.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/migrations.h"
#include "store/pg.h"

/* Key for pg_advisory_xact_lock while migrating: "custosMG" as bytes. */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(7166468213474576711)"

enum { PS_PING, PS_HAS_MIGRATIONS, PS_VERSION, PS_MIGRATION_INSERT, PS_COUNT };
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    [PS_PING] = {"SELECT 1", 0, true},
    [PS_HAS_MIGRATIONS] = {"SELECT to_regclass('schema_migrations') IS NOT NULL", 0, true},
    [PS_VERSION] = {"SELECT COALESCE(MAX(version), 0) FROM schema_migrations", 0, true},
    [PS_MIGRATION_INSERT] = {"INSERT INTO schema_migrations (version, applied_at)"
                             " VALUES ($1, $2)",
                             2, false},
};
static const pg_table_t T = {PG_T_SCHEMA, Q, PS_COUNT};

int pg__ping(void *impl) { return pg__write(impl, &T, PS_PING, NULL); }

static int read_version(pg_t *g, pconn_t *pc, int *v) {
  PGresult *r = NULL;
  int rc;
  int64_t n = 0;
  if ((rc = pg__run(g, pc, &T, PS_HAS_MIGRATIONS, NULL, &r))) return rc;
  bool exists = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  PQclear(r);
  r = NULL;
  if (!exists) {
    *v = 0;
    return CUSTOS_OK;
  }
  if ((rc = pg__run(g, pc, &T, PS_VERSION, NULL, &r))) return rc;
  if (PQntuples(r) != 1 || pg__get_i64(r, 0, 0, &n) || n < 0 || n > 1000000) rc = CUSTOS_ESTORE;
  PQclear(r);
  if (rc == CUSTOS_OK) *v = (int)n;
  return rc;
}

int pg__schema_version(void *impl, int *v) {
  pg_t *g = impl;
  pconn_t *pc;
  int rc;
  if ((rc = pg__checkout(g, &pc))) return rc;
  rc = read_version(g, pc, v);
  pg__checkin(g, pc);
  return rc;
}

/* Applies the next pending migration, if any, in one transaction holding
 * the migration advisory lock, so concurrent migrators take turns and each
 * sees the other's result. *done = true when nothing was pending. */
static int migrate_step(pg_t *g, pconn_t *pc, bool *done) {
  int rc, v = 0, bin = migrations_count();
  char ver[PG_I64_LEN], now[PG_I64_LEN];

  *done = false;
  if ((rc = pg__begin(pc))) return rc;
  if ((rc = pg__simple(pc, MIGRATE_LOCK_SQL, "migration lock"))) goto fail;
  if ((rc = pg__simple(pc, MIGRATIONS_BOOTSTRAP_SQL, "bootstrap"))) goto fail;
  if ((rc = read_version(g, pc, &v))) goto fail;
  if (v > bin) {
    rc = CUSTOS_EVERSION;
    goto fail;
  }
  if (v == bin) {
    *done = true;
    return pg__simple(pc, "ROLLBACK", "rollback");
  }
  if ((rc = pg__simple(pc, migrations_sql(v + 1, STORE_DIALECT_PG), "migration"))) {
    log_msg(LOG_ERROR, "store: postgres: migration %d failed", v + 1);
    goto fail;
  }
  const char *const params[] = {pg__i64(ver, v + 1), pg__i64(now, time(NULL))};
  if ((rc = pg__exec(g, pc, &T, PS_MIGRATION_INSERT, params))) goto fail;
  if ((rc = pg__commit(pc))) goto fail;
  return CUSTOS_OK;

fail:
  pg__rollback(pc);
  return rc;
}

int pg__migrate(void *impl, int *applied_out) {
  pg_t *g = impl;
  pconn_t *pc;
  int rc, applied = 0;
  bool done = false;
  if ((rc = pg__checkout(g, &pc))) return rc;
  while (!done && rc == CUSTOS_OK) {
    rc = migrate_step(g, pc, &done);
    if (rc == CUSTOS_OK && !done) applied++;
  }
  pg__checkin(g, pc);
  if (rc == CUSTOS_OK) *applied_out = applied;
  return rc;
}
