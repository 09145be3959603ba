#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/router.h"

static void h(struct http_req *r, void *c) { (void)r; (void)c; }

static router_t R;

static int setup(void **s) {
  (void)s;
  router_init(&R);
  assert_int_equal(router_add(&R, HTTP_GET, "/", h, NULL, NULL), 0);
  assert_int_equal(router_add(&R, HTTP_GET, "/healthz", h, NULL, NULL), 0);
  assert_int_equal(router_add(&R, HTTP_GET | HTTP_POST, "/admin/v1/apps", h, NULL, NULL), 0);
  assert_int_equal(router_add(&R, HTTP_GET, "/admin/v1/apps/{id}", h, NULL, NULL), 0);
  assert_int_equal(router_add(&R, HTTP_DELETE, "/admin/v1/apps/{id}", h, NULL, NULL), 0);
  assert_int_equal(router_add(&R, HTTP_POST, "/admin/v1/apps/{app}/keys/{key}/rotate", h, NULL, NULL), 0);
  return 0;
}

static void test_router_rejects_bad_patterns(void **s) {
  (void)s;
  router_t r;
  router_init(&r);
  assert_int_equal(router_add(&r, HTTP_GET, "nolead", h, NULL, NULL), -1);
  assert_int_equal(router_add(&r, HTTP_GET, "/a//b", h, NULL, NULL), -1);
  assert_int_equal(router_add(&r, HTTP_GET, "/a/{}", h, NULL, NULL), -1);
  assert_int_equal(router_add(&r, HTTP_GET, "/a/{x", h, NULL, NULL), -1);
  assert_int_equal(router_add(&r, 0, "/a", h, NULL, NULL), -1);
}

static void test_router_matches_table(void **s) {
  (void)s;
  static const struct { const char *m, *path; route_result_t want; int idx; const char *allow; } T[] = {
      {"GET", "/", ROUTE_FOUND, 0, NULL},
      {"GET", "/healthz", ROUTE_FOUND, 1, NULL},
      {"HEAD", "/healthz", ROUTE_FOUND, 1, NULL},
      {"POST", "/healthz", ROUTE_METHOD_NOT_ALLOWED, -1, "GET, HEAD"},
      {"GET", "/healthz/", ROUTE_NOT_FOUND, -1, NULL},
      {"GET", "//healthz", ROUTE_NOT_FOUND, -1, NULL},
      {"GET", "/healthzz", ROUTE_NOT_FOUND, -1, NULL},
      {"GET", "healthz", ROUTE_NOT_FOUND, -1, NULL},
      {"POST", "/admin/v1/apps", ROUTE_FOUND, 2, NULL},
      {"GET", "/admin/v1/apps/app_1", ROUTE_FOUND, 3, NULL},
      {"DELETE", "/admin/v1/apps/app_1", ROUTE_FOUND, 4, NULL},
      {"PUT", "/admin/v1/apps/app_1", ROUTE_METHOD_NOT_ALLOWED, -1, "GET, HEAD, DELETE"},
      {"BREW", "/admin/v1/apps", ROUTE_METHOD_NOT_ALLOWED, -1, "GET, HEAD, POST"},
      {"POST", "/admin/v1/apps/a/keys/k/rotate", ROUTE_FOUND, 5, NULL},
      {"POST", "/admin/v1/apps/a/keys//rotate", ROUTE_NOT_FOUND, -1, NULL},
      {"GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", ROUTE_NOT_FOUND, -1, NULL},
  };
  for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
    const route_t *rt = NULL;
    route_params_t p;
    char allow[ROUTER_ALLOW_MAX] = "";
    route_result_t got = router_match(&R, T[i].m, T[i].path, &rt, &p, allow);
    if (got != T[i].want) fail_msg("%s %s: got %d want %d", T[i].m, T[i].path, got, T[i].want);
    if (got == ROUTE_FOUND) assert_int_equal(rt->index, T[i].idx);
    if (T[i].allow) assert_string_equal(allow, T[i].allow);
  }
}

static void test_router_extracts_params(void **s) {
  (void)s;
  const route_t *rt;
  route_params_t p;
  char allow[ROUTER_ALLOW_MAX];
  assert_int_equal(router_match(&R, "POST", "/admin/v1/apps/app_9/keys/key_7/rotate", &rt, &p, allow), ROUTE_FOUND);
  char v[16];
  assert_int_equal(route_param(&p, "app", v, sizeof v), 5);
  assert_string_equal(v, "app_9");
  assert_int_equal(route_param(&p, "key", v, sizeof v), 5);
  assert_string_equal(v, "key_7");
  assert_int_equal(route_param(&p, "nope", v, sizeof v), -1);
  char tiny[5];
  assert_int_equal(route_param(&p, "app", tiny, sizeof tiny), -1);
}

static void test_router_rejects_overlong_path(void **s) {
  (void)s;
  static char path[ROUTER_MAX_PATH + 10];
  path[0] = '/';
  memset(path + 1, 'a', sizeof path - 2);
  path[sizeof path - 1] = 0;
  const route_t *rt;
  assert_int_equal(router_match(&R, "GET", path, &rt, NULL, NULL), ROUTE_NOT_FOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_router_rejects_bad_patterns),
      cmocka_unit_test(test_router_matches_table),
      cmocka_unit_test(test_router_extracts_params),
      cmocka_unit_test(test_router_rejects_overlong_path),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
