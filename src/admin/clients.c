/*
 * clients.c — GET /admin/v1/apps/{id}/clients and
 * /admin/v1/apps/{id}/clients/{steam_id}: the AssetPay clients a merchant
 * (an app with profile assetpay) has authenticated through
 * POST /auth/authenticate-client, read only.
 *
 * A client row holds no secret (the merchant's API secret lives in the
 * merchant row, never shown here), so the whole stored client is shown:
 * its clientData, the risk limit and tier computed from it, and counts.
 *
 * client_data is the stored text itself, as a JSON string: it is what
 * JSON.stringify wrote and what the client token carries, byte for byte.
 * Re-encoding it through jansson would not be: 0.1 would come out as
 * 0.10000000000000001, and 1e20 (21 digits from JSON.stringify) is beyond
 * jansson's integers.
 */
#include <string.h>

#include "admin/admin.h"
#include "core/json.h"
#include "core/log.h"

static json_t *client_json(const store_ap_client_t *c) {
  return json_pack("{s:s,s:s,s:s,s:b,s:o,s:o,s:I,s:i,s:I,s:I,s:I}", "app_id", c->app_id, "steam_id", c->steam_id,
                   "trade_url", c->trade_url, "partner_match", c->partner_match, "client_id",
                   c->client_id[0] ? json_string(c->client_id) : json_null(), "client_data",
                   c->client_data ? json_string(c->client_data) : json_null(), "risk_limit", (json_int_t)c->risk_limit, "risk_tier",
                   c->risk_tier, "created_at", (json_int_t)c->created_at, "updated_at", (json_int_t)c->updated_at,
                   "auth_count", (json_int_t)c->auth_count);
}

/* ?after for this list is a Steam ID, not an id: 17 digits. */
static bool steam_id_ok(const char *s) {
  if (strlen(s) != STORE_STEAM_ID_MAX - 1) return false;
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9') return false;
  return true;
}

static json_t *client_row(const void *row, const void *arg) {
  (void)arg;
  return client_json(row);
}

void admin_clients_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_app_t app;
  admin_list_t l;
  if (admin_merchant_app(r, a, &app, &e) != 0 || admin_list_start(r, sizeof(store_ap_client_t), NULL, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  if (l.after[0] && !steam_id_ok(l.after)) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "after", "query parameter 'after' must be a Steam ID (17 digits)");
    admin_fail(r, &e);
  } else {
    int rc = store_ap_client_list(a->store, app.id, admin_list_after(&l), l.limit + 1, l.rows, &l.n);
    admin_list_reply(r, &l, rc, "client", client_row, NULL, "steam_id");
  }
  store_ap_client_t *rows = l.rows;
  for (int i = 0; i < l.n; i++) store_ap_client_cleanup(&rows[i]);
  admin_list_end(&l);
}

void admin_clients_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX], sid[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_app_t app;
  store_ap_client_t c;
  if (admin_merchant_app(r, a, &app, &e) != 0) goto fail;
  /* A malformed Steam ID names no client: 404, as an unknown one. */
  int rc = route_param(&r->params, "steam_id", sid, sizeof sid) > 0 && steam_id_ok(sid)
               ? store_ap_client_get(a->store, app.id, sid, &c)
               : CUSTOS_ENOTFOUND;
  if (rc != 0) {
    admin_store_error(rc, "client", NULL, &e);
    goto fail;
  }
  http_reply_json(r, 200, client_json(&c));
  store_ap_client_cleanup(&c);
  return;
fail:
  admin_fail(r, &e);
}
