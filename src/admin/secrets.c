/*
 * secrets.c — rotation and revocation of key-shaped secrets: API keys
 * (keys.c) and user tokens (users.c). Both are stored alike, checked by a
 * keycheck_t and answered alike; an admin_secret_kind_t names what differs
 * (store calls, words, JSON shape), so the rules live here once.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "auth/apikey.h"
#include "auth/keycheck.h"
#include "core/json.h"
#include "core/log.h"

void admin_secret_changed(app_t *a, const admin_secret_kind_t *kind, const store_api_key_t *k) {
  keycheck_t *kc = kind->checker(a);
  if (!kc) return;
  int rc = keycheck_changed(kc, k->hash);
  if (rc != CUSTOS_OK)
    log_msg(LOG_ERROR, "%s %s changed but other nodes could not be notified: %s", kind->noun, k->id,
            custos_strerror(rc));
}

/* The prefix ("ap_") of a visible start ("ap_Xy7k"), into out. */
static void prefix_of(const char *start, char out[APIKEY_PREFIX_MAX + 1]) {
  const char *u = strchr(start, '_');
  size_t n = u ? (size_t)(u - start) + 1 : 0;
  if (n > APIKEY_PREFIX_MAX) n = 0;
  memcpy(out, start, n);
  out[n] = '\0';
}

void admin_secret_rotate(http_req_t *r, app_t *a, const admin_secret_kind_t *kind) {
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"grace_seconds", NULL};
  cerr_t e;
  json_t *body = NULL, *out = NULL;
  char text[APIKEY_TEXT_MAX] = "", prefix[APIKEY_PREFIX_MAX + 1], action[32], new_id[32];
  store_api_key_t old, nk;
  memset(&nk, 0, sizeof nk);
  int64_t grace = ADMIN_GRACE_DEFAULT, now = admin_now();
  if (admin_load_secret(r, a, kind, &old, &e) != 0) goto fail;
  body = admin_body(r, a, allowed, true, &e);
  if (!body || jbody_int(body, "grace_seconds", false, 0, ADMIN_GRACE_MAX, &grace, &e) != 0) goto fail;
  const char *status = admin_key_status(&old, now);
  if (strcmp(status, "active") != 0) {
    cerr_set(&e, 409, CERR_CONFLICT, NULL, "only an active %s can be rotated; this %s is %s", kind->noun,
             kind->member, status);
    goto fail;
  }
  /* A key keeps its prefix; a kind with a fixed prefix always uses it. */
  if (kind->prefix)
    snprintf(prefix, sizeof prefix, "%s", kind->prefix);
  else
    prefix_of(old.start, prefix);
  if (apikey_generate(prefix, text) != 0) {
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    goto fail;
  }
  apikey_start(text, strlen(text), nk.start);
  apikey_hash(text, strlen(text), nk.hash);
  int rc = kind->rotate(a->store, old.id, now + grace, &nk);
  if (rc == CUSTOS_EINVAL) {
    /* Revoked or rotated by someone else since we read it. */
    cerr_set(&e, 409, CERR_CONFLICT, NULL, "only an active %s can be rotated", kind->noun);
    goto fail;
  }
  if (rc != 0) {
    admin_store_error(rc, kind->noun, NULL, &e);
    goto fail;
  }
  admin_secret_changed(a, kind, &old);
  if (kind->get(a->store, old.id, &old) != 0) {
    old.grace_until = now + grace;
    snprintf(old.replaced_by, sizeof old.replaced_by, "%s", nk.id);
  }
  snprintf(new_id, sizeof new_id, "new_%s_id", kind->member);
  json_t *detail = json_pack("{s:s,s:I,s:I}", new_id, nk.id, "grace_seconds", (json_int_t)grace, "grace_until",
                             (json_int_t)now + (json_int_t)grace);
  snprintf(action, sizeof action, "%s.rotate", kind->action);
  admin_audit(a, r, actor, action, old.id, detail);
  json_decref(detail);
  out = json_pack("{s:o,s:o}", kind->member, kind->json_secret(&nk, text, now), "previous", kind->json(&old, now));
  OPENSSL_cleanse(text, sizeof text);
  json_decref(body);
  http_reply_json(r, 201, out);
  return;
fail:
  OPENSSL_cleanse(text, sizeof text);
  json_decref(body);
  admin_fail(r, &e);
}

void admin_secret_revoke(http_req_t *r, app_t *a, const admin_secret_kind_t *kind) {
  char actor[RAND_ID_MAX], action[32];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {NULL};
  cerr_t e;
  json_t *body = NULL;
  store_api_key_t k;
  int64_t now = admin_now();
  if (admin_load_secret(r, a, kind, &k, &e) != 0) goto fail;
  body = admin_body(r, a, allowed, true, &e);
  if (!body) goto fail;
  bool already = k.revoked_at != 0;
  int rc = kind->revoke(a->store, k.id, now);
  if (rc != 0) {
    admin_store_error(rc, kind->noun, NULL, &e);
    goto fail;
  }
  admin_secret_changed(a, kind, &k);
  if (!already) {
    json_t *detail = kind->revoke_detail(&k);
    snprintf(action, sizeof action, "%s.revoke", kind->action);
    admin_audit(a, r, actor, action, k.id, detail);
    json_decref(detail);
  }
  if (kind->get(a->store, k.id, &k) != 0 && !k.revoked_at) k.revoked_at = now;
  json_decref(body);
  http_reply_json(r, 200, kind->json(&k, admin_now()));
  return;
fail:
  json_decref(body);
  admin_fail(r, &e);
}
