#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "custos.h"
#include "http/render.h"

typedef struct render_case {
  const char *what;
  int status;
  const char *code;
  const char *field; /* NULL = none */
  const char *message;
  const char *request_id;
  const char *want;
} render_case_t;

static const render_case_t CASES[] = {
    {"all members", 400, "invalid_field", "name", "field 'name' must be a string", "req_123",
     "{\"error\":{\"code\":\"invalid_field\",\"message\":\"field 'name' must be a string\","
     "\"field\":\"name\"},\"request_id\":\"req_123\"}"},
    {"no field", 413, "body_too_large", NULL, "request body is larger than 65536 bytes", "r1",
     "{\"error\":{\"code\":\"body_too_large\",\"message\":\"request body is larger than 65536 "
     "bytes\"},\"request_id\":\"r1\"}"},
    {"no request id", 404, "not_found", NULL, "no such app", NULL,
     "{\"error\":{\"code\":\"not_found\",\"message\":\"no such app\"}}"},
    {"empty request id", 404, "not_found", NULL, "no such app", "",
     "{\"error\":{\"code\":\"not_found\",\"message\":\"no such app\"}}"},
    {"escaping", 400, "invalid_json", "a\"b\\c", "duplicate member 'a\"b\\c'\n\x01", "id\"x",
     "{\"error\":{\"code\":\"invalid_json\",\"message\":\"duplicate member 'a\\\"b\\\\c'\\n\\u0001\","
     "\"field\":\"a\\\"b\\\\c\"},\"request_id\":\"id\\\"x\"}"},
    {"UTF-8 passes through", 400, "invalid_field", "n\xC3\xA4me", "field 'n\xC3\xA4me' is bad",
     NULL,
     "{\"error\":{\"code\":\"invalid_field\",\"message\":\"field 'n\xC3\xA4me' is bad\","
     "\"field\":\"n\xC3\xA4me\"}}"},
    /* A character cut by truncation, and jansson quoting half of one. */
    {"bad UTF-8 becomes U+FFFD", 400, "invalid_json", "ab\xE2\x82",
     "near '\"x\\\xC3' \xF0\x9F\x94", NULL,
     "{\"error\":{\"code\":\"invalid_json\",\"message\":\"near '\\\"x\\\\\xEF\xBF\xBD' "
     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\",\"field\":\"ab\xEF\xBF\xBD\xEF\xBF\xBD\"}}"},
    {"overlong and surrogate", 400, "invalid_field", NULL, "\xC0\xAF|\xED\xA0\x80", NULL,
     "{\"error\":{\"code\":\"invalid_field\",\"message\":\"\xEF\xBF\xBD\xEF\xBF\xBD|"
     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"}}"},
    {"empty message", 500, "internal_error", NULL, "", NULL,
     "{\"error\":{\"code\":\"internal_error\",\"message\":\"\"}}"},
    {"missing code", 500, NULL, NULL, "oops", NULL,
     "{\"error\":{\"code\":\"internal_error\",\"message\":\"oops\"}}"},
};

static void test_render_custos_exact_bytes(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
    const render_case_t *c = &CASES[i];
    cerr_t e;
    print_message("case: %s\n", c->what);
    cerr_set(&e, c->status, c->code, c->field, "%s", c->message);
    buf_t out;
    buf_init(&out, 0);
    assert_int_equal(render_custos(&e, c->request_id, &out), CUSTOS_OK);
    assert_string_equal(buf_str(&out), c->want);
    assert_int_equal(out.len, strlen(c->want));
    buf_cleanup(&out);
  }
}

static void test_render_appends_and_is_atomic(void **state) {
  (void)state;
  cerr_t e;
  cerr_set(&e, 401, CERR_UNAUTHORIZED, NULL, "bad token");
  buf_t out;
  buf_init(&out, 0);
  assert_int_equal(buf_puts(&out, "prefix:"), CUSTOS_OK);
  assert_int_equal(render_custos(&e, NULL, &out), CUSTOS_OK);
  assert_string_equal(buf_str(&out),
                      "prefix:{\"error\":{\"code\":\"unauthorized\",\"message\":\"bad token\"}}");
  buf_cleanup(&out);

  /* Over out's cap: ETOOBIG and nothing appended. */
  buf_init(&out, 20);
  assert_int_equal(buf_puts(&out, "keep"), CUSTOS_OK);
  assert_int_equal(render_custos(&e, "req", &out), CUSTOS_ETOOBIG);
  assert_string_equal(buf_str(&out), "keep");
  buf_cleanup(&out);
}

static void test_render_for_profile(void **state) {
  (void)state;
  assert_ptr_equal(render_for_profile("custos"), render_custos);
  assert_ptr_equal(render_for_profile(NULL), render_custos);
  assert_ptr_equal(render_for_profile("no-such-profile"), render_custos);
  assert_ptr_equal(render_for_profile(""), render_custos);
}

/* Open Ledger: the seed's four bodies byte for byte; generic codes mapped;
 * never a field or a request id. */
static const render_case_t OL_CASES[] = {
    {"seed: bad token", 401, "AUTHENTICATION_ERROR", NULL, "Invalid authentication token", "req_1",
     "{\"error\":{\"code\":\"AUTHENTICATION_ERROR\",\"message\":\"Invalid authentication token\"}}"},
    {"seed: no header", 401, "AUTHENTICATION_ERROR", NULL, "Authorization header is required", NULL,
     "{\"error\":{\"code\":\"AUTHENTICATION_ERROR\",\"message\":\"Authorization header is required\"}}"},
    {"seed: bad key", 401, "INVALID_API_KEY", "apiKey", "API key is invalid or expired", "req_2",
     "{\"error\":{\"code\":\"INVALID_API_KEY\",\"message\":\"API key is invalid or expired\"}}"},
    {"seed: entity on developer route", 403, "AUTHORIZATION_ERROR", NULL, "Entity tokens cannot access developer routes", NULL,
     "{\"error\":{\"code\":\"AUTHORIZATION_ERROR\",\"message\":\"Entity tokens cannot access developer routes\"}}"},
    {"invalid_json maps", 400, CERR_INVALID_JSON, NULL, "request body is empty", NULL,
     "{\"error\":{\"code\":\"VALIDATION_ERROR\",\"message\":\"request body is empty\"}}"},
    {"body_too_large maps", 413, CERR_BODY_TOO_LARGE, NULL, "request body too large", NULL,
     "{\"error\":{\"code\":\"PAYLOAD_TOO_LARGE\",\"message\":\"request body too large\"}}"},
    {"method_not_allowed maps", 405, CERR_METHOD_NOT_ALLOWED, NULL, "method not allowed", NULL,
     "{\"error\":{\"code\":\"METHOD_NOT_ALLOWED\",\"message\":\"method not allowed\"}}"},
    {"empty code", 500, "", NULL, "internal error", NULL,
     "{\"error\":{\"code\":\"INTERNAL_ERROR\",\"message\":\"internal error\"}}"},
    {"quotes escaped", 400, "VALIDATION_ERROR", NULL, "userType must be \"developer\"", NULL,
     "{\"error\":{\"code\":\"VALIDATION_ERROR\",\"message\":\"userType must be \\\"developer\\\"\"}}"},
};

static void test_render_openledger_exact_bytes(void **state) {
  (void)state;
  assert_ptr_equal(render_for_profile("openledger"), render_openledger);
  for (size_t i = 0; i < sizeof OL_CASES / sizeof OL_CASES[0]; i++) {
    const render_case_t *c = &OL_CASES[i];
    cerr_t e;
    print_message("case: %s\n", c->what);
    cerr_set(&e, c->status, c->code, c->field, "%s", c->message);
    buf_t out;
    buf_init(&out, 0);
    assert_int_equal(render_openledger(&e, c->request_id, &out), CUSTOS_OK);
    assert_string_equal(buf_str(&out), c->want);
    buf_cleanup(&out);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_render_openledger_exact_bytes),
      cmocka_unit_test(test_render_custos_exact_bytes),
      cmocka_unit_test(test_render_appends_and_is_atomic),
      cmocka_unit_test(test_render_for_profile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
