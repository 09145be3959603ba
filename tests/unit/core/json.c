#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"

/* ---- jbody_parse failures ----------------------------------------------- */

typedef struct parse_case {
  const char *what;
  const char *body;
  size_t len; /* 0 = strlen(body) */
  jbody_limits_t lim;
  int status;
  const char *code;
  const char *field;
  const char *message;
} parse_case_t;

static const parse_case_t PARSE_ERRORS[] = {
    {"empty body", "", 0, {0}, 400, "invalid_json", "", "request body is empty"},
    {"whitespace only", " \r\n\t ", 0, {0}, 400, "invalid_json", "", "request body is empty"},
    {"over max_bytes", "{\"a\":\"123456\"}", 0, {.max_bytes = 8}, 413, "body_too_large", "",
     "request body is larger than 8 bytes"},
    {"too deep", "{\"a\":{\"b\":{}}}", 0, {.max_depth = 2}, 400, "invalid_json", "",
     "JSON nested deeper than 2 levels"},
    {"too deep in array", "{\"a\":[[1]]}", 0, {.max_depth = 2}, 400, "invalid_json", "",
     "JSON nested deeper than 2 levels"},
    /* "\\" ends with an escaped backslash, so the next quote closes the
     * string and the [ after it counts. */
    {"escaped backslash before quote", "{\"a\":\"\\\\\",\"b\":[1]}", 0, {.max_depth = 1}, 400,
     "invalid_json", "", "JSON nested deeper than 1 levels"},
    {"overlong slash", "{\"a\":\"\xC0\xAF\"}", 0, {0}, 400, "invalid_json", "",
     "request body is not valid UTF-8"},
    {"overlong 3-byte", "{\"a\":\"\xE0\x80\xAF\"}", 0, {0}, 400, "invalid_json", "",
     "request body is not valid UTF-8"},
    {"overlong 4-byte", "{\"a\":\"\xF0\x80\x80\xAF\"}", 0, {0}, 400, "invalid_json", "",
     "request body is not valid UTF-8"},
    {"UTF-8 encoded surrogate", "{\"a\":\"\xED\xA0\x80\"}", 0, {0}, 400, "invalid_json", "",
     "request body is not valid UTF-8"},
    {"above U+10FFFF", "{\"a\":\"\xF4\x90\x80\x80\"}", 0, {0}, 400, "invalid_json", "",
     "request body is not valid UTF-8"},
    {"truncated sequence in string", "{\"a\":\"\xE2\x82\"}", 0, {0}, 400, "invalid_json", "",
     "request body is not valid UTF-8"},
    {"truncated sequence at end", "{\"a\":1}\xE2\x82", 0, {0}, 400, "invalid_json", "",
     "request body is not valid UTF-8"},
    {"lone continuation byte", "{\"a\":\"\x80\"}", 0, {0}, 400, "invalid_json", "",
     "request body is not valid UTF-8"},
    {"0xFF byte", "{\"\xFF\":1}", 0, {0}, 400, "invalid_json", "",
     "request body is not valid UTF-8"},
    {"\\u0000 in value", "{\"a\":\"x\\u0000\"}", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 14: \\u0000 is not allowed in strings"},
    {"\\u0000 in key", "{\"\\u0000\":1}", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 9: \\u0000 is not allowed in strings"},
    {"raw NUL byte", "{\"a\0\":1}", 8, {0}, 400, "invalid_json", "",
     "request body contains a NUL byte at offset 3"},
    /* jansson alone would accept this one (it skips a NUL after a number). */
    {"NUL after a number", "{\"a\":1\0}", 8, {0}, 400, "invalid_json", "",
     "request body contains a NUL byte at offset 6"},
    {"NUL after a literal", "{\"a\":true\0}", 11, {0}, 400, "invalid_json", "",
     "request body contains a NUL byte at offset 9"},
    {"escaped lone surrogate", "{\"a\":\"\\ud800\"}", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 13: invalid Unicode '\\uD800' near '\"\\ud800\"'"},
    /* jansson quotes the input up to the error, here half of "é"; the
     * renderer turns that byte into U+FFFD (tests/unit/http/render.c). */
    {"bad escape before multibyte", "{\"a\":\"x\\\xC3\xA9\"}", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 9: invalid escape near '\"x\\\xC3'"},
    {"int above int64", "{\"a\":9223372036854775808}", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 24: too big integer near '9223372036854775808'"},
    {"int below int64", "{\"a\":-9223372036854775809}", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 25: too big negative integer near "
     "'-9223372036854775809'"},
    {"real overflow", "{\"a\":1e999}", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 10: real number overflow near '1e999'"},
    {"trailing comma", "{\"a\":1,}", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 8: string or '}' expected near '}'"},
    {"line and column", "\n\n  {\"a\" 1}", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 3 column 8: ':' expected near '1'"},
    {"trailing garbage", "{\"a\":1} x", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 9: end of file expected near 'x'"},
    {"unterminated", "{\"a\":\"xyz", 0, {0}, 400, "invalid_json", "",
     "malformed JSON at line 1 column 9: premature end of input near '\"xyz'"},
    {"duplicate member", "{\"a\":1,\"a\":2}", 0, {0}, 400, "invalid_json", "a",
     "duplicate member 'a' in JSON object"},
    {"duplicate with escaped quote", "{\"a\\\"b\":1, \"a\\\"b\" :2}", 0, {0}, 400,
     "invalid_json", "a\"b", "duplicate member 'a\"b' in JSON object"},
    {"duplicate spelled with \\u", "{\"ab\":1,\"a\\u0062\":2}", 0, {0}, 400, "invalid_json",
     "ab", "duplicate member 'ab' in JSON object"},
    {"duplicate long name", "{\"o\":{\"abcdefghijklmnopqrstuvwxyz0123456789\":1,"
                            "\"abcdefghijklmnopqrstuvwxyz0123456789\":2}}",
     0, {0}, 400, "invalid_json", "abcdefghijklmnopqrstuvwxyz0123456789",
     "duplicate member 'abcdefghijklmnopqrstuvwxyz0123456789' in JSON object"},
    {"top level array", "[1,2]", 0, {0}, 400, "invalid_json", "",
     "request body must be a JSON object"},
    {"top level string", "\"s\"", 0, {0}, 400, "invalid_json", "",
     "request body must be a JSON object"},
    {"top level null", "null", 0, {0}, 400, "invalid_json", "",
     "request body must be a JSON object"},
    {"string too long", "{\"a\":{\"b\":[\"ok\",\"long\"]}}", 0, {.max_string = 3}, 400,
     "invalid_field", "a.b[1]", "field 'a.b[1]' must be at most 3 bytes"},
    {"string too long after decoding", "{\"a\":\"\\u00e9\\u00e9\"}", 0, {.max_string = 3}, 400,
     "invalid_field", "a", "field 'a' must be at most 3 bytes"},
    {"top member name too long", "{\"abcd\":1}", 0, {.max_string = 3}, 400, "invalid_field", "",
     "member name is longer than 3 bytes"},
    {"nested member name too long", "{\"a\":[{\"bcde\":1}]}", 0, {.max_string = 3}, 400,
     "invalid_field", "a[0]", "member name in 'a[0]' is longer than 3 bytes"},
};

static void expect_err(const cerr_t *e, int status, const char *code, const char *field,
                       const char *message) {
  assert_int_equal(e->status, status);
  assert_string_equal(e->code, code);
  assert_string_equal(e->field, field);
  assert_string_equal(e->message, message);
}

static void test_jbody_parse_errors_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof PARSE_ERRORS / sizeof PARSE_ERRORS[0]; i++) {
    const parse_case_t *c = &PARSE_ERRORS[i];
    cerr_t e;
    cerr_clear(&e);
    size_t len = c->len ? c->len : strlen(c->body);
    print_message("case: %s\n", c->what);
    json_t *j = jbody_parse(c->body, len, &c->lim, &e);
    assert_null(j);
    expect_err(&e, c->status, c->code, c->field, c->message);
  }
}

/* Bodies that must parse, each near one of the limits. */
typedef struct ok_case {
  const char *what;
  const char *body;
  jbody_limits_t lim;
} ok_case_t;

static const ok_case_t PARSE_OK[] = {
    {"depth exactly at limit", "{\"a\":{\"b\":1}}", {.max_depth = 2}},
    {"escaped quotes and brackets in strings", "{\"a\":\"\\\"[[[{{{\\\"\",\"b\":1}",
     {.max_depth = 1}},
    {"escaped quote in key", "{\"[\\\"{\":\"]\\\\\"}", {.max_depth = 1}},
    {"4-byte UTF-8 and U+10FFFF", "{\"a\":\"\xF0\x9F\x94\x91 \xF4\x8F\xBF\xBF\"}", {0}},
    {"escaped surrogate pair", "{\"a\":\"\\ud83d\\udd11\"}", {0}},
    {"string at max_string", "{\"abc\":\"xyz\"}", {.max_string = 3}},
    {"body exactly max_bytes", "{\"a\":1}", {.max_bytes = 7}},
    {"int64 extremes", "{\"a\":9223372036854775807,\"b\":-9223372036854775808}", {0}},
    {"surrounding whitespace", " \n{}\r\n", {0}},
};

static void test_jbody_parse_accepts_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof PARSE_OK / sizeof PARSE_OK[0]; i++) {
    cerr_t e;
    cerr_clear(&e);
    print_message("case: %s\n", PARSE_OK[i].what);
    json_t *j = jbody_parse(PARSE_OK[i].body, strlen(PARSE_OK[i].body), &PARSE_OK[i].lim, &e);
    if (!j) fail_msg("%s: %s", PARSE_OK[i].what, e.message);
    assert_true(json_is_object(j));
    assert_false(cerr_is_set(&e));
    json_decref(j);
  }
}

static void test_jbody_parse_null_limits_use_defaults(void **state) {
  (void)state;
  cerr_t e;
  cerr_clear(&e);
  json_t *j = jbody_parse("{\"a\":1}", 7, NULL, &e);
  assert_non_null(j);
  json_decref(j);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 10,000 open brackets: the pre-scan stops at the limit, long before
 * jansson's recursive descent could run. */
static void test_jbody_parse_rejects_10000_deep_fast(void **state) {
  (void)state;
  enum { DEEP = 10000 };
  char *body = malloc(DEEP + 8);
  assert_non_null(body);
  memcpy(body, "{\"a\":", 5);
  memset(body + 5, '[', DEEP);
  size_t len = 5 + DEEP;
  cerr_t e;
  cerr_clear(&e);
  double t0 = now();
  json_t *j = jbody_parse(body, len, NULL, &e);
  double took = now() - t0;
  assert_null(j);
  expect_err(&e, 400, "invalid_json", "", "JSON nested deeper than 32 levels");
  assert_true(took < 0.5);

  /* Limit set above jansson's own cap: jansson stops, still a clean 400. */
  jbody_limits_t lim = {.max_depth = 1000000};
  memset(body + 5, '[', DEEP);
  cerr_clear(&e);
  j = jbody_parse(body, len, &lim, &e);
  assert_null(j);
  assert_int_equal(e.status, 400);
  assert_string_equal(e.code, "invalid_json");
  free(body);
}

static void test_jbody_parse_1mib_body_is_413(void **state) {
  (void)state;
  size_t len = (size_t)1 << 20;
  char *body = malloc(len);
  assert_non_null(body);
  memset(body, ' ', len);
  body[0] = '{';
  body[len - 1] = '}';
  cerr_t e;
  cerr_clear(&e);
  assert_null(jbody_parse(body, len, NULL, &e));
  expect_err(&e, 413, "body_too_large", "", "request body is larger than 65536 bytes");
  free(body);
}

/* ---- getters ------------------------------------------------------------- */

static const char DOC[] =
    "{\"s\":\"hello\",\"empty\":\"\",\"n\":42,\"neg\":-5,\"r\":1.0,\"b\":true,\"f\":false,"
    "\"o\":{\"x\":1},\"arr\":[1,2,3],\"nul\":null,\"max\":9223372036854775807,"
    "\"min\":-9223372036854775808}";

static int setup_doc(void **state) {
  cerr_t e;
  cerr_clear(&e);
  *state = jbody_parse(DOC, sizeof DOC - 1, NULL, &e);
  return *state ? 0 : -1;
}

static int teardown_doc(void **state) {
  json_decref(*state);
  return 0;
}

static void test_jbody_str(void **state) {
  const json_t *doc = *state;
  cerr_t e;
  const char *s = "unchanged";
  cerr_clear(&e);
  assert_int_equal(jbody_str(doc, "s", true, 0, &s, &e), 0);
  assert_string_equal(s, "hello");
  assert_int_equal(jbody_str(doc, "s", true, 5, &s, &e), 0);
  assert_int_equal(jbody_str(doc, "empty", true, 0, &s, &e), 0);
  assert_string_equal(s, "");
  assert_false(cerr_is_set(&e));

  s = "unchanged";
  assert_int_equal(jbody_str(doc, "absent", false, 0, &s, &e), 0);
  assert_string_equal(s, "unchanged");
  assert_false(cerr_is_set(&e));

  assert_int_equal(jbody_str(doc, "absent", true, 0, &s, &e), -1);
  expect_err(&e, 400, "missing_field", "absent", "field 'absent' is required");
  assert_int_equal(jbody_str(doc, "n", true, 0, &s, &e), -1);
  expect_err(&e, 400, "invalid_field", "n", "field 'n' must be a string");
  assert_int_equal(jbody_str(doc, "nul", false, 0, &s, &e), -1);
  expect_err(&e, 400, "invalid_field", "nul", "field 'nul' must be a string");
  assert_int_equal(jbody_str(doc, "s", true, 4, &s, &e), -1);
  expect_err(&e, 400, "invalid_field", "s", "field 's' must be at most 4 bytes");
  assert_string_equal(s, "unchanged");
}

static void test_jbody_str_len_min(void **state) {
  const json_t *doc = *state;
  cerr_t e;
  const char *s = "unchanged";
  cerr_clear(&e);
  assert_int_equal(jbody_str_len(doc, "empty", true, 1, 0, &s, &e), -1);
  expect_err(&e, 400, "invalid_field", "empty", "field 'empty' must not be empty");
  assert_int_equal(jbody_str_len(doc, "s", true, 6, 0, &s, &e), -1);
  expect_err(&e, 400, "invalid_field", "s", "field 's' must be at least 6 bytes");
  assert_string_equal(s, "unchanged");
  assert_int_equal(jbody_str_len(doc, "s", true, 5, 5, &s, &e), 0);
  assert_string_equal(s, "hello");
}

static void test_jbody_int(void **state) {
  const json_t *doc = *state;
  cerr_t e;
  int64_t v = 7;
  cerr_clear(&e);
  assert_int_equal(jbody_int(doc, "n", true, 0, 100, &v, &e), 0);
  assert_int_equal(v, 42);
  assert_int_equal(jbody_int(doc, "max", true, INT64_MIN, INT64_MAX, &v, &e), 0);
  assert_true(v == INT64_MAX);
  assert_int_equal(jbody_int(doc, "min", true, INT64_MIN, INT64_MAX, &v, &e), 0);
  assert_true(v == INT64_MIN);
  v = 7;
  assert_int_equal(jbody_int(doc, "absent", false, 0, 1, &v, &e), 0);
  assert_int_equal(v, 7);
  assert_false(cerr_is_set(&e));

  assert_int_equal(jbody_int(doc, "absent", true, 0, 1, &v, &e), -1);
  expect_err(&e, 400, "missing_field", "absent", "field 'absent' is required");
  assert_int_equal(jbody_int(doc, "r", true, 0, 100, &v, &e), -1);
  expect_err(&e, 400, "invalid_field", "r", "field 'r' must be an integer");
  assert_int_equal(jbody_int(doc, "b", true, 0, 100, &v, &e), -1);
  expect_err(&e, 400, "invalid_field", "b", "field 'b' must be an integer");
  assert_int_equal(jbody_int(doc, "s", true, 0, 100, &v, &e), -1);
  expect_err(&e, 400, "invalid_field", "s", "field 's' must be an integer");
  assert_int_equal(jbody_int(doc, "n", true, 0, 41, &v, &e), -1);
  expect_err(&e, 400, "invalid_field", "n", "field 'n' must be between 0 and 41");
  assert_int_equal(jbody_int(doc, "neg", true, 0, 100, &v, &e), -1);
  expect_err(&e, 400, "invalid_field", "neg", "field 'neg' must be between 0 and 100");
  assert_int_equal(v, 7);
}

static void test_jbody_bool(void **state) {
  const json_t *doc = *state;
  cerr_t e;
  bool b = false;
  cerr_clear(&e);
  assert_int_equal(jbody_bool(doc, "b", true, &b, &e), 0);
  assert_true(b);
  assert_int_equal(jbody_bool(doc, "f", true, &b, &e), 0);
  assert_false(b);
  b = true;
  assert_int_equal(jbody_bool(doc, "absent", false, &b, &e), 0);
  assert_true(b);
  assert_int_equal(jbody_bool(doc, "absent", true, &b, &e), -1);
  expect_err(&e, 400, "missing_field", "absent", "field 'absent' is required");
  assert_int_equal(jbody_bool(doc, "n", true, &b, &e), -1);
  expect_err(&e, 400, "invalid_field", "n", "field 'n' must be a boolean");
  assert_int_equal(jbody_bool(doc, "s", true, &b, &e), -1);
  expect_err(&e, 400, "invalid_field", "s", "field 's' must be a boolean");
}

static void test_jbody_obj_and_array(void **state) {
  const json_t *doc = *state;
  cerr_t e;
  json_t *o = NULL, *a = NULL;
  cerr_clear(&e);
  assert_int_equal(jbody_obj(doc, "o", true, &o, &e), 0);
  assert_true(json_is_object(o));
  assert_int_equal(jbody_array(doc, "arr", true, 3, &a, &e), 0);
  assert_int_equal(json_array_size(a), 3);
  o = a = NULL;
  assert_int_equal(jbody_obj(doc, "absent", false, &o, &e), 0);
  assert_int_equal(jbody_array(doc, "absent", false, 0, &a, &e), 0);
  assert_null(o);
  assert_null(a);

  assert_int_equal(jbody_obj(doc, "absent", true, &o, &e), -1);
  expect_err(&e, 400, "missing_field", "absent", "field 'absent' is required");
  assert_int_equal(jbody_obj(doc, "arr", true, &o, &e), -1);
  expect_err(&e, 400, "invalid_field", "arr", "field 'arr' must be an object");
  assert_int_equal(jbody_array(doc, "o", true, 0, &a, &e), -1);
  expect_err(&e, 400, "invalid_field", "o", "field 'o' must be an array");
  assert_int_equal(jbody_array(doc, "arr", true, 2, &a, &e), -1);
  expect_err(&e, 400, "invalid_field", "arr", "field 'arr' must have at most 2 items");
  assert_null(o);
  assert_null(a);
}

static void test_jbody_reject_unknown(void **state) {
  (void)state;
  static const char *const allowed[] = {"name", "scopes", NULL};
  cerr_t e;
  cerr_clear(&e);
  json_t *j = jbody_parse("{\"name\":\"x\",\"scopes\":[]}", 24, NULL, &e);
  assert_non_null(j);
  assert_int_equal(jbody_reject_unknown(j, allowed, &e), 0);
  json_decref(j);

  j = jbody_parse("{\"name\":\"x\",\"admin\":true,\"zzz\":1}", 33, NULL, &e);
  assert_non_null(j);
  assert_int_equal(jbody_reject_unknown(j, allowed, &e), -1);
  expect_err(&e, 400, "invalid_field", "admin", "unknown field 'admin'");
  json_decref(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jbody_parse_errors_table),
      cmocka_unit_test(test_jbody_parse_accepts_table),
      cmocka_unit_test(test_jbody_parse_null_limits_use_defaults),
      cmocka_unit_test(test_jbody_parse_rejects_10000_deep_fast),
      cmocka_unit_test(test_jbody_parse_1mib_body_is_413),
      cmocka_unit_test_setup_teardown(test_jbody_str, setup_doc, teardown_doc),
      cmocka_unit_test_setup_teardown(test_jbody_str_len_min, setup_doc, teardown_doc),
      cmocka_unit_test_setup_teardown(test_jbody_int, setup_doc, teardown_doc),
      cmocka_unit_test_setup_teardown(test_jbody_bool, setup_doc, teardown_doc),
      cmocka_unit_test_setup_teardown(test_jbody_obj_and_array, setup_doc, teardown_doc),
      cmocka_unit_test(test_jbody_reject_unknown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
