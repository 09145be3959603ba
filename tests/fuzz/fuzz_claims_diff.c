/*
 * fuzz_claims_diff — differential check of the claims scanner
 * (jose_jindex_scan, jose/jindex.h) against jose_json_parse (jansson), the
 * parser it replaces on the verify hot path. For every input, at the
 * default depth and at a tight one:
 *  - both return the same code (accept, or the same refusal: EDEPTH, EDUP,
 *    EINVAL);
 *  - on accept, the same top-level members in the same order, each with
 *    the same name, type and value (strings byte for byte, integers
 *    exactly, reals bit for bit), and each recorded span parses to a value
 *    equal to jansson's member;
 *  - the claim checks (jose_jwt_check_claims vs jose_jwt_check_claims_view)
 *    give the same code under several policies;
 *  - a claims object built from the scan answers custos_claims_get_string,
 *    _get_int and _get_json exactly as the old jansson-backed code did.
 * Any difference aborts, so libFuzzer keeps the input.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"
#include "jose/jindex.h"
#include "jose/jparse.h"
#include "jose/jwt.h"
#include "lib/claims.h"

#define CHECK(x) \
  do {           \
    if (!(x)) abort(); \
  } while (0)

static char *dump(const json_t *v) {
  return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* custos_claims_get_int as it was when claims were a jansson tree. */
static int old_get_int(const json_t *obj, const char *name, int64_t *out) {
  json_t *v = json_object_get(obj, name);
  if (!v) return CUSTOS_ENOTFOUND;
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return CUSTOS_OK;
  }
  if (!json_is_real(v)) return CUSTOS_EINVAL;
  double d = json_real_value(v);
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != (double)(int64_t)d)
    return CUSTOS_EINVAL;
  *out = (int64_t)d;
  return CUSTOS_OK;
}

static void check_member(const jose_jview_t *view, const jose_jmember_t *m, const char *key,
                         size_t klen, const json_t *v) {
  CHECK(m->name_len == klen && memcmp(jose_jview_name(view, m), key, klen) == 0);
  CHECK(jose_jview_name(view, m)[klen] == '\0');
  switch (json_typeof(v)) {
  case JSON_STRING:
    CHECK(m->type == JOSE_JSTRING);
    CHECK(m->str_len == json_string_length(v));
    CHECK(memcmp(jose_jview_str(view, m), json_string_value(v), m->str_len + 1) == 0);
    break;
  case JSON_INTEGER:
    CHECK(m->type == JOSE_JINT && m->v.i == (int64_t)json_integer_value(v));
    break;
  case JSON_REAL: {
    double d = json_real_value(v);
    CHECK(m->type == JOSE_JREAL && memcmp(&m->v.d, &d, sizeof d) == 0);
    break;
  }
  case JSON_TRUE: CHECK(m->type == JOSE_JTRUE); break;
  case JSON_FALSE: CHECK(m->type == JOSE_JFALSE); break;
  case JSON_NULL: CHECK(m->type == JOSE_JNULL); break;
  case JSON_OBJECT: CHECK(m->type == JOSE_JOBJECT); break;
  case JSON_ARRAY: CHECK(m->type == JOSE_JARRAY); break;
  }
  /* The span is exactly the member's value text. */
  CHECK((size_t)m->span + m->span_len <= view->text_len);
  json_t *again = json_loadb(view->text + m->span, m->span_len,
                             JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
  CHECK(again && json_equal(again, v));
  json_decref(again);
}

static void check_policies(const json_t *obj, const jose_jview_t *view) {
  static const char *const iss[] = {NULL, "a", "https://auth.example", ""};
  static const char *const aud[] = {NULL, "api", "a", "\xc3\xa9", ""};
  static const int64_t now[] = {1700000000, 0, 1};
  for (size_t i = 0; i < sizeof iss / sizeof *iss; i++)
    for (size_t a = 0; a < sizeof aud / sizeof *aud; a++)
      for (size_t t = 0; t < sizeof now / sizeof *now; t++)
        for (int req = 0; req < 2; req++) {
          jose_policy_t p;
          jose_policy_init(&p);
          p.iss = iss[i];
          p.aud = aud[a];
          p.now = now[t];
          p.leeway = t == 2 ? 0 : 30;
          p.require_exp = req;
          CHECK(jose_jwt_check_claims(&p, obj) == jose_jwt_check_claims_view(&p, view));
        }
}

static void check_accessors(const json_t *obj, const jose_jindex_t *ix, const char *text,
                            size_t len) {
  custos_claims_t *c = claims_new(ix, text, len);
  if (!c) return;
  char *mine = NULL, *theirs = dump(obj);
  CHECK(custos_claims_get_json(c, NULL, &mine) == CUSTOS_OK && theirs);
  CHECK(strcmp(mine, theirs) == 0);
  free(mine);
  free(theirs);
  static const char *const probes[] = {"exp", "sub", "a", "", "aud"};
  for (size_t k = 0; k < sizeof probes / sizeof *probes; k++) {
    const char *s = NULL;
    int64_t i1 = 0, i2 = 0;
    json_t *v = json_object_get(obj, probes[k]);
    int rc = custos_claims_get_string(c, probes[k], &s);
    CHECK(rc == (!v ? CUSTOS_ENOTFOUND : json_is_string(v) ? CUSTOS_OK : CUSTOS_EINVAL));
    if (rc == CUSTOS_OK) CHECK(strcmp(s, json_string_value(v)) == 0);
    rc = custos_claims_get_int(c, probes[k], &i1);
    CHECK(rc == old_get_int(obj, probes[k], &i2));
    if (rc == CUSTOS_OK) CHECK(i1 == i2);
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    char *a = NULL, *b = dump(v);
    /* jansson's name lookup stops at the key's length; names with no NUL
     * (all of them: \u0000 is refused) compare the same as C strings. */
    CHECK(custos_claims_get_json(c, key, &a) == CUSTOS_OK && b);
    CHECK(strcmp(a, b) == 0);
    free(a);
    free(b);
  }
  custos_claims_free(c);
}

static void one(const char *text, size_t len, int max_depth) {
  json_t *obj = NULL;
  jose_jindex_t ix;
  jose_jindex_init(&ix);
  int want = jose_json_parse(text, len, max_depth, &obj);
  int got = jose_jindex_scan(&ix, text, len, max_depth);
  if (want == CUSTOS_ENOMEM || got == CUSTOS_ENOMEM) goto out; /* not input-determined */
  CHECK(got == want);
  if (got != CUSTOS_OK) goto out;
  jose_jview_t view = jose_jindex_view(&ix, text, len);
  CHECK(view.n == json_object_size(obj));
  size_t k = 0;
  void *it;
  for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it), k++)
    check_member(&view, &view.m[k], json_object_iter_key(it), json_object_iter_key_len(it),
                 json_object_iter_value(it));
  check_policies(obj, &view);
  check_accessors(obj, &ix, text, len);
out:
  json_decref(obj);
  jose_jindex_cleanup(&ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  one((const char *)data, size, 0); /* default depth, as custos_verify uses */
  one((const char *)data, size, 3);
  return 0;
}
