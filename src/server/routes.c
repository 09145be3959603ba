#include "server/app.h"

/* The one table of what custos serves. Literal routes first where a
 * parameter route could also match. */
int app_routes(app_t *a) {
  router_t *r = &a->router;
  router_init(r);
  int rc = 0;
  rc |= router_add(r, HTTP_GET, "/healthz", ops_healthz, a, NULL);
  rc |= router_add(r, HTTP_GET, "/readyz", ops_readyz, a, NULL);
  rc |= router_add(r, HTTP_GET, "/metrics", ops_metrics, a, NULL);
  return rc ? -1 : 0;
}
