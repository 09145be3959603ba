/*
 * policy.h — route policies: which profile, route class and scopes govern
 * a platform route (method + path pattern). Loaded from the YAML file named
 * by config key `policy.file`; first match wins; a route no policy matches
 * is refused (fail closed).
 *
 *   routes:
 *     - match: GET /v1/transactions      # METHOD (or *) and a path pattern
 *       profile: openledger
 *       class: developer                 # profile-defined, e.g. developer|entity|client|secure
 *       scopes: [CORE_ACCESS]            # all required; may be empty
 *     - match: "* /client/**"            # * = one segment, ** = the rest (0+ segments)
 *       profile: assetpay
 *       class: client
 */
#ifndef CUSTOS_PERM_POLICY_H
#define CUSTOS_PERM_POLICY_H

#include "store/store.h"

#define POLICY_MAX_ROUTES 1024
#define POLICY_PATTERN_MAX 512
#define POLICY_CLASS_MAX 32

typedef struct route_policy {
  char method[16];                   /* "GET", … or "*" */
  char pattern[POLICY_PATTERN_MAX];  /* "/v1/entities/*/transactions", "/client/**" */
  char profile[STORE_PROFILE_MAX];   /* a registered profile name */
  char route_class[POLICY_CLASS_MAX];/* profile-defined; "" = the profile's default */
  char scopes[STORE_SCOPES_MAX];     /* space-separated, all required */
  int line;                          /* line in the policy file, for messages */
} route_policy_t;

typedef struct policy_set policy_set_t;

#endif
