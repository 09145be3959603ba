/*
 * lograte.h — a rate limit for log lines that outside input can cause
 * (a failure to accept connections, repeated while it lasts, say),
 * so a client cannot flood the log.
 *
 * Lines are grouped by kind: a stable pointer the caller chooses (e.g. a
 * format string, which names the event without the client's data).
 * Each kind may write LOGRATE_BURST lines per LOGRATE_WINDOW_S-second
 * window; the rest are counted. The first line of a kind in a later window
 * carries that count out once, as one "N more suppressed" line, and so
 * does lograte_flush (at shutdown). Thread safe.
 */
#ifndef CUSTOS_HTTP_LOGRATE_H
#define CUSTOS_HTTP_LOGRATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define LOGRATE_BURST 5        /* lines per kind per window */
#define LOGRATE_WINDOW_S 1     /* window length, seconds */
#define LOGRATE_KINDS 16       /* kinds tracked at once; the stalest is evicted */
#define LOGRATE_SAMPLE_MAX 256 /* bytes of a suppressed line kept for the summary, with NUL */

typedef struct lograte_slot {
  const void *kind;                /* NULL = free */
  int64_t window;                  /* start of the current window, seconds */
  unsigned written;                /* lines written in this window */
  uint64_t suppressed;             /* lines dropped since the last summary */
  char sample[LOGRATE_SAMPLE_MAX]; /* the last dropped line, NUL-terminated */
} lograte_slot_t;

typedef struct lograte {
  pthread_mutex_t mu;
  lograte_slot_t slot[LOGRATE_KINDS];
} lograte_t;

#define LOGRATE_INIT {PTHREAD_MUTEX_INITIALIZER, {{0}}}

/* A summary to write: `count` lines like `sample` were suppressed. */
typedef struct lograte_summary {
  uint64_t count;                  /* 0 = nothing to write */
  char sample[LOGRATE_SAMPLE_MAX]; /* NUL-terminated */
} lograte_summary_t;

/*
 * Decides for one line `text` of `kind` at `now` (monotonic seconds).
 * Returns true when the line may be written. *sum is set (count > 0) when
 * a summary is due: the caller writes it before the line, whatever the
 * answer. A suppressed line's text is kept as the summary's sample.
 */
bool lograte_allow(lograte_t *lr, const void *kind, int64_t now, const char *text,
                   lograte_summary_t *sum);

/* Takes out the pending summary of the first kind that has one, if any;
 * false when none is left. Call until false (at shutdown). */
bool lograte_flush(lograte_t *lr, lograte_summary_t *sum);

#endif
