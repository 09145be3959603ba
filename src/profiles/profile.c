/*
 * profile.c — the registry of profiles: one static table, one row per
 * profile. A profile joins by defining its `const profile_t profile_NAME`
 * and adding a row below (and, if its errors have their own shape, a
 * renderer row in src/http/render.c).
 */
#include "profiles/profile.h"

#include <string.h>

extern const profile_t profile_thelayer;
extern const profile_t profile_assetpay;
extern const profile_t profile_openledger;

static const profile_t *const PROFILES[] = {
    &profile_thelayer,
    &profile_assetpay,
    &profile_openledger,
    NULL,
};

const profile_t *profile_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; PROFILES[i]; i++)
    if (strcmp(PROFILES[i]->name, name) == 0) return PROFILES[i];
  return NULL;
}

const profile_t *const *profile_all(void) { return PROFILES; }

int profile_register_all(struct app *a) {
  for (size_t i = 0; PROFILES[i]; i++)
    if (PROFILES[i]->register_routes && PROFILES[i]->register_routes(a) != 0) return -1;
  return 0;
}

bool profile_class_ok(const profile_t *pf, const char *cls) {
  if (!cls || !*cls || !pf->classes) return true;
  for (size_t i = 0; pf->classes[i]; i++)
    if (strcmp(pf->classes[i], cls) == 0) return true;
  return false;
}
