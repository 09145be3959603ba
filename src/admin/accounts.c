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

void admin_accounts_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  int limit;
  char after[RAND_ID_MAX];
  if (admin_page_params(r, &limit, after, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  store_account_t page[ADMIN_LIST_MAX + 1];
  int n = 0;
  int rc = store_account_list(a->store, after[0] ? after : NULL, limit + 1, page, &n);
  if (rc != 0) {
    admin_store_error(rc, "account", NULL, &e);
    admin_fail(r, &e);
    return;
  }
  json_t *data = json_array();
  for (int i = 0; data && i < n && i < limit; i++)
    if (json_array_append_new(data, admin_account_json(&page[i])) != 0) {
      json_decref(data);
      data = NULL;
    }
  http_reply_json(r, 200, admin_page(data, n > limit ? page[limit - 1].id : NULL));
}

void admin_accounts_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX], id[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_account_t acct;
  int rc = admin_path_id(r, id) ? store_account_get(a->store, id, &acct) : CUSTOS_ENOTFOUND;
  if (rc != 0) {
    admin_store_error(rc, "account", NULL, &e);
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, admin_account_json(&acct));
}

void admin_environments_create(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX], id[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"name", NULL};
  cerr_t e;
  const char *name = NULL;
  store_account_t acct;
  store_environment_t env;
  json_t *body = NULL;
  /* The path names the parent: an unknown account is 404 before the body
   * is judged, as for every {id} route. */
  int rc = admin_path_id(r, id) ? store_account_get(a->store, id, &acct) : CUSTOS_ENOTFOUND;
  if (rc != 0) {
    admin_store_error(rc, "account", NULL, &e);
    goto fail;
  }
  body = admin_body(r, a, allowed, false, &e);
  if (!body || jbody_str_len(body, "name", true, 1, STORE_NAME_LEN_MAX, &name, &e) != 0) goto fail;
  rc = store_environment_create(a->store, acct.id, name, &env);
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
  char actor[RAND_ID_MAX], id[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  int limit;
  char after[RAND_ID_MAX];
  store_account_t acct;
  int rc = admin_path_id(r, id) ? store_account_get(a->store, id, &acct) : CUSTOS_ENOTFOUND;
  if (rc != 0) {
    admin_store_error(rc, "account", NULL, &e);
    admin_fail(r, &e);
    return;
  }
  if (admin_page_params(r, &limit, after, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  store_environment_t page[ADMIN_LIST_MAX + 1];
  int n = 0;
  rc = store_environment_list(a->store, acct.id, after[0] ? after : NULL, limit + 1, page, &n);
  if (rc != 0) {
    admin_store_error(rc, "environment", NULL, &e);
    admin_fail(r, &e);
    return;
  }
  json_t *data = json_array();
  for (int i = 0; data && i < n && i < limit; i++)
    if (json_array_append_new(data, admin_environment_json(&page[i])) != 0) {
      json_decref(data);
      data = NULL;
    }
  http_reply_json(r, 200, admin_page(data, n > limit ? page[limit - 1].id : NULL));
}
