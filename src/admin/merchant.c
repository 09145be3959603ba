/*
 * merchant.c — /admin/v1/apps/{id}/secret and /admin/v1/apps/{id}/merchant:
 * the AssetPay merchant of an app with profile assetpay.
 *
 * The API secret exists in clear only in the response that created it:
 * it is generated here, sealed under the master key (context
 * "app_secret:<app id>"), stored sealed, and wiped. Rotation keeps the
 * previous secret for verification until the grace period ends.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "admin/admin.h"
#include "core/json.h"
#include "core/seal.h"
#include "profiles/assetpay_merchant.h"

int admin_merchant_app(http_req_t *r, app_t *a, store_app_t *app, cerr_t *e) {
  char id[RAND_ID_MAX];
  int rc = admin_path_id(r, id) ? store_app_get(a->store, id, app) : CUSTOS_ENOTFOUND;
  if (rc != 0) return admin_store_error(rc, "app", NULL, e);
  if (strcmp(app->profile, "assetpay") != 0)
    return cerr_set(e, 409, CERR_CONFLICT, NULL, "app %s has profile %s; merchants are apps with profile assetpay",
                    app->id, app->profile);
  return 0;
}

static json_t *merchant_json(const store_merchant_t *m) {
  return json_pack("{s:s,s:I,s:b,s:o,s:o,s:o}", "app_id", m->app_id, "merchant_id", (json_int_t)m->merchant_id,
                   "has_secret", m->secret_sealed[0] != '\0', "secret_created_at",
                   m->secret_created_at ? json_integer(m->secret_created_at) : json_null(), "secret_rotated_at",
                   m->secret_rotated_at ? json_integer(m->secret_rotated_at) : json_null(),
                   "previous_valid_until",
                   m->prev_sealed[0] ? json_integer(m->prev_valid_until) : json_null());
}

void admin_merchant_secret(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"grace_seconds", NULL};
  cerr_t e;
  store_app_t app;
  store_merchant_t m, next;
  json_t *body = NULL, *out = NULL;
  char secret[AP_SECRET_TEXT_MAX] = "";
  char sctx[RAND_ID_MAX + 16];
  buf_t sealed;
  buf_init(&sealed, STORE_SECRET_SEALED_MAX - 1);
  int64_t grace = a->cfg.ap_secret_grace_s, now = admin_now();
  if (admin_merchant_app(r, a, &app, &e) != 0) goto fail;
  body = admin_body(r, a, allowed, true, &e);
  if (!body || jbody_int(body, "grace_seconds", false, 0, ADMIN_GRACE_MAX, &grace, &e) != 0) goto fail;
  int rc = store_merchant_ensure(a->store, app.id, &m);
  if (rc != 0) {
    admin_store_error(rc, "app", NULL, &e);
    goto fail;
  }
  ap_secret_context(app.id, sctx);
  if (ap_secret_generate(secret) != CUSTOS_OK ||
      seal_text(a->master_key, sctx, (const unsigned char *)secret, strlen(secret), &sealed) != CUSTOS_OK) {
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    goto fail;
  }
  next = m;
  snprintf(next.secret_sealed, sizeof next.secret_sealed, "%s", sealed.data);
  next.secret_created_at = now;
  bool rotation = m.secret_sealed[0] != '\0';
  if (rotation) {
    /* The old secret keeps verifying tokens already handed out. */
    memcpy(next.prev_sealed, m.secret_sealed, sizeof next.prev_sealed);
    next.prev_valid_until = now + grace;
    next.secret_rotated_at = now;
  }
  rc = store_merchant_set_secret(a->store, &next, m.secret_sealed);
  if (rc == CUSTOS_EINVAL) {
    cerr_set(&e, 409, CERR_CONFLICT, NULL, "the secret changed meanwhile; try again");
    goto fail;
  }
  if (rc != 0) {
    admin_store_error(rc, "app", NULL, &e);
    goto fail;
  }
  if (a->merchants) ap_merchants_changed(a->merchants, m.merchant_id);
  json_t *detail = json_pack("{s:I,s:b,s:o}", "merchant_id", (json_int_t)m.merchant_id, "rotation", rotation,
                             "previous_valid_until", rotation ? json_integer(now + grace) : json_null());
  admin_audit(a, r, actor, rotation ? "merchant.secret.rotate" : "merchant.secret.create", app.id, detail);
  json_decref(detail);
  out = merchant_json(&next);
  if (out && json_object_set_new(out, "secret", json_string(secret)) != 0) {
    json_decref(out);
    out = NULL;
  }
  http_reply_json(r, rotation ? 200 : 201, out);
  goto done;
fail:
  admin_fail(r, &e);
done:
  OPENSSL_cleanse(secret, sizeof secret);
  OPENSSL_cleanse(&next, sizeof next);
  buf_cleanup_secure(&sealed);
  json_decref(body);
}

void admin_merchant_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_app_t app;
  store_merchant_t m;
  if (admin_merchant_app(r, a, &app, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  /* The merchant id exists from the first look: it is no secret, and the
   * merchant needs it to mint tokens locally. */
  int rc = store_merchant_ensure(a->store, app.id, &m);
  if (rc != 0) {
    admin_store_error(rc, "app", NULL, &e);
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, merchant_json(&m));
}
