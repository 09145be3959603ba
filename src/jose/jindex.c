#include "jose/jindex.h"

#include <assert.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/json.h"
#include "core/utf8.h"
#include "custos.h"
#include "jose/jparse.h"

#define LINEAR_DUP_MAX 16   /* objects with more names are checked by hashing */
#define REAL_STACK 64       /* number texts up to this long convert on the stack */
#define NO_SLOT UINT32_MAX

typedef struct frame {
  bool obj;                 /* object (else array) */
  size_t key0;              /* its first name in ix->_keys */
  size_t str0;              /* arena length when it opened */
} frame_t;

static inline bool is_ws(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static inline bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline size_t skip_ws(const unsigned char *s, size_t n, size_t i) {
  while (i < n && is_ws(s[i])) i++;
  return i;
}

/* Reads the four hex digits at s[i..i+4) into *cp; false if any is not. */
static bool hex4(const unsigned char *s, size_t n, size_t i, uint32_t *cp) {
  if (n - i < 4) return false;
  uint32_t v = 0;
  for (size_t k = 0; k < 4; k++) {
    int h = hex_digit((unsigned char)s[i + k]);
    if (h < 0) return false;
    v = v << 4 | (uint32_t)h;
  }
  *cp = v;
  return true;
}

static size_t utf8_put(uint32_t cp, char *o) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/*
 * Scans the string whose opening quote is at s[*pos]: jansson's rules
 * (no control characters, the eight short escapes and \uXXXX, surrogates
 * only as a high-low pair, no \u0000, strict UTF-8). With `out`, writes
 * the decoded bytes and a NUL there (the caller reserved the source
 * length) and their count to *outlen. On success *pos is just past the
 * closing quote.
 */
static int scan_string(const unsigned char *s, size_t n, size_t *pos, char *out,
                       size_t *outlen) {
  size_t i = *pos + 1, o = 0;
  for (;;) {
    if (i >= n) return CUSTOS_EINVAL;
    unsigned char c = s[i];
    if (c == '"') break;
    if (c < 0x20) return CUSTOS_EINVAL;
    if (c < 0x80 && c != '\\') {
      if (out) out[o] = (char)c;
      o++;
      i++;
      continue;
    }
    if (c >= 0x80) {
      size_t k = utf8_char_len(s + i, n - i);
      if (!k) return CUSTOS_EINVAL;
      if (out) memcpy(out + o, s + i, k);
      o += k;
      i += k;
      continue;
    }
    if (i + 1 >= n) return CUSTOS_EINVAL;
    unsigned char e = s[i + 1];
    char one;
    switch (e) {
    case '"': case '\\': case '/': one = (char)e; break;
    case 'b': one = '\b'; break;
    case 'f': one = '\f'; break;
    case 'n': one = '\n'; break;
    case 'r': one = '\r'; break;
    case 't': one = '\t'; break;
    case 'u': {
      uint32_t cp, lo;
      if (!hex4(s, n, i + 2, &cp)) return CUSTOS_EINVAL;
      i += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (!(n - i >= 2 && s[i] == '\\' && s[i + 1] == 'u')) return CUSTOS_EINVAL;
        if (!hex4(s, n, i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) return CUSTOS_EINVAL;
        cp = ((cp - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
        i += 6;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return CUSTOS_EINVAL;
      }
      if (cp == 0) return CUSTOS_EINVAL; /* jansson refuses NUL in names and values */
      if (out)
        o += utf8_put(cp, out + o);
      else
        o += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      continue;
    }
    default: return CUSTOS_EINVAL;
    }
    if (out) out[o] = one;
    o++;
    i += 2;
  }
  if (out) out[o] = '\0';
  if (outlen) *outlen = o;
  *pos = i + 1;
  return CUSTOS_OK;
}

/* strtod exactly as jansson's jsonp_strtod calls it (the locale's decimal
 * point swapped in), refusing only overflow. */
static int to_real(const unsigned char *s, size_t n, double *out) {
  char stackbuf[REAL_STACK];
  char *b = n < sizeof stackbuf ? stackbuf : malloc(n + 1);
  if (!b) return CUSTOS_ENOMEM;
  memcpy(b, s, n);
  b[n] = '\0';
  const char *point = localeconv()->decimal_point;
  if (*point != '.') {
    char *dot = strchr(b, '.');
    if (dot) *dot = *point;
  }
  errno = 0;
  double v = strtod(b, NULL);
  int rc = (v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE ? CUSTOS_EINVAL : CUSTOS_OK;
  if (b != stackbuf) free(b);
  *out = v;
  return rc;
}

/* Scans the number at s[*pos] (JSON grammar, as jansson lexes it). An
 * integer must fit int64 (strtoll's range). With `m`, stores type and
 * value there. */
static int scan_number(const unsigned char *s, size_t n, size_t *pos, jose_jmember_t *m) {
  size_t i = *pos, start = i;
  bool neg = false, real = false;
  if (s[i] == '-') {
    neg = true;
    i++;
  }
  if (i >= n || !is_digit(s[i])) return CUSTOS_EINVAL;
  size_t d0 = i;
  if (s[i] == '0') {
    i++;
    if (i < n && is_digit(s[i])) return CUSTOS_EINVAL;
  } else {
    while (i < n && is_digit(s[i])) i++;
  }
  size_t d1 = i;
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || !is_digit(s[i])) return CUSTOS_EINVAL;
    while (i < n && is_digit(s[i])) i++;
    real = true;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || !is_digit(s[i])) return CUSTOS_EINVAL;
    while (i < n && is_digit(s[i])) i++;
    real = true;
  }
  if (real) {
    double d;
    int rc = to_real(s + start, i - start, &d);
    if (rc) return rc;
    if (m) {
      m->type = JOSE_JREAL;
      m->v.d = d;
    }
  } else {
    /* Accumulate the magnitude; int64 holds 2^63 - 1 up, 2^63 down. */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    for (size_t k = d0; k < d1; k++) {
      unsigned dgt = (unsigned)(s[k] - '0');
      if (v > (limit - dgt) / 10) return CUSTOS_EINVAL;
      v = v * 10 + dgt;
    }
    if (m) {
      m->type = JOSE_JINT;
      m->v.i = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    }
  }
  *pos = i;
  return CUSTOS_OK;
}

static bool key_eq(const char *arena, const jose_jkey_t *a, const jose_jkey_t *b) {
  return a->hash == b->hash && a->len == b->len && memcmp(arena + a->off, arena + b->off, a->len) == 0;
}

/* CUSTOS_EDUP when two of the `nk` names repeat. Pairwise for small
 * objects, else an open-addressing table. Names are only ever checked
 * after the token's signature verified, so a crafted run of FNV
 * collisions costs the issuer's own tokens, and stays quadratic only in
 * one object's size. */
static int dup_in(const char *arena, const jose_jkey_t *k, size_t nk) {
  if (nk <= LINEAR_DUP_MAX) {
    for (size_t a = 1; a < nk; a++)
      for (size_t b = 0; b < a; b++)
        if (key_eq(arena, &k[a], &k[b])) return CUSTOS_EDUP;
    return CUSTOS_OK;
  }
  size_t cap = 64;
  while (cap < 2 * nk) cap <<= 1;
  uint32_t *t = malloc(cap * sizeof *t);
  if (!t) return CUSTOS_ENOMEM;
  memset(t, 0xff, cap * sizeof *t);
  int rc = CUSTOS_OK;
  for (size_t j = 0; j < nk && !rc; j++) {
    size_t h = k[j].hash & (cap - 1);
    for (; t[h] != NO_SLOT; h = (h + 1) & (cap - 1))
      if (key_eq(arena, &k[t[h]], &k[j])) {
        rc = CUSTOS_EDUP;
        break;
      }
    t[h] = (uint32_t)j;
  }
  free(t);
  return rc;
}

/* Makes room for `need` elements of `size` bytes in *p (capacity *cap),
 * moving off the inline buffer `inl` on the first growth. */
static int reserve(void **p, size_t *cap, size_t need, size_t size, void *inl) {
  if (need <= *cap) return CUSTOS_OK;
  size_t nc = *cap * 2;
  while (nc < need) nc *= 2;
  void *q = *p == inl ? malloc(nc * size) : realloc(*p, nc * size);
  if (!q) return CUSTOS_ENOMEM;
  if (*p == inl) memcpy(q, inl, *cap * size);
  *p = q;
  *cap = nc;
  return CUSTOS_OK;
}

void jose_jindex_init(jose_jindex_t *ix) {
  ix->m = ix->_m_inline;
  ix->n = 0;
  ix->strs = ix->_s_inline;
  ix->strs_len = 0;
  ix->_keys = ix->_k_inline;
  ix->_nkeys = 0;
  ix->_mcap = JOSE_JINDEX_INLINE_MEMBERS;
  ix->_kcap = JOSE_JINDEX_INLINE_KEYS;
  ix->_scap = JOSE_JINDEX_INLINE_STRS;
}

void jose_jindex_cleanup(jose_jindex_t *ix) {
  if (ix->m != ix->_m_inline) free(ix->m);
  if (ix->_keys != ix->_k_inline) free(ix->_keys);
  if (ix->strs != ix->_s_inline) free(ix->strs);
  jose_jindex_init(ix);
}

/* The dup verdict jansson would have reached by the point of an error:
 * every name already read in each object still open. */
static int dup_in_open(const jose_jindex_t *ix, const frame_t *st, int depth) {
  for (int f = 0; f < depth; f++) {
    if (!st[f].obj) continue;
    size_t end = f + 1 < depth ? st[f + 1].key0 : ix->_nkeys;
    int rc = dup_in(ix->strs, ix->_keys + st[f].key0, end - st[f].key0);
    if (rc) return rc;
  }
  return CUSTOS_OK;
}

static int scan(jose_jindex_t *ix, const unsigned char *s, size_t n, int max_depth) {
  frame_t st[JOSE_JINDEX_MAX_DEPTH];
  int depth = 0, rc = CUSTOS_EINVAL;
  jose_jmember_t *cur = NULL; /* top-level member whose value is being read */
  size_t i = skip_ws(s, n, 0);
  if (i >= n || (s[i] != '{' && s[i] != '[')) return CUSTOS_EINVAL;
  bool top_obj = s[i] == '{';

value: /* s[i] starts a value (i < n) */
  if (s[i] == '{' || s[i] == '[') {
    /* Everything so far is valid, so the pre-scan counts this bracket
     * exactly as we do. */
    if (depth == max_depth) return CUSTOS_EDEPTH;
    st[depth++] = (frame_t){.obj = s[i] == '{', .key0 = ix->_nkeys, .str0 = ix->strs_len};
    if (cur && depth == 2) {
      cur->type = s[i] == '{' ? JOSE_JOBJECT : JOSE_JARRAY;
      cur->span = (uint32_t)i;
    }
    bool obj = s[i] == '{';
    i = skip_ws(s, n, i + 1);
    if (i >= n) goto fail_inval;
    if (s[i] == (obj ? '}' : ']')) {
      i++;
      goto close;
    }
    if (obj) goto key;
    goto value;
  }
  {
    bool record = cur && depth == 1;
    size_t v0 = i;
    if (s[i] == '"') {
      size_t len = 0;
      char *out = record ? ix->strs + ix->strs_len : NULL;
      if ((rc = scan_string(s, n, &i, out, &len))) goto fail;
      if (record) {
        cur->type = JOSE_JSTRING;
        cur->v.str = (uint32_t)ix->strs_len;
        cur->str_len = (uint32_t)len;
        ix->strs_len += len + 1;
      }
    } else if (s[i] == '-' || is_digit(s[i])) {
      if ((rc = scan_number(s, n, &i, record ? cur : NULL))) goto fail;
    } else if (is_alpha(s[i])) {
      size_t j = i;
      while (j < n && is_alpha(s[j])) j++;
      uint32_t t;
      if (j - i == 4 && !memcmp(s + i, "true", 4))
        t = JOSE_JTRUE;
      else if (j - i == 5 && !memcmp(s + i, "false", 5))
        t = JOSE_JFALSE;
      else if (j - i == 4 && !memcmp(s + i, "null", 4))
        t = JOSE_JNULL;
      else {
        rc = CUSTOS_EINVAL;
        goto fail;
      }
      if (record) cur->type = t;
      i = j;
    } else {
      rc = CUSTOS_EINVAL;
      goto fail;
    }
    if (record) {
      cur->span = (uint32_t)v0;
      cur->span_len = (uint32_t)(i - v0);
    }
  }

after: /* a value ended just before s[i] */
  /* depth >= 1: the scan starts by opening a container and stops at close:
   * when the last one ends. Stated for the analyzer and the reader. */
  if (depth == 0) goto fail_inval;
  i = skip_ws(s, n, i);
  if (i >= n) goto fail_inval;
  if (s[i] == ',') {
    i = skip_ws(s, n, i + 1);
    if (i >= n) goto fail_inval;
    if (st[depth - 1].obj) goto key;
    goto value;
  }
  if (s[i] != (st[depth - 1].obj ? '}' : ']')) goto fail_inval;
  i++;

close: /* the container st[depth - 1] ended just before s[i] */
  if (st[depth - 1].obj) {
    frame_t *f = &st[depth - 1];
    if ((rc = dup_in(ix->strs, ix->_keys + f->key0, ix->_nkeys - f->key0))) goto fail;
    ix->_nkeys = f->key0;
  }
  if (depth > 1) ix->strs_len = st[depth - 1].str0; /* nested names are done with */
  if (cur && depth == 2) cur->span_len = (uint32_t)(i - cur->span);
  if (--depth > 0) goto after;
  if (skip_ws(s, n, i) != n) return CUSTOS_EINVAL;
  return top_obj ? CUSTOS_OK : CUSTOS_EINVAL;

key: /* s[i] should open a member name (i < n) */
  if (s[i] != '"') goto fail_inval;
  {
    size_t len = 0, off = ix->strs_len;
    if ((rc = scan_string(s, n, &i, ix->strs + off, &len))) goto fail;
    if ((rc = reserve((void **)&ix->_keys, &ix->_kcap, ix->_nkeys + 1, sizeof *ix->_keys,
                      ix->_k_inline)))
      return rc;
    uint32_t h = 2166136261u;
    for (size_t k = 0; k < len; k++) h = (h ^ (unsigned char)ix->strs[off + k]) * 16777619u;
    ix->_keys[ix->_nkeys++] = (jose_jkey_t){(uint32_t)off, (uint32_t)len, h};
    ix->strs_len += len + 1;
    if (depth == 1) {
      if ((rc = reserve((void **)&ix->m, &ix->_mcap, ix->n + 1, sizeof *ix->m, ix->_m_inline)))
        return rc;
      cur = &ix->m[ix->n++];
      *cur = (jose_jmember_t){.name = (uint32_t)off, .name_len = (uint32_t)len};
    }
  }
  i = skip_ws(s, n, i);
  if (i >= n || s[i] != ':') goto fail_inval;
  i = skip_ws(s, n, i + 1);
  if (i >= n) goto fail_inval;
  goto value;

fail_inval:
  rc = CUSTOS_EINVAL;
fail:
  if (rc == CUSTOS_EINVAL) {
    int dup = dup_in_open(ix, st, depth);
    if (dup) rc = dup;
  }
  return rc;
}

int jose_jindex_scan(jose_jindex_t *ix, const char *text, size_t len, int max_depth) {
  if (max_depth <= 0) max_depth = JOSE_JSON_MAX_DEPTH;
  assert(max_depth <= JOSE_JINDEX_MAX_DEPTH);
  if (!text) return CUSTOS_EINVAL;
  if (len > JOSE_JINDEX_MAX_BYTES) return CUSTOS_ETOOBIG;
  /* A raw NUL is never valid JSON. Refused first, wherever it is, as
   * jose_json_parse does (jansson alone would skip one right after a
   * number or literal: {"exp":1\0} parses). */
  if (memchr(text, '\0', len)) return CUSTOS_EINVAL;
  ix->n = 0;
  ix->strs_len = 0;
  ix->_nkeys = 0;
  /* Every decoded string plus its NUL fits in its quoted source, and
   * sources do not overlap: `len` bytes of arena always suffice. */
  if (len > ix->_scap) {
    char *p = malloc(len);
    if (!p) return CUSTOS_ENOMEM;
    if (ix->strs != ix->_s_inline) free(ix->strs);
    ix->strs = p;
    ix->_scap = len;
  }
  int rc = scan(ix, (const unsigned char *)text, len, max_depth);
  /* jose_json_parse judges nesting on the whole text before anything
   * else, so a text that failed early may still be "too deep" later. */
  if ((rc == CUSTOS_EINVAL || rc == CUSTOS_EDUP) &&
      json_nesting_exceeds((const unsigned char *)text, len, max_depth))
    rc = CUSTOS_EDEPTH;
  if (rc) ix->n = 0;
  return rc;
}

jose_jview_t jose_jindex_view(const jose_jindex_t *ix, const char *text, size_t len) {
  return (jose_jview_t){.m = ix->m, .n = ix->n, .strs = ix->strs, .text = text, .text_len = len};
}

const jose_jmember_t *jose_jview_get(const jose_jview_t *v, const char *name, size_t len) {
  for (size_t k = 0; k < v->n; k++) {
    const jose_jmember_t *m = &v->m[k];
    if (m->name_len == len && memcmp(v->strs + m->name, name, len) == 0) return m;
  }
  return NULL;
}

int jose_jview_array_has_string(const jose_jview_t *v, const jose_jmember_t *m, const char *want,
                                bool *found) {
  const unsigned char *s = (const unsigned char *)v->text;
  size_t end = (size_t)m->span + m->span_len, wlen = strlen(want);
  char stackbuf[256];
  char *buf = stackbuf;
  bool hit = false;
  int rc = CUSTOS_OK;
  assert(m->type == JOSE_JARRAY);
  /* The array was validated by the scan: only its shape is walked here. */
  size_t i = skip_ws(s, end, (size_t)m->span + 1);
  if (s[i] == ']') goto out;
  if (m->span_len > sizeof stackbuf && !(buf = malloc(m->span_len))) return CUSTOS_ENOMEM;
  for (;;) {
    if (s[i] != '"') {
      rc = CUSTOS_EINVAL;
      goto out;
    }
    size_t len = 0;
    rc = scan_string(s, end, &i, buf, &len);
    assert(rc == CUSTOS_OK);
    if (len == wlen && memcmp(buf, want, len) == 0) hit = true;
    i = skip_ws(s, end, i);
    if (s[i] == ']') break;
    i = skip_ws(s, end, i + 1); /* the ',' */
  }
out:
  if (buf != stackbuf) free(buf);
  if (rc == CUSTOS_OK) *found = hit;
  return rc;
}
