/*
 * lograte.c — per-kind log rate limit (lograte.h).
 */
#include "http/lograte.h"

#include <stdio.h>
#include <string.h>

/* Moves slot `s`'s pending count into *sum and clears it. */
static void take(lograte_slot_t *s, lograte_summary_t *sum) {
  sum->count = s->suppressed;
  memcpy(sum->sample, s->sample, sizeof sum->sample);
  s->suppressed = 0;
}

bool lograte_allow(lograte_t *lr, const void *kind, int64_t now, const char *text,
                   lograte_summary_t *sum) {
  lograte_slot_t *s = NULL, *stale = &lr->slot[0];
  bool ok;
  sum->count = 0;
  sum->sample[0] = '\0';
  pthread_mutex_lock(&lr->mu);
  for (int i = 0; i < LOGRATE_KINDS && !s; i++) {
    if (lr->slot[i].kind == kind) s = &lr->slot[i];
    else if (!lr->slot[i].kind || (stale->kind && lr->slot[i].window < stale->window)) stale = &lr->slot[i];
  }
  if (!s) {
    /* A new kind takes a free slot or the stalest one, whose count goes
     * out now rather than being lost. */
    s = stale;
    if (s->kind && s->suppressed) take(s, sum);
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->window = now;
  } else if (now - s->window >= LOGRATE_WINDOW_S) {
    if (s->suppressed) take(s, sum);
    s->window = now;
    s->written = 0;
  }
  ok = s->written < LOGRATE_BURST;
  if (ok) {
    s->written++;
  } else {
    s->suppressed++;
    snprintf(s->sample, sizeof s->sample, "%s", text);
  }
  pthread_mutex_unlock(&lr->mu);
  return ok;
}

bool lograte_flush(lograte_t *lr, lograte_summary_t *sum) {
  bool found = false;
  sum->count = 0;
  sum->sample[0] = '\0';
  pthread_mutex_lock(&lr->mu);
  for (int i = 0; i < LOGRATE_KINDS && !found; i++)
    if (lr->slot[i].kind && lr->slot[i].suppressed) {
      take(&lr->slot[i], sum);
      found = true;
    }
  pthread_mutex_unlock(&lr->mu);
  return found;
}
