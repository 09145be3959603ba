/*
 * thelayer.c — The Layer's credential style: Token1 + Token2 headers.
 *
 * Token1 is an API key (kind app_token, prefix tl_) of an app whose
 * profile is thelayer, checked by the shared key-check service. Token2 is a
 * user token (prefix tlu_) of one of that app's users, checked by a second
 * key-check instance over the user_token table: same cache, rate limit,
 * usage batching and cross-node invalidation. The route policy's class
 * names the access level the route needs (read < write < admin).
 *
 * The seed publishes no error bodies; these are custos's, documented in
 * docs/profiles/thelayer.md and stable: {"error":{"code","message"}}.
 */
#include "profiles/thelayer.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/apikey.h"
#include "auth/keycheck.h"
#include "http/render.h"
#include "server/app.h"

static const char *const CLASSES[] = {"read", "write", "admin", NULL};

int thelayer_level(const char *name) {
  if (!name) return THELAYER_LEVEL_NONE;
  if (strcmp(name, "read") == 0) return THELAYER_LEVEL_READ;
  if (strcmp(name, "write") == 0) return THELAYER_LEVEL_WRITE;
  if (strcmp(name, "admin") == 0) return THELAYER_LEVEL_ADMIN;
  return THELAYER_LEVEL_NONE;
}

/* Which token an answer is about: codes and messages name it. */
typedef struct which {
  const char *invalid_code, *invalid_msg, *expired_code, *expired_msg;
} which_t;

static const which_t TOKEN1 = {"TOKEN1_INVALID", "Token1 is invalid or has been revoked", "TOKEN1_EXPIRED",
                               "Token1 has expired"};
static const which_t TOKEN2 = {"TOKEN2_INVALID", "Token2 is invalid or has been revoked", "TOKEN2_EXPIRED",
                               "Token2 has expired"};

static int deny(cerr_t *e, int status, const char *code, const char *msg) {
  cerr_set(e, status, code, NULL, "%s", msg);
  return CUSTOS_EDENIED;
}

/* Maps a keycheck result to The Layer's answer. Returns rc. */
static int refuse(int rc, const which_t *w, const keycheck_result_t *res, cerr_t *e) {
  switch (rc) {
  case CUSTOS_EEXPIRED: cerr_set(e, 401, w->expired_code, NULL, "%s", w->expired_msg); break;
  case CUSTOS_ELIMIT:
    cerr_set(e, 429, "RATE_LIMITED", NULL, "Too many requests; retry later");
    e->retry_after_s = res->retry_after_s > 0 ? res->retry_after_s : 1;
    break;
  case CUSTOS_ESTORE:
  case CUSTOS_ENOMEM:
    cerr_set(e, 503, "SERVICE_UNAVAILABLE", NULL, "Authentication is temporarily unavailable");
    e->retry_after_s = 1;
    rc = CUSTOS_ESTORE;
    break;
  default:
    cerr_set(e, 401, w->invalid_code, NULL, "%s", w->invalid_msg);
    rc = CUSTOS_EDENIED;
    break;
  }
  return rc;
}

/* A header value as a token: bounded, trailing spaces dropped. */
static const char *token(const authreq_t *rq, const char *name, size_t *len) {
  const char *v = authreq_header(rq, name);
  if (!v) return NULL;
  size_t n = strnlen(v, APIKEY_TEXT_MAX + 1);
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  *len = n;
  return n ? v : NULL;
}

static void put(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static int check(struct app *a, const authreq_t *rq, const route_policy_t *pol, identity_t *id, cerr_t *e) {
  size_t l1 = 0, l2 = 0;
  const char *t1 = token(rq, "Token1", &l1);
  if (!t1) return deny(e, 401, "TOKEN1_MISSING", "Token1 header is required");
  const char *t2 = token(rq, "Token2", &l2);
  if (!t2) return deny(e, 401, "TOKEN2_MISSING", "Token2 header is required");

  int64_t now = (int64_t)time(NULL);
  keycheck_result_t r1, r2;
  int rc = l1 > APIKEY_TEXT_MAX ? CUSTOS_EINVAL : keycheck_verify(a->keys, t1, l1, now, &r1);
  /* Only keys made for a thelayer app are Token1s: an API key of another
   * profile's app is not one, whatever it reaches elsewhere. */
  if (rc == CUSTOS_OK && strcmp(r1.kind, THELAYER_TOKEN1_KIND) != 0) rc = CUSTOS_EINVAL;
  if (rc != CUSTOS_OK) return refuse(rc, &TOKEN1, &r1, e);

  if (!a->user_tokens) rc = CUSTOS_ESTORE;
  else if (l2 > APIKEY_TEXT_MAX) rc = CUSTOS_EINVAL;
  else rc = keycheck_verify(a->user_tokens, t2, l2, now, &r2);
  if (rc != CUSTOS_OK) return refuse(rc, &TOKEN2, &r2, e);

  if (strcmp(r1.app_id, r2.app_id) != 0)
    return deny(e, 401, "TOKEN_MISMATCH", "Token2 was not issued for this application");

  /* The route's class is the level it needs; its scopes, what Token1 must carry. */
  int need = pol->route_class[0] ? thelayer_level(pol->route_class) : THELAYER_LEVEL_READ;
  bool scopes_ok = true;
  for (const char *p = pol->scopes; *p && scopes_ok;) {
    size_t n = strcspn(p, " ");
    char one[STORE_SCOPES_MAX];
    memcpy(one, p, n);
    one[n] = '\0';
    scopes_ok = scopes_has(r1.scopes, one);
    p += n;
    while (*p == ' ') p++;
  }
  if (need == THELAYER_LEVEL_NONE || thelayer_level(r2.scopes) < need || !scopes_ok)
    return deny(e, 403, "INSUFFICIENT_ACCESS", "This token does not have access to this resource");

  put(id->profile, sizeof id->profile, "thelayer");
  put(id->account_id, sizeof id->account_id, r1.account_id);
  put(id->app_id, sizeof id->app_id, r1.app_id);
  /* The user token's third id slot is its user (see src/store/store.h). */
  put(id->subject, sizeof id->subject, r2.environment_id);
  id->entity[0] = '\0';
  put(id->scopes, sizeof id->scopes, r1.scopes);
  put(id->token_id, sizeof id->token_id, r2.key_id);
  id->nextra = 2;
  put(id->extra[0].name, sizeof id->extra[0].name, "X-Custos-Access-Level");
  put(id->extra[0].value, sizeof id->extra[0].value, r2.scopes);
  put(id->extra[1].name, sizeof id->extra[1].name, "X-Custos-App-Token-Id");
  put(id->extra[1].value, sizeof id->extra[1].value, r1.key_id);
  return CUSTOS_OK;
}

const profile_t profile_thelayer = {
    .name = "thelayer",
    .render = render_code_message,
    .register_routes = NULL,
    .check = check,
    .classes = CLASSES,
};
