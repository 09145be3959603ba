/*
 * ratelimit.h — a token bucket per key, kept as one timestamp.
 *
 * The bucket is stored in GCRA form (the "theoretical arrival time" of the
 * next request): a bucket of `burst` tokens refilled at `rate_per_s` has
 *   tokens(now) = min(burst, (now + burst·T − tat) / T),   T = 1/rate_per_s
 * so a request is allowed when one token is left and then moves tat on by T.
 * This is exactly a continuous token bucket, in 8 bytes of state and with no
 * floating point on the hot path. The state lives wherever the caller keeps
 * per-key data (keycache entries, under their shard lock): these functions
 * do no locking of their own.
 *
 * Time is a monotonic nanosecond count passed in by the caller, so tests can
 * drive it; ratelimit_clock_ns() is the production source.
 */
#ifndef CUSTOS_AUTH_RATELIMIT_H
#define CUSTOS_AUTH_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_DEFAULT_RATE 100.0  /* tokens per second when 0 is given */
#define RATELIMIT_DEFAULT_BURST 200.0 /* bucket size when 0 is given */
#define RATELIMIT_MIN_RATE 1e-3       /* slowest refill accepted (1 per ~17 min) */
#define RATELIMIT_MAX_RATE 1e9        /* fastest refill accepted (1 per ns) */

typedef struct ratelimit {
  int64_t interval_ns;  /* T: nanoseconds per token, >= 1 */
  int64_t tolerance_ns; /* burst · T: how far tat may run ahead of now */
} ratelimit_t;

/* Configures `rl` for `rate_per_s` tokens per second and a bucket of
 * `burst` tokens (0 = the defaults above; burst is raised to at least 1).
 * Returns false (rl untouched) for negative, NaN or out-of-range values. */
bool ratelimit_init(ratelimit_t *rl, double rate_per_s, double burst);

/*
 * Takes one token from the bucket whose state is *tat (0 = a full, never
 * used bucket) at time now_ns. Returns true and advances *tat when a token
 * was available. Otherwise returns false, leaves *tat alone and sets
 * *retry_after_s (may be NULL) to the whole seconds, rounded up and at
 * least 1, until one token will be available.
 */
bool ratelimit_take(const ratelimit_t *rl, int64_t *tat, int64_t now_ns, int *retry_after_s);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t ratelimit_clock_ns(void);

#endif
