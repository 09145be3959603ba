#include "lib/claims.h"

#include <stdlib.h>
#include <string.h>

custos_claims_t *claims_take(json_t *obj) {
  custos_claims_t *c = malloc(sizeof *c);
  if (!c) {
    json_decref(obj);
    return NULL;
  }
  c->obj = obj;
  return c;
}

CUSTOS_API void custos_claims_free(custos_claims_t *c) {
  if (!c) return;
  json_decref(c->obj);
  free(c);
}

CUSTOS_API void custos_free(void *p) { free(p); }

CUSTOS_API int custos_claims_get_string(const custos_claims_t *c, const char *name,
                                        const char **out) {
  if (!c || !name || !out) return CUSTOS_EINVAL;
  json_t *v = json_object_get(c->obj, name);
  if (!v) return CUSTOS_ENOTFOUND;
  if (!json_is_string(v)) return CUSTOS_EINVAL;
  *out = json_string_value(v);
  return CUSTOS_OK;
}

CUSTOS_API int custos_claims_get_int(const custos_claims_t *c, const char *name, int64_t *out) {
  if (!c || !name || !out) return CUSTOS_EINVAL;
  json_t *v = json_object_get(c->obj, name);
  if (!v) return CUSTOS_ENOTFOUND;
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return CUSTOS_OK;
  }
  if (!json_is_real(v)) return CUSTOS_EINVAL;
  /* -2^63 is exact as a double; 2^63 is the first value out of range. */
  double d = json_real_value(v);
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != (double)(int64_t)d)
    return CUSTOS_EINVAL;
  *out = (int64_t)d;
  return CUSTOS_OK;
}

CUSTOS_API int custos_claims_get_json(const custos_claims_t *c, const char *name, char **out) {
  if (!c || !out) return CUSTOS_EINVAL;
  json_t *v = name ? json_object_get(c->obj, name) : c->obj;
  if (!v) return CUSTOS_ENOTFOUND;
  /* json_dumps allocates with jansson's allocator, which the application
   * may have replaced; custos_free promises plain free(), so copy. */
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!s) return CUSTOS_ENOMEM;
  char *copy = strdup(s);
  json_free_t jfree = NULL;
  json_get_alloc_funcs(NULL, &jfree);
  jfree(s);
  if (!copy) return CUSTOS_ENOMEM;
  *out = copy;
  return CUSTOS_OK;
}
