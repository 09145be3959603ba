#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cerr_set(cerr_t *e, int status, const char *code, const char *field,
             const char *fmt, ...) {
  va_list ap;
  e->status = status;
  e->code = code;
  e->retry_after_s = 0;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  if (field) {
    snprintf(e->field, sizeof e->field, "%s", field);
  } else {
    e->field[0] = '\0';
  }
  return -1;
}
