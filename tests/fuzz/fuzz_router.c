/* Fuzzes route matching: input is "METHOD\0PATH". Checks that matches are
 * consistent (params point into the path, Allow is NUL-terminated). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

static void h(struct http_req *r, void *c) { (void)r; (void)c; }

static router_t R;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ready) {
    router_init(&R);
    router_add(&R, HTTP_GET, "/", h, NULL, NULL);
    router_add(&R, HTTP_GET, "/healthz", h, NULL, NULL);
    router_add(&R, HTTP_GET | HTTP_POST, "/admin/v1/apps", h, NULL, NULL);
    router_add(&R, HTTP_GET | HTTP_DELETE, "/admin/v1/apps/{id}", h, NULL, NULL);
    router_add(&R, HTTP_POST, "/admin/v1/apps/{app}/keys/{key}/rotate", h, NULL, NULL);
    router_add(&R, HTTP_GET, "/api/v1/platform/xapp/ott/{ott}", h, NULL, NULL);
    router_add(&R, HTTP_GET, "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", h, NULL, NULL);
    ready = 1;
  }
  char *buf = malloc(size + 2);
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = 0;
  buf[size + 1] = 0;
  const char *method = buf;
  const char *path = buf + strlen(buf) + 1;
  if (path > buf + size) path = buf + size;
  const route_t *rt = NULL;
  route_params_t p;
  char allow[ROUTER_ALLOW_MAX];
  route_result_t res = router_match(&R, method, path, &rt, &p, allow);
  if (res == ROUTE_FOUND) {
    if (!rt || p.n > ROUTER_MAX_PARAMS) abort();
    size_t plen = strlen(path);
    for (int i = 0; i < p.n; i++) {
      if (p.p[i].value < path || p.p[i].value + p.p[i].len > path + plen || p.p[i].len == 0) abort();
      char v[64];
      route_param(&p, "id", v, sizeof v);
    }
  } else if (res == ROUTE_METHOD_NOT_ALLOWED) {
    if (strnlen(allow, sizeof allow) >= sizeof allow || !allow[0]) abort();
  }
  free(buf);
  return 0;
}
