/*
 * check.c — /v1/check: the gateway's auth subrequest (nginx auth_request,
 * Traefik ForwardAuth, Caddy forward_auth, Envoy ext_authz HTTP service).
 *
 *   original method + URI (authreq) → route policy → profile->check →
 *   200, empty body, X-Custos-* identity headers
 *   | the profile's exact error status and body
 *
 * This is the hot path of every protected request: no JSON on success,
 * nothing allocated here (the identity headers are copied once, into the
 * response), and the profiles answer from their caches without touching
 * the store.
 */
#include <string.h>

#include "perm/authreq.h"
#include "perm/identity.h"
#include "perm/policy.h"
#include "profiles/profile.h"
#include "server/app.h"

/* Borrowed, not copied: `id` lives in gateway_check's frame until
 * http_reply has copied the headers into the response. */
static int add_if(http_req_t *r, const char *name, const char *value) {
  return value[0] ? http_add_header_ref(r, name, value) : 0;
}

void gateway_check(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  cerr_t e;
  authreq_t rq;
  if (authreq_from_check(&rq, r, &e) != CUSTOS_OK) {
    http_reply_error(r, &e);
    return;
  }
  const route_policy_t *pol = policy_match(a->policy, rq.method, rq.path);
  const profile_t *pf = pol ? profile_find(pol->profile) : NULL;
  if (!pf) {
    /* Fail closed: a route nobody wrote a policy for is nobody's to reach. */
    cerr_set(&e, 403, "no_policy", NULL, "no route policy matches %s %.200s", rq.method, rq.path);
    http_reply_error(r, &e);
    return;
  }
  http_set_error_profile(r, pf->name);
  identity_t id;
  id.nextra = 0;
  id.profile[0] = id.account_id[0] = id.app_id[0] = id.subject[0] = id.entity[0] = id.scopes[0] =
      id.token_id[0] = '\0';
  int rc = pf->check(a, &rq, pol, &id, &e);
  if (rc != CUSTOS_OK) {
    if (!cerr_is_set(&e)) cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    http_reply_error(r, &e);
    return;
  }
  int hr = 0, mark = r->nextra;
  hr |= add_if(r, "X-Custos-Account", id.account_id);
  hr |= add_if(r, "X-Custos-App", id.app_id);
  hr |= add_if(r, "X-Custos-Subject", id.subject);
  hr |= add_if(r, "X-Custos-Entity", id.entity);
  hr |= add_if(r, "X-Custos-Scopes", id.scopes);
  hr |= add_if(r, "X-Custos-Token-Id", id.token_id);
  for (int i = 0; i < id.nextra && i < IDENTITY_EXTRA_MAX; i++) hr |= add_if(r, id.extra[i].name, id.extra[i].value);
  if (hr != 0) {
    /* An identity the gateway cannot forward whole is no identity: none
     * of it goes out with the 500 (the headers are borrowed: no free). */
    r->nextra = mark;
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    http_reply_error(r, &e);
    return;
  }
  http_reply(r, 200, NULL, NULL);
}
