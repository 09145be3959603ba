/*
 * admin_tokens.c — /admin/v1/admin-tokens: the admin API's own bearer
 * tokens, listed, created and revoked without store access, so a leaked
 * token can be shut out by any other admin.
 *
 * A token's text exists only in the answer that created it: generated
 * here, hashed, wiped; the store keeps the SHA-256. Lists never carry it.
 *
 * Revocation takes effect at once on every node: admin_authenticate reads
 * the token's row on every request (admin tokens are not cached), so there
 * is nothing to invalidate or notify.
 *
 * The last active token is not revoked unless the body says
 * {"force": true}: without one, only `custos admin init` with store access
 * can let anyone back in. The store checks "last" in the same transaction
 * as the revocation, so two admins revoking the last two tokens at once
 * cannot lock everyone out by accident.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "auth/apikey.h"
#include "core/json.h"

/* The token as the API shows it; `actor` (the caller's token id) marks the
 * caller's own token with "current": true. NULL on OOM. */
static json_t *token_json(const store_admin_token_t *t, const char *actor) {
  return json_pack("{s:s,s:s,s:s,s:I,s:o,s:b}", "id", t->id, "name", t->name, "status",
                   t->revoked_at ? "revoked" : "active", "created_at", (json_int_t)t->created_at,
                   "revoked_at", t->revoked_at ? json_integer(t->revoked_at) : json_null(), "current",
                   strcmp(t->id, actor) == 0);
}

void admin_admin_tokens_create(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"name", NULL};
  cerr_t e;
  const char *name = NULL;
  char text[APIKEY_TEXT_MAX] = "";
  store_admin_token_t t;
  memset(&t, 0, sizeof t);
  json_t *body = admin_body(r, a, allowed, false, &e), *out = NULL;
  if (!body || jbody_str_len(body, "name", true, 1, STORE_NAME_LEN_MAX, &name, &e) != 0) goto fail;
  memcpy(t.name, name, strlen(name) + 1);
  if (apikey_generate(ADMIN_TOKEN_PREFIX, text) != 0) {
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    goto fail;
  }
  apikey_hash(text, strlen(text), t.hash);
  int rc = store_admin_token_create(a->store, &t);
  OPENSSL_cleanse(t.hash, sizeof t.hash);
  if (rc != 0) {
    admin_store_error(rc, "admin token", NULL, &e);
    goto fail;
  }
  json_t *detail = json_pack("{s:s}", "name", t.name);
  admin_audit(a, r, actor, "admin_token.create", t.id, detail);
  json_decref(detail);
  out = token_json(&t, actor);
  if (out && json_object_set_new(out, "token", json_string(text)) != 0) {
    json_decref(out);
    out = NULL;
  }
  OPENSSL_cleanse(text, sizeof text);
  json_decref(body);
  http_reply_json(r, 201, out);
  return;
fail:
  OPENSSL_cleanse(text, sizeof text);
  json_decref(body);
  admin_fail(r, &e);
}

static json_t *token_row(const void *row, const void *actor) { return token_json(row, actor); }

void admin_admin_tokens_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  admin_list_t l;
  if (admin_list_start(r, sizeof(store_admin_token_t), NULL, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  int rc = store_admin_token_list(a->store, admin_list_after(&l), l.limit + 1, l.rows, &l.n);
  admin_list_reply(r, &l, rc, "admin token", token_row, actor, "id");
  admin_list_end(&l);
}

void admin_admin_tokens_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_admin_token_t t;
  if (admin_load_admin_token(r, a, &t, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, token_json(&t, actor));
}

void admin_admin_tokens_revoke(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"force", NULL};
  cerr_t e;
  bool force = false;
  store_admin_token_t t;
  json_t *body = NULL;
  if (admin_load_admin_token(r, a, &t, &e) != 0) goto fail;
  body = admin_body(r, a, allowed, true, &e);
  if (!body || jbody_bool(body, "force", false, &force, &e) != 0) goto fail;
  bool already = t.revoked_at != 0;
  int rc = store_admin_token_revoke(a->store, t.id, admin_now(), !force);
  if (rc == CUSTOS_EDENIED) {
    cerr_set(&e, 409, CERR_CONFLICT, NULL,
             "this is the last active admin token; revoking it locks the admin API until "
             "`custos admin init` is run with store access (send {\"force\":true} to do it anyway)");
    goto fail;
  }
  if (rc != 0) {
    admin_store_error(rc, "admin token", NULL, &e);
    goto fail;
  }
  if (!already) {
    json_t *detail = json_pack("{s:s,s:b}", "name", t.name, "forced", force);
    admin_audit(a, r, actor, "admin_token.revoke", t.id, detail);
    json_decref(detail);
  }
  json_decref(body);
  /* Re-read so the answer is what is stored (the first revoked_at). */
  if (store_admin_token_get(a->store, t.id, &t) != 0 && !t.revoked_at) t.revoked_at = admin_now();
  http_reply_json(r, 200, token_json(&t, actor));
  return;
fail:
  json_decref(body);
  admin_fail(r, &e);
}
