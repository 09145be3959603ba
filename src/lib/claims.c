#include "lib/claims.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

custos_claims_t *claims_new(const jose_jindex_t *ix, const char *text, size_t len) {
  size_t mbytes = ix->n * sizeof(jose_jmember_t);
  custos_claims_t *c = malloc(sizeof *c + mbytes + len + 1 + ix->strs_len);
  if (!c) return NULL;
  jose_jmember_t *m = (jose_jmember_t *)(c + 1);
  char *t = (char *)m + mbytes, *strs = t + len + 1;
  memcpy(m, ix->m, mbytes);
  memcpy(t, text, len);
  t[len] = '\0';
  memcpy(strs, ix->strs, ix->strs_len);
  atomic_init(&c->refs, 1);
  c->view = (jose_jview_t){.m = m, .n = ix->n, .strs = strs, .text = t, .text_len = len};
  return c;
}

custos_claims_t *claims_ref(custos_claims_t *c) {
  atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
  return c;
}

bool claims_exp(const custos_claims_t *c, double *exp) {
  const jose_jmember_t *m = jose_jview_get(&c->view, "exp", 3);
  if (!m || (m->type != JOSE_JINT && m->type != JOSE_JREAL)) return false;
  *exp = jose_jmember_number(m);
  return true;
}

CUSTOS_API void custos_claims_free(custos_claims_t *c) {
  if (!c) return;
  if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) free(c);
}

CUSTOS_API void custos_free(void *p) { free(p); }

static const jose_jmember_t *member(const custos_claims_t *c, const char *name) {
  return jose_jview_get(&c->view, name, strlen(name));
}

CUSTOS_API int custos_claims_get_string(const custos_claims_t *c, const char *name,
                                        const char **out) {
  if (!c || !name || !out) return CUSTOS_EINVAL;
  const jose_jmember_t *m = member(c, name);
  if (!m) return CUSTOS_ENOTFOUND;
  if (m->type != JOSE_JSTRING) return CUSTOS_EINVAL;
  *out = jose_jview_str(&c->view, m);
  return CUSTOS_OK;
}

CUSTOS_API int custos_claims_get_int(const custos_claims_t *c, const char *name, int64_t *out) {
  if (!c || !name || !out) return CUSTOS_EINVAL;
  const jose_jmember_t *m = member(c, name);
  if (!m) return CUSTOS_ENOTFOUND;
  if (m->type == JOSE_JINT) {
    *out = m->v.i;
    return CUSTOS_OK;
  }
  if (m->type != JOSE_JREAL) return CUSTOS_EINVAL;
  /* -2^63 is exact as a double; 2^63 is the first value out of range. */
  double d = m->v.d;
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != (double)(int64_t)d)
    return CUSTOS_EINVAL;
  *out = (int64_t)d;
  return CUSTOS_OK;
}

/*
 * Serialises through jansson, from the member's own text (or the whole
 * payload), so the output is byte for byte what a jansson tree of the
 * payload would dump. The text was validated by the scan, so parsing it
 * again can only fail for memory.
 */
CUSTOS_API int custos_claims_get_json(const custos_claims_t *c, const char *name, char **out) {
  if (!c || !out) return CUSTOS_EINVAL;
  const char *text = c->view.text;
  size_t len = c->view.text_len;
  if (name) {
    const jose_jmember_t *m = member(c, name);
    if (!m) return CUSTOS_ENOTFOUND;
    text += m->span;
    len = m->span_len;
  }
  json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
  if (!v) return CUSTOS_ENOMEM;
  /* json_dumps allocates with jansson's allocator, which the application
   * may have replaced; custos_free promises plain free(), so copy. */
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(v);
  if (!s) return CUSTOS_ENOMEM;
  char *copy = strdup(s);
  json_free_t jfree = NULL;
  json_get_alloc_funcs(NULL, &jfree);
  jfree(s);
  if (!copy) return CUSTOS_ENOMEM;
  *out = copy;
  return CUSTOS_OK;
}
