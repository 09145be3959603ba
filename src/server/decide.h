/*
 * decide.h — the gateway check's decision, written once: route policy
 * (fail closed) → the policy's profile → its check → identity.
 *
 * Both ways of asking call it: /v1/check (src/server/check.c, which only
 * turns the answer into an HTTP reply) and libcustos's in-process
 * custos_check (src/lib/checker.c, which turns it into a custos_decision_t).
 * Neither may add a rule of its own, so the two answers cannot drift.
 */
#ifndef CUSTOS_SERVER_DECIDE_H
#define CUSTOS_SERVER_DECIDE_H

#include "core/err.h"
#include "perm/authreq.h"
#include "perm/identity.h"
#include "server/app.h"

/*
 * Decides whether `rq` may proceed under a's route policies.
 * CUSTOS_OK: *id is filled (every field set, "" when none).
 * Otherwise a negative custos_err_t and *e holds the exact status, code and
 * message to answer (403 no_policy when no policy matches; the profile's
 * own refusal; 429/503 with e->retry_after_s when set; 500 internal_error
 * for a profile that failed without saying why). Either way *profile is
 * the static name of the profile whose shape renders the answer, or NULL
 * for custos's own shape (no policy matched). No allocation; thread-safe.
 */
int decide(app_t *a, const authreq_t *rq, identity_t *id, const char **profile, cerr_t *e)
    __attribute__((warn_unused_result));

#endif
