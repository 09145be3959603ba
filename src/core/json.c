#include "core/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

/* ---- pre-parse scans ---------------------------------------------------- */

static bool is_json_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool only_whitespace(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!is_json_space(s[i])) return false;
  return true;
}

/* Malformed input may be misjudged here, but jansson rejects it afterwards
 * anyway, so the only promise is: well-formed JSON within the limit always
 * passes, and nothing deeper than the limit reaches jansson. */
bool json_nesting_exceeds(const unsigned char *s, size_t n, int max_depth) {
  int depth = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c == '"') {
      /* Inside a string every backslash consumes the next byte, so \" never
       * ends the string and a "[" in a string never counts. */
      for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\') i++;
      continue;
    }
    if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return false;
}

/* ---- parse errors -------------------------------------------------------- */

/*
 * jansson's duplicate-key error does not say which key (it quotes the raw
 * token only when it is short). Its position is the byte just past the
 * key's closing quote, so walk back to the opening quote -- the first quote
 * not preceded by an odd run of backslashes -- and decode that token.
 * Writes the decoded name into `out`; returns false if anything about the
 * position looks off, and the caller falls back to a message without it.
 */
static bool duplicate_key_name(const char *body, size_t len, const json_error_t *je,
                               char *out, size_t outlen) {
  if (je->position < 2 || (size_t)je->position > len) return false;
  size_t end = (size_t)je->position; /* one past the closing quote */
  if (body[end - 1] != '"') return false;
  size_t q = end - 1;
  while (q > 0) {
    q--;
    if (body[q] != '"') continue;
    size_t bs = 0;
    while (q - bs > 0 && body[q - bs - 1] == '\\') bs++;
    if (bs % 2 == 0) break;
  }
  if (body[q] != '"' || q == end - 1) return false;
  json_error_t ignored;
  json_t *s = json_loadb(body + q, end - q, JSON_DECODE_ANY, &ignored);
  bool ok = json_is_string(s); /* NULL-safe: the macro tests s first */
  if (ok) snprintf(out, outlen, "%s", json_string_value(s));
  json_decref(s);
  return ok;
}

static int parse_error(const char *body, size_t len, const json_error_t *je, cerr_t *err) {
  switch (json_error_code(je)) {
  case json_error_out_of_memory:
    return cerr_set(err, 500, CERR_INTERNAL, NULL, "out of memory while parsing JSON");
  case json_error_stack_overflow:
    /* Only reachable when max_depth is set above jansson's own cap. */
    return cerr_set(err, 400, CERR_INVALID_JSON, NULL, "JSON nested deeper than %d levels",
                    JSON_PARSER_MAX_DEPTH);
  case json_error_duplicate_key: {
    char name[CERR_FIELD_MAX];
    if (duplicate_key_name(body, len, je, name, sizeof name))
      return cerr_set(err, 400, CERR_INVALID_JSON, name, "duplicate member '%s' in JSON object",
                      name);
    return cerr_set(err, 400, CERR_INVALID_JSON, NULL,
                    "duplicate member in JSON object at line %d column %d", je->line, je->column);
  }
  case json_error_null_character:
  case json_error_null_byte_in_key:
    /* jansson's own text names a jansson flag; say it in API terms. */
    return cerr_set(err, 400, CERR_INVALID_JSON, NULL,
                    "malformed JSON at line %d column %d: \\u0000 is not allowed in strings",
                    je->line, je->column);
  default:
    return cerr_set(err, 400, CERR_INVALID_JSON, NULL, "malformed JSON at line %d column %d: %s",
                    je->line, je->column, je->text);
  }
}

/* ---- post-parse string limits ------------------------------------------- */

/* A field path such as "a.b[2].c", truncated silently at the cerr field
 * size since that is all a client will see of it. */
typedef struct path {
  char s[CERR_FIELD_MAX];
  size_t len;
} path_t;

/* Records what snprintf wrote, clamped to what actually fit. */
static void path_grew(path_t *p, int n) {
  size_t room = sizeof p->s - p->len;
  if (n > 0) p->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* Appends ".key" (or "key" at the top) and returns the length to pop to. */
static size_t path_push_key(path_t *p, const char *key) {
  size_t mark = p->len;
  path_grew(p, snprintf(p->s + p->len, sizeof p->s - p->len, "%s%s", p->len ? "." : "", key));
  return mark;
}

static size_t path_push_index(path_t *p, size_t idx) {
  size_t mark = p->len;
  path_grew(p, snprintf(p->s + p->len, sizeof p->s - p->len, "[%zu]", idx));
  return mark;
}

static void path_pop(path_t *p, size_t mark) {
  p->len = mark;
  p->s[mark] = '\0';
}

/* Recursion depth is bounded by max_depth, which the pre-scan enforced. */
static int check_strings(const json_t *v, path_t *p, size_t max, cerr_t *err) {
  if (json_is_string(v)) {
    if (json_string_length(v) > max)
      return cerr_set(err, 400, CERR_INVALID_FIELD, p->s, "field '%s' must be at most %zu bytes",
                      p->s, max);
    return 0;
  }
  if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      size_t mark = path_push_index(p, i);
      int rc = check_strings(e, p, max, err);
      path_pop(p, mark);
      if (rc) return rc;
    }
    return 0;
  }
  if (json_is_object(v)) {
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)v, k, e) {
      if (strlen(k) > max) {
        if (p->len == 0)
          return cerr_set(err, 400, CERR_INVALID_FIELD, NULL,
                          "member name is longer than %zu bytes", max);
        return cerr_set(err, 400, CERR_INVALID_FIELD, p->s,
                        "member name in '%s' is longer than %zu bytes", p->s, max);
      }
      size_t mark = path_push_key(p, k);
      int rc = check_strings(e, p, max, err);
      path_pop(p, mark);
      if (rc) return rc;
    }
  }
  return 0;
}

/* ---- jbody_parse --------------------------------------------------------- */

json_t *jbody_parse(const char *body, size_t len, const jbody_limits_t *lim, cerr_t *err) {
  size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : JBODY_DEFAULT_MAX_BYTES;
  int max_depth = lim && lim->max_depth > 0 ? lim->max_depth : JBODY_DEFAULT_MAX_DEPTH;
  size_t max_string = lim && lim->max_string ? lim->max_string : JBODY_DEFAULT_MAX_STRING;
  const unsigned char *u = (const unsigned char *)body;

  /* Size first: an oversized body is 413 whatever it holds, and every
   * later scan is then bounded by max_bytes. */
  if (len == 0 || !body) {
    cerr_set(err, 400, CERR_INVALID_JSON, NULL, "request body is empty");
    return NULL;
  }
  if (len > max_bytes) {
    cerr_set(err, 413, CERR_BODY_TOO_LARGE, NULL, "request body is larger than %zu bytes",
             max_bytes);
    return NULL;
  }
  if (only_whitespace(u, len)) {
    cerr_set(err, 400, CERR_INVALID_JSON, NULL, "request body is empty");
    return NULL;
  }
  if (json_nesting_exceeds(u, len, max_depth)) {
    cerr_set(err, 400, CERR_INVALID_JSON, NULL, "JSON nested deeper than %d levels", max_depth);
    return NULL;
  }
  /* jansson rejects bad UTF-8 too, but with a generic message; checking
   * first lets the client hear what is actually wrong. */
  if (!utf8_valid(u, len)) {
    cerr_set(err, 400, CERR_INVALID_JSON, NULL, "request body is not valid UTF-8");
    return NULL;
  }
  /* Valid UTF-8, never valid JSON; jansson would skip one right after a
   * number or literal ({"a":1\0} parses). */
  const unsigned char *nul = memchr(u, '\0', len);
  if (nul) {
    cerr_set(err, 400, CERR_INVALID_JSON, NULL, "request body contains a NUL byte at offset %zu",
             (size_t)(nul - u));
    return NULL;
  }

  /* DECODE_ANY so a scalar top level parses and gets our own message
   * below rather than jansson's "'[' or '{' expected". */
  json_error_t je;
  size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;
  if (lim && lim->numbers_as_double) flags |= JSON_DECODE_INT_AS_REAL;
  json_t *root = json_loadb(body, len, flags, &je);
  if (!root) {
    parse_error(body, len, &je, err);
    return NULL;
  }
  if (!json_is_object(root)) {
    cerr_set(err, 400, CERR_INVALID_JSON, NULL, "request body must be a JSON object");
    goto fail;
  }
  path_t p = {.s = "", .len = 0};
  if (check_strings(root, &p, max_string, err)) goto fail;
  return root;

fail:
  json_decref(root);
  return NULL;
}

/* ---- typed getters ------------------------------------------------------- */

/*
 * Shared lookup: returns 1 with *v set when the member exists, 0 when it is
 * absent and optional, -1 (err set) when absent and required.
 */
static int lookup(const json_t *obj, const char *name, bool required, json_t **v, cerr_t *err) {
  *v = json_is_object(obj) ? json_object_get(obj, name) : NULL;
  if (*v) return 1;
  if (!required) return 0;
  return cerr_set(err, 400, CERR_MISSING_FIELD, name, "field '%s' is required", name);
}

static int wrong_type(const char *name, const char *what, cerr_t *err) {
  return cerr_set(err, 400, CERR_INVALID_FIELD, name, "field '%s' must be %s", name, what);
}

int jbody_str_len(const json_t *obj, const char *name, bool required, size_t min_len,
                  size_t max_len, const char **out, cerr_t *err) {
  json_t *v;
  int rc = lookup(obj, name, required, &v, err);
  if (rc <= 0) return rc;
  if (!json_is_string(v)) return wrong_type(name, "a string", err);
  size_t n = json_string_length(v);
  if (max_len && n > max_len)
    return cerr_set(err, 400, CERR_INVALID_FIELD, name, "field '%s' must be at most %zu bytes",
                    name, max_len);
  if (n < min_len) {
    if (min_len == 1)
      return cerr_set(err, 400, CERR_INVALID_FIELD, name, "field '%s' must not be empty", name);
    return cerr_set(err, 400, CERR_INVALID_FIELD, name, "field '%s' must be at least %zu bytes",
                    name, min_len);
  }
  *out = json_string_value(v);
  return 0;
}

int jbody_str(const json_t *obj, const char *name, bool required, size_t max_len,
              const char **out, cerr_t *err) {
  return jbody_str_len(obj, name, required, 0, max_len, out, err);
}

int jbody_int(const json_t *obj, const char *name, bool required, int64_t min, int64_t max,
              int64_t *out, cerr_t *err) {
  json_t *v;
  int rc = lookup(obj, name, required, &v, err);
  if (rc <= 0) return rc;
  /* json_is_integer is false for reals (1.0) and booleans. */
  if (!json_is_integer(v)) return wrong_type(name, "an integer", err);
  json_int_t i = json_integer_value(v);
  if (i < min || i > max)
    return cerr_set(err, 400, CERR_INVALID_FIELD, name,
                    "field '%s' must be between %" PRId64 " and %" PRId64, name, min, max);
  *out = (int64_t)i;
  return 0;
}

int jbody_bool(const json_t *obj, const char *name, bool required, bool *out, cerr_t *err) {
  json_t *v;
  int rc = lookup(obj, name, required, &v, err);
  if (rc <= 0) return rc;
  if (!json_is_boolean(v)) return wrong_type(name, "a boolean", err);
  *out = json_is_true(v);
  return 0;
}

int jbody_obj(const json_t *obj, const char *name, bool required, json_t **out, cerr_t *err) {
  json_t *v;
  int rc = lookup(obj, name, required, &v, err);
  if (rc <= 0) return rc;
  if (!json_is_object(v)) return wrong_type(name, "an object", err);
  *out = v;
  return 0;
}

int jbody_array(const json_t *obj, const char *name, bool required, size_t max_items,
                json_t **out, cerr_t *err) {
  json_t *v;
  int rc = lookup(obj, name, required, &v, err);
  if (rc <= 0) return rc;
  if (!json_is_array(v)) return wrong_type(name, "an array", err);
  if (max_items && json_array_size(v) > max_items)
    return cerr_set(err, 400, CERR_INVALID_FIELD, name, "field '%s' must have at most %zu items",
                    name, max_items);
  *out = v;
  return 0;
}

int jbody_reject_unknown(const json_t *obj, const char *const *allowed, cerr_t *err) {
  if (!json_is_object(obj)) return 0;
  const char *k;
  json_t *v;
  /* jansson's iterator API is not const-qualified; iterating does not
   * modify the object. Objects keep insertion order, so "first unknown"
   * is the first in the document. */
  json_object_foreach((json_t *)obj, k, v) {
    bool known = false;
    for (const char *const *a = allowed; a && *a; a++) {
      if (strcmp(*a, k) == 0) {
        known = true;
        break;
      }
    }
    if (!known) return cerr_set(err, 400, CERR_INVALID_FIELD, k, "unknown field '%s'", k);
  }
  return 0;
}
