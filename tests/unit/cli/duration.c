/*
 * Durations on the command line (src/cli/duration.c): the accepted forms,
 * the rejected ones, and the cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cli/duration.h"

typedef struct vec {
  const char *text;
  int64_t seconds;
} vec_t;

static const vec_t GOOD[] = {
    {"0s", 0},         {"1s", 1},          {"30s", 30},           {"15m", 900},
    {"24h", 86400},    {"7d", 604800},     {"1h30m", 5400},       {"1d12h", 129600},
    {"90s", 90},       {"2m30s", 150},     {"007s", 7},           {"1d1h1m1s", 90061},
    {"36500d", DURATION_MAX_SECONDS},      {"30d", 2592000},
};

static const char *const BAD[] = {
    "",       "30",   "s",     "-5s",  "+5s",    "5 s",  " 5s",   "5s ",  "5S",   "5sec",
    "1.5h",   "5w",   "5y",    "h5",   "1h30",   "m",    "0x10s", "5ss",  "5s-", "1e3s",
    "36501d", "99999999999999999999s", "9223372036854775807s", "1h\n",
};

static void test_duration_accepts_units_and_sums(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof GOOD / sizeof *GOOD; i++) {
    int64_t got = -1;
    if (duration_parse(GOOD[i].text, &got) != 0) fail_msg("rejected \"%s\"", GOOD[i].text);
    if (got != GOOD[i].seconds)
      fail_msg("\"%s\": %lld, want %lld", GOOD[i].text, (long long)got,
               (long long)GOOD[i].seconds);
  }
}

static void test_duration_rejects_malformed(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
    int64_t got = 12345;
    if (duration_parse(BAD[i], &got) == 0) fail_msg("accepted \"%s\" as %lld", BAD[i], (long long)got);
    assert_int_equal(got, 12345); /* output untouched on failure */
  }
  int64_t got = 1;
  assert_int_equal(duration_parse(NULL, &got), -1);
}

static void test_duration_rejects_overlong_text(void **state) {
  (void)state;
  char text[DURATION_MAX_LEN + 2];
  /* "0s0s0s…" is a valid sum of zero terms; only its length is wrong. */
  for (size_t i = 0; i < sizeof text - 1; i++) text[i] = i % 2 ? 's' : '0';
  text[DURATION_MAX_LEN] = '\0';
  int64_t got = -1;
  assert_int_equal(duration_parse(text, &got), 0);
  assert_int_equal(got, 0);
  text[DURATION_MAX_LEN] = '0';
  text[DURATION_MAX_LEN + 1] = '\0';
  assert_int_equal(duration_parse(text, &got), -1);
}

static void test_duration_sum_over_cap_fails(void **state) {
  (void)state;
  int64_t got = -1;
  char text[64];
  snprintf(text, sizeof text, "36500d1s");
  assert_int_equal(duration_parse(text, &got), -1);
  assert_int_equal(got, -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_duration_accepts_units_and_sums),
      cmocka_unit_test(test_duration_rejects_malformed),
      cmocka_unit_test(test_duration_rejects_overlong_text),
      cmocka_unit_test(test_duration_sum_over_cap_fails),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
