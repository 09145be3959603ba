/*
 * fuzz_authreq.c — authreq_set() on arbitrary original-request targets
 * (the X-Original-URI / X-Forwarded-Uri / Envoy path parser): never a
 * crash or an out-of-bounds read; on success the path starts with '/',
 * holds no NUL before its end and no "." or ".." segment, and fits its cap;
 * query parameters can be read back without overflow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"
#include "perm/authreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static authreq_t RQ;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* First byte picks the method, the rest is the target. */
  static const char *const M[] = {"GET", "post", "DELETE", "X"};
  const char *method = M[size ? data[0] % 4 : 0];
  const char *uri = size ? (const char *)data + 1 : "";
  size_t len = size ? size - 1 : 0;
  cerr_t e;
  if (authreq_set(&RQ, method, uri, len, &e) != CUSTOS_OK) {
    if (e.status != 400) abort();
    return 0;
  }
  size_t pl = strnlen(RQ.path, sizeof RQ.path);
  if (pl == 0 || pl >= sizeof RQ.path || RQ.path[0] != '/') abort();
  if (strnlen(RQ.query, sizeof RQ.query) >= sizeof RQ.query) abort();
  for (const char *p = RQ.path + 1;;) {
    size_t l = strcspn(p, "/");
    if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.')) abort();
    if (!p[l]) break;
    p += l + 1;
  }
  char v[64];
  (void)authreq_query(&RQ, "a", v, sizeof v);
  (void)authreq_query(&RQ, "entityId", v, 1);
  return 0;
}
