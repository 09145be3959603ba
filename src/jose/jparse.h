/*
 * jparse.h — strict JSON parsing for JOSE objects (headers, claims, JWKs).
 *
 * JOSE needs what core/json.h's request-body parser does (size, depth,
 * duplicate and NUL checks) but with a distinct custos_err_t per cause
 * instead of an HTTP error, because RFC 8725 callers must tell "duplicate
 * member" from "too deep" from "malformed". Thread-safe; no shared state.
 */
#ifndef CUSTOS_JOSE_JPARSE_H
#define CUSTOS_JOSE_JPARSE_H

#include <jansson.h>
#include <stddef.h>

/* Default nesting cap for JOSE JSON; the top-level object is depth 1. */
#define JOSE_JSON_MAX_DEPTH 16

/*
 * Parses `len` bytes at `text` (need not be NUL-terminated) as one JSON
 * object no deeper than `max_depth` (<= 0 means JOSE_JSON_MAX_DEPTH).
 * Member names must be unique and strings may not contain \u0000.
 *
 * Returns CUSTOS_OK with *out a new reference the caller json_decref's, or
 * CUSTOS_EDEPTH (checked first, by a non-recursive byte scan, so hostile
 * nesting never reaches jansson), CUSTOS_EDUP (duplicate member name),
 * CUSTOS_EINVAL (anything else malformed, or not an object), CUSTOS_ENOMEM.
 * On failure *out is untouched.
 */
int jose_json_parse(const char *text, size_t len, int max_depth, json_t **out)
    __attribute__((warn_unused_result));

#endif
