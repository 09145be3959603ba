/*
 * duration.c — see duration.h.
 */
#include "cli/duration.h"

#include <string.h>

static int64_t unit_seconds(char u) {
  switch (u) {
  case 's': return 1;
  case 'm': return 60;
  case 'h': return 3600;
  case 'd': return 86400;
  default: return 0;
  }
}

int duration_parse(const char *text, int64_t *seconds_out) {
  if (text == NULL) return -1;
  size_t len = strnlen(text, DURATION_MAX_LEN + 1);
  if (len == 0 || len > DURATION_MAX_LEN) return -1;
  int64_t total = 0;
  const char *p = text;
  while (*p) {
    /* One <digits><unit> term. Each step is checked against the cap, so
     * no intermediate value can overflow int64_t. */
    if (*p < '0' || *p > '9') return -1;
    int64_t n = 0;
    while (*p >= '0' && *p <= '9') {
      n = n * 10 + (*p - '0');
      if (n > DURATION_MAX_SECONDS) return -1;
      p++;
    }
    int64_t unit = unit_seconds(*p);
    if (unit == 0) return -1;
    p++;
    if (n > (DURATION_MAX_SECONDS - total) / unit) return -1;
    total += n * unit;
  }
  *seconds_out = total;
  return 0;
}
