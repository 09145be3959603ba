/*
 * decide.c — the gateway check's decision (decide.h). Runs on every
 * protected request: nothing allocated, the profiles answer from their
 * caches.
 */
#include "server/decide.h"

#include "custos.h"
#include "perm/policy.h"
#include "profiles/profile.h"

int decide(app_t *a, const authreq_t *rq, identity_t *id, const char **profile, cerr_t *e) {
  *profile = NULL;
  const route_policy_t *pol = policy_match(a->policy, rq->method, rq->path);
  const profile_t *pf = pol ? profile_find(pol->profile) : NULL;
  if (!pf) {
    /* Fail closed: a route nobody wrote a policy for is nobody's to reach. */
    cerr_set(e, 403, "no_policy", NULL, "no route policy matches %s %.200s", rq->method, rq->path);
    return CUSTOS_EDENIED;
  }
  *profile = pf->name;
  id->nextra = 0;
  id->profile[0] = id->account_id[0] = id->app_id[0] = id->subject[0] = id->entity[0] = id->scopes[0] =
      id->token_id[0] = '\0';
  cerr_clear(e);
  int rc = pf->check(a, rq, pol, id, e);
  if (rc == CUSTOS_OK) return CUSTOS_OK;
  if (!cerr_is_set(e)) cerr_set(e, 500, CERR_INTERNAL, NULL, "internal error");
  return rc < 0 ? rc : CUSTOS_EDENIED;
}
