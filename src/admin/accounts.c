/*
 * accounts.c — /admin/v1/accounts and their environments.
 */
#include <string.h>

#include "admin/admin.h"
#include "core/json.h"

void admin_accounts_create(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"name", NULL};
  cerr_t e;
  const char *name = NULL;
  store_account_t acct;
  json_t *body = admin_body(r, a, allowed, false, &e);
  if (!body || jbody_str_len(body, "name", true, 1, STORE_NAME_LEN_MAX, &name, &e) != 0) goto fail;
  int rc = store_account_create(a->store, name, &acct);
  if (rc != 0) {
    admin_store_error(rc, "account", rc == CUSTOS_EINVAL ? "name" : NULL, &e);
    goto fail;
  }
  json_t *detail = json_pack("{s:s}", "name", acct.name);
  admin_audit(a, r, actor, "account.create", acct.id, detail);
  json_decref(detail);
  json_decref(body);
  http_reply_json(r, 201, admin_account_json(&acct));
  return;
fail:
  json_decref(body);
  admin_fail(r, &e);
}

static json_t *account_row(const void *row, const void *arg) {
  (void)arg;
  return admin_account_json(row);
}

static json_t *environment_row(const void *row, const void *arg) {
  (void)arg;
  return admin_environment_json(row);
}

void admin_accounts_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  admin_list_t l;
  if (admin_list_start(r, sizeof(store_account_t), NULL, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  int rc = store_account_list(a->store, admin_list_after(&l), l.limit + 1, l.rows, &l.n);
  admin_list_reply(r, &l, rc, "account", account_row, NULL, "id");
  admin_list_end(&l);
}

void admin_accounts_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_account_t acct;
  if (admin_load_account(r, a, &acct, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, admin_account_json(&acct));
}

void admin_environments_create(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"name", NULL};
  cerr_t e;
  const char *name = NULL;
  store_account_t acct;
  store_environment_t env;
  json_t *body = NULL;
  /* The path names the parent: an unknown account is 404 before the body
   * is judged, as for every {id} route. */
  if (admin_load_account(r, a, &acct, &e) != 0) goto fail;
  body = admin_body(r, a, allowed, false, &e);
  if (!body || jbody_str_len(body, "name", true, 1, STORE_NAME_LEN_MAX, &name, &e) != 0) goto fail;
  int rc = store_environment_create(a->store, acct.id, name, &env);
  if (rc == CUSTOS_EEXISTS) {
    cerr_set(&e, 409, CERR_CONFLICT, "name", "the account already has an environment with this name");
    goto fail;
  }
  if (rc != 0) {
    admin_store_error(rc, rc == CUSTOS_ENOTFOUND ? "account" : "environment name",
                      rc == CUSTOS_EINVAL ? "name" : NULL, &e);
    goto fail;
  }
  json_t *detail = json_pack("{s:s,s:s}", "account_id", env.account_id, "name", env.name);
  admin_audit(a, r, actor, "environment.create", env.id, detail);
  json_decref(detail);
  json_decref(body);
  http_reply_json(r, 201, admin_environment_json(&env));
  return;
fail:
  json_decref(body);
  admin_fail(r, &e);
}

void admin_environments_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_account_t acct;
  admin_list_t l;
  if (admin_load_account(r, a, &acct, &e) != 0 ||
      admin_list_start(r, sizeof(store_environment_t), NULL, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  int rc = store_environment_list(a->store, acct.id, admin_list_after(&l), l.limit + 1, l.rows, &l.n);
  admin_list_reply(r, &l, rc, "environment", environment_row, NULL, "id");
  admin_list_end(&l);
}
