/*
 * assetpay_client.h — the AssetPay client: validating the body of
 * POST /auth/authenticate-client, the collateral risk model over
 * clientData, and the exact bytes of a client token's payload.
 *
 * Pure functions over parsed JSON: no store, no clock, no keys. The
 * profile (assetpay.c) and the fuzz harness (tests/fuzz/fuzz_assetpay.c)
 * both call them. Thread-safe.
 */
#ifndef CUSTOS_PROFILES_ASSETPAY_CLIENT_H
#define CUSTOS_PROFILES_ASSETPAY_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define AP_STEAM_ID_LEN 17                        /* digits in a Steam ID 64 */
#define AP_STEAM_ID64_BASE UINT64_C(76561197960265728) /* steamID64 of account 0 */
#define AP_TRADE_URL_MAX 256                      /* bytes of clientTradeUrl */
#define AP_TRADE_TOKEN_MAX 64                     /* chars of the URL's token */
#define AP_CLIENT_ID_MAX 128                      /* clientId, UTF-16 code units (JS length) */
#define AP_CLIENT_ID_BYTES (AP_CLIENT_ID_MAX * 3) /* longest clientId in UTF-8 bytes */
#define AP_TOKEN_TTL 86400                        /* client token lifetime, seconds */
#define AP_KYC_MAX 3                              /* highest KYC level */

/* Upper-snake error codes in AssetPay's style (docs/profiles/assetpay.md). */
#define AP_ERR_VALIDATION "VALIDATION_ERROR"
#define AP_ERR_INVALID_JSON "INVALID_JSON"
#define AP_ERR_PARTNER_MISMATCH "TRADE_URL_MISMATCH"

/* The validated request. Strings and client_data are borrowed from the
 * parsed body and live as long as it does. */
typedef struct ap_client_req {
  const char *steam_id;      /* 17 digits, "76561…" */
  const char *trade_url;     /* shape-checked Steam trade-offer URL */
  size_t trade_url_len;      /* bytes */
  const char *client_id;     /* NULL when absent */
  size_t client_id_len;      /* bytes */
  const json_t *client_data; /* an object, NULL when absent */
  uint64_t partner;          /* the URL's partner (32-bit Steam account id) */
  bool partner_match;        /* partner == steamID64 - AP_STEAM_ID64_BASE */
} ap_client_req_t;

/*
 * Validates `body` (a JSON object; unknown members are ignored) into *out.
 * On failure returns -1 with e = 400 VALIDATION_ERROR naming the field:
 *   clientSteamId   required string, 17 digits starting 76561
 *   clientTradeUrl  required string,
 *                   https://steamcommunity.com/tradeoffer/new/?partner=<1-10 digits>&token=<1-64 of A-Za-z0-9_->
 *                   with partner < 2^32; when reject_mismatch, partner must
 *                   equal steamID64 - 76561197960265728 (else 400
 *                   TRADE_URL_MISMATCH, field clientTradeUrl)
 *   clientId        optional string of at most 128 UTF-16 code units
 *   clientData      optional object (any members)
 * Returns 0 with *out filled. Never writes *out on failure.
 */
int ap_client_parse(const json_t *body, bool reject_mismatch, ap_client_req_t *out, cerr_t *e)
    __attribute__((warn_unused_result));

/* Steam ID 64 shape: exactly 17 ASCII digits starting "76561". */
bool ap_steam_id_valid(const char *s, size_t n);

/*
 * Appends the token payload, byte for byte what npm jose's SignJWT writes
 * for new SignJWT({client:{steamID,tradeUrl,clientId?,clientData?}})
 *   .setIssuedAt(iat).setExpirationTime(iat + AP_TOKEN_TTL):
 *   {"client":{"steamID":…,"tradeUrl":…[,"clientId":…][,"clientData":…]},"iat":IAT,"exp":EXP}
 * serialised as JSON.stringify does (core/jsjson.h). CUSTOS_OK or
 * jsjson_dump's codes; `out` unchanged on failure.
 */
int ap_token_payload(buf_t *out, const ap_client_req_t *c, int64_t iat)
    __attribute__((warn_unused_result));

/* --- risk model ----------------------------------------------------------- */

/* Parameters (config keys assetpay.risk.*), all in whole USD except the
 * percentage and the multiplier. */
typedef struct ap_risk_params {
  int64_t base_limit;     /* limit with no data at all */
  int64_t kyc_bonus;      /* added per KYC level (0..3) */
  int64_t method_bonus;   /* added per payment method used (fiat, crypto) */
  int64_t wager_percent;  /* share of counted wager added, 0..100 */
  int64_t wager_ceiling;  /* wager counted at KYC 0 with no methods */
  int64_t top_boost;      /* extra ceiling multiplier at KYC 3 with both methods, >= 1 */
} ap_risk_params_t;

/* The defaults documented in docs/profiles/assetpay.md. */
void ap_risk_defaults(ap_risk_params_t *p);

/* The four inputs after normalisation. */
typedef struct ap_risk_input {
  double total_wager; /* >= 0, finite */
  int kyc_level;      /* 0..3 */
  bool fiat;          /* fiatDeposits === true */
  bool crypto;        /* cryptoDeposits === true */
} ap_risk_input_t;

/*
 * Reads clientData (NULL = absent). A member that is missing or of the
 * wrong type counts as absent (0 / false): clientData is free-form and the
 * seed makes every field optional, so odd data lowers nothing below the
 * baseline and never fails an authentication. totalWager: a number,
 * negative → 0. kycLevel: a number, truncated toward zero and clamped to
 * 0..3. fiatDeposits / cryptoDeposits: only JSON true counts.
 */
void ap_risk_input(const json_t *client_data, ap_risk_input_t *in);

/*
 * The collateral limit in whole USD:
 *   M = fiat + crypto (0..2), K = kycLevel
 *   ceiling = wager_ceiling * (1 + K) * (1 + M) * (K == 3 && M == 2 ? top_boost : 1)
 *   limit = base_limit + kyc_bonus*K + method_bonus*M
 *           + floor(min(totalWager, ceiling) * wager_percent / 100)
 * Monotone in every input. Cannot fail.
 */
int64_t ap_risk_limit(const ap_risk_params_t *p, const ap_risk_input_t *in);

/* The trust tier K + M, 0..5; 5 (the top) only at KYC 3 with both
 * payment methods. */
int ap_risk_tier(const ap_risk_input_t *in);

#endif
