#include "core/jsjson.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"

/* --- numbers --------------------------------------------------------------- */

/* Does mantissa `m` (decimal integer, no trailing-zero requirement) times
 * 10^e read back as exactly x? */
static bool reads_back(uint64_t m, int e, double x) {
  char s[48];
  snprintf(s, sizeof s, "%" PRIu64 "e%d", m, e);
  return strtod(s, NULL) == x;
}

static int ndigits(uint64_t m) {
  int n = 1;
  while (m >= 10) m /= 10, n++;
  return n;
}

/*
 * The shortest decimal (digits, exponent) for positive finite x: x reads
 * back from digits * 10^(n - k). For each precision p from 1 to 17, take the
 * correctly rounded p-digit value; near a power of two the rounding
 * interval is lopsided, so its neighbours one unit in the last place are
 * tried too (closest first, as Number::toString asks).
 */
static void shortest(double x, char digits[24], int *k_out, int *n_out) {
  for (int p = 1; p <= 17; p++) {
    char s[40];
    snprintf(s, sizeof s, "%.*e", p - 1, x);
    /* s = "d.ddd…e±XX" */
    uint64_t m = 0;
    const char *q = s;
    for (; *q && *q != 'e'; q++)
      if (*q >= '0' && *q <= '9') m = m * 10 + (uint64_t)(*q - '0');
    int e10 = (int)strtol(q + 1, NULL, 10); /* exponent of the first digit ("e±XX" from %e) */
    int e = e10 - (p - 1);       /* exponent of the last digit */
    uint64_t cand[3] = {m, 0, 0};
    int nc = 1;
    /* Neighbours, ordered by distance from x. */
    double approx = strtod(s, NULL);
    uint64_t up = m + 1, down = m - 1;
    bool up_ok = ndigits(up) == p, down_ok = m > 0 && ndigits(down) == p;
    if (approx < x) {
      if (up_ok) cand[nc++] = up;
      if (down_ok) cand[nc++] = down;
    } else {
      if (down_ok) cand[nc++] = down;
      if (up_ok) cand[nc++] = up;
    }
    for (int i = 0; i < nc; i++) {
      if (!reads_back(cand[i], e, x)) continue;
      uint64_t v = cand[i];
      int k = ndigits(v);
      /* p was the first precision that worked, so v has no removable
       * trailing zero except when v itself is a power of ten… which the
       * smaller p would have found; strip defensively anyway. */
      int shift = 0;
      while (k > 1 && v % 10 == 0) v /= 10, k--, shift++;
      snprintf(digits, 24, "%" PRIu64, v);
      *k_out = k;
      *n_out = e + shift + k;
      return;
    }
  }
  /* Unreachable: 17 significant digits always read back. */
  snprintf(digits, 24, "0");
  *k_out = 1;
  *n_out = 1;
}

size_t jsjson_number(double x, char out[JSJSON_NUMBER_MAX]) {
  if (!isfinite(x)) return (size_t)snprintf(out, JSJSON_NUMBER_MAX, "null");
  if (x == 0) return (size_t)snprintf(out, JSJSON_NUMBER_MAX, "0"); /* -0 too */
  size_t o = 0;
  if (x < 0) {
    out[o++] = '-';
    x = -x;
  }
  char d[24];
  int k, n;
  shortest(x, d, &k, &n);
  /* ECMA-262 Number::toString(x), radix 10, steps 6 to 10. */
  if (k <= n && n <= 21) {
    memcpy(out + o, d, (size_t)k);
    o += (size_t)k;
    for (int i = 0; i < n - k; i++) out[o++] = '0';
  } else if (0 < n && n <= 21) {
    memcpy(out + o, d, (size_t)n);
    o += (size_t)n;
    out[o++] = '.';
    memcpy(out + o, d + n, (size_t)(k - n));
    o += (size_t)(k - n);
  } else if (-6 < n && n <= 0) {
    out[o++] = '0';
    out[o++] = '.';
    for (int i = 0; i < -n; i++) out[o++] = '0';
    memcpy(out + o, d, (size_t)k);
    o += (size_t)k;
  } else {
    out[o++] = d[0];
    if (k > 1) {
      out[o++] = '.';
      memcpy(out + o, d + 1, (size_t)(k - 1));
      o += (size_t)(k - 1);
    }
    o += (size_t)snprintf(out + o, JSJSON_NUMBER_MAX - o, "e%c%d", n - 1 >= 0 ? '+' : '-',
                          abs(n - 1));
  }
  out[o] = '\0';
  return o;
}

/* --- strings --------------------------------------------------------------- */

int jsjson_string(buf_t *out, const char *s, size_t n) {
  static const char HEX[] = "0123456789abcdef";
  size_t start = 0;
  int rc = buf_append(out, "\"", 1);
  for (size_t i = 0; !rc && i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    rc = buf_append(out, s + start, i - start);
    if (rc) break;
    char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
    size_t elen = 2;
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\b': esc[1] = 'b'; break;
    case '\t': esc[1] = 't'; break;
    case '\n': esc[1] = 'n'; break;
    case '\f': esc[1] = 'f'; break;
    case '\r': esc[1] = 'r'; break;
    default:
      esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = HEX[c >> 4], esc[5] = HEX[c & 15];
      elen = 6;
    }
    rc = buf_append(out, esc, elen);
    start = i + 1;
  }
  if (!rc) rc = buf_append(out, s + start, n - start);
  if (!rc) rc = buf_append(out, "\"", 1);
  return rc;
}

/* --- values ---------------------------------------------------------------- */

/* An ECMAScript array index: "0" or [1-9][0-9]* up to 2^32 - 2. */
static bool array_index(const char *k, size_t n, uint32_t *out) {
  if (n == 0 || n > 10) return false;
  if (n > 1 && k[0] == '0') return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (k[i] < '0' || k[i] > '9') return false;
    v = v * 10 + (uint64_t)(k[i] - '0');
  }
  if (v > UINT32_MAX - 1) return false;
  *out = (uint32_t)v;
  return true;
}

typedef struct member {
  const char *key;
  size_t klen;
  const json_t *val;
  uint32_t index;
} member_t;

static int cmp_index(const void *a, const void *b) {
  uint32_t x = ((const member_t *)a)->index, y = ((const member_t *)b)->index;
  return x < y ? -1 : x > y;
}

static int dump(buf_t *out, const json_t *v, int depth);

static int dump_member(buf_t *out, const member_t *m, bool *first, int depth) {
  int rc = *first ? 0 : buf_append(out, ",", 1);
  *first = false;
  if (!rc) rc = jsjson_string(out, m->key, m->klen);
  if (!rc) rc = buf_append(out, ":", 1);
  if (!rc) rc = dump(out, m->val, depth + 1);
  return rc;
}

static int dump_object(buf_t *out, const json_t *v, int depth) {
  size_t n = json_object_size(v), ni = 0;
  member_t *idx = NULL;
  const char *key;
  size_t klen;
  json_t *val;
  int rc = buf_append(out, "{", 1);
  if (rc) return rc;
  /* Index-named members first, sorted; usually there are none. */
  json_object_keylen_foreach((json_t *)v, key, klen, val) {
    uint32_t ix;
    if (!array_index(key, klen, &ix)) continue;
    if (!idx && !(idx = malloc(n * sizeof *idx))) return CUSTOS_ENOMEM;
    idx[ni++] = (member_t){key, klen, val, ix};
  }
  if (ni > 1) qsort(idx, ni, sizeof *idx, cmp_index);
  bool first = true;
  for (size_t i = 0; !rc && i < ni; i++) rc = dump_member(out, &idx[i], &first, depth);
  free(idx);
  json_object_keylen_foreach((json_t *)v, key, klen, val) {
    uint32_t ix;
    if (rc) break;
    if (array_index(key, klen, &ix)) continue;
    member_t m = {key, klen, val, 0};
    rc = dump_member(out, &m, &first, depth);
  }
  if (!rc) rc = buf_append(out, "}", 1);
  return rc;
}

static int dump(buf_t *out, const json_t *v, int depth) {
  char num[JSJSON_NUMBER_MAX];
  if (depth > JSJSON_MAX_DEPTH) return CUSTOS_EDEPTH;
  switch (json_typeof(v)) {
  case JSON_OBJECT: return dump_object(out, v, depth);
  case JSON_ARRAY: {
    int rc = buf_append(out, "[", 1);
    for (size_t i = 0; !rc && i < json_array_size(v); i++) {
      if (i) rc = buf_append(out, ",", 1);
      if (!rc) rc = dump(out, json_array_get(v, i), depth + 1);
    }
    return rc ? rc : buf_append(out, "]", 1);
  }
  case JSON_STRING: return jsjson_string(out, json_string_value(v), json_string_length(v));
  case JSON_INTEGER: {
    size_t n = jsjson_number((double)json_integer_value(v), num);
    return buf_append(out, num, n);
  }
  case JSON_REAL: {
    size_t n = jsjson_number(json_real_value(v), num);
    return buf_append(out, num, n);
  }
  case JSON_TRUE: return buf_append(out, "true", 4);
  case JSON_FALSE: return buf_append(out, "false", 5);
  case JSON_NULL: return buf_append(out, "null", 4);
  }
  return CUSTOS_EINVAL;
}

int jsjson_dump(buf_t *out, const json_t *v) {
  size_t mark = out->len;
  int rc = v ? dump(out, v, 1) : CUSTOS_EINVAL;
  if (rc && out->data) {
    out->len = mark;
    out->data[mark] = '\0';
  }
  return rc;
}
