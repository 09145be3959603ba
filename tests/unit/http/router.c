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

static void test_router_rejects_bad_catch_all(void **s) {
  (void)s;
  router_t r;
  router_init(&r);
  assert_int_equal(router_add(&r, HTTP_GET, "/a/{rest...}/b", h, NULL, NULL), -1);
  assert_int_equal(router_add(&r, HTTP_GET, "/a/{...}", h, NULL, NULL), -1);
  assert_int_equal(router_add(&r, HTTP_GET, "/a/{x.y}", h, NULL, NULL), -1);
  assert_int_equal(router_add(&r, HTTP_GET, "/a/{rest...}", h, NULL, NULL), 0);
  assert_int_equal(router_add(&r, HTTP_GET, "/{all...}", h, NULL, NULL), 0);
}

/* The catch-all takes 0+ segments, as they are, with no cap. */
static void test_router_catch_all_matches_rest(void **s) {
  (void)s;
  router_t r;
  router_init(&r);
  assert_int_equal(router_add(&r, HTTP_GET, "/v1/check", h, NULL, NULL), 0);
  assert_int_equal(router_add(&r, HTTP_GET | HTTP_POST | HTTP_DELETE, "/v1/check/{path...}", h, NULL, NULL), 0);
  assert_int_equal(router_add(&r, HTTP_GET, "/u/{id}/files/{rest...}", h, NULL, NULL), 0);
  static const struct { const char *m, *path; route_result_t want; int idx; const char *rest; } T[] = {
      {"GET", "/v1/check", ROUTE_FOUND, 0, NULL},
      {"POST", "/v1/check", ROUTE_FOUND, 1, ""},
      {"GET", "/v1/check/", ROUTE_FOUND, 1, ""},
      {"GET", "/v1/check/a", ROUTE_FOUND, 1, "a"},
      {"DELETE", "/v1/check/a/b/c", ROUTE_FOUND, 1, "a/b/c"},
      {"GET", "/v1/check/a//b/", ROUTE_FOUND, 1, "a//b/"},
      {"GET", "/v1/check//x", ROUTE_FOUND, 1, "/x"},
      {"GET", "/v1/check/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18", ROUTE_FOUND, 1,
       "1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18"},
      {"PUT", "/v1/check/a", ROUTE_METHOD_NOT_ALLOWED, -1, NULL},
      {"GET", "/v1/checkx", ROUTE_NOT_FOUND, -1, NULL},
      {"GET", "/v1/checkx/a", ROUTE_NOT_FOUND, -1, NULL},
      {"GET", "/v1", ROUTE_NOT_FOUND, -1, NULL},
      {"GET", "/u/7/files", ROUTE_FOUND, 2, ""},
      {"GET", "/u/7/files/x/y", ROUTE_FOUND, 2, "x/y"},
      {"GET", "/u//files/x", ROUTE_NOT_FOUND, -1, NULL},
  };
  for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
    const route_t *rt = NULL;
    route_params_t p;
    char allow[ROUTER_ALLOW_MAX] = "";
    route_result_t got = router_match(&r, T[i].m, T[i].path, &rt, &p, allow);
    if (got != T[i].want) fail_msg("%s %s: got %d want %d", T[i].m, T[i].path, got, T[i].want);
    if (got != ROUTE_FOUND) continue;
    assert_int_equal(rt->index, T[i].idx);
    char v[128];
    if (T[i].rest) {
      int n = route_param(&p, T[i].idx == 1 ? "path" : "rest", v, sizeof v);
      if (n < 0 || strcmp(v, T[i].rest) != 0) fail_msg("%s: rest '%s' want '%s'", T[i].path, n < 0 ? "(none)" : v, T[i].rest);
    }
  }
  const route_t *rt;
  route_params_t p;
  assert_int_equal(router_match(&r, "GET", "/u/7/files/q", &rt, &p, NULL), ROUTE_FOUND);
  char v[8];
  assert_int_equal(route_param(&p, "id", v, sizeof v), 1);
  assert_string_equal(v, "7");
  /* Longer than ROUTER_MAX_PATH: fixed routes refuse it, the catch-all
   * takes it (its handler applies its own limit). */
  static char path[ROUTER_MAX_PATH + 64];
  strcpy(path, "/v1/check/");
  memset(path + 10, 'a', sizeof path - 11);
  path[sizeof path - 1] = 0;
  assert_int_equal(router_match(&r, "GET", path, &rt, &p, NULL), ROUTE_FOUND);
  assert_int_equal(p.p[0].len, strlen(path) - 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_router_rejects_bad_patterns),
      cmocka_unit_test(test_router_matches_table),
      cmocka_unit_test(test_router_extracts_params),
      cmocka_unit_test(test_router_rejects_overlong_path),
      cmocka_unit_test(test_router_rejects_bad_catch_all),
      cmocka_unit_test(test_router_catch_all_matches_rest),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
