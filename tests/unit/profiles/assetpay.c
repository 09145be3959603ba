/* The AssetPay client: body validation, JSON.stringify-compatible output,
 * and the risk model's promises (monotone, top tier only at KYC 3 with
 * both payment methods). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "core/jsjson.h"
#include "custos.h"
#include "profiles/assetpay_client.h"

static void test_jsjson_numbers_match_javascript(void **state) {
  (void)state;
  static const struct { double x; const char *js; } V[] = {
      {0.1, "0.1"}, {-0.0, "0"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"}, {1e-7, "1e-7"},
      {1e-6, "0.000001"}, {9007199254740993.0, "9007199254740992"}, {123456789012345680000.0, "123456789012345680000"},
      {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"}, {0.30000000000000004, "0.30000000000000004"},
      {-1.5e-7, "-1.5e-7"}, {5000, "5000"}, {2.5, "2.5"}, {1e23, "1e+23"},
  };
  for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
    char out[JSJSON_NUMBER_MAX];
    jsjson_number(V[i].x, out);
    assert_string_equal(out, V[i].js);
  }
}

static void test_jsjson_dump_orders_and_escapes_like_json_stringify(void **state) {
  (void)state;
  json_error_t je;
  json_t *v = json_loads("{\"b\":1,\"a\":\"\\u2028/\\u0001\\\"\xc3\xa9\",\"10\":2,\"2\":3,\"01\":4,\"x\":[1.0,-0,1e21]}",
                         JSON_DECODE_INT_AS_REAL, &je);
  assert_non_null(v);
  buf_t b;
  buf_init(&b, 0);
  assert_int_equal(jsjson_dump(&b, v), CUSTOS_OK);
  assert_string_equal(b.data, "{\"2\":3,\"10\":2,\"b\":1,\"a\":\"\xe2\x80\xa8/\\u0001\\\"\xc3\xa9\",\"01\":4,\"x\":[1,0,1e+21]}");
  buf_cleanup(&b);
  json_decref(v);
}

static void test_client_parse_accepts_the_seed_example(void **state) {
  (void)state;
  json_t *body = json_pack("{s:s,s:s,s:s,s:{s:i,s:i,s:b,s:b}}", "clientSteamId", "76561198012345678",
                           "clientTradeUrl", "https://steamcommunity.com/tradeoffer/new/?partner=12345678&token=AbCdEfGh",
                           "clientId", "user-123", "clientData", "totalWager", 5000, "kycLevel", 2, "fiatDeposits", 1,
                           "cryptoDeposits", 0);
  ap_client_req_t c;
  cerr_t e;
  assert_int_equal(ap_client_parse(body, false, &c, &e), 0);
  assert_false(c.partner_match);
  assert_int_equal(c.partner, 12345678);
  assert_int_equal(ap_client_parse(body, true, &c, &e), -1);
  assert_string_equal(e.code, "TRADE_URL_MISMATCH");
  json_decref(body);
}

static int64_t limit_of(const ap_risk_params_t *p, double w, int k, bool f, bool c) {
  ap_risk_input_t in = {w, k, f, c};
  return ap_risk_limit(p, &in);
}

/* More wager, a higher KYC level, or one more payment method never lowers
 * the limit, over a grid of every combination. */
static void test_risk_is_monotone(void **state) {
  (void)state;
  ap_risk_params_t p;
  ap_risk_defaults(&p);
  static const double W[] = {0, 1, 10, 99.99, 500, 999, 1000, 1001, 5000, 6000, 12000, 23999, 24000, 1e6, 1e12};
  const size_t nw = sizeof W / sizeof W[0];
  for (size_t wi = 0; wi < nw; wi++)
    for (int k = 0; k <= 3; k++)
      for (int f = 0; f <= 1; f++)
        for (int c = 0; c <= 1; c++) {
          int64_t l = limit_of(&p, W[wi], k, f, c);
          assert_true(l >= p.base_limit);
          if (wi + 1 < nw) assert_true(limit_of(&p, W[wi + 1], k, f, c) >= l);
          if (k < 3) assert_true(limit_of(&p, W[wi], k + 1, f, c) >= l);
          if (!f) assert_true(limit_of(&p, W[wi], k, true, c) >= l);
          if (!c) assert_true(limit_of(&p, W[wi], k, f, true) >= l);
        }
}

/* KYC 3 with both methods reaches the top tier and the top limit; nothing
 * else does. */
static void test_risk_top_tier_needs_kyc3_and_both_methods(void **state) {
  (void)state;
  ap_risk_params_t p;
  ap_risk_defaults(&p);
  int64_t top = limit_of(&p, 1e12, 3, true, true);
  assert_int_equal(top, 2575);
  ap_risk_input_t in = {0, 3, true, true};
  assert_int_equal(ap_risk_tier(&in), 5);
  for (int k = 0; k <= 3; k++)
    for (int f = 0; f <= 1; f++)
      for (int c = 0; c <= 1; c++) {
        if (k == 3 && f && c) continue;
        ap_risk_input_t x = {1e12, k, f, c};
        assert_true(ap_risk_limit(&p, &x) < top);
        assert_true(ap_risk_tier(&x) < 5);
      }
  assert_int_equal(limit_of(&p, 5000, 2, true, false), 625); /* the seed's example */
  assert_int_equal(limit_of(&p, 0, 0, false, false), 50);
}

static void test_risk_input_treats_wrong_types_as_missing(void **state) {
  (void)state;
  json_t *cd = json_pack("{s:s,s:f,s:s,s:i}", "totalWager", "5000", "kycLevel", 7.5, "fiatDeposits", "yes",
                         "cryptoDeposits", 1);
  ap_risk_input_t in;
  ap_risk_input(cd, &in);
  assert_true(in.total_wager == 0);
  assert_int_equal(in.kyc_level, 3);
  assert_false(in.fiat);
  assert_false(in.crypto);
  json_decref(cd);
  cd = json_pack("{s:f,s:f}", "totalWager", -5.0, "kycLevel", -1.0);
  ap_risk_input(cd, &in);
  assert_true(in.total_wager == 0);
  assert_int_equal(in.kyc_level, 0);
  json_decref(cd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jsjson_numbers_match_javascript),
      cmocka_unit_test(test_jsjson_dump_orders_and_escapes_like_json_stringify),
      cmocka_unit_test(test_client_parse_accepts_the_seed_example),
      cmocka_unit_test(test_risk_is_monotone),
      cmocka_unit_test(test_risk_top_tier_needs_kyc3_and_both_methods),
      cmocka_unit_test(test_risk_input_treats_wrong_types_as_missing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
