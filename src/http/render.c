#include "http/render.h"

#include <string.h>

#include "custos.h"

/*
 * Length of `s` without a multi-byte UTF-8 sequence cut short at its end.
 * cerr_set truncates messages by bytes, which can split a character of a
 * client-supplied member name; passing that on would make the body
 * invalid UTF-8, which strict JSON clients refuse.
 */
static size_t utf8_whole_len(const char *s) {
  size_t n = strlen(s), i = n, cont = 0;
  while (i > 0 && cont < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
    i--;
    cont++;
  }
  if (i == 0) return n;
  unsigned char lead = (unsigned char)s[i - 1];
  size_t want = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  return cont < want ? i - 1 : n;
}

static int put_json_string(buf_t *b, const char *s) {
  int rc = buf_puts(b, "\"");
  if (!rc) rc = buf_json_escape(b, s, utf8_whole_len(s));
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

/* One row per profile; profiles add theirs here. */
static const struct {
  const char *profile;
  render_fn fn;
} RENDERERS[] = {
    {"custos", render_custos},
};

render_fn render_for_profile(const char *profile) {
  if (profile) {
    for (size_t i = 0; i < sizeof RENDERERS / sizeof RENDERERS[0]; i++)
      if (strcmp(RENDERERS[i].profile, profile) == 0) return RENDERERS[i].fn;
  }
  return render_custos;
}
