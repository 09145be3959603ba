/*
 * jsonw.h — a streaming JSON writer over buf_t for hot-path responses.
 *
 * Building a jansson tree and dumping it costs ~25k instructions for a
 * five-member object (callgrind, /v1/whoami); writing the text directly
 * costs a few hundred. Use jansson where convenience matters (admin API)
 * and this where every request pays.
 *
 * Errors are sticky: calls after a failure do nothing, and jw_finish()
 * reports the first one, so call sites need no check per member. Strings
 * must be valid UTF-8 (control characters, quotes and backslashes are
 * escaped). Nesting deeper than JW_MAX_DEPTH fails with CUSTOS_EDEPTH.
 */
#ifndef CUSTOS_CORE_JSONW_H
#define CUSTOS_CORE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define JW_MAX_DEPTH 16

typedef struct jw {
  buf_t *b;                          /* output, appended to */
  int depth;                         /* open containers */
  bool need_comma[JW_MAX_DEPTH + 1]; /* per level: a value was written */
  char closer[JW_MAX_DEPTH + 1];     /* per open level: '}' or ']' */
  bool after_key;                    /* the next value belongs to a key */
  int rc;                            /* first error, CUSTOS_OK until then */
} jw_t;

void jw_init(jw_t *w, buf_t *b);
void jw_obj(jw_t *w);                 /* { */
void jw_arr(jw_t *w);                 /* [ */
void jw_end(jw_t *w);                 /* } or ], whichever is open */
void jw_key(jw_t *w, const char *k);  /* "k": — the next call writes its value */
void jw_str(jw_t *w, const char *s);
void jw_strn(jw_t *w, const char *s, size_t n);
void jw_int(jw_t *w, int64_t v);
void jw_bool(jw_t *w, bool v);
void jw_null(jw_t *w);
/* Key and string value in one call. */
void jw_kstr(jw_t *w, const char *k, const char *v);
/* CUSTOS_OK when every call succeeded and all containers are closed. */
int jw_finish(const jw_t *w) __attribute__((warn_unused_result));

#endif
