/*
 * assetpay.c — AssetPay (seed: assetpay-client-authentication.txt,
 * docs/profiles/assetpay.md).
 *
 *  - POST /auth/authenticate-client: an `api-key: ap_…` with CORE_ACCESS
 *    turns a Steam user into an HS256 client token signed with the
 *    merchant's API secret, byte for byte what npm jose's SignJWT makes.
 *  - check, class "client": the raw client token in Authorization (custos
 *    minted or merchant minted), verified with the merchant's current or
 *    in-grace previous secret.
 *  - check, class "secure": the api-key header with the policy's scopes; a
 *    READ_ONLY key reaches only GET and HEAD.
 */
#include "profiles/assetpay.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/apikey.h"
#include "auth/keycheck.h"
#include "core/json.h"
#include "core/jsjson.h"
#include "core/log.h"
#include "http/render.h"
#include "jose/jws.h"
#include "jose/jwt.h"
#include "profiles/assetpay_client.h"
#include "profiles/assetpay_merchant.h"
#include "server/app.h"

static const char *const CLASSES[] = {"client", "secure", NULL};

static int deny(cerr_t *e, int status, const char *code, const char *msg) {
  cerr_set(e, status, code, NULL, "%s", msg);
  return status == 503 ? CUSTOS_ESTORE : CUSTOS_EDENIED;
}

static int unavailable(cerr_t *e) {
  cerr_set(e, 503, AP_ERR_UNAVAILABLE, NULL, "Authentication is temporarily unavailable");
  e->retry_after_s = 1;
  return CUSTOS_ESTORE;
}

static void put(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

void ap_risk_params_from_config(const config_t *c, ap_risk_params_t *p) {
  p->base_limit = c->ap_risk_base_limit;
  p->kyc_bonus = c->ap_risk_kyc_bonus;
  p->method_bonus = c->ap_risk_method_bonus;
  p->wager_percent = c->ap_risk_wager_percent;
  p->wager_ceiling = c->ap_risk_wager_ceiling;
  p->top_boost = c->ap_risk_top_boost;
}

/* --- API keys --------------------------------------------------------------- */

/*
 * Checks the api-key header: valid, of an assetpay app. On CUSTOS_OK fills
 * *res; otherwise e holds the answer.
 */
static int check_key(app_t *a, const char *v, keycheck_result_t *res, cerr_t *e) {
  if (!v) return deny(e, 401, AP_ERR_MISSING_API_KEY, "API key is required in the api-key header");
  size_t n = strnlen(v, APIKEY_TEXT_MAX + 1);
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  if (n == 0) return deny(e, 401, AP_ERR_MISSING_API_KEY, "API key is required in the api-key header");
  int rc = n > APIKEY_TEXT_MAX ? CUSTOS_EINVAL : keycheck_verify(a->keys, v, n, (int64_t)time(NULL), res);
  if (rc == CUSTOS_OK) {
    bool merchant = false;
    if (!a->merchants || ap_app_is_merchant(a->merchants, res->app_id, &merchant) != CUSTOS_OK)
      return unavailable(e);
    if (!merchant) rc = CUSTOS_EINVAL; /* a key of another profile's app is not an AssetPay key */
  }
  switch (rc) {
  case CUSTOS_OK: return CUSTOS_OK;
  case CUSTOS_ELIMIT:
    cerr_set(e, 429, AP_ERR_RATE_LIMITED, NULL, "Too many requests; retry later");
    e->retry_after_s = res->retry_after_s > 0 ? res->retry_after_s : 1;
    return CUSTOS_ELIMIT;
  case CUSTOS_ESTORE:
  case CUSTOS_ENOMEM: return unavailable(e);
  default: return deny(e, 401, AP_ERR_INVALID_API_KEY, "API key is invalid or expired");
  }
}

static bool read_method(const char *m) { return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0; }

/*
 * Scopes: every scope the route requires, except that on GET and HEAD a
 * READ_ONLY key stands for them all ("All read-only endpoints"); a key
 * with READ_ONLY and nothing else never reaches another method.
 */
static int check_scopes(const char *have, const char *need, const char *method, cerr_t *e) {
  bool read = read_method(method);
  if (strcmp(have, AP_SCOPE_READ_ONLY) == 0 && !read)
    return deny(e, 403, AP_ERR_INSUFFICIENT_SCOPE, "READ_ONLY API keys may only make GET and HEAD requests");
  if (read && scopes_has(have, AP_SCOPE_READ_ONLY)) return CUSTOS_OK;
  for (const char *p = need; *p;) {
    size_t n = strcspn(p, " ");
    char one[STORE_SCOPES_MAX];
    memcpy(one, p, n);
    one[n] = '\0';
    if (n && !scopes_has(have, one)) {
      cerr_set(e, 403, AP_ERR_INSUFFICIENT_SCOPE, NULL, "API key lacks the %s scope", one);
      return CUSTOS_EDENIED;
    }
    p += n;
    while (*p == ' ') p++;
  }
  return CUSTOS_OK;
}

/* --- POST /auth/authenticate-client ---------------------------------------- */

static void fail(http_req_t *r, const cerr_t *e) { http_reply_error(r, e); }

/* Signs the client token: header {"alg":"HS256","userId":MID}, payload as
 * ap_token_payload. *out is malloc'd. */
static int mint(const ap_merchant_t *m, const ap_client_req_t *c, int64_t iat, char **out) {
  char header[64];
  char num[JSJSON_NUMBER_MAX];
  jsjson_number((double)m->merchant_id, num);
  int hlen = snprintf(header, sizeof header, "{\"alg\":\"HS256\",\"userId\":%s}", num);
  buf_t payload;
  buf_init(&payload, 0);
  int rc = ap_token_payload(&payload, c, iat);
  if (rc == CUSTOS_OK)
    rc = jose_jws_sign(jose_jwks_at(m->current, 0), JOSE_ALG_HS256, header, (size_t)hlen, payload.data,
                       payload.len, out, NULL);
  buf_cleanup(&payload);
  return rc;
}

static void authenticate_client(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  cerr_t e;
  keycheck_result_t res;
  ap_merchant_t m;
  json_t *body = NULL;
  char *token = NULL;
  buf_t cd, out;
  memset(&m, 0, sizeof m);
  buf_init(&cd, 0);
  buf_init(&out, 0);

  if (r->method_id != HTTP_POST) {
    /* Registered for every method so that this, too, is in AssetPay's shape. */
    (void)http_add_header(r, "Allow", "POST");
    cerr_set(&e, 405, CERR_METHOD_NOT_ALLOWED, NULL, "method not allowed; use POST");
    goto fail;
  }
  if (check_key(a, http_header(r, "api-key"), &res, &e) != CUSTOS_OK) goto fail;
  if (check_scopes(res.scopes, AP_SCOPE_CORE_ACCESS, "POST", &e) != CUSTOS_OK) goto fail;

  jbody_limits_t lim = {.max_bytes = a->cfg.max_body_bytes,
                        .max_depth = a->cfg.json_max_depth,
                        .numbers_as_double = true};
  body = jbody_parse(r->body.data ? r->body.data : "", r->body.len, &lim, &e);
  if (!body) goto fail;
  ap_client_req_t c;
  if (ap_client_parse(body, a->cfg.ap_reject_partner_mismatch, &c, &e) != 0) goto fail;

  int rc = ap_merchant_by_app(a->merchants, res.app_id, &m);
  if (rc == CUSTOS_OK && !m.current) rc = CUSTOS_ENOTFOUND;
  if (rc == CUSTOS_ENOTFOUND) {
    deny(&e, 403, AP_ERR_MERCHANT_NOT_CONFIGURED, "No API secret has been created for this merchant yet");
    goto fail;
  }
  if (rc != CUSTOS_OK) {
    unavailable(&e);
    goto fail;
  }

  ap_risk_params_t rp;
  ap_risk_input_t ri;
  ap_risk_params_from_config(&a->cfg, &rp);
  ap_risk_input(c.client_data, &ri);

  store_ap_client_t row;
  memset(&row, 0, sizeof row);
  put(row.app_id, sizeof row.app_id, res.app_id);
  put(row.steam_id, sizeof row.steam_id, c.steam_id);
  put(row.trade_url, sizeof row.trade_url, c.trade_url);
  if (c.client_id) put(row.client_id, sizeof row.client_id, c.client_id);
  row.partner_match = c.partner_match;
  row.risk_limit = ap_risk_limit(&rp, &ri);
  row.risk_tier = ap_risk_tier(&ri);
  if (c.client_data) {
    if (jsjson_dump(&cd, c.client_data) != CUSTOS_OK || cd.len > STORE_CLIENT_DATA_MAX) {
      cerr_set(&e, 400, AP_ERR_VALIDATION, "clientData", "field 'clientData' is too large or too deeply nested");
      goto fail;
    }
    row.client_data = cd.data;
  }
  int64_t iat = (int64_t)time(NULL);
  row.updated_at = iat;
  if (mint(&m, &c, iat, &token) != CUSTOS_OK) {
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    goto fail;
  }
  rc = store_ap_client_upsert(a->store, &row);
  if (rc != CUSTOS_OK) {
    log_msg(LOG_ERROR, "assetpay: cannot store client of %s: %s", res.app_id, custos_strerror(rc));
    unavailable(&e);
    goto fail;
  }

  int wrc = buf_puts(&out, "{\"requestId\":");
  if (!wrc) wrc = jsjson_string(&out, r->request_id, strlen(r->request_id));
  if (!wrc) wrc = buf_puts(&out, ",\"success\":true,\"data\":{\"token\":\"");
  if (!wrc) wrc = buf_puts(&out, token);
  if (!wrc) wrc = buf_puts(&out, "\"}}");
  if (wrc) {
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    goto fail;
  }
  http_reply(r, 200, "application/json", &out);
  goto done;
fail:
  fail(r, &e);
done:
  free(token);
  ap_merchant_release(&m);
  buf_cleanup(&cd);
  buf_cleanup(&out);
  json_decref(body);
}

static int register_routes(struct app *a) {
  const unsigned all = HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE | HTTP_OPTIONS | HTTP_OTHER;
  return router_add(&a->router, all, "/auth/authenticate-client", authenticate_client, a, "assetpay");
}

/* --- gateway checks ----------------------------------------------------------- */

/* The token's header "userId": a positive integer below 2^53. */
static int64_t header_mid(const char *tok, size_t len) {
  jose_jws_t jws;
  memset(&jws, 0, sizeof jws);
  if (jose_jws_parse(tok, len, 0, 0, &jws) != CUSTOS_OK) return 0;
  json_t *v = json_object_get(jws.header, "userId");
  int64_t mid = 0;
  if (json_is_integer(v) && json_integer_value(v) > 0) mid = json_integer_value(v);
  else if (json_is_real(v) && json_real_value(v) >= 1 && json_real_value(v) < 9007199254740992.0 &&
           json_real_value(v) == (double)(int64_t)json_real_value(v))
    mid = (int64_t)json_real_value(v);
  jose_jws_cleanup(&jws);
  return mid;
}

static int check_client(app_t *a, const authreq_t *rq, identity_t *id, cerr_t *e) {
  const char *v = authreq_header(rq, "Authorization");
  if (v && strncasecmp(v, "Bearer ", 7) == 0) v += 7; /* tolerated, though the seed sends it raw */
  while (v && (*v == ' ' || *v == '\t')) v++;
  if (!v || !*v) return deny(e, 401, AP_ERR_MISSING_CLIENT_TOKEN, "Client token is required in the Authorization header");
  size_t len = strnlen(v, JOSE_JWS_MAX_BYTES + 1);
  while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t')) len--;
  if (len > JOSE_JWS_MAX_BYTES) return deny(e, 401, AP_ERR_INVALID_CLIENT_TOKEN, "Client token is invalid");
  int64_t mid = header_mid(v, len);
  if (mid <= 0) return deny(e, 401, AP_ERR_INVALID_CLIENT_TOKEN, "Client token is invalid");
  if (!a->merchants) return unavailable(e);

  ap_merchant_t m;
  int rc = ap_merchant_by_mid(a->merchants, mid, &m);
  if (rc == CUSTOS_ENOTFOUND) return deny(e, 401, AP_ERR_INVALID_CLIENT_TOKEN, "Client token is invalid");
  if (rc != CUSTOS_OK) return unavailable(e);

  static const jose_alg_t ALGS[] = {JOSE_ALG_HS256};
  jose_policy_t pol;
  jose_policy_init(&pol);
  pol.algs = ALGS;
  pol.nalgs = 1;
  pol.require_exp = true;
  json_t *claims = NULL;
  rc = m.current ? jose_jwt_verify(v, len, m.current, &pol, &claims, NULL, NULL) : CUSTOS_EKEY;
  if ((rc == CUSTOS_EBADSIG || rc == CUSTOS_EKEY) && m.previous && (int64_t)time(NULL) < m.previous_until)
    rc = jose_jwt_verify(v, len, m.previous, &pol, &claims, NULL, NULL);
  if (rc == CUSTOS_ENOMEM || rc == CUSTOS_ECRYPTO) {
    ap_merchant_release(&m);
    return unavailable(e);
  }
  if (rc != CUSTOS_OK) {
    ap_merchant_release(&m);
    if (rc == CUSTOS_EEXPIRED) return deny(e, 401, AP_ERR_CLIENT_TOKEN_EXPIRED, "Client token has expired");
    return deny(e, 401, AP_ERR_INVALID_CLIENT_TOKEN, "Client token is invalid");
  }
  const json_t *client = json_object_get(claims, "client");
  const json_t *sid = json_object_get(client, "steamID");
  if (!json_is_object(client) || !json_is_string(sid) ||
      !ap_steam_id_valid(json_string_value(sid), json_string_length(sid))) {
    json_decref(claims);
    ap_merchant_release(&m);
    return deny(e, 401, AP_ERR_INVALID_CLIENT_TOKEN, "Client token is invalid");
  }
  /* The risk limit comes from the token's own clientData: the same number
   * custos stored when it minted the token, and the merchant's own data
   * for tokens it minted itself; no store read on this path. */
  ap_risk_params_t rp;
  ap_risk_input_t ri;
  ap_risk_params_from_config(&a->cfg, &rp);
  ap_risk_input(json_object_get(client, "clientData"), &ri);
  const json_t *cid = json_object_get(client, "clientId");

  put(id->profile, sizeof id->profile, "assetpay");
  put(id->account_id, sizeof id->account_id, m.account_id);
  put(id->app_id, sizeof id->app_id, m.app_id);
  put(id->subject, sizeof id->subject, json_string_value(sid));
  id->entity[0] = '\0';
  id->scopes[0] = '\0';
  id->token_id[0] = '\0';
  int n = 0;
  put(id->extra[n].name, sizeof id->extra[n].name, "X-Custos-Risk-Limit");
  snprintf(id->extra[n].value, sizeof id->extra[n].value, "%lld", (long long)ap_risk_limit(&rp, &ri));
  n++;
  put(id->extra[n].name, sizeof id->extra[n].name, "X-Custos-Risk-Tier");
  snprintf(id->extra[n].value, sizeof id->extra[n].value, "%d", ap_risk_tier(&ri));
  n++;
  put(id->extra[n].name, sizeof id->extra[n].name, "X-Custos-Merchant-Id");
  snprintf(id->extra[n].value, sizeof id->extra[n].value, "%lld", (long long)m.merchant_id);
  n++;
  /* A clientId that is not a plain header value is left out, not mangled. */
  if (json_is_string(cid) && json_string_length(cid) < IDENTITY_FIELD_MAX) {
    const char *s = json_string_value(cid);
    bool plain = json_string_length(cid) > 0;
    for (const char *p = s; *p && plain; p++) plain = (unsigned char)*p >= 0x20 && *p != 0x7f;
    if (plain) {
      put(id->extra[n].name, sizeof id->extra[n].name, "X-Custos-Client-Id");
      put(id->extra[n].value, sizeof id->extra[n].value, s);
      n++;
    }
  }
  id->nextra = n;
  json_decref(claims);
  ap_merchant_release(&m);
  return CUSTOS_OK;
}

static int check_secure(app_t *a, const authreq_t *rq, const route_policy_t *pol, identity_t *id, cerr_t *e) {
  keycheck_result_t res;
  int rc = check_key(a, authreq_header(rq, "api-key"), &res, e);
  if (rc != CUSTOS_OK) return rc;
  if ((rc = check_scopes(res.scopes, pol->scopes, rq->method, e)) != CUSTOS_OK) return rc;
  put(id->profile, sizeof id->profile, "assetpay");
  put(id->account_id, sizeof id->account_id, res.account_id);
  put(id->app_id, sizeof id->app_id, res.app_id);
  id->subject[0] = '\0';
  id->entity[0] = '\0';
  put(id->scopes, sizeof id->scopes, res.scopes);
  put(id->token_id, sizeof id->token_id, res.key_id);
  id->nextra = 0;
  return CUSTOS_OK;
}

static int check(struct app *a, const authreq_t *rq, const route_policy_t *pol, identity_t *id, cerr_t *e) {
  /* Build aside: *id is written only on success. */
  identity_t tmp;
  memset(&tmp, 0, sizeof tmp);
  int rc = strcmp(pol->route_class, "secure") == 0 ? check_secure(a, rq, pol, &tmp, e) : check_client(a, rq, &tmp, e);
  if (rc == CUSTOS_OK) *id = tmp;
  return rc;
}

const profile_t profile_assetpay = {
    .name = "assetpay",
    .render = render_assetpay,
    .register_routes = register_routes,
    .check = check,
    .classes = CLASSES,
};
