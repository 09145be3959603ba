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
#include <stdlib.h>
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

void admin_clients_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  int limit, n = 0;
  char after[RAND_ID_MAX];
  store_app_t app;
  store_ap_client_t *page = NULL;
  if (admin_merchant_app(r, a, &app, &e) != 0 || admin_page_params(r, &limit, after, &e) != 0) goto fail;
  if (after[0] && !steam_id_ok(after)) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "after", "query parameter 'after' must be a Steam ID (17 digits)");
    goto fail;
  }
  page = calloc(ADMIN_LIST_MAX + 1, sizeof *page);
  int rc = page ? store_ap_client_list(a->store, app.id, after[0] ? after : NULL, limit + 1, page, &n)
                : CUSTOS_ENOMEM;
  if (rc != 0) {
    n = 0;
    admin_store_error(rc, "client", NULL, &e);
    goto fail;
  }
  json_t *data = json_array();
  for (int i = 0; data && i < n && i < limit; i++)
    if (json_array_append_new(data, client_json(&page[i])) != 0) {
      json_decref(data);
      data = NULL;
    }
  http_reply_json(r, 200, admin_page(data, n > limit ? page[limit - 1].steam_id : NULL));
  for (int i = 0; i < n; i++) store_ap_client_cleanup(&page[i]);
  free(page);
  return;
fail:
  free(page);
  admin_fail(r, &e);
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
