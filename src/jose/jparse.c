#include "jose/jparse.h"

#include "custos.h"

/*
 * True when brackets outside strings nest deeper than max_depth. Inside a
 * string a backslash consumes the next byte, so \" does not end it and a
 * "[" inside a string never counts. Malformed input may be misjudged, but
 * jansson rejects it afterwards; the promise is only that well-formed JSON
 * within the limit passes and nothing deeper reaches jansson.
 */
static int too_deep(const unsigned char *s, size_t n, int max_depth) {
  int depth = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c == '"') {
      for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\') i++;
      continue;
    }
    if (c == '[' || c == '{') {
      if (++depth > max_depth) return 1;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return 0;
}

int jose_json_parse(const char *text, size_t len, int max_depth, json_t **out) {
  if (!text || !out) return CUSTOS_EINVAL;
  if (max_depth <= 0) max_depth = JOSE_JSON_MAX_DEPTH;
  if (max_depth > JSON_PARSER_MAX_DEPTH) max_depth = JSON_PARSER_MAX_DEPTH;
  if (too_deep((const unsigned char *)text, len, max_depth)) return CUSTOS_EDEPTH;

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
