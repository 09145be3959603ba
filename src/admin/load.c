/*
 * load.c — "the {id} of the path, or 404": each admin route that names a
 * row by its path loads it here, so an absent or over-long {id} and an
 * unknown one answer alike (404 "no such <what>"), and a store failure is
 * 503, everywhere. The loaders differ only in their store getter.
 */
#include "admin/admin.h"

int admin_loaded(int rc, const char *what, cerr_t *e) {
  if (rc == 0) return 0;
  admin_store_error(rc, what, NULL, e);
  return -1; /* explicit: clang-tidy cannot follow admin_store_error's -1 */
}

int admin_load_account(http_req_t *r, app_t *a, store_account_t *out, cerr_t *e) {
  char id[RAND_ID_MAX];
  return admin_loaded(admin_path_id(r, id) ? store_account_get(a->store, id, out) : CUSTOS_ENOTFOUND, "account", e);
}

int admin_load_app(http_req_t *r, app_t *a, store_app_t *out, cerr_t *e) {
  char id[RAND_ID_MAX];
  return admin_loaded(admin_path_id(r, id) ? store_app_get(a->store, id, out) : CUSTOS_ENOTFOUND, "app", e);
}

int admin_load_key(http_req_t *r, app_t *a, store_api_key_t *out, cerr_t *e) {
  char id[RAND_ID_MAX];
  return admin_loaded(admin_path_id(r, id) ? store_api_key_get(a->store, id, out) : CUSTOS_ENOTFOUND, "key", e);
}

int admin_load_user(http_req_t *r, app_t *a, store_user_t *out, cerr_t *e) {
  char id[RAND_ID_MAX];
  return admin_loaded(admin_path_id(r, id) ? store_user_get(a->store, id, out) : CUSTOS_ENOTFOUND, "user", e);
}

int admin_load_user_token(http_req_t *r, app_t *a, store_user_token_t *out, cerr_t *e) {
  char id[RAND_ID_MAX];
  int rc = admin_path_id(r, id) ? store_user_token_get(a->store, id, out) : CUSTOS_ENOTFOUND;
  return admin_loaded(rc, "user token", e);
}

int admin_load_admin_token(http_req_t *r, app_t *a, store_admin_token_t *out, cerr_t *e) {
  char id[RAND_ID_MAX];
  int rc = admin_path_id(r, id) ? store_admin_token_get(a->store, id, out) : CUSTOS_ENOTFOUND;
  return admin_loaded(rc, "admin token", e);
}

int admin_load_secret(http_req_t *r, app_t *a, const admin_secret_kind_t *kind, store_api_key_t *out, cerr_t *e) {
  char id[RAND_ID_MAX];
  return admin_loaded(admin_path_id(r, id) ? kind->get(a->store, id, out) : CUSTOS_ENOTFOUND, kind->noun, e);
}
