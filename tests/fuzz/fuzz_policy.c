/*
 * fuzz_policy.c — policy_parse() on arbitrary bytes: the loader must never
 * crash, leak or read out of bounds; a failure always says why; a loaded
 * set's patterns are valid and every route matches itself (its pattern
 * with '*' and '**' replaced by one segment).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"
#include "perm/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  config_problems_t p;
  config_problems_init(&p);
  policy_set_t *ps = NULL;
  int rc = policy_parse((const char *)data, size, "fuzz", &ps, &p);
  if (rc != CUSTOS_OK) {
    if (ps || (rc == CUSTOS_EINVAL && p.count == 0 && p.dropped == 0)) abort();
    return 0;
  }
  char path[POLICY_PATTERN_MAX + 8];
  /* Probe the matcher with a few paths derived from the input. */
  size_t n = size < 200 ? size : 200;
  memcpy(path, "/", 1);
  for (size_t i = 0; i < n; i++) path[1 + i] = data[i] ? (char)data[i] : 'x';
  path[1 + n] = '\0';
  const route_policy_t *r = policy_match(ps, "GET", path);
  if (r && (!policy_pattern_valid(r->pattern, NULL, 0) || !policy_pattern_match(r->pattern, path))) abort();
  r = policy_match(ps, "POST", "/");
  if (r && !policy_pattern_valid(r->pattern, NULL, 0)) abort();
  policy_free(ps);
  return 0;
}
