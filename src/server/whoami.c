/*
 * whoami.c — GET /v1/whoami: checks the presented API key and says whose
 * it is. The simplest caller of the key-check service, and the one the
 * quick start and the admin tests use to see a key work (or stop working).
 *
 * All invalid cases (malformed, unknown, revoked, expired) share one code
 * and message so a caller learns nothing about which it was.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/apikey.h"
#include "auth/keycheck.h"
#include "core/jsonw.h"
#include "server/app.h"

/* The presented key: Authorization: Bearer, else api-key, else x-api-key.
 * Sets *len; NULL when none is present. */
static const char *presented_key(http_req_t *r, size_t *len) {
  const char *v = NULL;
  const char *h = http_header(r, "Authorization");
  if (h && strncasecmp(h, "Bearer ", 7) == 0) v = h + 7;
  if (!v) v = http_header(r, "api-key");
  if (!v) v = http_header(r, "x-api-key");
  if (!v) return NULL;
  while (*v == ' ') v++;
  /* Anything longer than a key is not one; keep the scan bounded. */
  size_t n = strnlen(v, APIKEY_TEXT_MAX + 1);
  while (n > 0 && v[n - 1] == ' ') n--;
  *len = n;
  return v;
}

/* The identity as JSON, written directly: this is the hot path of every
 * key check through this route (see src/core/jsonw.h). */
static void reply_identity(http_req_t *r, const keycheck_result_t *res) {
  buf_t b;
  buf_init(&b, 0);
  jw_t w;
  jw_init(&w, &b);
  /* One allocation for the whole answer: ids and scopes are bounded. */
  if (buf_reserve(&b, 4 * RAND_ID_MAX + STORE_SCOPES_MAX + 128) != 0) w.rc = CUSTOS_ENOMEM;
  jw_obj(&w);
  jw_kstr(&w, "key_id", res->key_id);
  jw_kstr(&w, "app_id", res->app_id);
  jw_kstr(&w, "account_id", res->account_id);
  jw_kstr(&w, "environment_id", res->environment_id);
  jw_key(&w, "scopes");
  jw_arr(&w);
  for (const char *p = res->scopes; *p;) {
    const char *q = strchr(p, ' ');
    size_t n = q ? (size_t)(q - p) : strlen(p);
    if (n) jw_strn(&w, p, n);
    p += n + (q ? 1 : 0);
  }
  jw_end(&w);
  jw_end(&w);
  if (jw_finish(&w) != CUSTOS_OK) {
    buf_cleanup(&b);
    cerr_t e;
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    http_reply_error(r, &e);
    return;
  }
  http_reply(r, 200, "application/json", &b);
}

void whoami(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  cerr_t e;
  size_t len = 0;
  const char *key = presented_key(r, &len);
  if (!key || len == 0) {
    cerr_set(&e, 401, "missing_api_key", NULL, "API key required");
    http_reply_error(r, &e);
    return;
  }
  keycheck_result_t res;
  memset(&res, 0, sizeof res);
  int rc = len > APIKEY_TEXT_MAX ? CUSTOS_EINVAL : keycheck_verify(a->keys, key, len, (int64_t)time(NULL), &res);
  switch (rc) {
  case CUSTOS_OK:
    reply_identity(r, &res);
    return;
  case CUSTOS_ELIMIT: {
    char ra[16];
    snprintf(ra, sizeof ra, "%d", res.retry_after_s > 0 ? res.retry_after_s : 1);
    (void)http_add_header(r, "Retry-After", ra);
    cerr_set(&e, 429, CERR_RATE_LIMITED, NULL, "rate limit exceeded; retry after %s s", ra);
    break;
  }
  case CUSTOS_ESTORE: cerr_set(&e, 503, CERR_UNAVAILABLE, NULL, "store unavailable"); break;
  case CUSTOS_ENOMEM: cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error"); break;
  default: cerr_set(&e, 401, "invalid_api_key", NULL, "API key is invalid or expired"); break;
  }
  http_reply_error(r, &e);
}
