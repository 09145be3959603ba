#include "core/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "custos.h"

void jw_init(jw_t *w, buf_t *b) {
  memset(w, 0, sizeof *w);
  w->b = b;
}

static void put(jw_t *w, const char *s, size_t n) {
  if (w->rc == CUSTOS_OK) w->rc = buf_append(w->b, s, n);
}

/* Comma before a value that is not the first at its level, unless it
 * follows its key. */
static void before_value(jw_t *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->need_comma[w->depth]) put(w, ",", 1);
  w->need_comma[w->depth] = true;
}

static void open_(jw_t *w, char c) {
  before_value(w);
  if (w->rc) return;
  if (w->depth >= JW_MAX_DEPTH) {
    w->rc = CUSTOS_EDEPTH;
    return;
  }
  put(w, &c, 1);
  w->depth++;
  w->need_comma[w->depth] = false;
  w->closer[w->depth] = c == '{' ? '}' : ']';
}

void jw_obj(jw_t *w) { open_(w, '{'); }
void jw_arr(jw_t *w) { open_(w, '['); }

void jw_end(jw_t *w) {
  if (w->rc) return;
  if (w->depth == 0 || w->after_key) {
    w->rc = CUSTOS_EINVAL;
    return;
  }
  put(w, &w->closer[w->depth], 1);
  w->depth--;
}

void jw_key(jw_t *w, const char *k) {
  before_value(w);
  put(w, "\"", 1);
  if (w->rc == CUSTOS_OK) w->rc = buf_json_escape(w->b, k, strlen(k));
  put(w, "\":", 2);
  w->after_key = true;
}

void jw_strn(jw_t *w, const char *s, size_t n) {
  before_value(w);
  put(w, "\"", 1);
  if (w->rc == CUSTOS_OK) w->rc = buf_json_escape(w->b, s, n);
  put(w, "\"", 1);
}

void jw_str(jw_t *w, const char *s) { jw_strn(w, s, strlen(s)); }

void jw_int(jw_t *w, int64_t v) {
  before_value(w);
  char tmp[24];
  int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);
  put(w, tmp, (size_t)n);
}

void jw_bool(jw_t *w, bool v) {
  before_value(w);
  put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(jw_t *w) {
  before_value(w);
  put(w, "null", 4);
}

void jw_kstr(jw_t *w, const char *k, const char *v) {
  jw_key(w, k);
  jw_str(w, v);
}

int jw_finish(const jw_t *w) {
  if (w->rc) return w->rc;
  return (w->depth == 0 && !w->after_key) ? CUSTOS_OK : CUSTOS_EINVAL;
}
