/*
 * The CLI's table printer (src/cli/table.c): alignment, display widths of
 * UTF-8, cleaning of control characters and bad bytes, cutting long cells.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/table.h"
#include "custos.h"

/* Prints t into a malloc'd string. */
static char *render(const table_t *t) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  assert_non_null(f);
  assert_int_equal(table_print(t, f), CUSTOS_OK);
  assert_int_equal(fclose(f), 0);
  return out;
}

static void test_table_aligns_columns_without_trailing_blanks(void **state) {
  (void)state;
  static const char *const H[] = {"ID", "STATUS", "LAST USED"};
  static const char *const R1[] = {"key_1", "active", "never"};
  static const char *const R2[] = {"key_22222", "revoked", "2026-01-02T03:04:05Z"};
  table_t t;
  assert_int_equal(table_init(&t, 3, H), CUSTOS_OK);
  assert_int_equal(table_add_row(&t, R1), CUSTOS_OK);
  assert_int_equal(table_add_row(&t, R2), CUSTOS_OK);
  char *s = render(&t);
  assert_string_equal(s, "ID         STATUS   LAST USED\n"
                         "key_1      active   never\n"
                         "key_22222  revoked  2026-01-02T03:04:05Z\n");
  free(s);
  table_cleanup(&t);
}

static void test_table_empty_has_header_only(void **state) {
  (void)state;
  static const char *const H[] = {"ID", "NAME"};
  table_t t;
  assert_int_equal(table_init(&t, 2, H), CUSTOS_OK);
  char *s = render(&t);
  assert_string_equal(s, "ID  NAME\n");
  free(s);
  table_cleanup(&t);
}

static void test_table_null_and_trailing_empty_cells(void **state) {
  (void)state;
  static const char *const H[] = {"A", "B", "C"};
  const char *row[] = {"x", NULL, ""};
  table_t t;
  assert_int_equal(table_init(&t, 3, H), CUSTOS_OK);
  assert_int_equal(table_add_row(&t, row), CUSTOS_OK);
  char *s = render(&t);
  assert_string_equal(s, "A  B  C\nx\n");
  free(s);
  table_cleanup(&t);
}

static void test_table_counts_display_columns_not_bytes(void **state) {
  (void)state;
  static const char *const H[] = {"NAME", "ID"};
  /* é as one precomposed char (2 bytes), e + combining acute (3 bytes),
   * CJK (3 bytes, 2 columns each), an emoji (4 bytes, 2 columns). */
  static const char *const R1[] = {"caf\xc3\xa9", "1"};
  static const char *const R2[] = {"cafe\xcc\x81", "2"};
  static const char *const R3[] = {"\xe6\x9d\xb1\xe4\xba\xac", "3"};
  static const char *const R4[] = {"\xf0\x9f\x94\x91 key", "4"};
  assert_int_equal(table_text_width("caf\xc3\xa9"), 4);
  assert_int_equal(table_text_width("cafe\xcc\x81"), 4);
  assert_int_equal(table_text_width("\xe6\x9d\xb1\xe4\xba\xac"), 4);
  assert_int_equal(table_text_width("\xf0\x9f\x94\x91 key"), 6);
  table_t t;
  assert_int_equal(table_init(&t, 2, H), CUSTOS_OK);
  assert_int_equal(table_add_row(&t, R1), CUSTOS_OK);
  assert_int_equal(table_add_row(&t, R2), CUSTOS_OK);
  assert_int_equal(table_add_row(&t, R3), CUSTOS_OK);
  assert_int_equal(table_add_row(&t, R4), CUSTOS_OK);
  char *s = render(&t);
  assert_string_equal(s, "NAME    ID\n"
                         "caf\xc3\xa9    1\n"
                         "cafe\xcc\x81    2\n"
                         "\xe6\x9d\xb1\xe4\xba\xac    3\n"
                         "\xf0\x9f\x94\x91 key  4\n");
  free(s);
  table_cleanup(&t);
}

static void test_table_clean_neutralizes_terminal_controls(void **state) {
  (void)state;
  typedef struct {
    const char *in, *out;
  } vec_t;
  static const vec_t V[] = {
      {"plain", "plain"},
      {"\x1b[31mred", "?[31mred"},     /* ESC */
      {"a\tb\nc\rd", "a?b?c?d"},       /* C0 */
      {"del\x7f", "del?"},             /* DEL */
      {"c1\xc2\x9b" "2J", "c1?2J"},    /* U+009B CSI */
      {"bad\xff", "bad\xef\xbf\xbd"},  /* not UTF-8 */
      {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong '/' */
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
      {"", ""},
  };
  for (size_t i = 0; i < sizeof V / sizeof *V; i++) {
    char *c = table_clean(V[i].in, 0);
    assert_non_null(c);
    assert_string_equal(c, V[i].out);
    free(c);
  }
  char *c = table_clean(NULL, 0);
  assert_string_equal(c, "");
  free(c);
}

static void test_table_cuts_long_cells_with_ellipsis(void **state) {
  (void)state;
  char *c = table_clean("abcdefgh", 5);
  assert_string_equal(c, "abcd\xe2\x80\xa6");
  assert_int_equal(table_text_width(c), 5);
  free(c);
  c = table_clean("abcde", 5); /* fits exactly: not cut */
  assert_string_equal(c, "abcde");
  free(c);
  /* A wide character that would straddle the limit is left out whole. */
  c = table_clean("ab\xe6\x9d\xb1\xe4\xba\xac", 4);
  assert_string_equal(c, "ab\xe2\x80\xa6");
  free(c);

  char long_cell[TABLE_MAX_CELL_WIDTH * 2 + 1];
  memset(long_cell, 'x', sizeof long_cell - 1);
  long_cell[sizeof long_cell - 1] = '\0';
  static const char *const H[] = {"N"};
  const char *row[] = {long_cell};
  table_t t;
  assert_int_equal(table_init(&t, 1, H), CUSTOS_OK);
  assert_int_equal(table_add_row(&t, row), CUSTOS_OK);
  assert_int_equal(t.width[0], TABLE_MAX_CELL_WIDTH);
  table_cleanup(&t);
}

static void test_table_grows_past_initial_capacity(void **state) {
  (void)state;
  static const char *const H[] = {"N", "SQUARE"};
  table_t t;
  assert_int_equal(table_init(&t, 2, H), CUSTOS_OK);
  for (int i = 0; i < 1000; i++) {
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", i);
    snprintf(b, sizeof b, "%d", i * i);
    const char *row[] = {a, b};
    assert_int_equal(table_add_row(&t, row), CUSTOS_OK);
  }
  assert_int_equal(t.nrows, 1000);
  char *s = render(&t);
  assert_non_null(strstr(s, "\n999  998001\n"));
  assert_non_null(strstr(s, "\n7    49\n"));
  free(s);
  table_cleanup(&t);
  table_cleanup(&t); /* twice is harmless */
}

static void test_table_rejects_bad_column_counts(void **state) {
  (void)state;
  static const char *const H[TABLE_MAX_COLS + 1] = {"A"};
  table_t t;
  assert_int_equal(table_init(&t, 0, H), CUSTOS_EINVAL);
  assert_int_equal(table_init(&t, TABLE_MAX_COLS + 1, H), CUSTOS_EINVAL);
  table_cleanup(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_aligns_columns_without_trailing_blanks),
      cmocka_unit_test(test_table_empty_has_header_only),
      cmocka_unit_test(test_table_null_and_trailing_empty_cells),
      cmocka_unit_test(test_table_counts_display_columns_not_bytes),
      cmocka_unit_test(test_table_clean_neutralizes_terminal_controls),
      cmocka_unit_test(test_table_cuts_long_cells_with_ellipsis),
      cmocka_unit_test(test_table_grows_past_initial_capacity),
      cmocka_unit_test(test_table_rejects_bad_column_counts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
