/*
 * keys.c — /admin/v1/apps/{id}/keys and /admin/v1/keys/{id}: creation,
 * listing, scope changes, rotation with a grace period, revocation.
 *
 * The key text exists only in the response that created it: it is
 * generated here, hashed, and wiped; the store keeps the SHA-256 and the
 * visible start. Every change that could alter a check's answer calls
 * keycheck_changed() so this node's caches and every other node's drop the
 * old entry.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "auth/apikey.h"
#include "auth/keycheck.h"
#include "core/json.h"
#include "core/log.h"
#include "profiles/thelayer.h"

#define EXPIRES_AT_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define KEY_KIND "api_key"

static bool scope_name_ok(const char *s, size_t len) {
  if (len < 1 || len > ADMIN_SCOPE_LEN_MAX) return false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
          c == '.' || c == '-'))
      return false;
  }
  return true;
}

/*
 * Reads member "scopes" (an array of scope names) into out, space-separated.
 * Returns 1 when present and valid, 0 when absent (out untouched), -1 with
 * e naming the field ("scopes" or "scopes[i]").
 */
static int read_scopes(const json_t *body, bool required, char out[STORE_SCOPES_MAX], cerr_t *e) {
  json_t *arr = NULL;
  if (jbody_array(body, "scopes", required, ADMIN_SCOPES_MAX_ITEMS, &arr, e) != 0) return -1;
  if (!arr) {
    if (!required) return 0;
    /* jbody_array already refuses a missing required member; say so here
     * too, so no caller can take 0 to mean "out was written". */
    cerr_set(e, 400, CERR_MISSING_FIELD, "scopes", "field 'scopes' is required");
    return -1;
  }
  char buf[STORE_SCOPES_MAX];
  size_t used = 0;
  buf[0] = '\0';
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    char field[32];
    snprintf(field, sizeof field, "scopes[%zu]", i);
    if (!json_is_string(v))
      return cerr_set(e, 400, CERR_INVALID_FIELD, field, "field '%s' must be a string", field);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!scope_name_ok(s, len))
      return cerr_set(e, 400, CERR_INVALID_FIELD, field,
                      "field '%s' must be 1 to %d characters of A-Z a-z 0-9 _ : . -", field, ADMIN_SCOPE_LEN_MAX);
    for (size_t j = 0; j < i; j++)
      if (strcmp(json_string_value(json_array_get(arr, j)), s) == 0)
        return cerr_set(e, 400, CERR_INVALID_FIELD, field, "field '%s' repeats scope '%s'", field, s);
    if (used + (used ? 1 : 0) + len >= sizeof buf)
      return cerr_set(e, 400, CERR_INVALID_FIELD, "scopes",
                      "field 'scopes' must fit in %zu bytes when joined with spaces", sizeof buf - 1);
    if (used) buf[used++] = ' ';
    memcpy(buf + used, s, len);
    used += len;
    buf[used] = '\0';
  }
  memcpy(out, buf, used + 1);
  return 1;
}

/* Space-separated scopes → JSON array, for audit details. */
static json_t *scope_list(const char *scopes) {
  json_t *arr = json_array();
  for (const char *p = scopes; arr && *p;) {
    const char *q = strchr(p, ' ');
    size_t n = q ? (size_t)(q - p) : strlen(p);
    if (n) json_array_append_new(arr, json_stringn(p, n));
    p += n + (q ? 1 : 0);
  }
  return arr;
}

/* The environment `ref` (an id or a name) of `account_id`. */
static int find_environment(store_t *s, const char *account_id, const char *ref, store_environment_t *out) {
  store_environment_t *page = calloc(100, sizeof *page);
  if (!page) return CUSTOS_ENOMEM;
  char after[RAND_ID_MAX] = "";
  int rc = CUSTOS_ENOTFOUND;
  for (;;) {
    int n = 0;
    int lrc = store_environment_list(s, account_id, after[0] ? after : NULL, 100, page, &n);
    if (lrc != 0) {
      rc = lrc;
      break;
    }
    for (int i = 0; i < n; i++)
      if (strcmp(page[i].id, ref) == 0 || strcmp(page[i].name, ref) == 0) {
        *out = page[i];
        rc = CUSTOS_OK;
        /* An id match wins over a name match: ids cannot be chosen. */
        if (strcmp(page[i].id, ref) == 0) goto done;
      }
    if (rc == CUSTOS_OK || n < 100) break;
    snprintf(after, sizeof after, "%s", page[n - 1].id);
  }
done:
  free(page);
  return rc;
}

json_t *admin_key_json_with_secret(const store_api_key_t *k, const char *text, int64_t now) {
  json_t *o = admin_key_json(k, now);
  if (o && json_object_set_new(o, "key", json_string(text)) != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static keycheck_t *key_checker(app_t *a) { return a->keys; }

static json_t *key_revoke_detail(const store_api_key_t *k) {
  return json_pack("{s:s,s:s}", "app_id", k->app_id, "start", k->start);
}

static const admin_secret_kind_t KEY = {
    .noun = "key",
    .member = "key",
    .action = "key",
    .prefix = NULL,
    .get = store_api_key_get,
    .rotate = store_api_key_rotate,
    .revoke = store_api_key_revoke,
    .checker = key_checker,
    .json = admin_key_json,
    .json_secret = admin_key_json_with_secret,
    .revoke_detail = key_revoke_detail,
};

int admin_key_issue(app_t *a, http_req_t *r, const char *actor, const store_app_t *app, const admin_key_req_t *req,
                    char text[APIKEY_TEXT_MAX], store_api_key_t *k, cerr_t *e) {
  store_environment_t env;
  const char *prefix = req->prefix ? req->prefix : apikey_default_prefix(app->profile);
  memset(k, 0, sizeof *k);
  snprintf(k->scopes, sizeof k->scopes, "%s", req->scopes ? req->scopes : "CORE_ACCESS");
  if (strcmp(prefix, ADMIN_TOKEN_PREFIX) == 0)
    return cerr_set(e, 400, CERR_INVALID_FIELD, "prefix", "field 'prefix' %s is reserved for admin tokens",
                    ADMIN_TOKEN_PREFIX);
  int rc = find_environment(a->store, app->account_id, req->environment ? req->environment : "production", &env);
  if (rc == CUSTOS_ENOTFOUND)
    return cerr_set(e, 404, CERR_NOT_FOUND, "environment", "the app's account has no such environment");
  if (rc != 0) return admin_store_error(rc, "environment", NULL, e);
  rc = apikey_generate(prefix, text);
  if (rc == CUSTOS_EINVAL)
    return cerr_set(e, 400, CERR_INVALID_FIELD, "prefix",
                    "field 'prefix' must be 1 to %d characters of a-z 0-9 followed by '_'", APIKEY_PREFIX_MAX - 1);
  if (rc != 0) return cerr_set(e, 500, CERR_INTERNAL, NULL, "internal error");
  snprintf(k->app_id, sizeof k->app_id, "%s", app->id);
  snprintf(k->environment_id, sizeof k->environment_id, "%s", env.id);
  /* A thelayer app's keys are its Token1s (docs/profiles/thelayer.md). */
  snprintf(k->kind, sizeof k->kind, "%s", strcmp(app->profile, "thelayer") == 0 ? THELAYER_TOKEN1_KIND : KEY_KIND);
  snprintf(k->name, sizeof k->name, "%s", req->name ? req->name : "");
  apikey_start(text, strlen(text), k->start);
  apikey_hash(text, strlen(text), k->hash);
  k->expires_at = req->expires_at;
  rc = store_api_key_create(a->store, k);
  if (rc != 0) {
    OPENSSL_cleanse(text, APIKEY_TEXT_MAX);
    return admin_store_error(rc, "key", NULL, e);
  }
  json_t *detail = json_pack("{s:s,s:s,s:s,s:o,s:o}", "app_id", k->app_id, "environment_id", k->environment_id,
                             "start", k->start, "scopes", scope_list(k->scopes), "expires_at",
                             k->expires_at ? json_integer(k->expires_at) : json_null());
  admin_audit(a, r, actor, "key.create", k->id, detail);
  json_decref(detail);
  return 0;
}

void admin_keys_create(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"environment", "name", "scopes", "expires_at", "prefix", NULL};
  cerr_t e;
  json_t *body = NULL;
  char text[APIKEY_TEXT_MAX] = "", scopes[STORE_SCOPES_MAX] = "CORE_ACCESS";
  store_app_t app;
  store_api_key_t k;
  admin_key_req_t req = {0};
  if (admin_load_app(r, a, &app, &e) != 0) goto fail;
  int64_t now = admin_now();
  body = admin_body(r, a, allowed, true, &e);
  if (!body || jbody_str_len(body, "environment", false, 1, STORE_NAME_LEN_MAX, &req.environment, &e) != 0 ||
      jbody_str(body, "name", false, STORE_NAME_LEN_MAX, &req.name, &e) != 0 ||
      jbody_int(body, "expires_at", false, 1, EXPIRES_AT_MAX, &req.expires_at, &e) != 0 ||
      jbody_str_len(body, "prefix", false, 2, APIKEY_PREFIX_MAX, &req.prefix, &e) != 0)
    goto fail;
  if (read_scopes(body, false, scopes, &e) < 0) goto fail;
  req.scopes = scopes;
  if (req.expires_at && req.expires_at <= now) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "expires_at", "field 'expires_at' must be in the future");
    goto fail;
  }
  if (admin_key_issue(a, r, actor, &app, &req, text, &k, &e) != 0) goto fail;
  json_decref(body);
  http_reply_json(r, 201, admin_key_json_with_secret(&k, text, now));
  OPENSSL_cleanse(text, sizeof text);
  return;
fail:
  OPENSSL_cleanse(text, sizeof text);
  json_decref(body);
  admin_fail(r, &e);
}

static json_t *key_row(const void *row, const void *now) { return admin_key_json(row, *(const int64_t *)now); }

void admin_keys_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_app_t app;
  admin_list_t l;
  if (admin_load_app(r, a, &app, &e) != 0 || admin_list_start(r, sizeof(store_api_key_t), NULL, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  int rc = store_api_key_list(a->store, app.id, admin_list_after(&l), l.limit + 1, l.rows, &l.n);
  int64_t now = admin_now();
  admin_list_reply(r, &l, rc, "key", key_row, &now, "id");
  admin_list_end(&l);
}

void admin_keys_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_api_key_t k;
  if (admin_load_key(r, a, &k, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, admin_key_json(&k, admin_now()));
}

void admin_keys_patch(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"scopes", NULL};
  cerr_t e;
  json_t *body = NULL;
  store_api_key_t k;
  char scopes[STORE_SCOPES_MAX] = "";
  if (admin_load_key(r, a, &k, &e) != 0) goto fail;
  body = admin_body(r, a, allowed, false, &e);
  if (!body || read_scopes(body, true, scopes, &e) < 0) goto fail;
  int rc = store_api_key_set_scopes(a->store, k.id, scopes);
  if (rc != 0) {
    admin_store_error(rc, "key", rc == CUSTOS_EINVAL ? "scopes" : NULL, &e);
    goto fail;
  }
  admin_secret_changed(a, &KEY, &k);
  json_t *detail = json_pack("{s:o,s:o}", "scopes", scope_list(scopes), "previous", scope_list(k.scopes));
  admin_audit(a, r, actor, "key.scopes", k.id, detail);
  json_decref(detail);
  json_decref(body);
  /* Re-read so the answer is what is stored, not what we think it is. */
  rc = store_api_key_get(a->store, k.id, &k);
  if (rc != 0) snprintf(k.scopes, sizeof k.scopes, "%s", scopes);
  http_reply_json(r, 200, admin_key_json(&k, admin_now()));
  return;
fail:
  json_decref(body);
  admin_fail(r, &e);
}

void admin_keys_rotate(http_req_t *r, void *ctx) { admin_secret_rotate(r, ctx, &KEY); }

void admin_keys_revoke(http_req_t *r, void *ctx) { admin_secret_revoke(r, ctx, &KEY); }
