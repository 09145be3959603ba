#include "admin/admin.h"
#include "profiles/profile.h"
#include "server/app.h"

#define ALL_METHODS (HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE | HTTP_OPTIONS | HTTP_OTHER)

/* The one table of what custos serves. Literal routes first where a
 * parameter route could also match. */
int app_routes(app_t *a) {
  router_t *r = &a->router;
  router_init(r);
  int rc = 0;
  rc |= router_add(r, HTTP_GET, "/healthz", ops_healthz, a, NULL);
  rc |= router_add(r, HTTP_GET, "/readyz", ops_readyz, a, NULL);
  rc |= router_add(r, HTTP_GET, "/metrics", ops_metrics, a, NULL);
  rc |= router_add(r, HTTP_GET, "/.well-known/jwks.json", jwks_get, a, NULL);
  rc |= router_add(r, HTTP_GET, "/v1/whoami", whoami, a, NULL);
  /* Gateway checks: every method, since Envoy keeps the original one. */
  rc |= router_add(r, ALL_METHODS, "/v1/check", gateway_check, a, NULL);
  rc |= router_add(r, ALL_METHODS, "/v1/check/{path...}", gateway_check, a, NULL);

  /* Admin API (docs/admin-api.md). Keep src/admin/openapi.json in step:
   * tests/integration/admin.test.mjs compares it with this table. */
  rc |= router_add(r, HTTP_GET, "/admin/v1/openapi.json", admin_openapi, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/accounts", admin_accounts_create, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/accounts", admin_accounts_list, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/accounts/{id}", admin_accounts_get, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/accounts/{id}/environments", admin_environments_create, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/accounts/{id}/environments", admin_environments_list, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/apps", admin_apps_create, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/apps", admin_apps_list, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/apps/{id}", admin_apps_get, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/apps/{id}/keys", admin_keys_create, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/apps/{id}/keys", admin_keys_list, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/apps/{id}/secret", admin_merchant_secret, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/apps/{id}/merchant", admin_merchant_get, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/apps/{id}/clients", admin_clients_list, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/apps/{id}/clients/{steam_id}", admin_clients_get, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/keys/{id}", admin_keys_get, a, NULL);
  rc |= router_add(r, HTTP_PATCH, "/admin/v1/keys/{id}", admin_keys_patch, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/keys/{id}/rotate", admin_keys_rotate, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/keys/{id}/revoke", admin_keys_revoke, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/apps/{id}/users", admin_users_create, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/apps/{id}/users", admin_users_list, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/apps/{id}/users/{uid}/tokens", admin_user_tokens_create, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/users/{id}", admin_users_get, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/users/{id}/tokens", admin_user_tokens_list, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/user-tokens/{id}", admin_user_tokens_get, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/user-tokens/{id}/rotate", admin_user_tokens_rotate, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/user-tokens/{id}/revoke", admin_user_tokens_revoke, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/audit", admin_audit_list, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/admin-tokens", admin_admin_tokens_create, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/admin-tokens", admin_admin_tokens_list, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/admin-tokens/{id}", admin_admin_tokens_get, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/admin-tokens/{id}/revoke", admin_admin_tokens_revoke, a, NULL);
  rc |= router_add(r, HTTP_POST, "/admin/v1/accounts/{id}/entities", admin_entities_create, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/accounts/{id}/entities", admin_entities_list, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/entities/{id}", admin_entities_get, a, NULL);
  rc |= router_add(r, HTTP_GET, "/admin/v1/accounts/{id}/token-lifetime", admin_token_lifetime_get, a, NULL);
  rc |= router_add(r, HTTP_PUT, "/admin/v1/accounts/{id}/token-lifetime", admin_token_lifetime_put, a, NULL);

  /* Each profile's own endpoints (token issuing …), in its error shape. */
  rc |= profile_register_all(a);
  return rc ? -1 : 0;
}
