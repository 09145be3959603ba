/* Tests for src/jose/jindex.c: the claims scanner. A table of texts with
 * the code each must give -- the same as jose_json_parse's, which every
 * row also checks -- then what an accepted text's index records, the
 * heap paths, and the claim checks on an index. */
#include "jose/helpers.h"

#include <jansson.h>

#include "jose/jindex.h"
#include "jose/jparse.h"
#include "jose/jwt.h"

typedef struct row {
  const char *what;
  const char *text;
  size_t len;    /* 0 = strlen(text) */
  int depth;     /* max_depth, 0 = default */
  int want;
} row_t;

#define R(what, text, want) {what, text, 0, 0, want}
#define RL(what, text, want) {what, text, sizeof text - 1, 0, want}
#define RD(what, text, depth, want) {what, text, 0, depth, want}

static const row_t rows[] = {
    R("typical claims", "{\"sub\":\"u\",\"exp\":1700000000,\"aud\":[\"a\",\"b\"]}", CUSTOS_OK),
    R("empty object", " {} ", CUSTOS_OK),
    R("whitespace all kinds", "\t{\r\n\"a\" : 1 ,\"b\":[ ] }\n", CUSTOS_OK),
    R("top-level array", "[]", CUSTOS_EINVAL),
    R("top-level string", "\"x\"", CUSTOS_EINVAL),
    R("top-level number", "1", CUSTOS_EINVAL),
    R("empty text", "", CUSTOS_EINVAL),
    R("only whitespace", "  ", CUSTOS_EINVAL),
    R("trailing garbage", "{} x", CUSTOS_EINVAL),
    R("two objects", "{}{}", CUSTOS_EINVAL),
    R("trailing comma in object", "{\"a\":1,}", CUSTOS_EINVAL),
    R("trailing comma in array", "{\"a\":[1,]}", CUSTOS_EINVAL),
    R("missing colon", "{\"a\" 1}", CUSTOS_EINVAL),
    R("unquoted name", "{a:1}", CUSTOS_EINVAL),
    R("single quotes", "{'a':1}", CUSTOS_EINVAL),
    R("unterminated", "{\"a\":1", CUSTOS_EINVAL),
    R("unterminated string", "{\"a\":\"b", CUSTOS_EINVAL),
    R("byte order mark", "\xef\xbb\xbf{}", CUSTOS_EINVAL),
    /* duplicates: anywhere, after unescaping, before a later error */
    R("duplicate name", "{\"a\":1,\"a\":2}", CUSTOS_EDUP),
    R("duplicate after unescaping", "{\"a\":1,\"\\u0061\":2}", CUSTOS_EDUP),
    R("duplicate nested", "{\"o\":{\"x\":1,\"x\":2}}", CUSTOS_EDUP),
    R("duplicate in array element", "[{\"a\":1,\"a\":2}]", CUSTOS_EDUP),
    R("duplicate then EOF", "{\"a\":1,\"a\"", CUSTOS_EDUP),
    R("duplicate then garbage", "{\"a\":1,\"a\" x", CUSTOS_EDUP),
    R("garbage then duplicate", "{\"a\":1 x,\"a\":2}", CUSTOS_EINVAL),
    R("bad duplicate name", "{\"a\":1,\"a", CUSTOS_EINVAL),
    R("same name in sibling objects", "{\"o\":{\"x\":1},\"p\":{\"x\":1},\"x\":0}", CUSTOS_OK),
    R("many names, hashed, dup last",
      "{\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":0,\"f\":0,\"g\":0,\"h\":0,\"i\":0,\"j\":0,"
      "\"k\":0,\"l\":0,\"m\":0,\"n\":0,\"o\":0,\"p\":0,\"q\":0,\"r\":0,\"a\":0}",
      CUSTOS_EDUP),
    R("many names, hashed, no dup",
      "{\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":0,\"f\":0,\"g\":0,\"h\":0,\"i\":0,\"j\":0,"
      "\"k\":0,\"l\":0,\"m\":0,\"n\":0,\"o\":0,\"p\":0,\"q\":0,\"r\":0,\"s\":0}",
      CUSTOS_OK),
    /* depth: the whole text is judged first, as the pre-scan does */
    RD("depth at the limit", "{\"a\":[[]]}", 3, CUSTOS_OK),
    RD("depth over the limit", "{\"a\":[[[]]]}", 3, CUSTOS_EDEPTH),
    RD("too deep after a syntax error", "{\"a\":x [[[[", 3, CUSTOS_EDEPTH),
    RD("too deep after a duplicate", "{\"a\":1,\"a\":[[[[]]]]}", 3, CUSTOS_EDEPTH),
    RD("brackets in strings do not count", "{\"a\":\"[[[[\\\"[[[\"}", 3, CUSTOS_OK),
    /* strings */
    R("short escapes", "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", CUSTOS_OK),
    R("unknown escape", "{\"a\":\"\\x\"}", CUSTOS_EINVAL),
    R("short \\u", "{\"a\":\"\\u12\"}", CUSTOS_EINVAL),
    R("non-hex \\u", "{\"a\":\"\\u12G4\"}", CUSTOS_EINVAL),
    R("surrogate pair", "{\"a\":\"\\ud83d\\ude00\"}", CUSTOS_OK),
    R("lone high surrogate", "{\"a\":\"\\ud800\"}", CUSTOS_EINVAL),
    R("high surrogate then letter", "{\"a\":\"\\ud800\\u0041\"}", CUSTOS_EINVAL),
    R("lone low surrogate", "{\"a\":\"\\udc00\"}", CUSTOS_EINVAL),
    R("\\u0000 in a value", "{\"a\":\"x\\u0000\"}", CUSTOS_EINVAL),
    R("\\u0000 in a name", "{\"\\u0000\":1}", CUSTOS_EINVAL),
    R("control character", "{\"a\":\"x\x01\"}", CUSTOS_EINVAL),
    R("raw newline", "{\"a\":\"x\ny\"}", CUSTOS_EINVAL),
    R("DEL is allowed", "{\"a\":\"\x7f\"}", CUSTOS_OK),
    R("UTF-8 2, 3, 4 bytes", "{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", CUSTOS_OK),
    R("overlong", "{\"a\":\"\xc0\x80\"}", CUSTOS_EINVAL),
    R("UTF-8 surrogate", "{\"a\":\"\xed\xa0\x80\"}", CUSTOS_EINVAL),
    R("above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", CUSTOS_EINVAL),
    R("truncated sequence", "{\"a\":\"\xe2\x82\"}", CUSTOS_EINVAL),
    R("lone continuation", "{\"a\":\"\x80\"}", CUSTOS_EINVAL),
    R("bad UTF-8 outside strings", "{\"a\":1}\xff", CUSTOS_EINVAL),
    /* numbers */
    R("int64 extremes", "{\"a\":-9223372036854775808,\"b\":9223372036854775807}", CUSTOS_OK),
    R("int64 overflow", "{\"a\":9223372036854775808}", CUSTOS_EINVAL),
    R("int64 underflow", "{\"a\":-9223372036854775809}", CUSTOS_EINVAL),
    R("minus zero", "{\"a\":-0,\"b\":-0.0}", CUSTOS_OK),
    R("real overflow", "{\"a\":1e400}", CUSTOS_EINVAL),
    R("real overflow nested", "{\"a\":[-1e400]}", CUSTOS_EINVAL),
    R("real underflow is zero", "{\"a\":1e-400}", CUSTOS_OK),
    R("exponent forms", "{\"a\":1E5,\"b\":1e+5,\"c\":1.5e-5}", CUSTOS_OK),
    R("leading zero", "{\"a\":01}", CUSTOS_EINVAL),
    R("bare dot", "{\"a\":1.}", CUSTOS_EINVAL),
    R("leading dot", "{\"a\":.5}", CUSTOS_EINVAL),
    R("bare exponent", "{\"a\":1e}", CUSTOS_EINVAL),
    R("plus sign", "{\"a\":+1}", CUSTOS_EINVAL),
    R("lone minus", "{\"a\":-}", CUSTOS_EINVAL),
    R("hex", "{\"a\":0x10}", CUSTOS_EINVAL),
    /* literals */
    R("literals", "{\"a\":true,\"b\":false,\"c\":null}", CUSTOS_OK),
    R("truncated literal", "{\"a\":tru}", CUSTOS_EINVAL),
    R("long literal", "{\"a\":truex}", CUSTOS_EINVAL),
    R("capitalised literal", "{\"a\":True}", CUSTOS_EINVAL),
    R("NaN", "{\"a\":NaN}", CUSTOS_EINVAL),
    /* NUL bytes: never valid (jansson alone would skip one after a number
     * or literal; jose_json_parse refuses them before jansson runs) */
    RL("NUL after a number", "{\"a\":1\0}", CUSTOS_EINVAL),
    RL("NUL after a literal", "{\"a\":null\0}", CUSTOS_EINVAL),
    RL("two NULs after a number", "{\"a\":1\0\0}", CUSTOS_EINVAL),
    RL("NUL after a string", "{\"a\":\"x\"\0}", CUSTOS_EINVAL),
    RL("NUL in a name", "{\"a\0\":1}", CUSTOS_EINVAL),
    RL("NUL before the object", "\0{}", CUSTOS_EINVAL),
};

static void test_jindex_table_matches_jose_json_parse(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const row_t *r = &rows[i];
    size_t len = r->len ? r->len : strlen(r->text);
    jose_jindex_t ix;
    jose_jindex_init(&ix);
    int got = jose_jindex_scan(&ix, r->text, len, r->depth);
    jose_jindex_cleanup(&ix);
    json_t *obj = NULL;
    int ref = jose_json_parse(r->text, len, r->depth, &obj);
    json_decref(obj);
    if (got != r->want || ref != r->want)
      fail_msg("%s: jindex %s, jose_json_parse %s, want %s", r->what, custos_err_name(got),
               custos_err_name(ref), custos_err_name(r->want));
  }
}

static void test_jindex_records_members(void **state) {
  (void)state;
  const char *t = "{\"s\":\"a\\u00e9\\n\",\"i\":-42,\"r\":1.5,\"t\":true,\"f\":false,"
                  "\"z\":null,\"o\":{\"k\":[1]},\"a\":[\"x\"],\"\":\"empty\"}";
  jose_jindex_t ix;
  jose_jindex_init(&ix);
  assert_int_equal(jose_jindex_scan(&ix, t, strlen(t), 0), CUSTOS_OK);
  jose_jview_t v = jose_jindex_view(&ix, t, strlen(t));
  assert_int_equal(v.n, 9);
  const jose_jmember_t *m = jose_jview_get(&v, "s", 1);
  assert_non_null(m);
  assert_int_equal(m->type, JOSE_JSTRING);
  assert_string_equal(jose_jview_str(&v, m), "a\xc3\xa9\n");
  assert_int_equal(m->str_len, 4);
  m = jose_jview_get(&v, "i", 1);
  assert_int_equal(m->type, JOSE_JINT);
  assert_int_equal(m->v.i, -42);
  m = jose_jview_get(&v, "r", 1);
  assert_int_equal(m->type, JOSE_JREAL);
  assert_true(m->v.d == 1.5);
  assert_int_equal(jose_jview_get(&v, "t", 1)->type, JOSE_JTRUE);
  assert_int_equal(jose_jview_get(&v, "f", 1)->type, JOSE_JFALSE);
  assert_int_equal(jose_jview_get(&v, "z", 1)->type, JOSE_JNULL);
  m = jose_jview_get(&v, "o", 1);
  assert_int_equal(m->type, JOSE_JOBJECT);
  assert_memory_equal(t + m->span, "{\"k\":[1]}", m->span_len);
  m = jose_jview_get(&v, "a", 1);
  assert_int_equal(m->type, JOSE_JARRAY);
  assert_memory_equal(t + m->span, "[\"x\"]", m->span_len);
  m = jose_jview_get(&v, "", 0);
  assert_string_equal(jose_jview_str(&v, m), "empty");
  assert_null(jose_jview_get(&v, "missing", 7));
  assert_string_equal(jose_jview_name(&v, &v.m[0]), "s"); /* document order */
  jose_jindex_cleanup(&ix);
}

/* Past the inline buffers (members, names, arena) everything moves to the
 * heap and still agrees with jansson; the index is reusable. */
static void test_jindex_large_text_uses_heap(void **state) {
  (void)state;
  size_t cap = 64 * 1024, len = 0;
  char *t = malloc(cap);
  assert_non_null(t);
  len += (size_t)snprintf(t + len, cap - len, "{\"nested\":{");
  for (int i = 0; i < 200; i++)
    len += (size_t)snprintf(t + len, cap - len, "%s\"n%d\":\"%0*d\"", i ? "," : "", i, 40, i);
  len += (size_t)snprintf(t + len, cap - len, "}");
  for (int i = 0; i < 300; i++)
    len += (size_t)snprintf(t + len, cap - len, ",\"m%d\":\"v%d\"", i, i);
  len += (size_t)snprintf(t + len, cap - len, "}");
  jose_jindex_t ix;
  jose_jindex_init(&ix);
  for (int round = 0; round < 2; round++) {
    assert_int_equal(jose_jindex_scan(&ix, t, len, 0), CUSTOS_OK);
    assert_int_equal(ix.n, 301);
    jose_jview_t v = jose_jindex_view(&ix, t, len);
    assert_string_equal(jose_jview_str(&v, jose_jview_get(&v, "m299", 4)), "v299");
  }
  jose_jindex_cleanup(&ix);
  /* the same with a duplicate among the nested names */
  memcpy(strstr(t, "\"n199\""), "\"n198\"", 6);
  jose_jindex_init(&ix);
  assert_int_equal(jose_jindex_scan(&ix, t, len, 0), CUSTOS_EDUP);
  jose_jindex_cleanup(&ix);
  free(t);
}

/* jose_jwt_check_claims_view gives jose_jwt_check_claims's codes. */
static void test_jindex_claim_checks_match_jansson(void **state) {
  (void)state;
  static const struct {
    const char *claims;
    int want;
  } cases[] = {
      {"{\"iss\":\"i\",\"aud\":\"api\",\"exp\":1700000100}", CUSTOS_OK},
      {"{\"iss\":\"i\",\"aud\":[\"x\",\"api\"],\"exp\":1700000100}", CUSTOS_OK},
      {"{\"iss\":\"i\",\"aud\":[\"api\",1],\"exp\":1700000100}", CUSTOS_EINVAL},
      {"{\"iss\":\"i\",\"aud\":[\"x\"],\"exp\":1700000100}", CUSTOS_ECLAIM},
      {"{\"iss\":\"i\",\"aud\":[],\"exp\":1700000100}", CUSTOS_ECLAIM},
      {"{\"iss\":\"i\",\"aud\":[\"\\u0061pi\"],\"exp\":1700000100}", CUSTOS_OK},
      {"{\"iss\":\"i\",\"aud\":{},\"exp\":1700000100}", CUSTOS_EINVAL},
      {"{\"iss\":1,\"aud\":\"api\",\"exp\":1700000100}", CUSTOS_EINVAL},
      {"{\"iss\":\"j\",\"aud\":\"api\",\"exp\":1700000100}", CUSTOS_ECLAIM},
      {"{\"aud\":\"api\",\"exp\":1700000100}", CUSTOS_ECLAIM},
      {"{\"iss\":\"i\",\"aud\":\"api\"}", CUSTOS_ECLAIM},
      {"{\"iss\":\"i\",\"aud\":\"api\",\"exp\":\"1\"}", CUSTOS_EINVAL},
      {"{\"iss\":\"i\",\"aud\":\"api\",\"exp\":1699999970}", CUSTOS_EEXPIRED},
      {"{\"iss\":\"i\",\"aud\":\"api\",\"exp\":1699999970.5}", CUSTOS_OK},
      {"{\"iss\":\"i\",\"aud\":\"api\",\"exp\":1700000100,\"nbf\":1700000031}", CUSTOS_ENOTYET},
      {"{\"iss\":\"i\",\"aud\":\"api\",\"exp\":1700000100,\"iat\":1700000031}", CUSTOS_ENOTYET},
      {"{\"iss\":\"i\",\"aud\":\"api\",\"exp\":1700000100,\"iat\":null}", CUSTOS_EINVAL},
  };
  jose_policy_t p;
  jose_policy_init(&p);
  p.now = 1700000000;
  p.iss = "i";
  p.aud = "api";
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *t = cases[i].claims;
    jose_jindex_t ix;
    jose_jindex_init(&ix);
    assert_int_equal(jose_jindex_scan(&ix, t, strlen(t), 0), CUSTOS_OK);
    jose_jview_t v = jose_jindex_view(&ix, t, strlen(t));
    json_t *obj = json_loads(t, 0, NULL);
    int got = jose_jwt_check_claims_view(&p, &v), ref = jose_jwt_check_claims(&p, obj);
    if (got != cases[i].want || ref != cases[i].want)
      fail_msg("%s: view %s, jansson %s, want %s", t, custos_err_name(got), custos_err_name(ref),
               custos_err_name(cases[i].want));
    json_decref(obj);
    jose_jindex_cleanup(&ix);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jindex_table_matches_jose_json_parse),
      cmocka_unit_test(test_jindex_records_members),
      cmocka_unit_test(test_jindex_large_text_uses_heap),
      cmocka_unit_test(test_jindex_claim_checks_match_jansson),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
