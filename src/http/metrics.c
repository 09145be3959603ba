#include "http/metrics.h"

#include <stdlib.h>

#include "custos.h"

/* Seconds; chosen around the targets: a gateway check should take well
 * under a millisecond, store-backed admin calls a few milliseconds. */
static const double BUCKET_LE[METRICS_NBUCKETS] = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};

metrics_t *metrics_new(void) { return calloc(1, sizeof(metrics_t)); }
void metrics_free(metrics_t *m) { free(m); }

void metrics_record(metrics_t *m, int route_index, int status, uint64_t dur_us) {
  int r = (route_index < 0 || route_index >= ROUTER_MAX_ROUTES) ? ROUTER_MAX_ROUTES : route_index;
  if (status < 100 || status > 599) status = 599;
  atomic_fetch_add_explicit(&m->count[r][status], 1, memory_order_relaxed);
  double secs = (double)dur_us / 1e6;
  int b = 0;
  while (b < METRICS_NBUCKETS && secs > BUCKET_LE[b]) b++;
  atomic_fetch_add_explicit(&m->bucket[r][b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->sum_us[r], dur_us, memory_order_relaxed);
}

static int route_label(buf_t *out, const router_t *r, int i) {
  const char *p = i < r->n ? r->routes[i].pattern : "";
  if (buf_puts(out, "route=\"")) return CUSTOS_ENOMEM;
  /* Patterns are ours (no quotes/backslashes), but escape anyway. */
  for (const char *c = p; *c; c++) {
    if ((*c == '"' || *c == '\\') && buf_append(out, "\\", 1)) return CUSTOS_ENOMEM;
    if (buf_append(out, c, 1)) return CUSTOS_ENOMEM;
  }
  return buf_puts(out, "\"");
}

#define TRY(x) do { if ((x) != 0) return CUSTOS_ENOMEM; } while (0)

int metrics_render(const metrics_t *m, const router_t *r, uint64_t store_errors,
                   const char *store_kind, buf_t *out) {
  TRY(buf_printf(out, "# HELP custos_build_info Build information.\n"
                      "# TYPE custos_build_info gauge\n"
                      "custos_build_info{version=\"%s\",store=\"%s\"} 1\n",
                 custos_version(), store_kind ? store_kind : ""));
  TRY(buf_puts(out, "# HELP custos_http_requests_total HTTP requests by route pattern and status.\n"
                    "# TYPE custos_http_requests_total counter\n"));
  int slots[ROUTER_MAX_ROUTES + 1];
  int ns = 0;
  for (int i = 0; i < r->n; i++) slots[ns++] = i;
  slots[ns++] = ROUTER_MAX_ROUTES;
  for (int k = 0; k < ns; k++) {
    int i = slots[k];
    for (int s = 100; s < 600; s++) {
      uint64_t c = atomic_load_explicit(&m->count[i][s], memory_order_relaxed);
      if (!c) continue;
      TRY(buf_puts(out, "custos_http_requests_total{"));
      TRY(route_label(out, r, i));
      TRY(buf_printf(out, ",status=\"%d\"} %llu\n", s, (unsigned long long)c));
    }
  }
  TRY(buf_puts(out, "# HELP custos_http_request_duration_seconds Time from request start to response queued.\n"
                    "# TYPE custos_http_request_duration_seconds histogram\n"));
  for (int k = 0; k < ns; k++) {
    int i = slots[k];
    uint64_t cum = 0;
    for (int b = 0; b <= METRICS_NBUCKETS; b++) cum += atomic_load_explicit(&m->bucket[i][b], memory_order_relaxed);
    if (!cum) continue;
    uint64_t total = cum;
    cum = 0;
    for (int b = 0; b <= METRICS_NBUCKETS; b++) {
      cum += atomic_load_explicit(&m->bucket[i][b], memory_order_relaxed);
      TRY(buf_puts(out, "custos_http_request_duration_seconds_bucket{"));
      TRY(route_label(out, r, i));
      if (b < METRICS_NBUCKETS)
        TRY(buf_printf(out, ",le=\"%g\"} %llu\n", BUCKET_LE[b], (unsigned long long)cum));
      else
        TRY(buf_printf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum));
    }
    TRY(buf_puts(out, "custos_http_request_duration_seconds_sum{"));
    TRY(route_label(out, r, i));
    TRY(buf_printf(out, "} %.6f\n", (double)atomic_load_explicit(&m->sum_us[i], memory_order_relaxed) / 1e6));
    TRY(buf_puts(out, "custos_http_request_duration_seconds_count{"));
    TRY(route_label(out, r, i));
    TRY(buf_printf(out, "} %llu\n", (unsigned long long)total));
  }
  TRY(buf_printf(out, "# HELP custos_http_in_flight Requests being handled now.\n"
                      "# TYPE custos_http_in_flight gauge\n"
                      "custos_http_in_flight %lld\n",
                 (long long)atomic_load(&m->in_flight)));
  TRY(buf_printf(out, "# HELP custos_store_errors_total Store operations that failed.\n"
                      "# TYPE custos_store_errors_total counter\n"
                      "custos_store_errors_total %llu\n",
                 (unsigned long long)store_errors));
  return CUSTOS_OK;
}
