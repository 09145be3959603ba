/*
 * jindex.h — a strict single-pass JSON object scanner that indexes the
 * top-level members instead of building a tree (the JWT claims hot path).
 *
 * jose_jindex_scan accepts exactly the texts jose_json_parse (jansson with
 * JSON_REJECT_DUPLICATES, after the json_nesting_exceeds pre-scan) accepts,
 * and refuses the others with the same code: CUSTOS_EDEPTH first (nesting,
 * judged on the whole text as the pre-scan does), then whichever of
 * CUSTOS_EDUP / CUSTOS_EINVAL jansson would meet first reading from the
 * left. That covers strict UTF-8 (no overlongs, surrogates, > U+10FFFF),
 * escapes and surrogate pairs, "\u0000" refused, control characters,
 * number syntax, int64 overflow and real overflow (underflow is accepted,
 * as jansson does), true/false/null, duplicate member names after
 * unescaping (at every depth), trailing garbage, and a top level that must
 * be an object. tests/fuzz/fuzz_claims_diff.c checks the equivalence on
 * arbitrary input.
 *
 * What it records, for each top-level member in document order: the
 * decoded name, the type, the value (integers and reals parsed as jansson
 * parses them, strings unescaped) and the span of the raw value text.
 * Nested objects and arrays are validated in full but kept as text, for
 * callers that parse them later (custos_claims_get_json).
 *
 * Memory: a jose_jindex_t holds small inline buffers and grows onto the
 * heap only for large texts; jose_jindex_cleanup frees that. Thread-safe:
 * no shared state; a jose_jindex_t belongs to one thread.
 */
#ifndef CUSTOS_JOSE_JINDEX_H
#define CUSTOS_JOSE_JINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOSE_JINDEX_MAX_DEPTH 64             /* largest max_depth accepted */
#define JOSE_JINDEX_MAX_BYTES (1u << 24)     /* longest text, bytes (offsets are 32-bit) */
#define JOSE_JINDEX_INLINE_MEMBERS 16        /* top-level members before the heap */
#define JOSE_JINDEX_INLINE_KEYS 32           /* open member names before the heap */
#define JOSE_JINDEX_INLINE_STRS 512          /* decoded string bytes before the heap */

typedef enum jose_jtype {
  JOSE_JSTRING = 1,
  JOSE_JINT,      /* an integer literal within int64 */
  JOSE_JREAL,     /* a literal with a fraction or an exponent */
  JOSE_JTRUE,
  JOSE_JFALSE,
  JOSE_JNULL,
  JOSE_JOBJECT,   /* kept as text: span */
  JOSE_JARRAY,    /* kept as text: span */
} jose_jtype_t;

/* One top-level member. Offsets are into the string arena (`strs`) or the
 * scanned text, so the index can be copied as a block. */
typedef struct jose_jmember {
  uint32_t name;          /* offset in strs of the NUL-terminated decoded name */
  uint32_t name_len;      /* bytes, without the NUL */
  uint32_t span;          /* offset in the text of the raw value */
  uint32_t span_len;      /* bytes */
  uint32_t type;          /* jose_jtype_t */
  uint32_t str_len;       /* JOSE_JSTRING: decoded bytes, without the NUL */
  union {
    int64_t i;            /* JOSE_JINT */
    double d;             /* JOSE_JREAL */
    uint32_t str;         /* JOSE_JSTRING: offset in strs, NUL-terminated */
  } v;
} jose_jmember_t;

/* A read-only view of an index: what the claim checks and the claims
 * accessors work on, whether the index lives in a scanner or was copied
 * into a claims object. */
typedef struct jose_jview {
  const jose_jmember_t *m;  /* n members, document order */
  size_t n;
  const char *strs;         /* decoded names and string values */
  const char *text;         /* the scanned JSON text (spans point here) */
  size_t text_len;          /* bytes */
} jose_jview_t;

typedef struct jose_jkey {
  uint32_t off, len, hash;  /* decoded member name in the arena; FNV-1a */
} jose_jkey_t;

typedef struct jose_jindex {
  jose_jmember_t *m;        /* members found, document order */
  size_t n;                 /* entries in m */
  char *strs;               /* arena: names and top-level string values */
  size_t strs_len;          /* bytes used in strs */
  /* private */
  size_t _mcap, _kcap, _scap;
  jose_jkey_t *_keys;       /* names of the open objects, outermost first */
  size_t _nkeys;
  jose_jmember_t _m_inline[JOSE_JINDEX_INLINE_MEMBERS];
  jose_jkey_t _k_inline[JOSE_JINDEX_INLINE_KEYS];
  char _s_inline[JOSE_JINDEX_INLINE_STRS];
} jose_jindex_t;

/* Prepares `ix` for scanning. Cannot fail. */
void jose_jindex_init(jose_jindex_t *ix);

/* Frees what scanning put on the heap; `ix` may be scanned again after
 * jose_jindex_init. Safe on an initialised, never-used index. */
void jose_jindex_cleanup(jose_jindex_t *ix);

/*
 * Scans `len` bytes at `text` (need not be NUL-terminated) as one JSON
 * object nested no deeper than `max_depth` (<= 0 means
 * JOSE_JSON_MAX_DEPTH; at most JOSE_JINDEX_MAX_DEPTH, a bug otherwise).
 * Returns CUSTOS_OK with ix->m / ix->n / ix->strs filled, or
 * jose_json_parse's code for the same text: CUSTOS_EDEPTH, CUSTOS_EDUP,
 * CUSTOS_EINVAL; or CUSTOS_ENOMEM, or CUSTOS_ETOOBIG for a text over
 * JOSE_JINDEX_MAX_BYTES. After a failure the index holds nothing usable
 * (but still needs jose_jindex_cleanup).
 */
int jose_jindex_scan(jose_jindex_t *ix, const char *text, size_t len, int max_depth)
    __attribute__((warn_unused_result));

/* A view of a scanned index over `text`, its input; valid while both live. */
jose_jview_t jose_jindex_view(const jose_jindex_t *ix, const char *text, size_t len);

/* The member named `name` (`len` bytes), or NULL. Linear in the members. */
const jose_jmember_t *jose_jview_get(const jose_jview_t *v, const char *name, size_t len);

/* The NUL-terminated decoded name / string value of a member. */
static inline const char *jose_jview_name(const jose_jview_t *v, const jose_jmember_t *m) {
  return v->strs + m->name;
}
static inline const char *jose_jview_str(const jose_jview_t *v, const jose_jmember_t *m) {
  return v->strs + m->v.str;
}

/* The value of a number member as jansson's json_number_value gives it. */
static inline double jose_jmember_number(const jose_jmember_t *m) {
  return m->type == JOSE_JINT ? (double)m->v.i : m->v.d;
}

/*
 * For an array member `m` of `v`: walks its elements in order. Returns
 * CUSTOS_EINVAL at the first element that is not a string (even after a
 * match, as the jansson-based check does), else CUSTOS_OK with *found
 * telling whether one element equals the NUL-terminated `want` after
 * unescaping. CUSTOS_ENOMEM when a long element needs a buffer and none
 * can be had.
 */
int jose_jview_array_has_string(const jose_jview_t *v, const jose_jmember_t *m, const char *want,
                                bool *found) __attribute__((warn_unused_result));

#endif
