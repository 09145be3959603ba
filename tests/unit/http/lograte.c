/* The per-kind log rate limit: burst, count, one summary, eviction, flush. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "http/lograte.h"

static const char KIND_A[] = "a", KIND_B[] = "b";

static void test_lograte_burst_then_one_summary(void **s) {
  (void)s;
  lograte_t lr = LOGRATE_INIT;
  lograte_summary_t sum;
  int written = 0;
  for (int i = 0; i < 100; i++) {
    char text[32];
    snprintf(text, sizeof text, "line %d", i);
    written += lograte_allow(&lr, KIND_A, 1000, text, &sum);
    assert_int_equal(sum.count, 0);
  }
  assert_int_equal(written, LOGRATE_BURST);
  /* Another kind in the same second has its own budget. */
  assert_true(lograte_allow(&lr, KIND_B, 1000, "b", &sum));
  /* The next window: the count comes out once, with the last dropped line. */
  assert_true(lograte_allow(&lr, KIND_A, 1000 + LOGRATE_WINDOW_S, "later", &sum));
  assert_int_equal(sum.count, 100 - LOGRATE_BURST);
  assert_string_equal(sum.sample, "line 99");
  assert_true(lograte_allow(&lr, KIND_A, 1000 + LOGRATE_WINDOW_S, "again", &sum));
  assert_int_equal(sum.count, 0);
  assert_false(lograte_flush(&lr, &sum));
}

static void test_lograte_flush_tells_what_is_pending(void **s) {
  (void)s;
  lograte_t lr = LOGRATE_INIT;
  lograte_summary_t sum;
  for (int i = 0; i < LOGRATE_BURST + 3; i++) (void)lograte_allow(&lr, KIND_A, 5, "x", &sum);
  assert_true(lograte_flush(&lr, &sum));
  assert_int_equal(sum.count, 3);
  assert_string_equal(sum.sample, "x");
  assert_false(lograte_flush(&lr, &sum));
}

static void test_lograte_evicts_stalest_kind_with_its_count(void **s) {
  (void)s;
  lograte_t lr = LOGRATE_INIT;
  lograte_summary_t sum;
  static char kinds[LOGRATE_KINDS + 1];
  for (int i = 0; i < LOGRATE_BURST + 2; i++) (void)lograte_allow(&lr, &kinds[0], 1, "old", &sum);
  for (int k = 1; k < LOGRATE_KINDS; k++) assert_true(lograte_allow(&lr, &kinds[k], 2, "k", &sum));
  /* Every slot is taken: the new kind evicts kind 0, whose count goes out. */
  assert_true(lograte_allow(&lr, &kinds[LOGRATE_KINDS], 3, "new", &sum));
  assert_int_equal(sum.count, 2);
  assert_string_equal(sum.sample, "old");
  assert_false(lograte_flush(&lr, &sum));
}

static void test_lograte_keeps_long_lines_bounded(void **s) {
  (void)s;
  lograte_t lr = LOGRATE_INIT;
  lograte_summary_t sum;
  char big[1000];
  memset(big, 'z', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  for (int i = 0; i <= LOGRATE_BURST; i++) (void)lograte_allow(&lr, KIND_A, 1, big, &sum);
  assert_true(lograte_flush(&lr, &sum));
  assert_int_equal(strlen(sum.sample), LOGRATE_SAMPLE_MAX - 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lograte_burst_then_one_summary),
      cmocka_unit_test(test_lograte_flush_tells_what_is_pending),
      cmocka_unit_test(test_lograte_evicts_stalest_kind_with_its_count),
      cmocka_unit_test(test_lograte_keeps_long_lines_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
