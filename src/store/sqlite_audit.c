/*
 * sqlite_audit.c — SQLite audit log: append, list, and the filtered query
 * variants (one cached statement per filter mask, see backend.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite_conn.h"

enum { ST_AUDIT_INSERT, ST_AUDIT_LIST, ST_COUNT };
_Static_assert(ST_COUNT <= SQ_TABLE_MAX, "statement table too long");

static const char *const SQL[ST_COUNT] = {
    [ST_AUDIT_INSERT] = "INSERT INTO audit_event (at, actor, action, target, outcome, remote,"
                        " request_id, detail_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_AUDIT_LIST] = "SELECT id, at, actor, action, target, outcome, remote, request_id,"
                      " detail_json FROM audit_event WHERE id > ?1 ORDER BY id LIMIT ?2",
};
static const sq_table_t T = {SQ_T_AUDIT, SQL, ST_COUNT};

static int row_audit(sqlite3_stmt *st, void *o) {
  store_audit_t *e = o;
  memset(e, 0, sizeof *e);
  e->id = sqlite3_column_int64(st, 0);
  e->at = sqlite3_column_int64(st, 1);
  if (store__copy(e->actor, sizeof e->actor, sq__col_text(st, 2)) ||
      store__copy(e->action, sizeof e->action, sq__col_text(st, 3)) ||
      store__copy(e->target, sizeof e->target, sq__col_text(st, 4)) ||
      store__copy(e->outcome, sizeof e->outcome, sq__col_text(st, 5)) ||
      store__copy(e->remote, sizeof e->remote, sq__col_text(st, 6)) ||
      store__copy(e->request_id, sizeof e->request_id, sq__col_text(st, 7)))
    return CUSTOS_ESTORE;
  /* Last, so a failure above leaves nothing allocated. */
  if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
    e->detail_json = strdup(sq__col_text(st, 8));
    if (!e->detail_json) return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

static void cleanup_audit(void *row) { store_audit_cleanup(row); }
static const sq_row_t ROW_AUDIT = {row_audit, cleanup_audit, sizeof(store_audit_t)};

int sq__audit_append(void *impl, const store_audit_t *e) {
  /* A NULL detail_json binds SQL NULL. */
  const sq_arg_t args[] = {SQ_INT(e->at),        SQ_TEXT(e->actor),  SQ_TEXT(e->action),
                           SQ_TEXT(e->target),   SQ_TEXT(e->outcome), SQ_TEXT(e->remote),
                           SQ_TEXT(e->request_id), SQ_TEXT(e->detail_json)};
  return sq__write(impl, &T, ST_AUDIT_INSERT, args, SQ_NARGS(args));
}

int sq__audit_list(void *impl, int64_t after, int limit, store_audit_t *out, int *n) {
  const sq_arg_t args[] = {SQ_INT(after)};
  return sq__list(impl, &T, ST_AUDIT_LIST, args, SQ_NARGS(args), &ROW_AUDIT, out, limit, n);
}

static sqlite3_stmt *find_stmt(sq_conn_t *c, unsigned mask) {
  char sql[512];
  if (!c->find[mask]) {
    store__audit_find_sql(mask, false, sql, sizeof sql);
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->find[mask], NULL) !=
        SQLITE_OK) {
      log_msg(LOG_ERROR, "store: sqlite: prepare: %s", sqlite3_errmsg(c->db));
      c->find[mask] = NULL;
    }
  }
  return c->find[mask];
}

int sq__audit_find(void *impl, const store__audit_query_t *aq, int64_t after, int limit,
                   store_audit_t *out, int *n) {
  sq_t *q = impl;
  sq_conn_t *c;
  sqlite3_stmt *st;
  int rc, i = 1;
  bool bad;
  if ((rc = sq__reader_get(q, &c))) return rc;
  if (!(st = find_stmt(c, aq->mask))) {
    rc = CUSTOS_ESTORE;
    goto out;
  }
  bad = sqlite3_bind_int64(st, i++, after) != SQLITE_OK;
  if (aq->mask & STORE_AQ_ACTION)
    bad = bad || sqlite3_bind_text(st, i++, aq->action, -1, SQLITE_STATIC) != SQLITE_OK;
  if (aq->mask & STORE_AQ_PREFIX)
    bad = bad || sqlite3_bind_text(st, i++, aq->action, -1, SQLITE_STATIC) != SQLITE_OK ||
          sqlite3_bind_text(st, i++, aq->action_hi, -1, SQLITE_STATIC) != SQLITE_OK;
  if (aq->mask & STORE_AQ_TARGET)
    bad = bad || sqlite3_bind_text(st, i++, aq->target, -1, SQLITE_STATIC) != SQLITE_OK;
  if (aq->mask & STORE_AQ_ACTOR)
    bad = bad || sqlite3_bind_text(st, i++, aq->actor, -1, SQLITE_STATIC) != SQLITE_OK;
  if (aq->mask & STORE_AQ_SINCE) bad = bad || sqlite3_bind_int64(st, i++, aq->since) != SQLITE_OK;
  bad = bad || sqlite3_bind_int(st, i++, limit) != SQLITE_OK;
  if (bad) {
    sq__stmt_done(st);
    rc = CUSTOS_ESTORE;
    goto out;
  }
  rc = sq__fetch(c, st, &ROW_AUDIT, out, limit, false, n);
out:
  sq__reader_put(q, c);
  return rc;
}
