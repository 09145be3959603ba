/*
 * authreq: parsing the original request target (table-driven) and query
 * parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "custos.h"
#include "perm/authreq.h"

static authreq_t RQ;

static void test_authreq_parses_targets(void **s) {
  (void)s;
  static const struct { const char *m, *uri; int rc; const char *method, *path, *query; } T[] = {
      {"GET", "/a/b?x=1", CUSTOS_OK, "GET", "/a/b", "x=1"},
      {"get", "/", CUSTOS_OK, "GET", "/", ""},
      {"POST", "/a%20b/%2Fc", CUSTOS_OK, "POST", "/a b//c", ""},
      {"GET", "/a%252F", CUSTOS_OK, "GET", "/a%2F", ""},
      {"GET", "/a?", CUSTOS_OK, "GET", "/a", ""},
      {"GET", "/a?b?c", CUSTOS_OK, "GET", "/a", "b?c"},
      {"GET", "/a/.../b", CUSTOS_OK, "GET", "/a/.../b", ""},
      {"GET", "/a/..b", CUSTOS_OK, "GET", "/a/..b", ""},
      {"GET", "/a%00", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "/a%0", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "/a%", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "/a%zz", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "/a/../b", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "/a/..", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "/..", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "/./a", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "/a/%2e%2E/b", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "a/b", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"GET", "", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"", "/a", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"G3T", "/a", CUSTOS_EINVAL, NULL, NULL, NULL},
      {"VERYLONGMETHODNAME", "/a", CUSTOS_EINVAL, NULL, NULL, NULL},
  };
  for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
    cerr_t e;
    cerr_clear(&e);
    int rc = authreq_set(&RQ, T[i].m, T[i].uri, strlen(T[i].uri), &e);
    if (rc != T[i].rc) fail_msg("%s %s: rc %d want %d", T[i].m, T[i].uri, rc, T[i].rc);
    if (rc != CUSTOS_OK) {
      assert_int_equal(e.status, 400);
      continue;
    }
    assert_string_equal(RQ.method, T[i].method);
    assert_string_equal(RQ.path, T[i].path);
    assert_string_equal(RQ.query, T[i].query);
  }
  /* A raw NUL inside the given length. */
  cerr_t e;
  assert_int_equal(authreq_set(&RQ, "GET", "/a\0b", 4, &e), CUSTOS_EINVAL);
}

static void test_authreq_limits(void **s) {
  (void)s;
  static char uri[AUTHREQ_PATH_MAX + AUTHREQ_QUERY_MAX + 8];
  cerr_t e;
  uri[0] = '/';
  memset(uri + 1, 'a', AUTHREQ_PATH_MAX - 2);
  uri[AUTHREQ_PATH_MAX - 1] = '\0';
  assert_int_equal(authreq_set(&RQ, "GET", uri, strlen(uri), &e), CUSTOS_OK);
  uri[AUTHREQ_PATH_MAX - 1] = 'a';
  uri[AUTHREQ_PATH_MAX] = '\0';
  assert_int_equal(authreq_set(&RQ, "GET", uri, strlen(uri), &e), CUSTOS_EINVAL);
  strcpy(uri, "/a?");
  memset(uri + 3, 'q', AUTHREQ_QUERY_MAX);
  uri[3 + AUTHREQ_QUERY_MAX] = '\0';
  assert_int_equal(authreq_set(&RQ, "GET", uri, strlen(uri), &e), CUSTOS_EINVAL);
  uri[3 + AUTHREQ_QUERY_MAX - 1] = '\0';
  assert_int_equal(authreq_set(&RQ, "GET", uri, strlen(uri), &e), CUSTOS_OK);
}

static void test_authreq_query(void **s) {
  (void)s;
  cerr_t e;
  const char *uri = "/x?entityId=ent_1&a=b%20c&plus=1+2&empty=&flag&bad=%zz&a=second&%65nc=k";
  assert_int_equal(authreq_set(&RQ, "GET", uri, strlen(uri), &e), CUSTOS_OK);
  char v[32];
  assert_int_equal(authreq_query(&RQ, "entityId", v, sizeof v), 5);
  assert_string_equal(v, "ent_1");
  assert_int_equal(authreq_query(&RQ, "a", v, sizeof v), 3); /* first wins */
  assert_string_equal(v, "b c");
  assert_int_equal(authreq_query(&RQ, "plus", v, sizeof v), 3);
  assert_string_equal(v, "1 2");
  assert_int_equal(authreq_query(&RQ, "empty", v, sizeof v), 0);
  assert_int_equal(authreq_query(&RQ, "flag", v, sizeof v), 0);
  assert_int_equal(authreq_query(&RQ, "bad", v, sizeof v), -1);
  assert_int_equal(authreq_query(&RQ, "enc", v, sizeof v), 1);
  assert_int_equal(authreq_query(&RQ, "missing", v, sizeof v), -1);
  char tiny[3];
  assert_int_equal(authreq_query(&RQ, "entityId", tiny, sizeof tiny), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_authreq_parses_targets),
      cmocka_unit_test(test_authreq_limits),
      cmocka_unit_test(test_authreq_query),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
