/* Request-target decoding: exact results for the path and query rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "http/urldecode.h"

static void test_path_decoding(void **state) {
  (void)state;
  char out[64];
  assert_int_equal(url_pct_decode("/p/%41b", 7, out, false), 5);
  assert_string_equal(out, "/p/Ab");
  /* '+' stays in a path; bad or short escapes stay as they are. */
  url_pct_decode("/a+b%zz%4", 9, out, false);
  assert_string_equal(out, "/a+b%zz%4");
  /* Lower-case hex; a decoded NUL ends the path. */
  url_pct_decode("/%2f%00tail", 11, out, false);
  assert_string_equal(out, "//");
  /* Only n bytes are read. */
  assert_int_equal(url_pct_decode("/abc%41", 4, out, false), 4);
  assert_string_equal(out, "/abc");
}

static void test_query_records(void **state) {
  (void)state;
  const char *q = "a=1&b=x+y&c=%41&d&=e&a=2&&e=";
  char *d = malloc(URL_QUERY_DECODED_MAX(strlen(q)));
  url_query_decode(q, strlen(q), d);
  assert_string_equal(url_query_find(d, "a"), "1"); /* the first wins */
  assert_string_equal(url_query_find(d, "b"), "x y");
  assert_string_equal(url_query_find(d, "c"), "A");
  assert_null(url_query_find(d, "d"));             /* no '=': no value */
  assert_string_equal(url_query_find(d, "e"), ""); /* '=' and nothing */
  assert_null(url_query_find(d, ""));              /* "=e" had no name */
  assert_null(url_query_find(d, "zz"));
  free(d);
  char e[16];
  url_query_decode("", 0, e);
  assert_null(url_query_find(e, "a"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_decoding),
      cmocka_unit_test(test_query_records),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
