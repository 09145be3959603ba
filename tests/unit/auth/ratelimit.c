/*
 * ratelimit: the token bucket in GCRA form, driven by a test clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/ratelimit.h"

#define S 1000000000LL

static void test_ratelimit_burst_then_refuse(void **state) {
  (void)state;
  ratelimit_t rl;
  assert_true(ratelimit_init(&rl, 10, 5));
  int64_t tat = 0, now = 1000 * S;
  for (int i = 0; i < 5; i++) assert_true(ratelimit_take(&rl, &tat, now, NULL));
  int retry = 0;
  int64_t before = tat;
  assert_false(ratelimit_take(&rl, &tat, now, &retry));
  assert_int_equal(tat, before); /* a refusal costs nothing */
  assert_int_equal(retry, 1);    /* 0.1 s rounds up to 1 */
}

static void test_ratelimit_refills_with_time(void **state) {
  (void)state;
  ratelimit_t rl;
  assert_true(ratelimit_init(&rl, 10, 5));
  int64_t tat = 0, now = 5 * S;
  for (int i = 0; i < 5; i++) assert_true(ratelimit_take(&rl, &tat, now, NULL));
  assert_false(ratelimit_take(&rl, &tat, now, NULL));
  now += S / 10; /* one token back */
  assert_true(ratelimit_take(&rl, &tat, now, NULL));
  assert_false(ratelimit_take(&rl, &tat, now, NULL));
  now += 10 * S; /* long idle: refills to the burst, no more */
  for (int i = 0; i < 5; i++) assert_true(ratelimit_take(&rl, &tat, now, NULL));
  assert_false(ratelimit_take(&rl, &tat, now, NULL));
}

static void test_ratelimit_retry_after_rounds_up(void **state) {
  (void)state;
  ratelimit_t rl;
  assert_true(ratelimit_init(&rl, 0.25, 1)); /* one token per 4 s */
  int64_t tat = 0, now = 100 * S;
  int retry = 0;
  assert_true(ratelimit_take(&rl, &tat, now, &retry));
  assert_false(ratelimit_take(&rl, &tat, now, &retry));
  assert_int_equal(retry, 4);
  assert_false(ratelimit_take(&rl, &tat, now + S / 2, &retry));
  assert_int_equal(retry, 4); /* 3.5 s → 4 */
  assert_false(ratelimit_take(&rl, &tat, now + 3 * S, &retry));
  assert_int_equal(retry, 1);
  assert_true(ratelimit_take(&rl, &tat, now + 4 * S, &retry));
}

static void test_ratelimit_long_run_rate(void **state) {
  (void)state;
  ratelimit_t rl;
  assert_true(ratelimit_init(&rl, 100, 200));
  int64_t tat = 0, now = 0;
  int ok = 0;
  /* 10 s of requests every 1 ms: burst + 10 s × 100/s, give or take one. */
  for (int i = 0; i < 10000; i++, now += S / 1000) ok += ratelimit_take(&rl, &tat, now, NULL);
  assert_in_range(ok, 1199, 1201);
}

static void test_ratelimit_init_defaults_and_rejects(void **state) {
  (void)state;
  ratelimit_t rl;
  assert_true(ratelimit_init(&rl, 0, 0));
  assert_int_equal(rl.interval_ns, S / 100);
  assert_int_equal(rl.tolerance_ns, 2 * S);
  assert_false(ratelimit_init(&rl, -1, 1));
  assert_false(ratelimit_init(&rl, 1, -1));
  double nan = __builtin_nan("");
  assert_false(ratelimit_init(&rl, nan, 1));
  assert_false(ratelimit_init(&rl, 1e12, 1));
  assert_true(ratelimit_init(&rl, 1, 0.5)); /* raised to 1 */
  int64_t tat = 0;
  assert_true(ratelimit_take(&rl, &tat, 0, NULL));
  assert_false(ratelimit_take(&rl, &tat, 0, NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ratelimit_burst_then_refuse),
      cmocka_unit_test(test_ratelimit_refills_with_time),
      cmocka_unit_test(test_ratelimit_retry_after_rounds_up),
      cmocka_unit_test(test_ratelimit_long_run_rate),
      cmocka_unit_test(test_ratelimit_init_defaults_and_rejects),
  };
  return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
