/* TEMPORARY stand-in until the render module lands. */
#include "http/render.h"
#include <string.h>
static int render_default(const cerr_t *e, const char *request_id, buf_t *out) {
  int rc = buf_printf(out, "{\"error\":{\"code\":\"%s\",\"message\":\"", e->code);
  if (!rc) rc = buf_json_escape(out, e->message, strlen(e->message));
  if (!rc && e->field[0]) { rc = buf_puts(out, "\",\"field\":\""); if (!rc) rc = buf_json_escape(out, e->field, strlen(e->field)); }
  if (!rc) rc = buf_puts(out, "\"}");
  if (!rc && request_id) { rc = buf_puts(out, ",\"request_id\":\""); if (!rc) rc = buf_json_escape(out, request_id, strlen(request_id)); if (!rc) rc = buf_puts(out, "\""); }
  if (!rc) rc = buf_puts(out, "}");
  return rc;
}
render_fn render_for_profile(const char *profile) { (void)profile; return render_default; }
