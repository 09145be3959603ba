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

void admin_audit_list(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char actor[RAND_ID_MAX];
  if (!admin_authenticate(r, a, actor)) return;
  cerr_t e;
  int limit;
  char after_s[RAND_ID_MAX];
  int64_t after = 0;
  store_audit_filter_t f = {0};
  store_audit_t *page = NULL;
  int n = 0;
  if (admin_page_params(r, &limit, after_s, &e) != 0) goto fail;
  if (after_s[0] && !parse_uint(after_s, &after)) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "after", "query parameter 'after' is not a valid cursor");
    goto fail;
  }
  const char *since = http_query(r, "since");
  if (since && !parse_uint(since, &f.since)) {
    cerr_set(&e, 400, CERR_INVALID_FIELD, "since", "query parameter 'since' must be unix seconds");
    goto fail;
  }
  if (text_param(r, "action", sizeof page->action - 1, &f.action, &e) != 0 ||
      text_param(r, "target", sizeof page->target - 1, &f.target, &e) != 0 ||
      text_param(r, "actor", sizeof page->actor - 1, &f.actor, &e) != 0)
    goto fail;
  page = calloc(ADMIN_LIST_MAX + 1, sizeof *page);
  int rc = page ? store_audit_find(a->store, &f, after, limit + 1, page, &n) : CUSTOS_ENOMEM;
  if (rc != 0) {
    n = 0;
    admin_store_error(rc, "audit event", NULL, &e);
    goto fail;
  }
  json_t *data = json_array();
  for (int i = 0; data && i < n && i < limit; i++)
    if (json_array_append_new(data, admin_audit_json(&page[i])) != 0) {
      json_decref(data);
      data = NULL;
    }
  char next[24];
  if (n > limit) snprintf(next, sizeof next, "%lld", (long long)page[limit - 1].id);
  http_reply_json(r, 200, admin_page(data, n > limit ? next : NULL));
  for (int i = 0; i < n; i++) store_audit_cleanup(&page[i]);
  free(page);
  return;
fail:
  free(page);
  admin_fail(r, &e);
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
