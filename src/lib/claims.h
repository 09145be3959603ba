/*
 * claims.h — the custos_claims_t object behind the public accessors.
 *
 * A claims object is one allocation: a reference count, the index of the
 * payload's top-level members (jose/jindex.h), the payload JSON text and
 * the decoded names and string values. Nothing modifies it after
 * verification, so the token cache and any number of callers share it
 * across threads by reference. Nested values stay text until
 * custos_claims_get_json asks for them.
 */
#ifndef CUSTOS_LIB_CLAIMS_H
#define CUSTOS_LIB_CLAIMS_H

#include <stdatomic.h>

#include "custos.h"
#include "jose/jindex.h"

struct custos_claims {
  atomic_uint refs;     /* references held; the last custos_claims_free frees */
  jose_jview_t view;    /* points into this same block */
  /* followed by view.n members, the NUL-terminated text, the strings */
};

/* Builds a claims object (one reference) from a successful scan `ix` of
 * `len` bytes of payload `text`, copying everything it needs. NULL on
 * allocation failure. */
custos_claims_t *claims_new(const jose_jindex_t *ix, const char *text, size_t len);

/* Adds a reference and returns `c`. */
custos_claims_t *claims_ref(custos_claims_t *c);

/* The claims' "exp" as a NumericDate, for the token cache: true with *exp
 * set when "exp" is a number. */
bool claims_exp(const custos_claims_t *c, double *exp);

#endif
