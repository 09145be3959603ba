/*
 * table.h — aligned text tables and safe terminal text for the CLI.
 *
 * Cells are copied and cleaned on the way in: control characters (C0, DEL,
 * C1) become '?', bytes that are not UTF-8 become U+FFFD, so a name stored
 * by someone else cannot move the cursor or recolour the terminal. Widths
 * are display columns, not bytes: East Asian wide characters and most
 * emoji count 2, combining marks and zero-width joiners 0. Cells wider than
 * TABLE_MAX_CELL_WIDTH are cut and end in "…".
 *
 * Output: columns separated by two spaces, left-aligned, no trailing
 * blanks; the first line is the header. Not thread-safe per table.
 */
#ifndef CUSTOS_CLI_TABLE_H
#define CUSTOS_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 16           /* columns per table */
#define TABLE_MAX_ROWS 1000000      /* data rows per table */
#define TABLE_MAX_CELL_WIDTH 60     /* display columns; longer cells are cut */
#define TABLE_MAX_CELL_BYTES 4096   /* input bytes read per cell; the rest is cut */

typedef struct table {
  size_t ncols;                 /* 1..TABLE_MAX_COLS */
  size_t nrows;                 /* data rows, header excluded */
  size_t cap;                   /* rows allocated in cells, header included */
  char **cells;                 /* (nrows + 1) * ncols cleaned strings, row 0 = header */
  size_t width[TABLE_MAX_COLS]; /* widest cell per column, display columns */
} table_t;

/* Starts a table with `ncols` columns titled `headers` (copied).
 * CUSTOS_OK, CUSTOS_EINVAL (ncols out of range), CUSTOS_ENOMEM; on failure
 * the table holds nothing and table_cleanup is optional. */
int table_init(table_t *t, size_t ncols, const char *const *headers)
    __attribute__((warn_unused_result));

/* Appends a row of ncols cells (copied, cleaned; a NULL cell prints as
 * empty). CUSTOS_OK, CUSTOS_ETOOBIG (TABLE_MAX_ROWS), CUSTOS_ENOMEM; on
 * failure the table is unchanged. */
int table_add_row(table_t *t, const char *const *cells) __attribute__((warn_unused_result));

/* Writes the table to `out`. CUSTOS_OK or CUSTOS_EIO. */
int table_print(const table_t *t, FILE *out) __attribute__((warn_unused_result));

/* Frees every cell; accepts a zeroed or already cleaned table. */
void table_cleanup(table_t *t);

/* Display width of NUL-terminated UTF-8 `s`, as the table counts it
 * (invalid bytes and control characters count 1, as printed by clean). */
size_t table_text_width(const char *s);

/* A malloc'd cleaned copy of `s` (NULL reads as ""), cut to `max_width`
 * display columns with a final "…" (0 = no cut). NULL on ENOMEM. */
char *table_clean(const char *s, size_t max_width);

#endif
