#include "auth/ratelimit.h"

#include <time.h>

#define NS_PER_S 1000000000LL

bool ratelimit_init(ratelimit_t *rl, double rate_per_s, double burst) {
  if (!rl || rate_per_s != rate_per_s || burst != burst || rate_per_s < 0 || burst < 0) return false;
  if (rate_per_s == 0) rate_per_s = RATELIMIT_DEFAULT_RATE;
  if (burst == 0) burst = RATELIMIT_DEFAULT_BURST;
  if (rate_per_s < RATELIMIT_MIN_RATE || rate_per_s > RATELIMIT_MAX_RATE) return false;
  if (burst < 1) burst = 1;
  double t = (double)NS_PER_S / rate_per_s;
  double tol = t * burst;
  /* Keep tat arithmetic far from int64 overflow: a bucket may hold at most
   * ~100 years of refill. */
  if (tol > 3e18) return false;
  rl->interval_ns = t < 1 ? 1 : (int64_t)(t + 0.5);
  rl->tolerance_ns = (int64_t)(tol + 0.5);
  if (rl->tolerance_ns < rl->interval_ns) rl->tolerance_ns = rl->interval_ns;
  return true;
}

bool ratelimit_take(const ratelimit_t *rl, int64_t *tat, int64_t now_ns, int *retry_after_s) {
  int64_t t = *tat > now_ns ? *tat : now_ns;
  int64_t next = t + rl->interval_ns;
  int64_t ahead = next - now_ns; /* > 0 */
  if (ahead <= rl->tolerance_ns) {
    *tat = next;
    return true;
  }
  if (retry_after_s) {
    int64_t wait = ahead - rl->tolerance_ns; /* ns until one token is back */
    int64_t s = (wait + NS_PER_S - 1) / NS_PER_S;
    if (s < 1) s = 1;
    *retry_after_s = s > 86400 * 365 ? 86400 * 365 : (int)s;
  }
  return false;
}

int64_t ratelimit_clock_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}
