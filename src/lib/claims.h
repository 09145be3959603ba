/*
 * claims.h — the custos_claims_t object behind the public accessors.
 *
 * A claims object is one reference to a verified payload (a jansson object
 * that nobody modifies after verification, so the token cache and any
 * number of claims objects may share it across threads).
 */
#ifndef CUSTOS_LIB_CLAIMS_H
#define CUSTOS_LIB_CLAIMS_H

#include <jansson.h>

#include "custos.h"

struct custos_claims {
  json_t *obj;  /* verified payload object, one reference owned */
};

/* Wraps `obj`, taking the caller's reference (also on failure, when it is
 * dropped). NULL on allocation failure. */
custos_claims_t *claims_take(json_t *obj);

#endif
