#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "custos.h"

static void test_buf_append_over_max_fails_and_keeps_contents(void **state) {
  (void)state;
  buf_t b;
  buf_init(&b, 8);
  assert_int_equal(buf_puts(&b, "abcdef"), CUSTOS_OK);
  assert_int_equal(buf_puts(&b, "ghi"), CUSTOS_ETOOBIG);
  assert_string_equal(buf_str(&b), "abcdef");
  assert_int_equal(buf_puts(&b, "gh"), CUSTOS_OK);
  assert_string_equal(buf_str(&b), "abcdefgh");
  buf_cleanup(&b);
}

static void test_buf_json_escape_controls_and_quotes(void **state) {
  (void)state;
  buf_t b;
  buf_init(&b, 0);
  const char in[] = "a\"b\\c\n\x01z\x7f\xc3\xbc";
  assert_int_equal(buf_json_escape(&b, in, sizeof in - 1), CUSTOS_OK);
  /* DEL escaped (not allowed in a header value); UTF-8 passes as is. */
  assert_string_equal(buf_str(&b), "a\\\"b\\\\c\\n\\u0001z\\u007f\xc3\xbc");
  buf_cleanup(&b);
}

static void test_buf_take_hands_over_storage(void **state) {
  (void)state;
  buf_t b;
  buf_init(&b, 0);
  assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), CUSTOS_OK);
  char *s = buf_take(&b);
  assert_string_equal(s, "42-x");
  assert_null(b.data);
  free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buf_append_over_max_fails_and_keeps_contents),
      cmocka_unit_test(test_buf_json_escape_controls_and_quotes),
      cmocka_unit_test(test_buf_take_hands_over_storage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
