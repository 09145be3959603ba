/*
 * check.c — /v1/check: the gateway's auth subrequest (nginx auth_request,
 * Traefik ForwardAuth, Caddy forward_auth, Envoy ext_authz HTTP service).
 *
 *   original method + URI (authreq) → decide() (route policy → profile
 *   check, src/server/decide.c) → 200, empty body, X-Custos-* identity
 *   headers | the profile's exact error status and body
 *
 * Only the HTTP reply lives here: the decision is decide()'s, shared with
 * libcustos's in-process custos_check, so both answer alike.
 *
 * This is the hot path of every protected request: no JSON on success,
 * nothing allocated here (the identity headers are copied once, into the
 * response), and the profiles answer from their caches without touching
 * the store.
 */
#include "custos.h"
#include "perm/authreq.h"
#include "perm/identity.h"
#include "server/app.h"
#include "server/decide.h"

/* Borrowed, not copied: `id` lives in gateway_check's frame until
 * http_reply has copied the headers into the response. */
static int add_ref(void *r, const char *name, const char *value) { return http_add_header_ref(r, name, value); }

void gateway_check(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  cerr_t e;
  authreq_t rq;
  if (authreq_from_check(&rq, r, &e) != CUSTOS_OK) {
    http_reply_error(r, &e);
    return;
  }
  identity_t id;
  const char *profile = NULL;
  int rc = decide(a, &rq, &id, &profile, &e);
  http_set_error_profile(r, profile); /* NULL (no policy): the route's, custos's own shape */
  if (rc != CUSTOS_OK) {
    http_reply_error(r, &e);
    return;
  }
  int mark = r->nextra;
  if (identity_each_header(&id, add_ref, r) != 0) {
    /* An identity the gateway cannot forward whole is no identity: none
     * of it goes out with the 500 (the headers are borrowed: no free). */
    r->nextra = mark;
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    http_reply_error(r, &e);
    return;
  }
  http_reply(r, 200, NULL, NULL);
}
