/*
 * fuzz_assetpay — the body of POST /auth/authenticate-client and the
 * JSON.stringify-compatible serializer on arbitrary bytes. Beyond "no
 * crash, no leak, no UB" it checks:
 *  - jsjson_dump's output of any accepted body re-parses (numbers as
 *    doubles) to a value equal to the input;
 *  - validation either fails with a 400 naming a field, or succeeds and the
 *    token payload re-parses with client.steamID equal to the input;
 *  - the risk limit is at least the baseline and the tier within 0..5;
 *  - every error renders as valid JSON in the AssetPay envelope.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/jsjson.h"
#include "http/render.h"
#include "profiles/assetpay_client.h"

#define CHECK(x)       \
  do {                 \
    if (!(x)) abort(); \
  } while (0)

static void check_rendered(const cerr_t *e) {
  buf_t out;
  buf_init(&out, 0);
  CHECK(render_assetpay(e, "req_fuzz", &out) == 0);
  json_error_t je;
  json_t *j = json_loadb(out.data, out.len, 0, &je);
  CHECK(j && json_is_false(json_object_get(j, "success")));
  json_decref(j);
  buf_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cerr_t e;
  jbody_limits_t lim = {.numbers_as_double = true};
  json_t *body = jbody_parse((const char *)data, size, &lim, &e);
  if (!body) {
    check_rendered(&e);
    return 0;
  }
  json_error_t je;
  buf_t out;
  buf_init(&out, 0);
  CHECK(jsjson_dump(&out, body) == 0);
  json_t *again = json_loadb(out.data, out.len, JSON_DECODE_INT_AS_REAL, &je);
  CHECK(again && json_equal(again, body));
  json_decref(again);
  buf_cleanup(&out);

  ap_client_req_t c;
  if (ap_client_parse(body, size & 1, &c, &e) != 0) {
    CHECK(e.status == 400 && e.field[0]);
    check_rendered(&e);
  } else {
    buf_init(&out, 0);
    CHECK(ap_token_payload(&out, &c, 1767225600) == 0);
    /* Numbers as doubles: clientData may hold integers beyond int64. */
    json_t *p = json_loadb(out.data, out.len, JSON_DECODE_INT_AS_REAL, &je);
    CHECK(p);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(p, "client"), "steamID")), c.steam_id) == 0);
    CHECK(json_real_value(json_object_get(p, "exp")) == 1767225600.0 + AP_TOKEN_TTL);
    json_decref(p);
    buf_cleanup(&out);
    ap_risk_params_t rp;
    ap_risk_input_t ri;
    ap_risk_defaults(&rp);
    ap_risk_input(c.client_data, &ri);
    CHECK(ap_risk_limit(&rp, &ri) >= rp.base_limit);
    CHECK(ap_risk_tier(&ri) >= 0 && ap_risk_tier(&ri) <= 5);
  }
  json_decref(body);
  return 0;
}
