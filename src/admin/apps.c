/*
 * apps.c — /admin/v1/apps.
 *
 * An app with profile thelayer is The Layer's "API application": its
 * creation also yields the application's Token1 (an app_token key in the
 * production environment, docs/profiles/thelayer.md), shown once in the
 * answer under "token1", as POST /apps/{id}/keys would show it.
 */
#include <openssl/crypto.h>
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

static json_t *app_row(const void *row, const void *arg) {
  (void)arg;
  return admin_app_json(row);
}

void admin_apps_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  admin_list_t l;
  if (admin_list_start(r, sizeof(store_app_t), NULL, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  const char *account_id = http_query(r, "account_id");
  if (account_id && (!account_id[0] || strlen(account_id) >= RAND_ID_MAX)) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "account_id", "query parameter 'account_id' is not a valid id");
    admin_fail(r, &e);
  } else {
    int rc = store_app_list(a->store, account_id, admin_list_after(&l), l.limit + 1, l.rows, &l.n);
    admin_list_reply(r, &l, rc, "app", app_row, NULL, "id");
  }
  admin_list_end(&l);
}

void admin_apps_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_app_t app;
  if (admin_load_app(r, a, &app, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, admin_app_json(&app));
}
