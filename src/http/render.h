/* TEMPORARY stand-in until the render module lands. */
#ifndef CUSTOS_HTTP_RENDER_H
#define CUSTOS_HTTP_RENDER_H
#include "core/buf.h"
#include "core/err.h"
typedef int (*render_fn)(const cerr_t *e, const char *request_id, buf_t *out);
render_fn render_for_profile(const char *profile);
#endif
