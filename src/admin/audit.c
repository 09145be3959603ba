/*
 * audit.c — GET /admin/v1/audit: the audit log, oldest first, filtered by
 * action (exact, or a prefix ending in '.'), target, actor and time.
 * Event ids are integers in the store; on the wire they are decimal
 * strings like every other id, so `next` passes straight back as `after`.
 */
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"

/* Decimal digits only, at most 18 of them (fits int64). */
static bool parse_uint(const char *s, int64_t *out) {
  size_t n = strlen(s);
  if (n == 0 || n > 18) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

/* Query parameter `name` of at most max bytes into *out (NULL if absent). */
static int text_param(http_req_t *r, const char *name, size_t max, const char **out, cerr_t *e) {
  const char *v = http_query(r, name);
  if (v && (!v[0] || strlen(v) > max))
    return cerr_set(e, 400, CERR_INVALID_FIELD, name, "query parameter '%s' must be 1 to %zu bytes", name, max);
  *out = v;
  return 0;
}

/* ?after of this list: an event id, decimal. */
static bool event_id_ok(const char *s) {
  int64_t v;
  return parse_uint(s, &v);
}

static json_t *event_row(const void *row, const void *arg) {
  (void)arg;
  return admin_audit_json(row);
}

void admin_audit_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  int64_t after = 0;
  store_audit_filter_t f = {0};
  admin_list_t l;
  if (admin_list_start(r, sizeof(store_audit_t), event_id_ok, &l, &e) != 0) {
    admin_fail(r, &e);
    return;
  }
  store_audit_t *rows = l.rows;
  if (l.after[0]) parse_uint(l.after, &after); /* cannot fail: event_id_ok */
  const char *since = http_query(r, "since");
  if (since && !parse_uint(since, &f.since)) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "since", "query parameter 'since' must be unix seconds");
    admin_fail(r, &e);
  } else if (text_param(r, "action", sizeof rows->action - 1, &f.action, &e) != 0 ||
             text_param(r, "target", sizeof rows->target - 1, &f.target, &e) != 0 ||
             text_param(r, "actor", sizeof rows->actor - 1, &f.actor, &e) != 0) {
    admin_fail(r, &e);
  } else {
    int rc = store_audit_find(a->store, &f, after, l.limit + 1, l.rows, &l.n);
    admin_list_reply(r, &l, rc, "audit event", event_row, NULL, "id");
  }
  for (int i = 0; i < l.n; i++) store_audit_cleanup(&rows[i]);
  admin_list_end(&l);
}

void admin_openapi(http_req_t *r, void *ctx) {
  (void)ctx;
  buf_t b;
  buf_init(&b, 0);
  if (buf_append(&b, admin_openapi_json, admin_openapi_json_len) != 0) {
    buf_cleanup(&b);
    cerr_t e;
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    admin_fail(r, &e);
    return;
  }
  http_reply(r, 200, "application/json", &b);
}
