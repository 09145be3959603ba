/*
 * buf.h — a growable byte buffer with a hard cap.
 *
 * The buffer always keeps a NUL after its contents so text can be read as a
 * C string. An append that would pass `max` fails with CUSTOS_ETOOBIG and
 * leaves the buffer unchanged, so callers can answer 413 and keep going.
 */
#ifndef CUSTOS_CORE_BUF_H
#define CUSTOS_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
  char *data;   /* NUL-terminated contents, NULL until first append */
  size_t len;   /* bytes used, excluding the NUL */
  size_t cap;   /* bytes allocated */
  size_t max;   /* hard limit on len, 0 = SIZE_MAX/2 */
} buf_t;

void buf_init(buf_t *b, size_t max);
/* Frees the storage; the buffer can be reused after buf_init. */
void buf_cleanup(buf_t *b);
/* Same as buf_cleanup but wipes the bytes first (secrets). */
void buf_cleanup_secure(buf_t *b);
void buf_reset(buf_t *b);
/* Makes room for `extra` more bytes so the appends that follow do not
 * reallocate. CUSTOS_OK, CUSTOS_ETOOBIG, CUSTOS_ENOMEM. */
int buf_reserve(buf_t *b, size_t extra) __attribute__((warn_unused_result));
static inline int buf_append(buf_t *b, const void *p, size_t n) __attribute__((warn_unused_result));
int buf_puts(buf_t *b, const char *s) __attribute__((warn_unused_result));
int buf_printf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), warn_unused_result));
int buf_vprintf(buf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0), warn_unused_result));
/* Appends `s` (length n) as the inside of a JSON string (no quotes),
 * escaping quotes, backslashes, control characters and DEL (\u007f). */
int buf_json_escape(buf_t *b, const char *s, size_t n) __attribute__((warn_unused_result));
/* Hands the storage to the caller (free() it); the buffer is left empty. */
char *buf_take(buf_t *b);
/* Contents as a C string; "" when empty. Valid until the next append. */
const char *buf_str(const buf_t *b);

int buf__append_slow(buf_t *b, const void *p, size_t n) __attribute__((warn_unused_result));

/* Inline because responses are built from many short appends: the common
 * case (room already reserved, under the cap) is a memcpy. */
static inline int buf_append(buf_t *b, const void *p, size_t n) {
  if (n < b->cap - b->len && n <= b->max - b->len) {
    if (n) __builtin_memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
  }
  return buf__append_slow(b, p, n);
}

#endif
