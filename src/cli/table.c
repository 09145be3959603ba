/*
 * table.c — see table.h.
 */
#include "cli/table.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "custos.h"

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */
#define ELLIPSIS "\xE2\x80\xA6"    /* U+2026, one column */

typedef struct range {
  uint32_t lo, hi;
} range_t;

/* Combining marks and invisible format characters: zero columns. A short
 * list that covers what names are written in, not all of Unicode. */
static const range_t ZERO_WIDTH[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
    {0x064B, 0x065F}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E},
    {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E},
    {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
    {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

/* East Asian Wide/Fullwidth blocks and the common emoji planes: two. */
static const range_t DOUBLE_WIDTH[] = {
    {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
    {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF},   {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},
    {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD},
    {0x30000, 0x3FFFD},
};

static int in_ranges(uint32_t cp, const range_t *r, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (cp >= r[i].lo && cp <= r[i].hi) return 1;
  return 0;
}

static size_t cp_width(uint32_t cp) {
  if (in_ranges(cp, ZERO_WIDTH, sizeof ZERO_WIDTH / sizeof *ZERO_WIDTH)) return 0;
  if (in_ranges(cp, DOUBLE_WIDTH, sizeof DOUBLE_WIDTH / sizeof *DOUBLE_WIDTH)) return 2;
  return 1;
}

/* Decodes the k-byte sequence at s, which utf8_char_len accepted. */
static uint32_t decode(const unsigned char *s, size_t k) {
  static const unsigned char LEAD_MASK[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t cp = s[0] & LEAD_MASK[k];
  for (size_t i = 1; i < k; i++) cp = (cp << 6) | (s[i] & 0x3F);
  return cp;
}

/*
 * One step of the cleaner: at s (n bytes left) says how many input bytes
 * make the next character, what to print for it (out, outlen; points into
 * s when it is printed as is) and how many columns it takes.
 */
static size_t next_char(const unsigned char *s, size_t n, const char **out, size_t *outlen,
                        size_t *cols) {
  size_t k = utf8_char_len(s, n);
  if (k == 0) {
    *out = REPLACEMENT;
    *outlen = sizeof REPLACEMENT - 1;
    *cols = 1;
    return 1;
  }
  uint32_t cp = decode(s, k);
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
    *out = "?";
    *outlen = 1;
    *cols = 1;
    return k;
  }
  *out = (const char *)s;
  *outlen = k;
  *cols = cp_width(cp);
  return k;
}

size_t table_text_width(const char *s) {
  if (s == NULL) return 0;
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), w = 0;
  while (n > 0) {
    const char *o;
    size_t ol, cols, k = next_char(p, n, &o, &ol, &cols);
    w += cols;
    p += k;
    n -= k;
  }
  return w;
}

char *table_clean(const char *s, size_t max_width) {
  if (s == NULL) s = "";
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strnlen(s, TABLE_MAX_CELL_BYTES);
  /* Cut only when the whole text does not fit, and then leave one column
   * for the ellipsis. */
  size_t limit = SIZE_MAX;
  if (max_width > 0 && table_text_width(s) > max_width) limit = max_width - 1;
  buf_t b;
  buf_init(&b, 0);
  size_t w = 0;
  int rc = 0;
  while (rc == 0 && n > 0) {
    const char *o;
    size_t ol, cols, k = next_char(p, n, &o, &ol, &cols);
    if (w + cols > limit) break;
    rc = buf_append(&b, o, ol);
    w += cols;
    p += k;
    n -= k;
  }
  if (rc == 0 && limit != SIZE_MAX) rc = buf_puts(&b, ELLIPSIS);
  if (rc != 0) {
    buf_cleanup(&b);
    return NULL;
  }
  return buf_take(&b); /* "" when nothing was appended */
}

int table_init(table_t *t, size_t ncols, const char *const *headers) {
  memset(t, 0, sizeof *t);
  if (ncols == 0 || ncols > TABLE_MAX_COLS) return CUSTOS_EINVAL;
  t->ncols = ncols;
  t->cap = 16;
  t->cells = calloc(t->cap * ncols, sizeof *t->cells);
  if (t->cells == NULL) goto fail;
  for (size_t c = 0; c < ncols; c++) {
    t->cells[c] = table_clean(headers[c], TABLE_MAX_CELL_WIDTH);
    if (t->cells[c] == NULL) goto fail;
    t->width[c] = table_text_width(t->cells[c]);
  }
  return CUSTOS_OK;
fail:
  table_cleanup(t);
  return CUSTOS_ENOMEM;
}

int table_add_row(table_t *t, const char *const *cells) {
  assert(t->cells != NULL && t->ncols > 0);
  if (t->nrows >= TABLE_MAX_ROWS) return CUSTOS_ETOOBIG;
  size_t row = t->nrows + 1;
  if (row >= t->cap) {
    size_t cap = t->cap * 2;
    char **grown = realloc(t->cells, cap * t->ncols * sizeof *grown);
    if (grown == NULL) return CUSTOS_ENOMEM;
    t->cells = grown;
    t->cap = cap;
  }
  char **dst = t->cells + row * t->ncols;
  for (size_t c = 0; c < t->ncols; c++) {
    dst[c] = table_clean(cells[c], TABLE_MAX_CELL_WIDTH);
    if (dst[c] == NULL) {
      while (c > 0) free(dst[--c]);
      return CUSTOS_ENOMEM;
    }
  }
  /* Widths only after every cell is in, so a failure changes nothing. */
  for (size_t c = 0; c < t->ncols; c++) {
    size_t w = table_text_width(dst[c]);
    if (w > t->width[c]) t->width[c] = w;
  }
  t->nrows++;
  return CUSTOS_OK;
}

int table_print(const table_t *t, FILE *out) {
  for (size_t r = 0; r <= t->nrows; r++) {
    char *const *row = t->cells + r * t->ncols;
    /* Trailing empty cells would leave blanks at the end of the line. */
    size_t last = t->ncols;
    while (last > 1 && row[last - 1][0] == '\0') last--;
    for (size_t c = 0; c < last; c++) {
      if (fputs(row[c], out) == EOF) return CUSTOS_EIO;
      if (c + 1 == last) break;
      size_t pad = t->width[c] - table_text_width(row[c]) + 2;
      for (size_t i = 0; i < pad; i++)
        if (fputc(' ', out) == EOF) return CUSTOS_EIO;
    }
    if (fputc('\n', out) == EOF) return CUSTOS_EIO;
  }
  return CUSTOS_OK;
}

void table_cleanup(table_t *t) {
  if (t->cells != NULL) {
    for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
  }
  memset(t, 0, sizeof *t);
}
