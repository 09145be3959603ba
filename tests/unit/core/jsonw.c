#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "core/jsonw.h"
#include "custos.h"

static void test_jsonw_nested_output_is_exact_and_parses(void **state) {
  (void)state;
  buf_t b;
  buf_init(&b, 0);
  jw_t w;
  jw_init(&w, &b);
  jw_obj(&w);
  jw_kstr(&w, "a", "x\"y\\\n\x01");
  jw_key(&w, "n");
  jw_int(&w, INT64_MIN);
  jw_key(&w, "list");
  jw_arr(&w);
  jw_str(&w, "é");
  jw_bool(&w, true);
  jw_null(&w);
  jw_obj(&w);
  jw_end(&w);
  jw_arr(&w);
  jw_end(&w);
  jw_end(&w);
  jw_key(&w, "f");
  jw_bool(&w, false);
  jw_end(&w);
  assert_int_equal(jw_finish(&w), CUSTOS_OK);
  assert_string_equal(buf_str(&b),
                      "{\"a\":\"x\\\"y\\\\\\n\\u0001\",\"n\":-9223372036854775808,"
                      "\"list\":[\"é\",true,null,{},[]],\"f\":false}");
  json_error_t je;
  json_t *v = json_loads(buf_str(&b), JSON_REJECT_DUPLICATES, &je);
  assert_non_null(v);
  json_decref(v);
  buf_cleanup(&b);
}

static void test_jsonw_unbalanced_or_dangling_key_fails(void **state) {
  (void)state;
  buf_t b;
  buf_init(&b, 0);
  jw_t w;
  jw_init(&w, &b);
  jw_obj(&w);
  assert_int_equal(jw_finish(&w), CUSTOS_EINVAL);
  jw_key(&w, "k");
  jw_end(&w); /* a key with no value */
  assert_int_equal(jw_finish(&w), CUSTOS_EINVAL);
  buf_cleanup(&b);
  buf_init(&b, 0);
  jw_init(&w, &b);
  jw_end(&w); /* nothing open */
  assert_int_equal(jw_finish(&w), CUSTOS_EINVAL);
  buf_cleanup(&b);
}

static void test_jsonw_depth_and_cap_errors_are_sticky(void **state) {
  (void)state;
  buf_t b;
  buf_init(&b, 0);
  jw_t w;
  jw_init(&w, &b);
  for (int i = 0; i <= JW_MAX_DEPTH; i++) jw_arr(&w);
  assert_int_equal(jw_finish(&w), CUSTOS_EDEPTH);
  buf_cleanup(&b);
  buf_init(&b, 8);
  jw_init(&w, &b);
  jw_obj(&w);
  jw_kstr(&w, "key", "a long value");
  jw_end(&w);
  assert_int_equal(jw_finish(&w), CUSTOS_ETOOBIG);
  buf_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jsonw_nested_output_is_exact_and_parses),
      cmocka_unit_test(test_jsonw_unbalanced_or_dangling_key_fails),
      cmocka_unit_test(test_jsonw_depth_and_cap_errors_are_sticky),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
