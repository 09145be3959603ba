/* The HTTP core over real loopback HTTP: routing, limits, request ids,
 * keep-alive and draining. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "http/server.h"
#include "support/httpc.h"

static router_t g_router;
static metrics_t *g_metrics;
static http_server_t *g_srv;
static char g_base[64];

static void h_hello(http_req_t *r, void *ctx) {
  (void)ctx;
  http_reply_text(r, 200, "text/plain", "hello");
}

static void h_echo(http_req_t *r, void *ctx) {
  (void)ctx;
  buf_t b;
  buf_init(&b, 0);
  assert_int_equal(buf_append(&b, buf_str(&r->body), r->body.len), 0);
  http_reply(r, 200, "application/octet-stream", &b);
}

static void h_param(http_req_t *r, void *ctx) {
  (void)ctx;
  char id[64];
  if (route_param(&r->params, "id", id, sizeof id) < 0) id[0] = 0;
  http_reply_json(r, 200, json_pack("{s:s}", "id", id));
}

static void h_silent(http_req_t *r, void *ctx) {
  (void)r;
  (void)ctx; /* forgets to reply: the server must answer 500 */
}

static void h_slow(http_req_t *r, void *ctx) {
  (void)ctx;
  struct timespec ts = {0, 400 * 1000000};
  nanosleep(&ts, NULL);
  http_reply_text(r, 200, "text/plain", "slow done");
}

/* A refusal whose body is the largest a renderer makes (every byte of
 * message and field a control byte, escaped six-fold), or one in UTF-8
 * with a DEL. */
static void h_refuse(http_req_t *r, void *ctx) {
  (void)ctx;
  char kind[16];
  if (route_param(&r->params, "kind", kind, sizeof kind) < 0) kind[0] = 0;
  cerr_t e;
  if (strcmp(kind, "worst") == 0) {
    char msg[CERR_MESSAGE_MAX], field[CERR_FIELD_MAX];
    memset(msg, 1, sizeof msg - 1);
    msg[sizeof msg - 1] = 0;
    memset(field, 1, sizeof field - 1);
    field[sizeof field - 1] = 0;
    cerr_set(&e, 400, "missing_original_request", field, "%s", msg);
  } else {
    cerr_set(&e, 429, "rate_limited", NULL, "caf\xc3\xa9 \x7f");
    e.retry_after_s = 3;
  }
  http_reply_error(r, &e);
}

static int setup(void **state) {
  (void)state;
  log_set_level(LOG_ERROR);
  router_init(&g_router);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/hello", h_hello, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_POST | HTTP_PUT, "/echo", h_echo, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/things/{id}", h_param, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/silent", h_silent, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/slow", h_slow, NULL, NULL), 0);
  assert_int_equal(router_add(&g_router, HTTP_GET, "/refuse/{kind}", h_refuse, NULL, NULL), 0);
  g_metrics = metrics_new();
  http_server_opts_t o = {.listen = "127.0.0.1:0", .threads = 2, .max_body_bytes = 1024,
                          .max_header_bytes = 4096, .max_headers = 20,
                          .connection_timeout_s = 10, .access_log = false};
  char err[256];
  g_srv = http_server_start(&o, &g_router, g_metrics, NULL, err, sizeof err);
  assert_non_null(g_srv);
  snprintf(g_base, sizeof g_base, "http://127.0.0.1:%u", http_server_port(g_srv));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  http_server_stop(g_srv);
  metrics_free(g_metrics);
  return 0;
}

static void get(CURL *h, const char *method, const char *path, const char *const *hdrs,
                const char *body, size_t blen, int chunked, httpc_resp_t *r) {
  char url[256];
  snprintf(url, sizeof url, "%s%s", g_base, path);
  assert_int_equal(httpc_do(h, method, url, hdrs, body, blen, chunked, r), 0);
}

static void test_get_route_and_keepalive(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  get(h, "GET", "/hello", NULL, NULL, 0, 0, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "hello");
  assert_int_equal(r.new_conns, 1);
  httpc_resp_free(&r);
  get(h, "GET", "/hello", NULL, NULL, 0, 0, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.new_conns, 0); /* same connection reused */
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_path_param(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  get(h, "GET", "/things/abc_123?x=1", NULL, NULL, 0, 0, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "{\"id\":\"abc_123\"}");
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_unknown_route_is_404_json(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  const char *hdrs[] = {"X-Request-Id: test-404", NULL};
  get(h, "GET", "/nope", hdrs, NULL, 0, 0, &r);
  assert_int_equal(r.status, 404);
  assert_string_equal(r.body, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such route\"},\"request_id\":\"test-404\"}");
  char ct[64];
  assert_int_equal(httpc_header(&r, "Content-Type", ct, sizeof ct), 0);
  assert_string_equal(ct, "application/json");
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_wrong_method_is_405_with_allow(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  get(h, "DELETE", "/echo", NULL, NULL, 0, 0, &r);
  assert_int_equal(r.status, 405);
  char allow[128];
  assert_int_equal(httpc_header(&r, "Allow", allow, sizeof allow), 0);
  assert_string_equal(allow, "POST, PUT");
  httpc_resp_free(&r);
  get(h, "POST", "/hello", NULL, "x", 1, 0, &r);
  assert_int_equal(r.status, 405);
  assert_int_equal(httpc_header(&r, "Allow", allow, sizeof allow), 0);
  assert_string_equal(allow, "GET, HEAD");
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_body_echo_within_limit(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  char body[1024];
  memset(body, 'a', sizeof body);
  get(h, "POST", "/echo", NULL, body, sizeof body, 0, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, sizeof body);
  httpc_resp_free(&r);
  get(h, "POST", "/echo", NULL, body, sizeof body, 1, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, sizeof body);
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_body_over_limit_is_413(void **state) {
  (void)state;
  size_t n = 1 << 20;
  char *body = malloc(n);
  memset(body, 'b', n);
  for (int chunked = 0; chunked <= 1; chunked++) {
    CURL *h = httpc_new();
    httpc_resp_t r;
    get(h, "POST", "/echo", NULL, body, n, chunked, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"code\":\"body_too_large\""));
    httpc_resp_free(&r);
    curl_easy_cleanup(h);
  }
  /* One byte over, chunked: the limit is exact. */
  CURL *h = httpc_new();
  httpc_resp_t r;
  get(h, "POST", "/echo", NULL, body, 1025, 1, &r);
  assert_int_equal(r.status, 413);
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
  free(body);
}

/* A drained over-limit body leaves the connection usable; a declared
 * length too large to drain is refused before any of it is sent. */
static void test_body_over_limit_keeps_connection_or_refuses_early(void **state) {
  (void)state;
  char body[4096];
  memset(body, 'c', sizeof body);
  CURL *h = httpc_new();
  httpc_resp_t r;
  get(h, "POST", "/echo", NULL, body, sizeof body, 0, &r);
  assert_int_equal(r.status, 413);
  httpc_resp_free(&r);
  get(h, "GET", "/hello", NULL, NULL, 0, 0, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.new_conns, 0);
  httpc_resp_free(&r);
  curl_easy_cleanup(h);

  h = httpc_new();
  const char *huge[] = {"Content-Length: 1000000000", NULL};
  char url[256];
  snprintf(url, sizeof url, "%s/echo", g_base);
  assert_int_equal(httpc_do(h, "POST", url, huge, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 413);
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_too_many_headers_is_431(void **state) {
  (void)state;
  const char *hdrs[32];
  char store[30][32];
  for (int i = 0; i < 30; i++) {
    snprintf(store[i], sizeof store[i], "X-H%d: v", i);
    hdrs[i] = store[i];
  }
  hdrs[30] = NULL;
  CURL *h = httpc_new();
  httpc_resp_t r;
  get(h, "GET", "/hello", hdrs, NULL, 0, 0, &r);
  assert_int_equal(r.status, 431);
  assert_non_null(strstr(r.body, "headers_too_large"));
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_huge_header_is_431(void **state) {
  (void)state;
  for (size_t size = 5000; size <= 200000; size *= 40) {
    char *line = malloc(size + 16);
    memcpy(line, "X-Big: ", 7);
    memset(line + 7, 'z', size);
    line[size + 7] = 0;
    const char *hdrs[] = {line, NULL};
    CURL *h = httpc_new();
    httpc_resp_t r;
    get(h, "GET", "/hello", hdrs, NULL, 0, 0, &r);
    assert_int_equal(r.status, 431);
    httpc_resp_free(&r);
    curl_easy_cleanup(h);
    free(line);
  }
}

static void test_request_id_echoed_or_generated(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  char rid[128];
  const char *good[] = {"X-Request-Id: abc-123.XYZ:9", NULL};
  get(h, "GET", "/hello", good, NULL, 0, 0, &r);
  assert_int_equal(httpc_header(&r, "X-Request-Id", rid, sizeof rid), 0);
  assert_string_equal(rid, "abc-123.XYZ:9");
  httpc_resp_free(&r);
  const char *bad[] = {"X-Request-Id: has space\"quote", NULL};
  get(h, "GET", "/hello", bad, NULL, 0, 0, &r);
  assert_int_equal(httpc_header(&r, "X-Request-Id", rid, sizeof rid), 0);
  assert_string_not_equal(rid, "has space\"quote");
  assert_int_equal(strlen(rid), 20);
  httpc_resp_free(&r);
  get(h, "GET", "/hello", NULL, NULL, 0, 0, &r);
  char rid2[128];
  assert_int_equal(httpc_header(&r, "X-Request-Id", rid2, sizeof rid2), 0);
  assert_string_not_equal(rid, rid2);
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_error_copy_only_when_asked(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  char v[4096];
  get(h, "GET", "/refuse/utf8", NULL, NULL, 0, 0, &r);
  assert_int_equal(r.status, 429);
  assert_int_not_equal(httpc_header(&r, "X-Custos-Error-Body", v, sizeof v), 0);
  assert_int_not_equal(httpc_header(&r, "X-Custos-Status", v, sizeof v), 0);
  httpc_resp_free(&r);
  const char *other[] = {"X-Custos-Error-Headers: yes", NULL};
  get(h, "GET", "/refuse/utf8", other, NULL, 0, 0, &r);
  assert_int_not_equal(httpc_header(&r, "X-Custos-Error-Body", v, sizeof v), 0);
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_error_copy_is_the_body(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  char v[4096];
  const char *ask[] = {"X-Custos-Error-Headers: 1", "X-Request-Id: rid-1", NULL};
  get(h, "GET", "/refuse/utf8", ask, NULL, 0, 0, &r);
  assert_int_equal(r.status, 429);
  /* UTF-8 as is (obs-text in the header), DEL escaped. The body itself is
   * empty: it travels in the header only, so a gateway that reads no body
   * (nginx auth_request) keeps its connection to custos. */
  assert_int_equal(httpc_header(&r, "X-Custos-Error-Body", v, sizeof v), 0);
  assert_string_equal(v, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"caf\xc3\xa9 \\u007f\"},"
                         "\"request_id\":\"rid-1\"}");
  assert_int_equal(r.body_len, 0);
  assert_int_not_equal(httpc_header(&r, "Content-Type", v, sizeof v), 0);
  httpc_resp_free(&r);
  /* Without the ask, the same refusal has that body and no copy. */
  const char *plain[] = {"X-Request-Id: rid-1", NULL};
  get(h, "GET", "/refuse/utf8", plain, NULL, 0, 0, &r);
  assert_string_equal(r.body, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"caf\xc3\xa9 \\u007f\"},"
                              "\"request_id\":\"rid-1\"}");
  assert_int_not_equal(httpc_header(&r, "X-Custos-Error-Body", v, sizeof v), 0);
  httpc_resp_free(&r);
  get(h, "GET", "/refuse/utf8", ask, NULL, 0, 0, &r);
  assert_int_equal(httpc_header(&r, "X-Custos-Status", v, sizeof v), 0);
  assert_string_equal(v, "429");
  assert_int_equal(httpc_header(&r, "Retry-After", v, sizeof v), 0);
  assert_string_equal(v, "3");
  httpc_resp_free(&r);
  /* The largest body, with a request head near the server's limit (4096):
   * it still fits the limit and the input buffer, and arrives whole. */
  static char big[3700];
  memcpy(big, "X-Pad: ", 7);
  memset(big + 7, 'p', sizeof big - 8);
  big[sizeof big - 1] = 0;
  const char *plain_big[] = {"X-Request-Id: rid-2", big, NULL};
  get(h, "GET", "/refuse/worst", plain_big, NULL, 0, 0, &r);
  assert_int_equal(r.status, 400);
  assert_true(r.body_len > 2300 && r.body_len <= HTTP_ERROR_COPY_MAX);
  char *want = strdup(r.body);
  httpc_resp_free(&r);
  const char *ask_big[] = {"X-Custos-Error-Headers: 1", "X-Request-Id: rid-2", big, NULL};
  get(h, "GET", "/refuse/worst", ask_big, NULL, 0, 0, &r);
  assert_int_equal(r.status, 400);
  assert_int_equal(r.body_len, 0);
  assert_int_equal(httpc_header(&r, "X-Custos-Error-Body", v, sizeof v), 0);
  assert_string_equal(v, want);
  free(want);
  assert_int_equal(httpc_header(&r, "X-Custos-Status", v, sizeof v), 0);
  assert_string_equal(v, "400");
  httpc_resp_free(&r);
  /* Successes never carry it. */
  get(h, "GET", "/hello", ask, NULL, 0, 0, &r);
  assert_int_equal(r.status, 200);
  assert_int_not_equal(httpc_header(&r, "X-Custos-Error-Body", v, sizeof v), 0);
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_handler_without_reply_is_500(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  get(h, "GET", "/silent", NULL, NULL, 0, 0, &r);
  assert_int_equal(r.status, 500);
  assert_non_null(strstr(r.body, "internal_error"));
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_head_has_no_body(void **state) {
  (void)state;
  CURL *h = httpc_new();
  httpc_resp_t r;
  get(h, "HEAD", "/hello", NULL, NULL, 0, 0, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 0);
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

static void test_metrics_count_routes(void **state) {
  (void)state;
  buf_t b;
  buf_init(&b, 0);
  assert_int_equal(metrics_render(g_metrics, &g_router, 3, "sqlite", &b), 0);
  assert_non_null(strstr(buf_str(&b), "custos_http_requests_total{route=\"/hello\",status=\"200\"}"));
  assert_non_null(strstr(buf_str(&b), "custos_http_requests_total{route=\"\",status=\"404\"} "));
  assert_non_null(strstr(buf_str(&b), "custos_store_errors_total 3\n"));
  assert_non_null(strstr(buf_str(&b), "custos_http_request_duration_seconds_bucket{route=\"/hello\",le=\"+Inf\"}"));
  buf_cleanup(&b);
}

struct slow_arg { char base[64]; long status; char body[64]; };

static void *slow_client(void *p) {
  struct slow_arg *a = p;
  CURL *h = httpc_new();
  httpc_resp_t r;
  char url[128];
  snprintf(url, sizeof url, "%s/slow", a->base);
  if (httpc_do(h, "GET", url, NULL, NULL, 0, 0, &r) == 0) {
    a->status = r.status;
    snprintf(a->body, sizeof a->body, "%s", r.body);
  }
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
  return NULL;
}

/* Runs last: drains the shared server while a slow request is in flight. */
static void test_drain_finishes_in_flight(void **state) {
  (void)state;
  struct slow_arg a = {.status = 0};
  memcpy(a.base, g_base, sizeof a.base);
  pthread_t t;
  pthread_create(&t, NULL, slow_client, &a);
  struct timespec ts = {0, 100 * 1000000};
  nanosleep(&ts, NULL);
  assert_int_equal(http_server_drain(g_srv, 5000), 0);
  pthread_join(t, NULL);
  assert_int_equal(a.status, 200);
  assert_string_equal(a.body, "slow done");
  /* No longer accepting. */
  CURL *h = httpc_new();
  httpc_resp_t r;
  char url[128];
  snprintf(url, sizeof url, "%s/hello", g_base);
  assert_true(httpc_do(h, "GET", url, NULL, NULL, 0, 0, &r) != 0);
  httpc_resp_free(&r);
  curl_easy_cleanup(h);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_route_and_keepalive),
      cmocka_unit_test(test_path_param),
      cmocka_unit_test(test_unknown_route_is_404_json),
      cmocka_unit_test(test_wrong_method_is_405_with_allow),
      cmocka_unit_test(test_body_echo_within_limit),
      cmocka_unit_test(test_body_over_limit_is_413),
      cmocka_unit_test(test_body_over_limit_keeps_connection_or_refuses_early),
      cmocka_unit_test(test_too_many_headers_is_431),
      cmocka_unit_test(test_huge_header_is_431),
      cmocka_unit_test(test_request_id_echoed_or_generated),
      cmocka_unit_test(test_error_copy_only_when_asked),
      cmocka_unit_test(test_error_copy_is_the_body),
      cmocka_unit_test(test_handler_without_reply_is_500),
      cmocka_unit_test(test_head_has_no_body),
      cmocka_unit_test(test_metrics_count_routes),
      cmocka_unit_test(test_drain_finishes_in_flight),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  curl_global_cleanup();
  return rc;
}
