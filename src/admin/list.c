/*
 * list.c — the one shape of every admin list route: ?limit and ?after,
 * room for limit + 1 rows (the extra one tells whether a next page
 * exists), the store's answer mapped, then {"data":[…],"next":…}.
 */
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"

/* ?limit: 1 to 3 digits, 1..ADMIN_LIST_MAX; ADMIN_LIST_DEFAULT when absent. */
static int page_limit(http_req_t *r, int *limit, cerr_t *e) {
  const char *l = http_query(r, "limit");
  int n = ADMIN_LIST_DEFAULT;
  if (l) {
    size_t len = strlen(l);
    bool digits = len > 0 && len <= 3;
    for (size_t i = 0; digits && i < len; i++) digits = l[i] >= '0' && l[i] <= '9';
    n = digits ? (int)strtol(l, NULL, 10) : 0; /* 1 to 3 digits: cannot overflow */
    if (n < 1 || n > ADMIN_LIST_MAX)
      return cerr_set(e, 400, CERR_INVALID_FIELD, "limit", "query parameter 'limit' must be an integer between 1 and %d",
                      ADMIN_LIST_MAX);
  }
  *limit = n;
  return 0;
}

int admin_list_start(http_req_t *r, size_t row_size, bool (*cursor_ok)(const char *), admin_list_t *l, cerr_t *e) {
  memset(l, 0, sizeof *l);
  if (page_limit(r, &l->limit, e) != 0) return -1;
  const char *a = http_query(r, "after");
  if (a && a[0] && (strlen(a) >= (cursor_ok ? sizeof l->after : RAND_ID_MAX) || (cursor_ok && !cursor_ok(a))))
    return cerr_set(e, 400, CERR_INVALID_FIELD, "after", "query parameter 'after' is not a valid cursor");
  if (a) memcpy(l->after, a, strlen(a) + 1);
  l->size = row_size;
  if (!(l->rows = calloc(ADMIN_LIST_MAX + 1, row_size)))
    return cerr_set(e, 500, CERR_INTERNAL, NULL, "internal error");
  return 0;
}

const char *admin_list_after(const admin_list_t *l) { return l->after[0] ? l->after : NULL; }

void admin_list_reply(http_req_t *r, admin_list_t *l, int rc, const char *what, admin_row_json_fn *row_json,
                      const void *arg, const char *cursor) {
  if (rc != 0) {
    cerr_t e;
    l->n = 0; /* a failed store list leaves nothing to clean up */
    admin_store_error(rc, what, NULL, &e);
    admin_fail(r, &e);
    return;
  }
  int shown = l->n < l->limit ? l->n : l->limit;
  json_t *data = json_array();
  for (int i = 0; data && i < shown; i++)
    if (json_array_append_new(data, row_json((const char *)l->rows + (size_t)i * l->size, arg)) != 0) {
      json_decref(data);
      data = NULL;
    }
  /* The store had more: the next page starts after the last row shown,
   * named by its `cursor` member (json_string copies it before admin_page
   * takes data). */
  const char *next = data && l->n > l->limit
                         ? json_string_value(json_object_get(json_array_get(data, (size_t)shown - 1), cursor))
                         : NULL;
  http_reply_json(r, 200, admin_page(data, next));
}

void admin_list_end(admin_list_t *l) {
  free(l->rows);
  l->rows = NULL;
}
