/*
 * apps.c — /admin/v1/apps.
 *
 * An app with profile thelayer is The Layer's "API application": its
 * creation also yields the application's Token1 (an app_token key in the
 * production environment, docs/profiles/thelayer.md), shown once in the
 * answer under "token1", as POST /apps/{id}/keys would show it.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "core/json.h"
#include "core/log.h"

static const char *const PROFILES[] = {"custos", "openledger", "assetpay", "xumm", "assetlayer", "thelayer", NULL};

static bool profile_known(const char *p) {
  for (int i = 0; PROFILES[i]; i++)
    if (strcmp(PROFILES[i], p) == 0) return true;
  return false;
}

void admin_apps_create(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"account_id", "name", "profile", NULL};
  cerr_t e;
  const char *account_id = NULL, *name = NULL, *profile = "custos";
  store_app_t app;
  json_t *body = admin_body(r, a, allowed, false, &e);
  if (!body || jbody_str_len(body, "account_id", true, 1, RAND_ID_MAX - 1, &account_id, &e) != 0 ||
      jbody_str_len(body, "name", true, 1, STORE_NAME_LEN_MAX, &name, &e) != 0 ||
      jbody_str(body, "profile", false, STORE_PROFILE_MAX - 1, &profile, &e) != 0)
    goto fail;
  if (!profile_known(profile)) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "profile",
             "field 'profile' must be one of custos, openledger, assetpay, xumm, assetlayer, thelayer");
    goto fail;
  }
  int rc = store_app_create(a->store, account_id, name, profile, &app);
  if (rc != 0) {
    if (rc == CUSTOS_ENOTFOUND)
      cerr_set(&e, 404, CERR_NOT_FOUND, "account_id", "no such account");
    else
      admin_store_error(rc, "app", rc == CUSTOS_EINVAL ? "name" : NULL, &e);
    goto fail;
  }
  json_t *detail = json_pack("{s:s,s:s,s:s}", "account_id", app.account_id, "name", app.name, "profile", app.profile);
  admin_audit(a, r, actor, "app.create", app.id, detail);
  json_decref(detail);
  json_decref(body);
  json_t *out = admin_app_json(&app);
  if (out && strcmp(app.profile, "thelayer") == 0) {
    /* The app exists now whatever happens to its Token1: a failure here
     * answers 201 with "token1": null (and is logged), and
     * POST /apps/{id}/keys makes one later. */
    char text[APIKEY_TEXT_MAX] = "";
    store_api_key_t k;
    admin_key_req_t req = {0};
    cerr_t ke;
    json_t *t1 = admin_key_issue(a, r, actor, &app, &req, text, &k, &ke) == 0
                     ? admin_key_json_with_secret(&k, text, admin_now())
                     : json_null();
    OPENSSL_cleanse(text, sizeof text);
    if (json_is_null(t1)) log_msg(LOG_ERROR, "app %s created without its Token1: %s", app.id, ke.message);
    if (json_object_set_new(out, "token1", t1) != 0) {
      json_decref(out);
      out = NULL;
    }
  }
  http_reply_json(r, 201, out);
  return;
fail:
  json_decref(body);
  admin_fail(r, &e);
}

void admin_apps_list(http_req_t *r, void *ctx) {
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
  const char *account_id = http_query(r, "account_id");
  if (account_id && (!account_id[0] || strlen(account_id) >= RAND_ID_MAX)) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "account_id", "query parameter 'account_id' is not a valid id");
    admin_fail(r, &e);
    return;
  }
  store_app_t *page = calloc(ADMIN_LIST_MAX + 1, sizeof *page);
  int n = 0;
  int rc = page ? store_app_list(a->store, account_id, after[0] ? after : NULL, limit + 1, page, &n) : CUSTOS_ENOMEM;
  if (rc != 0) {
    free(page);
    admin_store_error(rc, "app", NULL, &e);
    admin_fail(r, &e);
    return;
  }
  json_t *data = json_array();
  for (int i = 0; data && i < n && i < limit; i++)
    if (json_array_append_new(data, admin_app_json(&page[i])) != 0) {
      json_decref(data);
      data = NULL;
    }
  http_reply_json(r, 200, admin_page(data, n > limit ? page[limit - 1].id : NULL));
  free(page);
}

void admin_apps_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX], id[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_app_t app;
  int rc = admin_path_id(r, id) ? store_app_get(a->store, id, &app) : CUSTOS_ENOTFOUND;
  if (rc != 0) {
    admin_store_error(rc, "app", NULL, &e);
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, admin_app_json(&app));
}
