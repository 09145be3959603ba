/*
 * admin.h — the admin API under /admin/v1 (docs/admin-api.md): accounts,
 * environments, apps, API keys, the audit log and the OpenAPI document.
 *
 * Every handler takes the app_t as ctx, authenticates the admin token
 * first (except openapi.json), reads its body through jbody_parse, answers
 * exactly once, and on any failure changes nothing stored. Successful
 * writes append an audit event with the admin token's id as actor.
 */
#ifndef CUSTOS_ADMIN_ADMIN_H
#define CUSTOS_ADMIN_ADMIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/apikey.h"
#include "core/err.h"
#include "http/server.h"
#include "server/app.h"
#include "store/store.h"

#define ADMIN_LIST_DEFAULT 20      /* ?limit when absent */
#define ADMIN_LIST_MAX 100         /* largest ?limit */
#define ADMIN_SCOPES_MAX_ITEMS 32  /* scopes per key */
#define ADMIN_SCOPE_LEN_MAX 64     /* bytes per scope name */
#define ADMIN_GRACE_DEFAULT 86400  /* rotation grace, seconds */
#define ADMIN_GRACE_MAX 2592000    /* 30 days */
#define ADMIN_TOKEN_PREFIX "cadm_"
#define ADMIN_REALM "Bearer realm=\"custos-admin\""

/* --- routes (registered by app_routes) ------------------------------------ */

void admin_accounts_create(http_req_t *r, void *ctx);
void admin_accounts_list(http_req_t *r, void *ctx);
void admin_accounts_get(http_req_t *r, void *ctx);
void admin_environments_create(http_req_t *r, void *ctx);
void admin_environments_list(http_req_t *r, void *ctx);
void admin_apps_create(http_req_t *r, void *ctx);
void admin_apps_list(http_req_t *r, void *ctx);
void admin_apps_get(http_req_t *r, void *ctx);
void admin_keys_create(http_req_t *r, void *ctx);
void admin_keys_list(http_req_t *r, void *ctx);
void admin_keys_get(http_req_t *r, void *ctx);
void admin_keys_patch(http_req_t *r, void *ctx);
void admin_keys_rotate(http_req_t *r, void *ctx);
void admin_keys_revoke(http_req_t *r, void *ctx);
void admin_audit_list(http_req_t *r, void *ctx);
/* Users and user tokens (src/admin/users.c). */
void admin_users_create(http_req_t *r, void *ctx);
void admin_users_list(http_req_t *r, void *ctx);
void admin_users_get(http_req_t *r, void *ctx);
void admin_user_tokens_create(http_req_t *r, void *ctx);
void admin_user_tokens_list(http_req_t *r, void *ctx);
void admin_user_tokens_get(http_req_t *r, void *ctx);
void admin_user_tokens_rotate(http_req_t *r, void *ctx);
void admin_user_tokens_revoke(http_req_t *r, void *ctx);
/* AssetPay merchants (merchant.c). */
void admin_merchant_secret(http_req_t *r, void *ctx);
void admin_merchant_get(http_req_t *r, void *ctx);
/* AssetPay clients of a merchant, read only (src/admin/clients.c). */
void admin_clients_list(http_req_t *r, void *ctx);
void admin_clients_get(http_req_t *r, void *ctx);
/* Open Ledger entities and token lifetimes (src/admin/entities.c). */
void admin_entities_create(http_req_t *r, void *ctx);
void admin_entities_list(http_req_t *r, void *ctx);
void admin_entities_get(http_req_t *r, void *ctx);
void admin_token_lifetime_get(http_req_t *r, void *ctx);
void admin_token_lifetime_put(http_req_t *r, void *ctx);
/* The admin API's own tokens (src/admin/admin_tokens.c). */
void admin_admin_tokens_create(http_req_t *r, void *ctx);
void admin_admin_tokens_list(http_req_t *r, void *ctx);
void admin_admin_tokens_get(http_req_t *r, void *ctx);
void admin_admin_tokens_revoke(http_req_t *r, void *ctx);
void admin_openapi(http_req_t *r, void *ctx);

/* The embedded OpenAPI 3.1 document (src/admin/openapi.json), NUL-terminated,
 * static. */
extern const char admin_openapi_json[];
extern const unsigned long admin_openapi_json_len;

/* --- authentication (admin_auth.c) ---------------------------------------- */

/*
 * Checks `Authorization: Bearer <admin token>`. On success writes the
 * token's id into actor and returns true. Otherwise it has already replied
 * (401 unauthorized with WWW-Authenticate, or 503 unavailable) and returns
 * false. A malformed token is refused without a store lookup.
 */
bool admin_authenticate(http_req_t *r, app_t *a, char actor[RAND_ID_MAX]);

/* --- shared helpers (admin_json.c) ---------------------------------------- */

/* Resource objects as in docs/admin-api.md; new references, NULL on OOM. */
json_t *admin_account_json(const store_account_t *x);
json_t *admin_environment_json(const store_environment_t *x);
json_t *admin_app_json(const store_app_t *x);
json_t *admin_key_json(const store_api_key_t *k, int64_t now);
json_t *admin_audit_json(const store_audit_t *ev);
json_t *admin_entity_json(const store_entity_t *x);

/* admin_key_json plus the key's full text under "key" (the one answer
 * that carries it). NULL on OOM. */
json_t *admin_key_json_with_secret(const store_api_key_t *k, const char *text, int64_t now);

/* --- issuing API keys (keys.c) -------------------------------------------- */

/* What a new key gets; NULL / 0 members take the defaults. */
typedef struct admin_key_req {
  const char *environment; /* id or name; NULL = "production" */
  const char *name;        /* NULL = "" */
  const char *scopes;      /* space-separated, already validated; NULL = "CORE_ACCESS" */
  const char *prefix;      /* NULL = the app profile's (apikey_default_prefix) */
  int64_t expires_at;      /* unix seconds, in the future; 0 = never */
} admin_key_req_t;

/*
 * Creates a key of `app` (a thelayer app's keys are its Token1s, kind
 * app_token), writes its text into `text` and the stored row into *k, and
 * appends the key.create audit event with `actor`. The one place keys are
 * made: POST /apps/{id}/keys and, for thelayer, POST /apps. 0, or -1 with e
 * set (400 prefix, 404 environment, 409/503 store, 500) and nothing stored;
 * `text` is then wiped. The caller wipes `text` after answering.
 */
int admin_key_issue(app_t *a, http_req_t *r, const char *actor, const store_app_t *app, const admin_key_req_t *req,
                    char text[APIKEY_TEXT_MAX], store_api_key_t *k, cerr_t *e);

/* --- rotating and revoking key-shaped secrets (secrets.c) ------------------ */

/* What differs between an API key and a user token for the rotate and
 * revoke routes. Both travel as store_api_key_t here (a user token as
 * store_user_token_lookup's view: environment_id = user, scopes = level). */
typedef struct admin_secret_kind {
  const char *noun;   /* "key" | "user token": error messages, 404 "no such …" */
  const char *member; /* "key" | "token": rotate answer member, "this … is", "new_…_id" */
  const char *action; /* audit action prefix: "key" | "user_token" */
  const char *prefix; /* prefix of new texts; NULL = the old secret's own */
  int (*get)(store_t *s, const char *id, store_api_key_t *out);
  int (*rotate)(store_t *s, const char *old_id, int64_t grace_until, store_api_key_t *nk);
  int (*revoke)(store_t *s, const char *id, int64_t at);
  struct keycheck *(*checker)(app_t *a); /* whose cache to invalidate; may return NULL */
  json_t *(*json)(const store_api_key_t *k, int64_t now);
  json_t *(*json_secret)(const store_api_key_t *k, const char *text, int64_t now);
  json_t *(*revoke_detail)(const store_api_key_t *k); /* audit detail of a revocation */
} admin_secret_kind_t;

/* The {id} secret of `kind` (load.c), as the admin_load_… below. */
int admin_load_secret(http_req_t *r, app_t *a, const admin_secret_kind_t *kind, store_api_key_t *out, cerr_t *e);

/* POST …/{id}/rotate and …/{id}/revoke for `kind` (answers exactly once). */
void admin_secret_rotate(http_req_t *r, app_t *a, const admin_secret_kind_t *kind);
void admin_secret_revoke(http_req_t *r, app_t *a, const admin_secret_kind_t *kind);
/* Tells this node's and every other node's check cache that `k` changed;
 * a failure to notify is logged, not returned. */
void admin_secret_changed(app_t *a, const admin_secret_kind_t *kind, const store_api_key_t *k);

/* Loads the {id} app for the merchant routes: it must have profile
 * assetpay (409 otherwise; 404 when absent). 0 or -1 with e set. */
int admin_merchant_app(http_req_t *r, app_t *a, store_app_t *app, cerr_t *e);

/* "active" | "rotated" | "expired" | "revoked" for `k` at `now`. */
const char *admin_key_status(const store_api_key_t *k, int64_t now);

/* "active" | "rotated" | "expired" | "revoked": the one status rule of
 * key-shaped rows (API keys, user tokens) from their times at `now`. */
const char *admin_secret_status(int64_t revoked_at, int64_t expires_at, int64_t grace_until, bool replaced,
                                int64_t now);

/* --- list routes (list.c) ------------------------------------------------- */

#define ADMIN_CURSOR_MAX STORE_ENTITY_ID_MAX /* the longest ?after: an entity id */
_Static_assert(ADMIN_CURSOR_MAX >= RAND_ID_MAX, "a cursor holds any id");

/* One page being listed. */
typedef struct admin_list {
  int limit;                    /* ?limit: 1..ADMIN_LIST_MAX, default ADMIN_LIST_DEFAULT */
  char after[ADMIN_CURSOR_MAX]; /* ?after; "" = from the start */
  void *rows;                   /* ADMIN_LIST_MAX + 1 zeroed rows of `size` bytes, for the store */
  size_t size;
  int n;                        /* rows the store wrote (at most limit + 1) */
} admin_list_t;

/* A row as JSON; `arg` is what admin_list_reply was given. */
typedef json_t *admin_row_json_fn(const void *row, const void *arg);

/*
 * Reads ?limit and ?after (400 "query parameter 'after' is not a valid
 * cursor" when it is longer than an id or, given cursor_ok, when cursor_ok
 * refuses a non-empty one) and allocates l->rows. 0, or -1 with e set and
 * nothing allocated.
 */
int admin_list_start(http_req_t *r, size_t row_size, bool (*cursor_ok)(const char *), admin_list_t *l, cerr_t *e);
/* l->after for the store: NULL when empty. */
const char *admin_list_after(const admin_list_t *l);
/*
 * Answers the store's list result `rc`: not 0 → admin_store_error(rc,
 * what) (and l->n = 0); else 200 {"data":[row_json of the first `limit`
 * rows],"next":…}, next being member `cursor` of the last row shown when
 * the store returned more than limit rows, else null.
 */
void admin_list_reply(http_req_t *r, admin_list_t *l, int rc, const char *what, admin_row_json_fn *row_json,
                      const void *arg, const char *cursor);
/* Frees l->rows (the caller first releases what rows own, if anything). */
void admin_list_end(admin_list_t *l);

/* {"data":data,"next":next|null}; steals `data`. NULL on OOM. */
json_t *admin_page(json_t *data, const char *next);

/* --- the {id} of the path (load.c) ---------------------------------------- */

/* rc of looking the {id} row up: 0 → 0; else admin_store_error(rc, what)
 * (404 "no such <what>", 503, …) into e and -1. */
int admin_loaded(int rc, const char *what, cerr_t *e);
/* The {id} row into *out, 404 when the path has no (valid) {id} or no row
 * has it. 0, or -1 with e set. */
int admin_load_account(http_req_t *r, app_t *a, store_account_t *out, cerr_t *e);
int admin_load_app(http_req_t *r, app_t *a, store_app_t *out, cerr_t *e);
int admin_load_key(http_req_t *r, app_t *a, store_api_key_t *out, cerr_t *e);
int admin_load_user(http_req_t *r, app_t *a, store_user_t *out, cerr_t *e);
int admin_load_user_token(http_req_t *r, app_t *a, store_user_token_t *out, cerr_t *e);
int admin_load_admin_token(http_req_t *r, app_t *a, store_admin_token_t *out, cerr_t *e);

/* The path parameter {id} into out; false when absent or too long (which
 * the caller answers as 404). */
bool admin_path_id(http_req_t *r, char out[RAND_ID_MAX]);

/*
 * Parses the request body as a strict JSON object: only member names in
 * `allowed` (NULL-terminated). An empty body is `{}` when allow_empty.
 * Returns a new reference, or NULL with e set (400/413).
 */
json_t *admin_body(http_req_t *r, app_t *a, const char *const *allowed, bool allow_empty,
                   cerr_t *e);

/* Maps a store result to an answer: CUSTOS_ENOTFOUND → 404 "no such
 * <what>", CUSTOS_EEXISTS → 409, CUSTOS_EINVAL → 400, CUSTOS_ESTORE →
 * 503, anything else → 500. Returns -1. */
int admin_store_error(int rc, const char *what, const char *field, cerr_t *e);

/* Replies with e. */
void admin_fail(http_req_t *r, const cerr_t *e);

/*
 * Appends an audit event: actor, action, target, outcome "ok", the
 * request's remote address and id, and `detail` (borrowed, may be NULL)
 * as detail_json. The change it records has already happened, so a
 * failure here does not fail the request: it is logged at error level.
 */
void admin_audit(app_t *a, http_req_t *r, const char *actor, const char *action,
                 const char *target, const json_t *detail);

/* Current time, unix seconds. */
int64_t admin_now(void);

#endif
