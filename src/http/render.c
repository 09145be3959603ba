#include "http/render.h"

#include <string.h>

#include "core/utf8.h"
#include "custos.h"

/*
 * Appends `s` as a JSON string. Bytes that are not strict UTF-8 become
 * U+FFFD: messages can carry client bytes (jansson quotes the input near a
 * syntax error, cutting characters in half) and cerr_set truncates by
 * bytes, but a body that is not valid UTF-8 is one strict JSON clients
 * refuse to read at all.
 */
static int put_json_string(buf_t *b, const char *s) {
  static const char REPLACEMENT[] = "\xEF\xBF\xBD";
  const unsigned char *u = (const unsigned char *)s;
  size_t n = strlen(s), start = 0, i = 0;
  int rc = buf_puts(b, "\"");
  while (!rc && i < n) {
    if (u[i] < 0x80) {
      i++;
      continue;
    }
    size_t k = utf8_char_len(u + i, n - i);
    if (k) {
      i += k;
      continue;
    }
    rc = buf_json_escape(b, s + start, i - start);
    if (!rc) rc = buf_append(b, REPLACEMENT, sizeof REPLACEMENT - 1);
    start = ++i;
  }
  if (!rc) rc = buf_json_escape(b, s + start, n - start);
  if (!rc) rc = buf_puts(b, "\"");
  return rc;
}

int render_custos(const cerr_t *e, const char *request_id, buf_t *out) {
  const char *code = e->code && *e->code ? e->code : CERR_INTERNAL;
  /* Build aside and append once, so `out` changes entirely or not at all. */
  buf_t body;
  buf_init(&body, 0);
  int rc = buf_puts(&body, "{\"error\":{\"code\":");
  if (!rc) rc = put_json_string(&body, code);
  if (!rc) rc = buf_puts(&body, ",\"message\":");
  if (!rc) rc = put_json_string(&body, e->message);
  if (!rc && e->field[0]) {
    rc = buf_puts(&body, ",\"field\":");
    if (!rc) rc = put_json_string(&body, e->field);
  }
  if (!rc) rc = buf_puts(&body, "}");
  if (!rc && request_id && *request_id) {
    rc = buf_puts(&body, ",\"request_id\":");
    if (!rc) rc = put_json_string(&body, request_id);
  }
  if (!rc) rc = buf_puts(&body, "}");
  if (!rc) rc = buf_append(out, body.data, body.len);
  buf_cleanup(&body);
  return rc;
}

int render_code_message(const cerr_t *e, const char *request_id, buf_t *out) {
  (void)request_id;
  const char *code = e->code && *e->code ? e->code : CERR_INTERNAL;
  buf_t body;
  buf_init(&body, 0);
  int rc = buf_puts(&body, "{\"error\":{\"code\":");
  if (!rc) rc = put_json_string(&body, code);
  if (!rc) rc = buf_puts(&body, ",\"message\":");
  if (!rc) rc = put_json_string(&body, e->message);
  if (!rc) rc = buf_puts(&body, "}}");
  if (!rc) rc = buf_append(out, body.data, body.len);
  buf_cleanup(&body);
  return rc;
}

/* Generic custos codes in AssetPay's upper-snake style. */
static const char *assetpay_code(const char *code) {
  static const struct { const char *from, *to; } MAP[] = {
      {CERR_INVALID_JSON, "INVALID_JSON"},
      {CERR_MISSING_FIELD, "VALIDATION_ERROR"},
      {CERR_INVALID_FIELD, "VALIDATION_ERROR"},
      {CERR_BAD_REQUEST, "VALIDATION_ERROR"},
      {CERR_BODY_TOO_LARGE, "PAYLOAD_TOO_LARGE"},
      {CERR_HEADERS_TOO_LARGE, "HEADERS_TOO_LARGE"},
      {CERR_NOT_FOUND, "NOT_FOUND"},
      {CERR_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"},
      {CERR_UNAUTHORIZED, "UNAUTHORIZED"},
      {CERR_FORBIDDEN, "FORBIDDEN"},
      {CERR_CONFLICT, "CONFLICT"},
      {CERR_RATE_LIMITED, "RATE_LIMITED"},
      {CERR_UNAVAILABLE, "SERVICE_UNAVAILABLE"},
      {CERR_INTERNAL, "INTERNAL_ERROR"},
      {"no_policy", "FORBIDDEN"},
  };
  for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
    if (strcmp(MAP[i].from, code) == 0) return MAP[i].to;
  return code;
}

int render_assetpay(const cerr_t *e, const char *request_id, buf_t *out) {
  const char *code = assetpay_code(e->code && *e->code ? e->code : CERR_INTERNAL);
  buf_t body;
  buf_init(&body, 0);
  int rc = buf_puts(&body, "{\"requestId\":");
  if (!rc) rc = put_json_string(&body, request_id ? request_id : "");
  if (!rc) rc = buf_puts(&body, ",\"success\":false,\"error\":{\"code\":");
  if (!rc) rc = put_json_string(&body, code);
  if (!rc) rc = buf_puts(&body, ",\"message\":");
  if (!rc) rc = put_json_string(&body, e->message);
  if (!rc) rc = buf_puts(&body, "}}");
  if (!rc) rc = buf_append(out, body.data, body.len);
  buf_cleanup(&body);
  return rc;
}

/* custos's generic codes in Open Ledger's upper-case style. */
static const struct {
  const char *from, *to;
} OL_CODES[] = {
    {CERR_BAD_REQUEST, "VALIDATION_ERROR"},       {CERR_INVALID_JSON, "VALIDATION_ERROR"},
    {CERR_MISSING_FIELD, "VALIDATION_ERROR"},     {CERR_INVALID_FIELD, "VALIDATION_ERROR"},
    {CERR_BODY_TOO_LARGE, "PAYLOAD_TOO_LARGE"},   {CERR_HEADERS_TOO_LARGE, "HEADERS_TOO_LARGE"},
    {CERR_NOT_FOUND, "NOT_FOUND"},                {CERR_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"},
    {CERR_UNAUTHORIZED, "AUTHENTICATION_ERROR"},  {CERR_FORBIDDEN, "AUTHORIZATION_ERROR"},
    {CERR_CONFLICT, "CONFLICT"},                  {CERR_RATE_LIMITED, "RATE_LIMITED"},
    {CERR_UNAVAILABLE, "SERVICE_UNAVAILABLE"},    {CERR_INTERNAL, "INTERNAL_ERROR"},
};

int render_openledger(const cerr_t *e, const char *request_id, buf_t *out) {
  cerr_t m = *e;
  const char *code = e->code && *e->code ? e->code : CERR_INTERNAL;
  m.code = code;
  for (size_t i = 0; i < sizeof OL_CODES / sizeof OL_CODES[0]; i++)
    if (strcmp(OL_CODES[i].from, code) == 0) m.code = OL_CODES[i].to;
  return render_code_message(&m, request_id, out);
}

/* One row per profile; profiles add theirs here. */
static const struct {
  const char *profile;
  render_fn fn;
} RENDERERS[] = {
    {"custos", render_custos},
    {"thelayer", render_code_message},
    {"assetpay", render_assetpay},
    {"openledger", render_openledger},
};

render_fn render_for_profile(const char *profile) {
  if (profile) {
    for (size_t i = 0; i < sizeof RENDERERS / sizeof RENDERERS[0]; i++)
      if (strcmp(RENDERERS[i].profile, profile) == 0) return RENDERERS[i].fn;
  }
  return render_custos;
}
