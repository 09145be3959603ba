/* Fuzzes request-target decoding (src/http/urldecode.c): the path decoder
 * and the query records. Buffers are exactly the documented sizes, so ASan
 * catches any write past them; the records must read back consistently. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/urldecode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *in = malloc(size ? size : 1);
  if (!in) return 0;
  memcpy(in, data, size);

  /* The path: never longer than the input, no NUL inside, no '+' turned
   * into a space. */
  char *path = malloc(size + 1);
  if (!path) {
    free(in);
    return 0;
  }
  size_t n = url_pct_decode(in, size, path, false);
  if (n > size || strlen(path) != n) abort();
  if (!memchr(in, '%', size) && memcmp(path, in, n) != 0) abort(); /* nothing to decode: a prefix, unchanged */

  /* The query records. */
  char *q = malloc(URL_QUERY_DECODED_MAX(size));
  if (!q) {
    free(in);
    free(path);
    return 0;
  }
  url_query_decode(in, size, q);
  const char *end = q + URL_QUERY_DECODED_MAX(size);
  size_t records = 0;
  for (const char *k = q; *k;) {
    size_t kl = strlen(k);
    const char *f = k + kl + 1;
    if (f >= end || (*f != '=' && *f != '-')) abort();
    const char *v = f + 1;
    size_t vl = strlen(v);
    if (*f == '-' && vl != 0) abort();
    /* The first record of a name is the one found. */
    const char *found = url_query_find(q, k);
    const char *first = NULL;
    bool has = false;
    for (const char *j = q; j <= k;) {
      const char *jf = j + strlen(j) + 1;
      if (strcmp(j, k) == 0) {
        first = jf + 1;
        has = *jf == '=';
        break;
      }
      j = jf + 1 + strlen(jf + 1) + 1;
    }
    if (has ? (found != first) : (found != NULL)) abort();
    k = v + vl + 1;
    if (k >= end) abort();
    if (++records > size + 1) abort();
  }
  free(in);
  free(path);
  free(q);
  return 0;
}
