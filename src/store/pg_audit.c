/*
 * pg_audit.c — PostgreSQL audit log: append, list, and the filtered query
 * variants (one prepared statement per filter mask, see backend.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/pg.h"

enum { PS_AUDIT_INSERT, PS_AUDIT_LIST, PS_COUNT };
_Static_assert(PS_COUNT <= PG_TABLE_MAX, "statement table too long");

static const pg_query_t Q[PS_COUNT] = {
    [PS_AUDIT_INSERT] = {"INSERT INTO audit_event (at, actor, action, target, outcome, remote,"
                         " request_id, detail_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                         8, false},
    [PS_AUDIT_LIST] = {"SELECT id, at, actor, action, target, outcome, remote, request_id,"
                       " detail_json FROM audit_event WHERE id > $1 ORDER BY id LIMIT $2",
                       2, true},
};
static const pg_table_t T = {PG_T_AUDIT, Q, PS_COUNT};

static int row_audit(const PGresult *r, int i, void *o) {
  store_audit_t *e = o;
  memset(e, 0, sizeof *e);
  if (pg__get_i64(r, i, 0, &e->id) || pg__get_i64(r, i, 1, &e->at) ||
      store__copy(e->actor, sizeof e->actor, PQgetvalue(r, i, 2)) ||
      store__copy(e->action, sizeof e->action, PQgetvalue(r, i, 3)) ||
      store__copy(e->target, sizeof e->target, PQgetvalue(r, i, 4)) ||
      store__copy(e->outcome, sizeof e->outcome, PQgetvalue(r, i, 5)) ||
      store__copy(e->remote, sizeof e->remote, PQgetvalue(r, i, 6)) ||
      store__copy(e->request_id, sizeof e->request_id, PQgetvalue(r, i, 7)))
    return CUSTOS_ESTORE;
  /* Last, so a failure above leaves nothing allocated. */
  if (!PQgetisnull(r, i, 8)) {
    e->detail_json = strdup(PQgetvalue(r, i, 8));
    if (!e->detail_json) return CUSTOS_ENOMEM;
  }
  return CUSTOS_OK;
}

static void cleanup_audit(void *row) { store_audit_cleanup(row); }
static const pg_row_t ROW_AUDIT = {row_audit, cleanup_audit, sizeof(store_audit_t)};

int pg__audit_append(void *impl, const store_audit_t *e) {
  char at[PG_I64_LEN];
  /* A NULL detail_json is SQL NULL. */
  const char *const params[] = {pg__i64(at, e->at), e->actor,  e->action,     e->target,
                                e->outcome,         e->remote, e->request_id, e->detail_json};
  return pg__write(impl, &T, PS_AUDIT_INSERT, params);
}

int pg__audit_list(void *impl, int64_t after, int limit, store_audit_t *out, int *n) {
  char aft[PG_I64_LEN];
  const char *const params[] = {pg__i64(aft, after)};
  return pg__list(impl, &T, PS_AUDIT_LIST, params, &ROW_AUDIT, out, limit, n);
}

/* Like pg__run, for audit-find variant `mask` (prepared as "custos_f<mask>"). */
static int run_find_once(pconn_t *pc, unsigned mask, int nparams, const char *const *params,
                         PGresult **res_out) {
  char name[24], sql[512];
  PGresult *r;
  snprintf(name, sizeof name, "custos_f%u", mask);
  if (!(pc->fprepared & (UINT32_C(1) << mask))) {
    store__audit_find_sql(mask, true, sql, sizeof sql);
    r = PQprepare(pc->c, name, sql, nparams, NULL);
    if (!pg__result_ok(r)) return pg__fail_rc(pc, r, "prepare");
    PQclear(r);
    pc->fprepared |= UINT32_C(1) << mask;
  }
  r = PQexecPrepared(pc->c, name, nparams, params, NULL, NULL, 0);
  if (!pg__result_ok(r)) return pg__fail_rc(pc, r, "audit find");
  *res_out = r;
  return CUSTOS_OK;
}

int pg__audit_find(void *impl, const store__audit_query_t *q, int64_t after, int limit,
                   store_audit_t *out, int *n_out) {
  pg_t *g = impl;
  pconn_t *pc;
  PGresult *r = NULL;
  char aft[PG_I64_LEN], lim[PG_I64_LEN], since[PG_I64_LEN], err[512];
  const char *params[8];
  int np = 0, rc;

  params[np++] = pg__i64(aft, after);
  if (q->mask & STORE_AQ_ACTION) params[np++] = q->action;
  if (q->mask & STORE_AQ_PREFIX) params[np++] = q->action, params[np++] = q->action_hi;
  if (q->mask & STORE_AQ_TARGET) params[np++] = q->target;
  if (q->mask & STORE_AQ_ACTOR) params[np++] = q->actor;
  if (q->mask & STORE_AQ_SINCE) params[np++] = pg__i64(since, q->since);
  params[np++] = pg__i64(lim, limit);

  if ((rc = pg__checkout(g, &pc))) return rc;
  rc = run_find_once(pc, q->mask, np, params, &r);
  if (rc == CUSTOS_ESTORE && PQstatus(pc->c) == CONNECTION_BAD) { /* read-only: retry once */
    if (pg__connect(g, pc, err, sizeof err) == CUSTOS_OK)
      rc = run_find_once(pc, q->mask, np, params, &r);
    else
      log_msg(LOG_ERROR, "store: %s", err);
  }
  if (rc == CUSTOS_OK) rc = pg__decode(r, &ROW_AUDIT, out, limit, false, n_out, "audit find");
  PQclear(r);
  pg__checkin(g, pc);
  return rc;
}
