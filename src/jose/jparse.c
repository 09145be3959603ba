#include "jose/jparse.h"

#include <string.h>

#include "core/json.h"
#include "custos.h"


int jose_json_parse(const char *text, size_t len, int max_depth, json_t **out) {
  if (!text || !out) return CUSTOS_EINVAL;
  if (max_depth <= 0) max_depth = JOSE_JSON_MAX_DEPTH;
  if (max_depth > JSON_PARSER_MAX_DEPTH) max_depth = JSON_PARSER_MAX_DEPTH;
  /* A raw NUL is never valid JSON, but jansson skips one right after a
   * number or literal ({"exp":1\0} parses): refused first, wherever it
   * is, as the claims scanner (jindex.c) does. */
  if (memchr(text, '\0', len)) return CUSTOS_EINVAL;
  if (json_nesting_exceeds((const unsigned char *)text, len, max_depth)) return CUSTOS_EDEPTH;

  json_error_t je;
  json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!v) {
    switch (json_error_code(&je)) {
    case json_error_duplicate_key: return CUSTOS_EDUP;
    case json_error_out_of_memory: return CUSTOS_ENOMEM;
    case json_error_stack_overflow: return CUSTOS_EDEPTH;
    default: return CUSTOS_EINVAL;
    }
  }
  if (!json_is_object(v)) {
    json_decref(v);
    return CUSTOS_EINVAL;
  }
  *out = v;
  return CUSTOS_OK;
}
