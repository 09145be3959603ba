/*
 * users.c — /admin/v1/apps/{id}/users and the tokens of those users
 * (The Layer's Token2): creation, listing, rotation with a grace period,
 * revocation.
 *
 * Like API keys, a user token's text exists only in the response that
 * created it: generated here, hashed, wiped. Every change that could alter
 * a check's answer calls keycheck_changed() on the user-token checker, so
 * every node drops the old entry.
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

static json_t *ts_or_null(int64_t t) { return t ? json_integer(t) : json_null(); }

static json_t *user_json(const store_user_t *u) {
  return json_pack("{s:s,s:s,s:s,s:s,s:I}", "id", u->id, "account_id", u->account_id, "app_id", u->app_id,
                   "external_id", u->external_id, "created_at", (json_int_t)u->created_at);
}

/* A user token's status: the rule of API keys (admin_secret_status). */
static const char *token_status(const store_user_token_t *t, int64_t now) {
  return admin_secret_status(t->revoked_at, t->expires_at, t->grace_until, t->replaced_by[0] != '\0', now);
}

static json_t *token_json(const store_user_token_t *t, int64_t now) {
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:I}", "id", t->id, "app_id", t->app_id,
                   "account_id", t->account_id, "user_id", t->user_id, "start", t->start, "access_level",
                   t->access_level, "status", token_status(t, now), "created_at", (json_int_t)t->created_at,
                   "expires_at", ts_or_null(t->expires_at), "revoked_at", ts_or_null(t->revoked_at), "grace_until",
                   ts_or_null(t->grace_until), "replaced_by",
                   t->replaced_by[0] ? json_string(t->replaced_by) : json_null(), "last_used_at",
                   ts_or_null(t->last_used_at), "use_count", (json_int_t)t->use_count);
}

/* A token object plus its full text under "token". */
static json_t *token_with_secret(const store_user_token_t *t, const char *text, int64_t now) {
  json_t *o = token_json(t, now);
  if (o && json_object_set_new(o, "token", json_string(text)) != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static keycheck_t *kind_checker(app_t *a) { return a->user_tokens; }

static json_t *kind_json(const store_api_key_t *k, int64_t now) {
  store_user_token_t t;
  store_user_token_from_key(k, &t);
  return token_json(&t, now);
}

static json_t *kind_json_secret(const store_api_key_t *k, const char *text, int64_t now) {
  store_user_token_t t;
  store_user_token_from_key(k, &t);
  return token_with_secret(&t, text, now);
}

static json_t *kind_revoke_detail(const store_api_key_t *k) {
  return json_pack("{s:s,s:s,s:s}", "app_id", k->app_id, "user_id", k->environment_id, "start", k->start);
}

static const admin_secret_kind_t TOKEN = {
    .noun = "user token",
    .member = "token",
    .action = "user_token",
    .prefix = THELAYER_TOKEN2_PREFIX,
    .get = store_user_token_get_key,
    .rotate = store_user_token_rotate_key,
    .revoke = store_user_token_revoke,
    .checker = kind_checker,
    .json = kind_json,
    .json_secret = kind_json_secret,
    .revoke_detail = kind_revoke_detail,
};

static json_t *user_row(const void *row, const void *arg) {
  (void)arg;
  return user_json(row);
}

static json_t *token_row(const void *row, const void *now) { return token_json(row, *(const int64_t *)now); }

void admin_users_create(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"external_id", NULL};
  cerr_t e;
  json_t *body = NULL;
  const char *external_id = NULL;
  store_app_t app;
  store_user_t u;
  if (admin_load_app(r, a, &app, &e) != 0) goto fail;
  body = admin_body(r, a, allowed, false, &e);
  if (!body || jbody_str_len(body, "external_id", true, 1, STORE_NAME_LEN_MAX, &external_id, &e) != 0) goto fail;
  int rc = store_user_create(a->store, app.id, external_id, &u);
  if (rc == CUSTOS_EEXISTS) {
    cerr_set(&e, 409, CERR_CONFLICT, "external_id", "the app already has a user with this external_id");
    goto fail;
  }
  if (rc != 0) {
    admin_store_error(rc, "user", rc == CUSTOS_EINVAL ? "external_id" : NULL, &e);
    goto fail;
  }
  json_t *detail = json_pack("{s:s,s:s}", "app_id", u.app_id, "external_id", u.external_id);
  admin_audit(a, r, actor, "user.create", u.id, detail);
  json_decref(detail);
  json_decref(body);
  http_reply_json(r, 201, user_json(&u));
  return;
fail:
  json_decref(body);
  admin_fail(r, &e);
}

void admin_users_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_app_t app;
  admin_list_t l;
  if (admin_load_app(r, a, &app, &e) != 0 || admin_list_start(r, sizeof(store_user_t), NULL, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  int rc = store_user_list(a->store, app.id, admin_list_after(&l), l.limit + 1, l.rows, &l.n);
  admin_list_reply(r, &l, rc, "user", user_row, NULL, "id");
  admin_list_end(&l);
}

void admin_users_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_user_t u;
  if (admin_load_user(r, a, &u, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, user_json(&u));
}

void admin_user_tokens_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_user_t u;
  admin_list_t l;
  if (admin_load_user(r, a, &u, &e) != 0 || admin_list_start(r, sizeof(store_user_token_t), NULL, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  int rc = store_user_token_list(a->store, u.id, admin_list_after(&l), l.limit + 1, l.rows, &l.n);
  int64_t now = admin_now();
  admin_list_reply(r, &l, rc, "user token", token_row, &now, "id");
  admin_list_end(&l);
}

void admin_user_tokens_create(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX], uid[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  static const char *const allowed[] = {"access_level", "expires_at", NULL};
  cerr_t e;
  json_t *body = NULL;
  char text[APIKEY_TEXT_MAX] = "";
  const char *level = NULL;
  int64_t expires_at = 0, now = admin_now();
  store_app_t app;
  store_user_t u;
  store_user_token_t t;
  memset(&t, 0, sizeof t);
  if (admin_load_app(r, a, &app, &e) != 0) goto fail;
  int rc = route_param(&r->params, "uid", uid, sizeof uid) > 0 ? store_user_get(a->store, uid, &u) : CUSTOS_ENOTFOUND;
  if (rc == 0 && strcmp(u.app_id, app.id) != 0) rc = CUSTOS_ENOTFOUND; /* a user of another app */
  if (rc != 0) {
    admin_store_error(rc, "user", NULL, &e);
    goto fail;
  }
  body = admin_body(r, a, allowed, false, &e);
  if (!body || jbody_str(body, "access_level", true, STORE_LEVEL_MAX - 1, &level, &e) != 0 ||
      jbody_int(body, "expires_at", false, 1, EXPIRES_AT_MAX, &expires_at, &e) != 0)
    goto fail;
  if (thelayer_level(level) == THELAYER_LEVEL_NONE) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "access_level", "field 'access_level' must be one of read, write, admin");
    goto fail;
  }
  if (expires_at && expires_at <= now) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "expires_at", "field 'expires_at' must be in the future");
    goto fail;
  }
  if (apikey_generate(THELAYER_TOKEN2_PREFIX, text) != 0) {
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    goto fail;
  }
  snprintf(t.user_id, sizeof t.user_id, "%s", u.id);
  snprintf(t.access_level, sizeof t.access_level, "%s", level);
  apikey_start(text, strlen(text), t.start);
  apikey_hash(text, strlen(text), t.hash);
  t.expires_at = expires_at;
  rc = store_user_token_create(a->store, &t);
  if (rc != 0) {
    admin_store_error(rc, "user token", NULL, &e);
    goto fail;
  }
  json_t *detail = json_pack("{s:s,s:s,s:s,s:s,s:o}", "app_id", t.app_id, "user_id", t.user_id, "start", t.start,
                             "access_level", t.access_level, "expires_at",
                             expires_at ? json_integer(expires_at) : json_null());
  admin_audit(a, r, actor, "user_token.create", t.id, detail);
  json_decref(detail);
  json_decref(body);
  http_reply_json(r, 201, token_with_secret(&t, text, now));
  OPENSSL_cleanse(text, sizeof text);
  return;
fail:
  OPENSSL_cleanse(text, sizeof text);
  json_decref(body);
  admin_fail(r, &e);
}

void admin_user_tokens_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  store_user_token_t t;
  if (admin_load_user_token(r, a, &t, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  http_reply_json(r, 200, token_json(&t, admin_now()));
}

void admin_user_tokens_rotate(http_req_t *r, void *ctx) { admin_secret_rotate(r, ctx, &TOKEN); }

void admin_user_tokens_revoke(http_req_t *r, void *ctx) { admin_secret_revoke(r, ctx, &TOKEN); }
