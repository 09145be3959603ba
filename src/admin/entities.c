/*
 * entities.c — Open Ledger entities and per-account token lifetimes
 * (docs/admin-api.md, docs/profiles/openledger.md):
 *
 *   POST /admin/v1/accounts/{id}/entities       {"name", "id"?}
 *   GET  /admin/v1/accounts/{id}/entities
 *   GET  /admin/v1/entities/{id}
 *   GET  /admin/v1/accounts/{id}/token-lifetime
 *   PUT  /admin/v1/accounts/{id}/token-lifetime  {"token_max_lifetime"}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "core/json.h"

json_t *admin_entity_json(const store_entity_t *x) {
  return json_pack("{s:s,s:s,s:s,s:I}", "id", x->id, "account_id", x->account_id, "name", x->name,
                   "created_at", (json_int_t)x->created_at);
}

void admin_entities_create(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"name", "id", NULL};
  cerr_t e;
  const char *name = NULL, *id = NULL;
  store_account_t acct;
  store_entity_t ent;
  json_t *body = NULL;
  if (admin_load_account(r, a, &acct, &e) != 0) goto fail;
  body = admin_body(r, a, allowed, false, &e);
  if (!body || jbody_str_len(body, "name", true, 1, STORE_NAME_LEN_MAX, &name, &e) != 0 ||
      jbody_str_len(body, "id", false, 1, STORE_ENTITY_ID_LEN_MAX, &id, &e) != 0)
    goto fail;
  if (id && !store_entity_id_valid(id)) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "id", "field 'id' must be 1 to %d characters of A-Z a-z 0-9 _ . : -",
             STORE_ENTITY_ID_LEN_MAX);
    goto fail;
  }
  int rc = store_entity_create(a->store, acct.id, id, name, &ent);
  if (rc == CUSTOS_EEXISTS) {
    cerr_set(&e, 409, CERR_CONFLICT, id ? "id" : "name",
             "an entity with this id exists, or the account already has an entity with this name");
    goto fail;
  }
  if (rc != 0) {
    admin_store_error(rc, rc == CUSTOS_ENOTFOUND ? "account" : "entity", rc == CUSTOS_EINVAL ? "name" : NULL, &e);
    goto fail;
  }
  json_t *detail = json_pack("{s:s,s:s}", "account_id", ent.account_id, "name", ent.name);
  admin_audit(a, r, actor, "entity.create", ent.id, detail);
  json_decref(detail);
  json_decref(body);
  http_reply_json(r, 201, admin_entity_json(&ent));
  return;
fail:
  json_decref(body);
  admin_fail(r, &e);
}

static json_t *entity_row(const void *row, const void *arg) {
  (void)arg;
  return admin_entity_json(row);
}

/* ?after here is an entity id, which may be longer than other ids. */
void admin_entities_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_account_t acct;
  admin_list_t l;
  if (admin_load_account(r, a, &acct, &e) != 0 ||
      admin_list_start(r, sizeof(store_entity_t), store_entity_id_valid, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  int rc = store_entity_list(a->store, acct.id, admin_list_after(&l), l.limit + 1, l.rows, &l.n);
  admin_list_reply(r, &l, rc, "entity", entity_row, NULL, "id");
  admin_list_end(&l);
}

void admin_entities_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX], id[STORE_ENTITY_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_entity_t ent;
  int rc = route_param(&r->params, "id", id, sizeof id) > 0 ? store_entity_get(a->store, id, &ent)
                                                             : CUSTOS_ENOTFOUND;
  if (rc != 0) {
    admin_store_error(rc, "entity", NULL, &e);
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, admin_entity_json(&ent));
}

/* {"account_id","token_max_lifetime","effective"}: the stored value (null
 * = the default) and the cap that applies. */
static void reply_lifetime(http_req_t *r, app_t *a, const char *account_id, int64_t v) {
  http_reply_json(r, 200,
                  json_pack("{s:s,s:o,s:I}", "account_id", account_id, "token_max_lifetime",
                            v > 0 ? json_integer((json_int_t)v) : json_null(), "effective",
                            (json_int_t)(v > 0 ? v : a->cfg.ol_max_lifetime_s)));
}

void admin_token_lifetime_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_account_t acct;
  int64_t v = 0;
  if (admin_load_account(r, a, &acct, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  int rc = store_account_token_lifetime(a->store, acct.id, &v);
  if (rc != 0) {
    admin_store_error(rc, "account", NULL, &e);
    admin_fail(r, &e);
    return;
  }
  reply_lifetime(r, a, acct.id, v);
}

void admin_token_lifetime_put(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"token_max_lifetime", NULL};
  cerr_t e;
  store_account_t acct;
  json_t *body = NULL;
  int64_t v = 0;
  if (admin_load_account(r, a, &acct, &e) != 0) goto fail;
  body = admin_body(r, a, allowed, false, &e);
  if (!body) goto fail;
  /* null = back to the default (openledger.max_token_lifetime). */
  const json_t *x = json_object_get(body, "token_max_lifetime");
  if (!x) {
    cerr_set(&e, 400, CERR_MISSING_FIELD, "token_max_lifetime", "field 'token_max_lifetime' is required");
    goto fail;
  }
  if (!json_is_null(x) &&
      jbody_int(body, "token_max_lifetime", true, 1, STORE_TOKEN_LIFETIME_MAX, &v, &e) != 0)
    goto fail;
  int rc = store_account_set_token_lifetime(a->store, acct.id, v);
  if (rc != 0) {
    admin_store_error(rc, "account", NULL, &e);
    goto fail;
  }
  json_t *detail = v > 0 ? json_pack("{s:I}", "token_max_lifetime", (json_int_t)v)
                         : json_pack("{s:n}", "token_max_lifetime");
  admin_audit(a, r, actor, "account.token_lifetime", acct.id, detail);
  json_decref(detail);
  json_decref(body);
  reply_lifetime(r, a, acct.id, v);
  return;
fail:
  json_decref(body);
  admin_fail(r, &e);
}
