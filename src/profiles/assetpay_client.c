#include "profiles/assetpay_client.h"

#include <math.h>
#include <string.h>

#include "core/jsjson.h"
#include "custos.h"


/* A required or optional string member; -1 with e set when wrong. */
static int get_string(const json_t *body, const char *name, bool required, const char **s,
                      size_t *n, cerr_t *e) {
  json_t *v = json_object_get(body, name);
  if (!v) {
    if (required) return cerr_set(e, 400, AP_ERR_VALIDATION, name, "field '%s' is required", name);
    *s = NULL;
    *n = 0;
    return 0;
  }
  if (!json_is_string(v))
    return cerr_set(e, 400, AP_ERR_VALIDATION, name, "field '%s' must be a string", name);
  *s = json_string_value(v);
  *n = json_string_length(v);
  return 0;
}

bool ap_steam_id_valid(const char *s, size_t n) {
  if (n != AP_STEAM_ID_LEN || strncmp(s, "76561", 5) != 0) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static bool token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

/* https://steamcommunity.com/tradeoffer/new/?partner=<digits>&token=<token>;
 * sets *partner. */
static bool trade_url_valid(const char *s, size_t n, uint64_t *partner) {
  static const char PREFIX[] = "https://steamcommunity.com/tradeoffer/new/?partner=";
  const size_t plen = sizeof PREFIX - 1;
  if (n > AP_TRADE_URL_MAX || n <= plen || memcmp(s, PREFIX, plen) != 0) return false;
  size_t i = plen, d0 = i;
  uint64_t v = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9' && i - d0 < 10) v = v * 10 + (uint64_t)(s[i++] - '0');
  if (i == d0 || v > UINT32_MAX) return false;
  static const char TOKEN[] = "&token=";
  if (n - i < sizeof TOKEN - 1 || memcmp(s + i, TOKEN, sizeof TOKEN - 1) != 0) return false;
  i += sizeof TOKEN - 1;
  size_t t0 = i;
  while (i < n && token_char(s[i])) i++;
  if (i != n || i == t0 || i - t0 > AP_TRADE_TOKEN_MAX) return false;
  *partner = v;
  return true;
}

/* JavaScript's String length: UTF-16 code units of valid UTF-8. */
static size_t js_length(const char *s, size_t n) {
  size_t units = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c & 0xC0) == 0x80) continue;
    units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

int ap_client_parse(const json_t *body, bool reject_mismatch, ap_client_req_t *out, cerr_t *e) {
  ap_client_req_t c;
  memset(&c, 0, sizeof c);
  size_t sid_len = 0;
  if (!json_is_object(body))
    return cerr_set(e, 400, AP_ERR_INVALID_JSON, NULL, "request body must be a JSON object");
  if (get_string(body, "clientSteamId", true, &c.steam_id, &sid_len, e)) return -1;
  if (!ap_steam_id_valid(c.steam_id, sid_len))
    return cerr_set(e, 400, AP_ERR_VALIDATION, "clientSteamId",
                    "field 'clientSteamId' must be a Steam ID 64: 17 digits starting with 76561");
  if (get_string(body, "clientTradeUrl", true, &c.trade_url, &c.trade_url_len, e)) return -1;
  if (!trade_url_valid(c.trade_url, c.trade_url_len, &c.partner))
    return cerr_set(e, 400, AP_ERR_VALIDATION, "clientTradeUrl",
                    "field 'clientTradeUrl' must be a Steam trade URL: "
                    "https://steamcommunity.com/tradeoffer/new/?partner=<number>&token=<token>");
  uint64_t sid = 0;
  for (size_t i = 0; i < sid_len; i++) sid = sid * 10 + (uint64_t)(c.steam_id[i] - '0');
  c.partner_match = sid >= AP_STEAM_ID64_BASE && sid - AP_STEAM_ID64_BASE == c.partner;
  if (reject_mismatch && !c.partner_match)
    return cerr_set(e, 400, AP_ERR_PARTNER_MISMATCH, "clientTradeUrl",
                    "field 'clientTradeUrl' belongs to another Steam account: partner must be "
                    "%llu for clientSteamId %s",
                    sid >= AP_STEAM_ID64_BASE ? (unsigned long long)(sid - AP_STEAM_ID64_BASE) : 0ULL,
                    c.steam_id);
  if (get_string(body, "clientId", false, &c.client_id, &c.client_id_len, e)) return -1;
  if (c.client_id && js_length(c.client_id, c.client_id_len) > AP_CLIENT_ID_MAX)
    return cerr_set(e, 400, AP_ERR_VALIDATION, "clientId",
                    "field 'clientId' must be at most %d characters", AP_CLIENT_ID_MAX);
  json_t *cd = json_object_get(body, "clientData");
  if (cd && !json_is_object(cd))
    return cerr_set(e, 400, AP_ERR_VALIDATION, "clientData", "field 'clientData' must be an object");
  c.client_data = cd;
  *out = c;
  return 0;
}

int ap_token_payload(buf_t *out, const ap_client_req_t *c, int64_t iat) {
  char num[JSJSON_NUMBER_MAX];
  size_t mark = out->len;
  int rc = buf_puts(out, "{\"client\":{\"steamID\":");
  if (!rc) rc = jsjson_string(out, c->steam_id, strlen(c->steam_id));
  if (!rc) rc = buf_puts(out, ",\"tradeUrl\":");
  if (!rc) rc = jsjson_string(out, c->trade_url, c->trade_url_len);
  if (!rc && c->client_id) {
    rc = buf_puts(out, ",\"clientId\":");
    if (!rc) rc = jsjson_string(out, c->client_id, c->client_id_len);
  }
  if (!rc && c->client_data) {
    rc = buf_puts(out, ",\"clientData\":");
    if (!rc) rc = jsjson_dump(out, c->client_data);
  }
  if (!rc) rc = buf_puts(out, "},\"iat\":");
  if (!rc) rc = buf_append(out, num, jsjson_number((double)iat, num));
  if (!rc) rc = buf_puts(out, ",\"exp\":");
  if (!rc) rc = buf_append(out, num, jsjson_number((double)(iat + AP_TOKEN_TTL), num));
  if (!rc) rc = buf_puts(out, "}");
  if (rc && out->data) {
    out->len = mark;
    out->data[mark] = '\0';
  }
  return rc;
}

/* --- risk model ------------------------------------------------------------ */

void ap_risk_defaults(ap_risk_params_t *p) {
  p->base_limit = 50;
  p->kyc_bonus = 25;
  p->method_bonus = 25;
  p->wager_percent = 10;
  p->wager_ceiling = 1000;
  p->top_boost = 2;
}

void ap_risk_input(const json_t *cd, ap_risk_input_t *in) {
  memset(in, 0, sizeof *in);
  if (!json_is_object(cd)) return;
  json_t *v = json_object_get(cd, "totalWager");
  if (json_is_number(v)) {
    double w = json_number_value(v);
    in->total_wager = isfinite(w) && w > 0 ? w : 0;
  }
  v = json_object_get(cd, "kycLevel");
  if (json_is_number(v)) {
    double k = json_number_value(v);
    in->kyc_level = !isfinite(k) || k < 1 ? 0 : k >= AP_KYC_MAX ? AP_KYC_MAX : (int)k;
  }
  in->fiat = json_is_true(json_object_get(cd, "fiatDeposits"));
  in->crypto = json_is_true(json_object_get(cd, "cryptoDeposits"));
}

int ap_risk_tier(const ap_risk_input_t *in) { return in->kyc_level + in->fiat + in->crypto; }

int64_t ap_risk_limit(const ap_risk_params_t *p, const ap_risk_input_t *in) {
  int k = in->kyc_level, m = in->fiat + in->crypto;
  /* Config ranges keep every term far below 2^53, so doubles are exact
   * enough here and the floor is of a product of exact values. */
  double ceiling = (double)p->wager_ceiling * (1 + k) * (1 + m);
  if (k == AP_KYC_MAX && m == 2) ceiling *= (double)p->top_boost;
  double counted = in->total_wager < ceiling ? in->total_wager : ceiling;
  double credit = floor(counted * (double)p->wager_percent / 100.0);
  return p->base_limit + p->kyc_bonus * k + p->method_bonus * m + (int64_t)credit;
}
