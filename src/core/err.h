/*
 * err.h — the one internal error type for request handling.
 *
 * A cerr_t carries what a client needs: HTTP status, a stable machine code
 * (lower_snake_case, never changed once shipped), a human message and,
 * for bad input, the offending field. Profiles render it in their seed's
 * shape (src/http/render.h); nothing else formats errors.
 */
#ifndef CUSTOS_CORE_ERR_H
#define CUSTOS_CORE_ERR_H

#include <stdbool.h>

#define CERR_MESSAGE_MAX 256
#define CERR_FIELD_MAX 128

typedef struct cerr {
  int status;                      /* HTTP status, 0 = no error */
  const char *code;                /* static stable code, e.g. "invalid_json" */
  char message[CERR_MESSAGE_MAX];  /* NUL-terminated, safe to show clients */
  char field[CERR_FIELD_MAX];      /* NUL-terminated, "" when not about a field */
  int retry_after_s;               /* > 0: http_reply_error adds Retry-After (429, 503); cerr_set zeroes it */
} cerr_t;

/* Fills `e`; `field` may be NULL. The message is printf-formatted and
 * truncated to fit. Returns -1 so callers can `return cerr_set(...)`. */
int cerr_set(cerr_t *e, int status, const char *code, const char *field,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static inline bool cerr_is_set(const cerr_t *e) { return e->status != 0; }
static inline void cerr_clear(cerr_t *e) {
  e->status = 0;
  e->code = "";
  e->message[0] = 0;
  e->field[0] = 0;
  e->retry_after_s = 0;
}

/* Stable codes shared by every profile's renderer. */
#define CERR_BAD_REQUEST "bad_request"
#define CERR_INVALID_JSON "invalid_json"
#define CERR_MISSING_FIELD "missing_field"
#define CERR_INVALID_FIELD "invalid_field"
#define CERR_BODY_TOO_LARGE "body_too_large"
#define CERR_HEADERS_TOO_LARGE "headers_too_large"
#define CERR_NOT_FOUND "not_found"
#define CERR_METHOD_NOT_ALLOWED "method_not_allowed"
#define CERR_UNAUTHORIZED "unauthorized"
#define CERR_FORBIDDEN "forbidden"
#define CERR_CONFLICT "conflict"
#define CERR_RATE_LIMITED "rate_limited"
#define CERR_UNAVAILABLE "unavailable"
#define CERR_INTERNAL "internal_error"

#endif
