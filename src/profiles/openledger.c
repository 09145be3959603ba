/*
 * openledger.c — Open Ledger's credential style (docs/profiles/openledger.md).
 *
 *   POST /v1/auth/tokens                  {"apiKey","id","userType":"developer"}
 *   POST /v1/entities/auth/generate-token {"apiKey","id","userType":"entity"}
 *     → 200 {"access_token","token_type":"Bearer","expires_in"}
 *   protected routes (profile check, through /v1/check and route policies):
 *     Authorization: Bearer <RS256 JWT>, ?entityId= for developer tokens
 *
 * The API key is checked by the shared key-check service and must belong
 * to an app whose profile is openledger; tokens are signed by the shared
 * signer (RS256, active key, kid in the header) and verified against the
 * keys its JWKS publishes. Errors render as the seed prints them:
 * {"error":{"code","message"}}.
 */
#include "profiles/openledger.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/apikey.h"
#include "auth/keycheck.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"
#include "jose/jwt.h"
#include "jose/signer.h"
#include "lib/claims.h"
#include "server/app.h"

static const char *const CLASSES[] = {OPENLEDGER_CLASS_DEVELOPER, OPENLEDGER_CLASS_ENTITY, NULL};
static const jose_alg_t ALGS[] = {JOSE_ALG_RS256};

/* The seed's messages, word for word. */
#define MSG_HEADER_REQUIRED "Authorization header is required"
#define MSG_INVALID_TOKEN "Invalid authentication token"
#define MSG_INVALID_KEY "API key is invalid or expired"
#define MSG_ENTITY_ON_DEVELOPER "Entity tokens cannot access developer routes"
/* Ours, where the seed is silent. */
#define MSG_ENTITY_MISMATCH "Entity tokens can only access their own entity"
#define MSG_ENTITY_DENIED "This token does not have access to the requested entity"
#define MSG_KEY_NOT_DEVELOPER "API key does not belong to this developer"
#define MSG_KEY_NOT_ENTITY "API key does not have access to this entity"
#define MSG_SCOPE "Token does not have the required scope"
#define MSG_ENTITY_REQUIRED "entityId query parameter is required"

static int deny(cerr_t *e, int status, const char *code, const char *msg) {
  cerr_set(e, status, code, NULL, "%s", msg);
  return CUSTOS_EDENIED;
}

static int unavailable(cerr_t *e) {
  cerr_set(e, 503, "SERVICE_UNAVAILABLE", NULL, "Authentication is temporarily unavailable");
  e->retry_after_s = 1;
  return CUSTOS_ESTORE;
}

static void put(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* ---- token issuing ---------------------------------------------------------- */

typedef struct token_req {
  const char *api_key;  /* borrowed from the parsed body */
  const char *id;       /* developer (account) id or entity id */
  int64_t lifetime;     /* requested seconds; 0 = OPENLEDGER_DEFAULT_LIFETIME */
} token_req_t;

/* A required, non-empty string member. */
static int need_string(const json_t *body, const char *name, const char **out, cerr_t *e) {
  const json_t *v = json_object_get(body, name);
  /* Explicit -1s: cerr_set's return value is not visible to the analyzer. */
  if (!v) {
    cerr_set(e, 400, OL_VALIDATION_ERROR, name, "%s is required", name);
    return -1;
  }
  const char *s = json_string_value(v);
  if (!s || json_string_length(v) == 0) {
    cerr_set(e, 400, OL_VALIDATION_ERROR, name, "%s must be a non-empty string", name);
    return -1;
  }
  *out = s;
  return 0;
}

/*
 * Reads the seed's body: apiKey, id, userType (must be `user_type`), and
 * optionally expiresIn (seconds, a positive integer; also accepted as
 * expires_in). Unknown members are ignored, as the platform's SDKs send
 * more than the seed lists. 0, or -1 with a 400/413 in e.
 */
static int parse_token_req(http_req_t *r, app_t *a, const char *user_type, json_t **root,
                           token_req_t *out, cerr_t *e) {
  jbody_limits_t lim = {.max_bytes = a->cfg.max_body_bytes, .max_depth = a->cfg.json_max_depth};
  json_t *body = jbody_parse(r->body.data ? r->body.data : "", r->body.len, &lim, e);
  if (!body) return -1;
  *root = body;
  const char *ut = NULL;
  if (need_string(body, "apiKey", &out->api_key, e) || need_string(body, "id", &out->id, e) ||
      need_string(body, "userType", &ut, e))
    return -1;
  if (!ut || strcmp(ut, user_type) != 0)
    return cerr_set(e, 400, OL_VALIDATION_ERROR, "userType", "userType must be \"%s\"", user_type);
  out->lifetime = 0;
  const json_t *x = json_object_get(body, "expiresIn");
  const char *xname = "expiresIn";
  if (!x) {
    x = json_object_get(body, "expires_in");
    xname = "expires_in";
  }
  if (x) {
    if (!json_is_integer(x) || json_integer_value(x) < 1)
      return cerr_set(e, 400, OL_VALIDATION_ERROR, xname, "%s must be a positive integer (seconds)",
                      xname);
    out->lifetime = (int64_t)json_integer_value(x);
  }
  return 0;
}

/* Checks the key: valid, and of an openledger app. Fills *res. */
static int check_key(app_t *a, const char *key, keycheck_result_t *res, cerr_t *e) {
  size_t len = strlen(key);
  int rc = len > APIKEY_TEXT_MAX ? CUSTOS_EINVAL
                                 : keycheck_verify(a->keys, key, len, (int64_t)time(NULL), res);
  switch (rc) {
  case CUSTOS_OK: break;
  case CUSTOS_ELIMIT:
    cerr_set(e, 429, "RATE_LIMITED", NULL, "Too many requests; retry later");
    e->retry_after_s = res->retry_after_s > 0 ? res->retry_after_s : 1;
    return -1;
  case CUSTOS_ESTORE:
  case CUSTOS_ENOMEM: unavailable(e); return -1;
  default: deny(e, 401, OL_INVALID_API_KEY, MSG_INVALID_KEY); return -1;
  }
  /* Only keys made for an Open Ledger app are Open Ledger keys. Token
   * issuing is not the hot path: one app lookup is fine here. */
  store_app_t app;
  rc = store_app_get(a->store, res->app_id, &app);
  if (rc == CUSTOS_ESTORE) {
    unavailable(e);
    return -1;
  }
  if (rc != CUSTOS_OK || strcmp(app.profile, OPENLEDGER_PROFILE) != 0) {
    deny(e, 401, OL_INVALID_API_KEY, MSG_INVALID_KEY);
    return -1;
  }
  return 0;
}

/* The lifetime to grant: the request's (or the default), clamped to the
 * account's maximum (or openledger.max_token_lifetime). */
static int lifetime_for(app_t *a, const char *account_id, int64_t requested, int64_t *out, cerr_t *e) {
  int64_t max = 0;
  int rc = store_account_token_lifetime(a->store, account_id, &max);
  if (rc != CUSTOS_OK) {
    if (rc == CUSTOS_ESTORE) return unavailable(e), -1;
    deny(e, 401, OL_INVALID_API_KEY, MSG_INVALID_KEY);
    return -1;
  }
  if (max <= 0) max = a->cfg.ol_max_lifetime_s;
  int64_t want = requested > 0 ? requested : OPENLEDGER_DEFAULT_LIFETIME;
  *out = want < max ? want : max;
  return 0;
}

/* Signs and answers {"access_token","token_type":"Bearer","expires_in"}. */
static void issue(http_req_t *r, app_t *a, const keycheck_result_t *key, const char *user_type,
                  const char *subject, const char *entity, int64_t lifetime) {
  cerr_t e;
  char jti[RAND_ID_MAX];
  char *token = NULL;
  json_t *claims = NULL;
  int64_t now = (int64_t)time(NULL);
  int rc = rand_id(jti, "tok");
  if (rc == CUSTOS_OK) {
    claims = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "iss", a->cfg.ol_issuer,
                       "sub", subject, "aud", a->cfg.ol_audience, "iat", (json_int_t)now, "exp",
                       (json_int_t)now + (json_int_t)lifetime, "jti", jti, "user_type", user_type,
                       "developer_id", key->account_id, "app_id", key->app_id, "scope", key->scopes);
    if (!claims) rc = CUSTOS_ENOMEM;
  }
  if (rc == CUSTOS_OK && entity && json_object_set_new(claims, "entity_id", json_string(entity)) != 0)
    rc = CUSTOS_ENOMEM;
  if (rc == CUSTOS_OK) rc = a->signer ? signer_sign(a->signer, JOSE_ALG_RS256, claims, NULL, &token)
                                      : CUSTOS_EKEY;
  json_decref(claims);
  if (rc != CUSTOS_OK) {
    /* No RS256 key (signing.algs without it) or an internal fault. */
    log_msg(LOG_ERROR, "openledger: cannot sign a token: %s", custos_strerror(rc));
    unavailable(&e);
    http_reply_error(r, &e);
    return;
  }
  json_t *resp = json_pack("{s:s,s:s,s:I}", "access_token", token, "token_type", "Bearer",
                           "expires_in", (json_int_t)lifetime);
  free(token);
  if (!resp) {
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    http_reply_error(r, &e);
    return;
  }
  (void)http_add_header(r, "Cache-Control", "no-store");
  http_reply_json(r, 200, resp);
}

/* POST /v1/auth/tokens: a developer token. `id` is the developer, i.e. the
 * account the key belongs to. */
static void tokens_developer(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  cerr_t e;
  json_t *root = NULL;
  token_req_t tr = {0};
  keycheck_result_t key = {0};
  int64_t lifetime = 0;
  if (parse_token_req(r, a, OPENLEDGER_CLASS_DEVELOPER, &root, &tr, &e) != 0) goto fail;
  if (check_key(a, tr.api_key, &key, &e) != 0) goto fail;
  if (strcmp(key.account_id, tr.id) != 0) {
    deny(&e, 403, OL_AUTHORIZATION_ERROR, MSG_KEY_NOT_DEVELOPER);
    goto fail;
  }
  if (lifetime_for(a, key.account_id, tr.lifetime, &lifetime, &e) != 0) goto fail;
  issue(r, a, &key, OPENLEDGER_CLASS_DEVELOPER, key.account_id, NULL, lifetime);
  json_decref(root);
  return;
fail:
  json_decref(root);
  http_reply_error(r, &e);
}

/* POST /v1/entities/auth/generate-token: an entity token. `id` is an
 * entity of the key's developer. */
static void tokens_entity(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  cerr_t e;
  json_t *root = NULL;
  token_req_t tr = {0};
  keycheck_result_t key = {0};
  store_entity_t ent = {0};
  int64_t lifetime = 0;
  if (parse_token_req(r, a, OPENLEDGER_CLASS_ENTITY, &root, &tr, &e) != 0) goto fail;
  if (check_key(a, tr.api_key, &key, &e) != 0) goto fail;
  int rc = store_entity_get(a->store, tr.id, &ent);
  if (rc == CUSTOS_ESTORE) {
    unavailable(&e);
    goto fail;
  }
  /* Unknown and foreign entities answer alike: a key learns nothing about
   * other developers' entities. */
  if (rc != CUSTOS_OK || strcmp(ent.account_id, key.account_id) != 0) {
    deny(&e, 403, OL_AUTHORIZATION_ERROR, MSG_KEY_NOT_ENTITY);
    goto fail;
  }
  if (lifetime_for(a, key.account_id, tr.lifetime, &lifetime, &e) != 0) goto fail;
  issue(r, a, &key, OPENLEDGER_CLASS_ENTITY, ent.id, ent.id, lifetime);
  json_decref(root);
  return;
fail:
  json_decref(root);
  http_reply_error(r, &e);
}

/* Other methods on the token endpoints: 405 in the seed's envelope (the
 * router's own 405 knows no route, hence no profile). */
static void post_only(http_req_t *r, void *ctx) {
  (void)ctx;
  cerr_t e;
  (void)http_add_header(r, "Allow", "POST");
  cerr_set(&e, 405, CERR_METHOD_NOT_ALLOWED, NULL, "method not allowed");
  http_reply_error(r, &e);
}

#define NOT_POST (HTTP_GET | HTTP_HEAD | HTTP_PUT | HTTP_PATCH | HTTP_DELETE | HTTP_OPTIONS | HTTP_OTHER)

static int register_routes(struct app *a) {
  static const char *const PATHS[] = {"/v1/auth/tokens", "/v1/entities/auth/generate-token"};
  int rc = 0;
  rc |= router_add(&a->router, HTTP_POST, PATHS[0], tokens_developer, a, OPENLEDGER_PROFILE);
  rc |= router_add(&a->router, HTTP_POST, PATHS[1], tokens_entity, a, OPENLEDGER_PROFILE);
  for (size_t i = 0; i < sizeof PATHS / sizeof PATHS[0]; i++)
    rc |= router_add(&a->router, NOT_POST, PATHS[i], post_only, a, OPENLEDGER_PROFILE);
  return rc ? -1 : 0;
}

/* ---- protected routes --------------------------------------------------------- */

/*
 * Entity → developer, remembered for the check's hot path. Entities are
 * never deleted and never change owner, so a remembered owner stays true:
 * entries only make room for others (one slot per hash, newest wins).
 * Unknown ids are not remembered (the next entity created under that id
 * must be found). Slots are striped over a few locks; a lookup copies out.
 */
#define ENTITY_CACHE_SLOTS 4096 /* power of two */
#define ENTITY_CACHE_LOCKS 16

typedef struct entity_slot {
  const store_t *store;               /* which store it came from (tests run several) */
  char id[STORE_ENTITY_ID_MAX];       /* "" = empty */
  char account_id[RAND_ID_MAX];
} entity_slot_t;

static entity_slot_t entity_cache[ENTITY_CACHE_SLOTS];
static pthread_mutex_t entity_locks[ENTITY_CACHE_LOCKS] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER};

static uint32_t entity_hash(const char *id) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 16777619u;
  return h & (ENTITY_CACHE_SLOTS - 1);
}

/* The owner of entity `id` into account (RAND_ID_MAX): from the cache, else
 * the store. CUSTOS_OK, CUSTOS_ENOTFOUND, CUSTOS_ESTORE. */
static int entity_owner(app_t *a, const char *id, char account[RAND_ID_MAX]) {
  uint32_t h = entity_hash(id);
  pthread_mutex_t *mu = &entity_locks[h % ENTITY_CACHE_LOCKS];
  entity_slot_t *slot = &entity_cache[h];
  pthread_mutex_lock(mu);
  bool hit = slot->store == a->store && strcmp(slot->id, id) == 0;
  if (hit) memcpy(account, slot->account_id, RAND_ID_MAX);
  pthread_mutex_unlock(mu);
  if (hit) return CUSTOS_OK;
  store_entity_t ent;
  int rc = store_entity_get(a->store, id, &ent);
  if (rc != CUSTOS_OK) return rc;
  memcpy(account, ent.account_id, RAND_ID_MAX);
  pthread_mutex_lock(mu);
  slot->store = a->store;
  memcpy(slot->id, ent.id, sizeof slot->id);
  memcpy(slot->account_id, ent.account_id, sizeof slot->account_id);
  pthread_mutex_unlock(mu);
  return CUSTOS_OK;
}

/* A string claim into dst (cap bytes); false when absent, not a string,
 * empty or too long. */
static bool claim_str(const jose_jview_t *claims, const char *name, char *dst, size_t cap) {
  const jose_jmember_t *m = jose_jview_get(claims, name, strlen(name));
  if (!m || m->type != JOSE_JSTRING) return false;
  size_t n = m->str_len;
  if (n == 0 || n >= cap) return false;
  memcpy(dst, jose_jview_str(claims, m), n + 1);
  return memchr(dst, '\0', n) == NULL;
}

/* True when every space-separated scope in `need` is in `have`. */
static bool scopes_cover(const char *have, const char *need) {
  for (const char *p = need; *p;) {
    size_t n = strcspn(p, " ");
    char one[STORE_SCOPES_MAX];
    if (n >= sizeof one) return false;
    memcpy(one, p, n);
    one[n] = '\0';
    if (n && !scopes_has(have, one)) return false;
    p += n;
    while (*p == ' ') p++;
  }
  return true;
}

typedef struct verified {
  char user_type[16];
  char developer[RAND_ID_MAX];
  char app[RAND_ID_MAX];
  char entity[STORE_ENTITY_ID_MAX];
  char jti[IDENTITY_FIELD_MAX];
  char scopes[STORE_SCOPES_MAX];
} verified_t;

/* The bearer token of `rq`, verified, its claims read into *v. */
static int verify_bearer(app_t *a, const authreq_t *rq, verified_t *v, cerr_t *e) {
  const char *h = authreq_header(rq, "Authorization");
  size_t hl = h ? strnlen(h, OPENLEDGER_TOKEN_MAX_BYTES + 16) : 0;
  while (hl > 0 && (h[hl - 1] == ' ' || h[hl - 1] == '\t')) hl--;
  if (!h || hl == 0) return deny(e, 401, OL_AUTHENTICATION_ERROR, MSG_HEADER_REQUIRED);
  if (hl < 7 || strncasecmp(h, "Bearer ", 7) != 0) return deny(e, 401, OL_AUTHENTICATION_ERROR, MSG_INVALID_TOKEN);
  const char *tok = h + 7;
  size_t tl = hl - 7;
  while (tl > 0 && *tok == ' ') tok++, tl--;
  if (tl == 0 || tl > OPENLEDGER_TOKEN_MAX_BYTES) return deny(e, 401, OL_AUTHENTICATION_ERROR, MSG_INVALID_TOKEN);

  jose_policy_t pol;
  jose_policy_init(&pol);
  pol.algs = ALGS;
  pol.nalgs = sizeof ALGS / sizeof ALGS[0];
  pol.iss = a->cfg.ol_issuer;
  pol.aud = a->cfg.ol_audience;
  pol.require_exp = true;
  pol.leeway = a->cfg.ol_leeway_s;
  pol.max_token_bytes = OPENLEDGER_TOKEN_MAX_BYTES;
  custos_claims_t *claims = NULL;
  /* Verified once, then remembered per key-set snapshot and never past
   * exp (signer_verify_claims says exactly when an entry is trusted). */
  int rc = a->signer ? signer_verify_claims(a->signer, a->bearer_cache, tok, tl, &pol, &claims) : CUSTOS_EKEY;
  if (rc == CUSTOS_ENOMEM) return unavailable(e);
  if (rc != CUSTOS_OK) return deny(e, 401, OL_AUTHENTICATION_ERROR, MSG_INVALID_TOKEN);
  const jose_jview_t *cv = &claims->view;
  bool ok = claim_str(cv, "user_type", v->user_type, sizeof v->user_type) &&
            claim_str(cv, "developer_id", v->developer, sizeof v->developer) &&
            claim_str(cv, "app_id", v->app, sizeof v->app) && claim_str(cv, "jti", v->jti, sizeof v->jti);
  v->scopes[0] = '\0';
  const jose_jmember_t *sc = jose_jview_get(cv, "scope", 5);
  if (ok && sc) ok = sc->type == JOSE_JSTRING && sc->str_len < sizeof v->scopes;
  if (ok && sc) memcpy(v->scopes, jose_jview_str(cv, sc), sc->str_len + 1);
  v->entity[0] = '\0';
  if (ok && strcmp(v->user_type, OPENLEDGER_CLASS_ENTITY) == 0) {
    char sub[STORE_ENTITY_ID_MAX];
    ok = claim_str(cv, "entity_id", v->entity, sizeof v->entity) && claim_str(cv, "sub", sub, sizeof sub) &&
         strcmp(sub, v->entity) == 0;
  } else if (ok) {
    char sub[RAND_ID_MAX];
    ok = strcmp(v->user_type, OPENLEDGER_CLASS_DEVELOPER) == 0 && claim_str(cv, "sub", sub, sizeof sub) &&
         strcmp(sub, v->developer) == 0;
  }
  custos_claims_free(claims);
  /* Signed by us but not one of ours (another profile's token): refused alike. */
  if (!ok) return deny(e, 401, OL_AUTHENTICATION_ERROR, MSG_INVALID_TOKEN);
  return CUSTOS_OK;
}

/* True when raw query `q` has a parameter called `name` ("name=…" or a
 * bare "name"), whatever its value: one that authreq_query refuses
 * (malformed, too long) still counts as given. */
static bool query_names(const char *q, const char *name) {
  size_t n = strlen(name);
  for (const char *p = q; *p;) {
    size_t l = strcspn(p, "&");
    if (l >= n && memcmp(p, name, n) == 0 && (l == n || p[n] == '=')) return true;
    p += l;
    if (*p == '&') p++;
  }
  return false;
}

static int check(struct app *a, const authreq_t *rq, const route_policy_t *pol, identity_t *id,
                 cerr_t *e) {
  verified_t v;
  int rc = verify_bearer(a, rq, &v, e);
  if (rc != CUSTOS_OK) return rc;

  bool entity_route = strcmp(pol->route_class, OPENLEDGER_CLASS_ENTITY) == 0;
  char want[STORE_ENTITY_ID_MAX];
  /* Present but malformed or too long counts as given: it names no entity
   * this token may reach. */
  int wl = authreq_query(rq, "entityId", want, sizeof want);
  bool given = wl >= 0 || query_names(rq->query, "entityId");
  if (wl < 0) want[0] = '\0';
  char entity[STORE_ENTITY_ID_MAX];
  entity[0] = '\0';

  if (strcmp(v.user_type, OPENLEDGER_CLASS_ENTITY) == 0) {
    if (!entity_route) return deny(e, 403, OL_AUTHORIZATION_ERROR, MSG_ENTITY_ON_DEVELOPER);
    if (given && strcmp(want, v.entity) != 0) return deny(e, 403, OL_AUTHORIZATION_ERROR, MSG_ENTITY_MISMATCH);
    put(entity, sizeof entity, v.entity);
  } else if (given) {
    /* A developer token reaches any entity of its developer. */
    char owner[RAND_ID_MAX];
    rc = store_entity_id_valid(want) ? entity_owner(a, want, owner) : CUSTOS_ENOTFOUND;
    if (rc == CUSTOS_ESTORE) return unavailable(e);
    if (rc != CUSTOS_OK || strcmp(owner, v.developer) != 0)
      return deny(e, 403, OL_AUTHORIZATION_ERROR, MSG_ENTITY_DENIED);
    put(entity, sizeof entity, want);
  } else if (entity_route) {
    cerr_set(e, 400, OL_VALIDATION_ERROR, "entityId", MSG_ENTITY_REQUIRED);
    return CUSTOS_EINVAL;
  }
  if (!scopes_cover(v.scopes, pol->scopes)) return deny(e, 403, OL_AUTHORIZATION_ERROR, MSG_SCOPE);

  put(id->profile, sizeof id->profile, OPENLEDGER_PROFILE);
  put(id->account_id, sizeof id->account_id, v.developer);
  put(id->app_id, sizeof id->app_id, v.app);
  put(id->subject, sizeof id->subject, v.developer);
  put(id->entity, sizeof id->entity, entity);
  put(id->scopes, sizeof id->scopes, v.scopes);
  put(id->token_id, sizeof id->token_id, v.jti);
  id->nextra = 1;
  put(id->extra[0].name, sizeof id->extra[0].name, "X-Custos-User-Type");
  put(id->extra[0].value, sizeof id->extra[0].value, v.user_type);
  return CUSTOS_OK;
}

const profile_t profile_openledger = {
    .name = OPENLEDGER_PROFILE,
    .render = render_openledger,
    .register_routes = register_routes,
    .check = check,
    .classes = CLASSES,
};
