/*
 * json.h — parsing untrusted JSON request bodies and reading typed fields.
 *
 * Every request body goes through jbody_parse, which applies size, depth,
 * UTF-8 and string-length limits before and after jansson, so handlers only
 * ever see a well-formed object. The typed getters then turn each wrong
 * shape into a 400 cerr_t that names the field, so no handler formats its
 * own "bad input" messages.
 *
 * Conventions shared by every function here:
 *  - 0 on success, -1 on failure with `err` filled (see core/err.h);
 *    `err` must not be NULL.
 *  - Outputs are written only on success; an absent optional field also
 *    returns 0 and leaves *out unchanged, so callers can preset a default.
 *  - JSON null is a value of the wrong type, not an absent member: a
 *    required string given as null fails with invalid_field. Keeping the two
 *    apart leaves room for a later PATCH to give null a meaning.
 *  - Returned json_t and string pointers are borrowed from the parsed root
 *    and live until it is json_decref'd.
 *  - Thread-safe: no shared state (jansson's own allocator hooks aside).
 */
#ifndef CUSTOS_CORE_JSON_H
#define CUSTOS_CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define JBODY_DEFAULT_MAX_BYTES 65536   /* request body, bytes */
#define JBODY_DEFAULT_MAX_DEPTH 32      /* nesting levels; the top object is 1 */
#define JBODY_DEFAULT_MAX_STRING 16384  /* one decoded string or member name, bytes */

/* Caps for one body. A zero member means "use the default above". */
typedef struct jbody_limits {
  size_t max_bytes;  /* whole body in bytes; over it is 413 body_too_large */
  int max_depth;     /* nesting of [ and {, top-level object = 1; jansson
                        itself stops at JSON_PARSER_MAX_DEPTH (2048) */
  size_t max_string; /* any decoded string value or member name, bytes */
  bool numbers_as_double; /* decode every number as a double (json_real), as
                             JavaScript's JSON.parse does: integers beyond
                             int64 then parse instead of failing */
} jbody_limits_t;

/* True when brackets outside JSON strings nest deeper than max_depth: a
 * linear pre-scan, run before jansson (which recurses) sees deep input.
 * Shared by every JSON parser of untrusted input (bodies, JOSE). */
bool json_nesting_exceeds(const unsigned char *s, size_t n, int max_depth);

/*
 * Parses `body` (len bytes, need not be NUL-terminated) as a JSON object.
 * `lim` may be NULL for all defaults.
 *
 * Checks, in order, each failing with status/code/message:
 *   empty or whitespace-only body  400 invalid_json  "request body is empty"
 *   len > max_bytes                413 body_too_large "request body is larger than N bytes"
 *   nesting > max_depth            400 invalid_json  "JSON nested deeper than N levels"
 *   bad UTF-8 (overlong, surrogate, truncated, > U+10FFFF)
 *                                  400 invalid_json  "request body is not valid UTF-8"
 *   syntax, \u0000, number overflow
 *                                  400 invalid_json  "malformed JSON at line L column C: <detail>"
 *   duplicate member name          400 invalid_json  "duplicate member 'k' in JSON object", field k
 *   top level not an object        400 invalid_json  "request body must be a JSON object"
 *   string/member name too long    400 invalid_field "field 'a.b[2]' must be at most N bytes"
 *                                  (field is the path), or "member name in 'a.b' is longer
 *                                  than N bytes" ("member name is longer than N bytes" at
 *                                  the top level)
 *   allocation failure             500 internal_error
 *
 * Returns a new reference the caller json_decref's, or NULL with `err` set.
 * The depth and UTF-8 checks scan the bytes without recursion, so hostile
 * nesting costs O(len) and no stack.
 */
json_t *jbody_parse(const char *body, size_t len, const jbody_limits_t *lim, cerr_t *err)
    __attribute__((warn_unused_result));

/*
 * Reads string member `name` of `obj` into *out (borrowed, NUL-terminated;
 * jbody_parse guarantees no embedded NUL). An empty string counts as
 * present. max_len is in bytes, 0 = no cap beyond the parse limits.
 * Failures (status 400, field = name):
 *   absent and required  missing_field "field 'name' is required"
 *   not a string         invalid_field "field 'name' must be a string"
 *   longer than max_len  invalid_field "field 'name' must be at most N bytes"
 */
int jbody_str(const json_t *obj, const char *name, bool required, size_t max_len,
              const char **out, cerr_t *err) __attribute__((warn_unused_result));

/*
 * jbody_str with a lower bound as well: shorter than min_len fails with
 * invalid_field "field 'name' must not be empty" (min_len 1) or
 * "field 'name' must be at least N bytes". For identifiers, secrets and
 * names, where "" would otherwise slip through as present.
 */
int jbody_str_len(const json_t *obj, const char *name, bool required, size_t min_len,
                  size_t max_len, const char **out, cerr_t *err)
    __attribute__((warn_unused_result));

/*
 * Reads integer member `name` into *out, accepting only JSON integers in
 * [min, max]. Reals (even 1.0) and booleans are "field 'name' must be an
 * integer"; out of range is "field 'name' must be between MIN and MAX".
 * Integers beyond int64 never get here: jbody_parse rejects them.
 */
int jbody_int(const json_t *obj, const char *name, bool required, int64_t min, int64_t max,
              int64_t *out, cerr_t *err) __attribute__((warn_unused_result));

/* Reads boolean member `name`; anything but true/false is
 * "field 'name' must be a boolean". */
int jbody_bool(const json_t *obj, const char *name, bool required, bool *out, cerr_t *err)
    __attribute__((warn_unused_result));

/* Reads object member `name`; *out is borrowed from `obj`.
 * Wrong type is "field 'name' must be an object". */
int jbody_obj(const json_t *obj, const char *name, bool required, json_t **out, cerr_t *err)
    __attribute__((warn_unused_result));

/* Reads array member `name`; *out is borrowed from `obj`. Wrong type is
 * "field 'name' must be an array"; more than max_items elements
 * (0 = no cap) is "field 'name' must have at most N items". */
int jbody_array(const json_t *obj, const char *name, bool required, size_t max_items,
                json_t **out, cerr_t *err) __attribute__((warn_unused_result));

/*
 * Fails with 400 invalid_field "unknown field 'x'" (field x) for the first
 * member of `obj`, in document order, whose name is not in `allowed`, a
 * NULL-terminated list. For endpoints that are strict about their input.
 */
int jbody_reject_unknown(const json_t *obj, const char *const *allowed, cerr_t *err)
    __attribute__((warn_unused_result));

#endif
