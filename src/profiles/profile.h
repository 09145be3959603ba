/*
 * profile.h — a profile is one platform's credential style, byte for byte
 * (DESIGN.md). Profiles are thin adapters: they parse their seed's request
 * shapes, call the shared services (keycheck, signer, store), and render
 * their seed's answers and errors. Rules live in the services, once.
 */
#ifndef CUSTOS_PROFILES_PROFILE_H
#define CUSTOS_PROFILES_PROFILE_H

#include <stdbool.h>

#include "core/err.h"
#include "http/render.h"
#include "perm/authreq.h"
#include "perm/identity.h"
#include "perm/policy.h"

struct app;

typedef struct profile {
  const char *name;   /* "assetpay"; matches app.profile and policy profile */
  render_fn render;   /* error body shape on this profile's routes and checks */
  /* Registers the profile's own endpoints (token issuing …) on a->router
   * with this profile's name so errors render in its shape. 0 or -1.
   * May be NULL. */
  int (*register_routes)(struct app *a);
  /* Decides whether `rq` may proceed under `pol`. CUSTOS_OK with *id
   * filled; otherwise a negative custos_err_t with *e set to the exact
   * status, code and message this profile's seed documents. Must not
   * write *id on failure. Thread-safe. */
  int (*check)(struct app *a, const authreq_t *rq, const route_policy_t *pol, identity_t *id,
               cerr_t *e);
  /* Route classes a policy may name for this profile, NULL-terminated;
   * NULL = any class is accepted. The policy loader reports others. */
  const char *const *classes;
} profile_t;

/*
 * Contract of check(), beyond the above: on CUSTOS_OK every field of *id
 * is set (strings NUL-terminated, "" when none; nextra entries filled).
 * A rate-limited caller gets status 429 with e->retry_after_s set; a store
 * failure 503. check() runs on the gateway hot path: no allocation, no
 * JSON, no store access when its caches hit.
 */

/* The registered profile called `name`, or NULL. */
const profile_t *profile_find(const char *name);
/* All registered profiles, NULL-terminated. */
const profile_t *const *profile_all(void);

/* Calls every profile's register_routes (from app_routes). 0 or -1. */
int profile_register_all(struct app *a);

/* True when `cls` ("" = the default) is a route class `pf` accepts. */
bool profile_class_ok(const profile_t *pf, const char *cls);

#endif
