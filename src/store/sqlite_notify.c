/*
 * sqlite_notify.c — SQLite notifications: one node, so notify delivers to
 * this store's listeners on the caller's thread.
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_conn.h"

/* The matching entries are copied under lmu and called after releasing
 * it, so a listener may itself notify or listen without deadlocking. */
int sq__notify(void *impl, const char *channel, const char *payload) {
  sq_t *q = impl;
  sq_listener_t hit[STORE_LISTENERS_MAX];
  int n = 0;
  pthread_mutex_lock(&q->lmu);
  for (int i = 0; i < q->nlisteners; i++)
    if (strcmp(q->listeners[i].channel, channel) == 0) hit[n++] = q->listeners[i];
  pthread_mutex_unlock(&q->lmu);
  for (int i = 0; i < n; i++) hit[i].fn(hit[i].ctx, channel, payload);
  return CUSTOS_OK;
}

int sq__listen(void *impl, const char *channel, store_notify_fn fn, void *ctx,
               _Atomic uint64_t *errors) {
  sq_t *q = impl;
  int rc = CUSTOS_OK;
  (void)errors; /* nothing can fail after registration */
  pthread_mutex_lock(&q->lmu);
  if (q->nlisteners == STORE_LISTENERS_MAX) {
    rc = CUSTOS_ETOOBIG;
  } else {
    sq_listener_t *l = &q->listeners[q->nlisteners++];
    snprintf(l->channel, sizeof l->channel, "%s", channel);
    l->fn = fn;
    l->ctx = ctx;
  }
  pthread_mutex_unlock(&q->lmu);
  return rc;
}
