/*
 * duration.h — human durations on the command line: "30s", "15m", "24h",
 * "7d", and sums of them written together ("1h30m", "1d12h").
 *
 * Grammar: one or more <digits><unit> with unit s, m, h or d (lower case),
 * nothing else: no sign, no spaces, no bare number, no fractions. Used by
 * `custos key create --expires-in` and `custos key rotate --grace`.
 */
#ifndef CUSTOS_CLI_DURATION_H
#define CUSTOS_CLI_DURATION_H

#include <stdint.h>

#define DURATION_MAX_SECONDS (INT64_C(100) * 365 * 86400) /* 100 years: beyond it is a typo */
#define DURATION_MAX_LEN 32                               /* input text, bytes */

/*
 * Parses `text` into seconds. Returns 0 and sets *seconds_out, or -1 (and
 * leaves *seconds_out unchanged) for NULL, empty, longer than
 * DURATION_MAX_LEN, malformed, or a total above DURATION_MAX_SECONDS.
 * "0s" is valid (0). Thread-safe, no allocation.
 */
int duration_parse(const char *text, int64_t *seconds_out) __attribute__((warn_unused_result));

#endif
