/*
 * admin_auth.c — the admin bearer token check.
 *
 * Admin traffic is a handful of requests, so there is no cache: each
 * request costs one indexed lookup by hash, and a revoked token stops
 * working on every node at once. Malformed tokens (wrong shape or
 * checksum) are refused before the store is touched, so noise cannot load
 * the database.
 */
#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>

#include "admin/admin.h"
#include "auth/apikey.h"
#include "core/log.h"

static void unauthorized(http_req_t *r) {
  cerr_t e;
  cerr_set(&e, 401, CERR_UNAUTHORIZED, NULL, "admin token required");
  if (http_add_header(r, "WWW-Authenticate", ADMIN_REALM) != 0) {
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
  }
  http_reply_error(r, &e);
}

bool admin_authenticate(http_req_t *r, app_t *a, char actor[RAND_ID_MAX]) {
  const char *h = http_header(r, "Authorization");
  if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
    unauthorized(r);
    return false;
  }
  const char *tok = h + 7;
  while (*tok == ' ') tok++;
  size_t len = strnlen(tok, APIKEY_TEXT_MAX);
  while (len > 0 && tok[len - 1] == ' ') len--;
  if (len >= APIKEY_TEXT_MAX || strncmp(tok, ADMIN_TOKEN_PREFIX, strlen(ADMIN_TOKEN_PREFIX)) != 0 ||
      !apikey_well_formed(tok, len)) {
    unauthorized(r);
    return false;
  }
  unsigned char hash[STORE_KEY_HASH_LEN];
  apikey_hash(tok, len, hash);
  store_admin_token_t t;
  int rc = store_admin_token_get_by_hash(a->store, hash, &t);
  OPENSSL_cleanse(hash, sizeof hash);
  if (rc == CUSTOS_ESTORE || (rc != CUSTOS_OK && rc != CUSTOS_ENOTFOUND)) {
    cerr_t e;
    cerr_set(&e, 503, CERR_UNAVAILABLE, NULL, "store unavailable");
    http_reply_error(r, &e);
    return false;
  }
  if (rc == CUSTOS_ENOTFOUND || t.revoked_at != 0) {
    unauthorized(r);
    return false;
  }
  memcpy(actor, t.id, RAND_ID_MAX);
  actor[RAND_ID_MAX - 1] = '\0';
  return true;
}
