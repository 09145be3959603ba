/*
 * admin_json.c — what every admin handler shares: resource → JSON,
 * strict bodies, store-result mapping, audit events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "core/json.h"
#include "core/log.h"

int64_t admin_now(void) { return (int64_t)time(NULL); }

/* Unix seconds, or null for 0 ("absent"). */
static json_t *ts_or_null(int64_t t) { return t ? json_integer(t) : json_null(); }

json_t *admin_account_json(const store_account_t *x) {
  return json_pack("{s:s,s:s,s:I}", "id", x->id, "name", x->name, "created_at", (json_int_t)x->created_at);
}

json_t *admin_environment_json(const store_environment_t *x) {
  return json_pack("{s:s,s:s,s:s,s:I}", "id", x->id, "account_id", x->account_id, "name", x->name,
                   "created_at", (json_int_t)x->created_at);
}

json_t *admin_app_json(const store_app_t *x) {
  return json_pack("{s:s,s:s,s:s,s:s,s:I}", "id", x->id, "account_id", x->account_id, "name", x->name,
                   "profile", x->profile, "created_at", (json_int_t)x->created_at);
}

const char *admin_secret_status(int64_t revoked_at, int64_t expires_at, int64_t grace_until, bool replaced,
                                int64_t now) {
  if (revoked_at) return "revoked";
  if (expires_at && now >= expires_at) return "expired";
  if (replaced || grace_until) return now < grace_until ? "rotated" : "expired";
  return "active";
}

const char *admin_key_status(const store_api_key_t *k, int64_t now) {
  return admin_secret_status(k->revoked_at, k->expires_at, k->grace_until, k->replaced_by[0] != '\0', now);
}

/* Space-separated scopes → JSON array of strings. */
static json_t *scopes_json(const char *scopes) {
  json_t *arr = json_array();
  if (!arr) return NULL;
  const char *p = scopes;
  while (*p) {
    while (*p == ' ') p++;
    const char *q = p;
    while (*q && *q != ' ') q++;
    if (q > p && json_array_append_new(arr, json_stringn(p, (size_t)(q - p))) != 0) {
      json_decref(arr);
      return NULL;
    }
    p = q;
  }
  return arr;
}

json_t *admin_key_json(const store_api_key_t *k, int64_t now) {
  json_t *scopes = scopes_json(k->scopes);
  if (!scopes) return NULL;
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:I}", "id", k->id,
                   "app_id", k->app_id, "account_id", k->account_id, "environment_id", k->environment_id,
                   "kind", k->kind, "name", k->name, "start", k->start, "scopes", scopes, "status",
                   admin_key_status(k, now), "created_at", (json_int_t)k->created_at, "expires_at",
                   ts_or_null(k->expires_at), "revoked_at", ts_or_null(k->revoked_at), "grace_until",
                   ts_or_null(k->grace_until), "replaced_by",
                   k->replaced_by[0] ? json_string(k->replaced_by) : json_null(), "last_used_at",
                   ts_or_null(k->last_used_at), "use_count", (json_int_t)k->use_count);
}

json_t *admin_audit_json(const store_audit_t *ev) {
  json_t *detail = NULL;
  if (ev->detail_json) detail = json_loads(ev->detail_json, JSON_DECODE_ANY, NULL);
  if (!detail) detail = json_null();
  char id[24];
  snprintf(id, sizeof id, "%lld", (long long)ev->id);
  return json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "id", id, "at", (json_int_t)ev->at, "actor",
                   ev->actor, "action", ev->action, "target", ev->target, "outcome", ev->outcome,
                   "remote", ev->remote, "request_id", ev->request_id, "detail", detail);
}

json_t *admin_page(json_t *data, const char *next) {
  if (!data) return NULL;
  return json_pack("{s:o,s:o}", "data", data, "next", next ? json_string(next) : json_null());
}

bool admin_path_id(http_req_t *r, char out[RAND_ID_MAX]) {
  return route_param(&r->params, "id", out, RAND_ID_MAX) > 0;
}

json_t *admin_body(http_req_t *r, app_t *a, const char *const *allowed, bool allow_empty, cerr_t *e) {
  bool empty = true;
  for (size_t i = 0; i < r->body.len && empty; i++) {
    char c = r->body.data[i];
    empty = c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }
  if (empty && allow_empty) return json_object();
  jbody_limits_t lim = {.max_bytes = a->cfg.max_body_bytes, .max_depth = a->cfg.json_max_depth};
  json_t *obj = jbody_parse(r->body.data ? r->body.data : "", r->body.len, &lim, e);
  if (!obj) return NULL;
  if (jbody_reject_unknown(obj, allowed, e) != 0) {
    json_decref(obj);
    return NULL;
  }
  return obj;
}

int admin_store_error(int rc, const char *what, const char *field, cerr_t *e) {
  switch (rc) {
  case CUSTOS_ENOTFOUND: return cerr_set(e, 404, CERR_NOT_FOUND, field, "no such %s", what);
  case CUSTOS_EEXISTS: return cerr_set(e, 409, CERR_CONFLICT, field, "%s already exists", what);
  case CUSTOS_EINVAL: return cerr_set(e, 400, CERR_INVALID_FIELD, field, "invalid %s", what);
  case CUSTOS_ESTORE: return cerr_set(e, 503, CERR_UNAVAILABLE, NULL, "store unavailable");
  default: return cerr_set(e, 500, CERR_INTERNAL, NULL, "internal error");
  }
}

void admin_fail(http_req_t *r, const cerr_t *e) { http_reply_error(r, e); }

void admin_audit(app_t *a, http_req_t *r, const char *actor, const char *action, const char *target,
                 const json_t *detail) {
  store_audit_t ev;
  memset(&ev, 0, sizeof ev);
  snprintf(ev.actor, sizeof ev.actor, "%s", actor);
  snprintf(ev.action, sizeof ev.action, "%s", action);
  snprintf(ev.target, sizeof ev.target, "%s", target ? target : "");
  snprintf(ev.outcome, sizeof ev.outcome, "ok");
  http_remote_addr(r, ev.remote, sizeof ev.remote);
  /* Request ids are at most 64 characters; the store keeps 63. */
  snprintf(ev.request_id, sizeof ev.request_id, "%.*s", (int)sizeof ev.request_id - 1, r->request_id);
  if (detail) {
    ev.detail_json = json_dumps(detail, JSON_COMPACT | JSON_ENCODE_ANY);
  }
  int rc = detail && !ev.detail_json ? CUSTOS_ENOMEM : store_audit_append(a->store, &ev);
  free(ev.detail_json);
  if (rc != 0)
    log_msg(LOG_ERROR, "audit: cannot record %s on %s: %s", action, target ? target : "", custos_strerror(rc));
}
