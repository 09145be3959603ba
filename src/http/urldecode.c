#include "http/urldecode.h"

#include <string.h>

#include "core/hex.h"

size_t url_pct_decode(const char *s, size_t n, char *out, bool plus_space) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    int hi, lo;
    if (ch == '%' && i + 2 < n && (hi = hex_digit((unsigned char)s[i + 1])) >= 0 && (lo = hex_digit((unsigned char)s[i + 2])) >= 0) {
      ch = (char)(hi * 16 + lo);
      i += 2;
    } else if (ch == '+' && plus_space) {
      ch = ' ';
    }
    if (ch == '\0') break;
    out[o++] = ch;
  }
  out[o] = '\0';
  return o;
}

void url_query_decode(const char *q, size_t n, char *out) {
  /* Per pair: name + NUL + flag + value + NUL, never more than the pair's
   * text plus 3; at most n + 1 pairs. */
  char *o = out;
  const char *p = q, *end = q + n;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *pe = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(pe - p));
    size_t kn = pe > p ? url_pct_decode(p, (size_t)((eq ? eq : pe) - p), o, true) : 0;
    if (kn) { /* a pair without a name is skipped: "" ends the records */
      o += kn + 1;
      *o++ = eq ? '=' : '-';
      if (eq) o += url_pct_decode(eq + 1, (size_t)(pe - eq - 1), o, true);
      *o++ = '\0';
    }
    p = amp ? amp + 1 : end;
  }
  *o = '\0';
}

const char *url_query_find(const char *decoded, const char *name) {
  for (const char *k = decoded; *k;) {
    const char *f = k + strlen(k) + 1, *v = f + 1;
    if (strcmp(k, name) == 0) return *f == '=' ? v : NULL;
    k = v + strlen(v) + 1;
  }
  return NULL;
}
