/*
 * render.h — turning a cerr_t into an error response body.
 *
 * Each profile answers errors in its seed's shape; a renderer is one such
 * shape. They sit in one table (render.c) so a profile plugs in by adding a
 * row, and nothing outside this module formats an error body. The HTTP
 * status is e->status; renderers write only the body.
 */
#ifndef CUSTOS_HTTP_RENDER_H
#define CUSTOS_HTTP_RENDER_H

#include "core/buf.h"
#include "core/err.h"

/*
 * Appends the body for `e` to `out`. `request_id` may be NULL (or "") to
 * leave it out. Returns CUSTOS_OK, CUSTOS_ETOOBIG (out's cap) or
 * CUSTOS_ENOMEM; on failure `out` is unchanged. Thread-safe.
 */
typedef int (*render_fn)(const cerr_t *e, const char *request_id, buf_t *out);

/*
 * The default custos shape, compact JSON with members in this order:
 *   {"error":{"code":"invalid_field","message":"field 'name' must be a string",
 *             "field":"name"},"request_id":"req_…"}
 * "field" is omitted when e->field is empty, "request_id" when NULL or "".
 * A NULL or empty e->code renders as "internal_error" so a body always has
 * a code. Strings are JSON-escaped, and any byte that is not strict UTF-8
 * becomes U+FFFD, so the body is always valid UTF-8 JSON.
 */
int render_custos(const cerr_t *e, const char *request_id, buf_t *out)
    __attribute__((warn_unused_result));

/*
 * AssetPay's envelope (docs/profiles/assetpay.md):
 *   {"requestId":"req_…","success":false,"error":{"code":"INVALID_API_KEY","message":"…"}}
 * requestId is "" when request_id is NULL. Generic custos codes are shown
 * upper-snake (invalid_json → INVALID_JSON, invalid_field/missing_field →
 * VALIDATION_ERROR, body_too_large → PAYLOAD_TOO_LARGE, …); codes already
 * in that style pass through. Same guarantees as render_custos.
 */
int render_assetpay(const cerr_t *e, const char *request_id, buf_t *out)
    __attribute__((warn_unused_result));

/*
 * Just the code and the message, nothing else (no field, no request id):
 *   {"error":{"code":"TOKEN1_MISSING","message":"Token1 header is required"}}
 * The Layer's shape (docs/profiles/thelayer.md). Same guarantees as
 * render_custos.
 */
int render_code_message(const cerr_t *e, const char *request_id, buf_t *out)
    __attribute__((warn_unused_result));

/*
 * Open Ledger's shape (docs/profiles/openledger.md), as the seed prints it:
 *   {"error":{"code":"AUTHENTICATION_ERROR","message":"Invalid authentication token"}}
 * Codes the profile sets pass through; custos's generic lower-case codes
 * (errors raised before the profile runs: invalid_json, body_too_large,
 * not_found, …) become upper-case ones in the seed's style
 * (VALIDATION_ERROR, PAYLOAD_TOO_LARGE, NOT_FOUND, …). Same guarantees as
 * render_custos.
 */
int render_openledger(const cerr_t *e, const char *request_id, buf_t *out)
    __attribute__((warn_unused_result));

/*
 * Returns the renderer for profile name `profile` ("custos", later
 * "openledger", "assetpay", …); NULL or an unknown name gives
 * render_custos. Never returns NULL; the function it points to is static.
 */
render_fn render_for_profile(const char *profile);

#endif
