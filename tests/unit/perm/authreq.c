/*
 * authreq: parsing the original request target (table-driven), query
 * parameters, and requests handed over in-process (authreq_from_parts:
 * headers through a callback, no HTTP request).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>
#include <strings.h>

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

/* A request's headers as an in-process caller holds them. */
typedef struct {
  const char *const *kv; /* name, value, name, value, …, NULL */
  int calls;
  const char *last;      /* the last name asked for */
} hdrs_t;

static const char *hdr(void *ctx, const char *name) {
  hdrs_t *h = ctx;
  h->calls++;
  h->last = name;
  for (const char *const *p = h->kv; *p; p += 2)
    if (strcasecmp(p[0], name) == 0) return p[1];
  return NULL;
}

static void test_authreq_parts_headers_from_callback(void **s) {
  (void)s;
  static const char *const KV[] = {"token1", "tl_abc", "Authorization", "Bearer x", NULL};
  hdrs_t h = {.kv = KV};
  cerr_t e;
  cerr_clear(&e);
  assert_int_equal(authreq_from_parts(&RQ, "post", "/api/x%20y?entityId=ent_1", hdr, &h, &e), CUSTOS_OK);
  assert_string_equal(RQ.method, "POST");
  assert_string_equal(RQ.path, "/api/x y");
  assert_string_equal(RQ.query, "entityId=ent_1");
  assert_null(RQ.http);
  assert_int_equal(h.calls, 0); /* nothing read before a profile asks */
  assert_string_equal(authreq_header(&RQ, "Token1"), "tl_abc");
  assert_string_equal(h.last, "Token1");
  assert_string_equal(authreq_header(&RQ, "authorization"), "Bearer x");
  assert_null(authreq_header(&RQ, "api-key"));
  assert_int_equal(h.calls, 3);
  char v[16];
  assert_int_equal(authreq_query(&RQ, "entityId", v, sizeof v), 5); /* the raw query, not the HTTP layer's */
  assert_string_equal(v, "ent_1");
}

static void test_authreq_parts_no_callback(void **s) {
  (void)s;
  cerr_t e;
  assert_int_equal(authreq_from_parts(&RQ, "GET", "/a", NULL, NULL, &e), CUSTOS_OK);
  assert_null(authreq_header(&RQ, "Authorization"));
}

static void test_authreq_parts_refuses_as_the_gateway_check(void **s) {
  (void)s;
  static const char *const BAD[][2] = {{"GET", "/a/../b"}, {"GET", "/a%00"}, {"GET", "a"},  {"GET", ""},
                                       {"G3T", "/a"},      {"", "/a"},       {"GET", "/%zz"}};
  for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
    cerr_t e1, e2;
    cerr_clear(&e1);
    cerr_clear(&e2);
    int rc = authreq_from_parts(&RQ, BAD[i][0], BAD[i][1], NULL, NULL, &e1);
    assert_int_equal(rc, CUSTOS_EINVAL);
    assert_int_equal(authreq_set(&RQ, BAD[i][0], BAD[i][1], strlen(BAD[i][1]), &e2), CUSTOS_EINVAL);
    assert_int_equal(e1.status, 400);
    assert_string_equal(e1.code, e2.code);
    assert_string_equal(e1.message, e2.message);
  }
  /* A target longer than both caps is refused without reading all of it. */
  size_t n = 1u << 20;
  char *big = malloc(n + 1);
  assert_non_null(big);
  big[0] = '/';
  memset(big + 1, 'a', n - 1);
  big[n] = '\0';
  cerr_t e;
  assert_int_equal(authreq_from_parts(&RQ, "GET", big, NULL, NULL, &e), CUSTOS_EINVAL);
  assert_string_equal(e.message, "the original path is too long");
  memset(big + 1, 'a', AUTHREQ_PATH_MAX - 2); /* path at its cap, then a query too long */
  big[AUTHREQ_PATH_MAX - 1] = '?';
  assert_int_equal(authreq_from_parts(&RQ, "GET", big, NULL, NULL, &e), CUSTOS_EINVAL);
  assert_string_equal(e.message, "the original query string is too long");
  free(big);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_authreq_parses_targets),
      cmocka_unit_test(test_authreq_limits),
      cmocka_unit_test(test_authreq_query),
      cmocka_unit_test(test_authreq_parts_headers_from_callback),
      cmocka_unit_test(test_authreq_parts_no_callback),
      cmocka_unit_test(test_authreq_parts_refuses_as_the_gateway_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
