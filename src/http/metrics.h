/*
 * metrics.h — request counters and latency histograms, rendered as
 * Prometheus text exposition (version 0.0.4).
 *
 * Counters are relaxed atomics indexed by route and status, so recording a
 * request takes no lock. Route index ROUTER_MAX_ROUTES is "unmatched"
 * (404/405/limits), labelled route="".
 */
#ifndef CUSTOS_HTTP_METRICS_H
#define CUSTOS_HTTP_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/buf.h"
#include "http/router.h"

#define METRICS_NBUCKETS 14

typedef struct metrics {
  _Atomic uint64_t count[ROUTER_MAX_ROUTES + 1][600];              /* by status */
  _Atomic uint64_t bucket[ROUTER_MAX_ROUTES + 1][METRICS_NBUCKETS + 1]; /* last = +Inf */
  _Atomic uint64_t sum_us[ROUTER_MAX_ROUTES + 1];
  _Atomic int64_t in_flight;
} metrics_t;

/* Allocates zeroed metrics (large: keep one per server). NULL on OOM. */
metrics_t *metrics_new(void);
void metrics_free(metrics_t *m);
/* route_index: route->index, or -1 for unmatched requests. */
void metrics_record(metrics_t *m, int route_index, int status, uint64_t dur_us);
/* Appends the exposition text. `store_errors` and `store_kind` come from the
 * store; `store_kind` may be NULL. */
int metrics_render(const metrics_t *m, const router_t *r, uint64_t store_errors,
                   const char *store_kind, buf_t *out) __attribute__((warn_unused_result));

#endif
