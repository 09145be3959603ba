/*
 * profile.h — a profile is one platform's credential style, byte for byte
 * (DESIGN.md). Profiles are thin adapters: they parse their seed's request
 * shapes, call the shared services (keycheck, signer, store), and render
 * their seed's answers and errors. Rules live in the services, once.
 */
#ifndef CUSTOS_PROFILES_PROFILE_H
#define CUSTOS_PROFILES_PROFILE_H

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
} profile_t;

/* The registered profile called `name`, or NULL. */
const profile_t *profile_find(const char *name);
/* All registered profiles, NULL-terminated. */
const profile_t *const *profile_all(void);

#endif
