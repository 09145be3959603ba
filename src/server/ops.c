#include <string.h>

#include "core/err.h"
#include "server/app.h"

/* Alive: the process answers. Deliberately touches nothing else, so a
 * store outage does not get a healthy node restarted. */
void ops_healthz(http_req_t *r, void *ctx) {
  (void)ctx;
  http_reply_text(r, 200, "application/json", "{\"status\":\"ok\"}");
}

/* Ready: the store answers a round trip. Load balancers take a node out
 * of rotation on 503. */
void ops_readyz(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  if (store_ping(a->store) != 0) {
    cerr_t e;
    cerr_set(&e, 503, CERR_UNAVAILABLE, NULL, "store unreachable");
    http_reply_error(r, &e);
    return;
  }
  http_reply_json(r, 200, json_pack("{s:s,s:s}", "status", "ready", "store", store_kind(a->store)));
}

/* The key-check service's counters. Store lookups let a test (or an
 * operator) see that malformed keys never reach the store. */
static int keycheck_metrics(const app_t *a, buf_t *b) {
  if (!a->keys) return 0;
  return buf_printf(b,
                    "# HELP custos_keycheck_store_lookups_total API key lookups that went to the store.\n"
                    "# TYPE custos_keycheck_store_lookups_total counter\n"
                    "custos_keycheck_store_lookups_total %llu\n"
                    "# HELP custos_keycheck_cache_entries API keys in the positive cache.\n"
                    "# TYPE custos_keycheck_cache_entries gauge\n"
                    "custos_keycheck_cache_entries %zu\n",
                    (unsigned long long)keycheck_store_lookups(a->keys), keycheck_cache_entries(a->keys));
}

void ops_metrics(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  buf_t b;
  buf_init(&b, 0);
  if (metrics_render(a->metrics, &a->router, store_error_count(a->store), store_kind(a->store), &b) != 0 ||
      keycheck_metrics(a, &b) != 0) {
    buf_cleanup(&b);
    cerr_t e;
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    http_reply_error(r, &e);
    return;
  }
  http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}
