/*
 * assetpay.h — the AssetPay profile (docs/profiles/assetpay.md).
 * Route classes: "client" (the default: a client token in Authorization)
 * and "secure" (an api-key with the policy's scopes).
 */
#ifndef CUSTOS_PROFILES_ASSETPAY_H
#define CUSTOS_PROFILES_ASSETPAY_H

#include "core/config.h"
#include "profiles/assetpay_client.h"
#include "profiles/profile.h"

#define AP_SCOPE_CORE_ACCESS "CORE_ACCESS"
#define AP_SCOPE_READ_ONLY "READ_ONLY"

/* Error codes (docs/profiles/assetpay.md has the table). */
#define AP_ERR_MISSING_API_KEY "MISSING_API_KEY"
#define AP_ERR_INVALID_API_KEY "INVALID_API_KEY"
#define AP_ERR_INSUFFICIENT_SCOPE "INSUFFICIENT_SCOPE"
#define AP_ERR_MERCHANT_NOT_CONFIGURED "MERCHANT_NOT_CONFIGURED"
#define AP_ERR_MISSING_CLIENT_TOKEN "MISSING_CLIENT_TOKEN"
#define AP_ERR_INVALID_CLIENT_TOKEN "INVALID_CLIENT_TOKEN"
#define AP_ERR_CLIENT_TOKEN_EXPIRED "CLIENT_TOKEN_EXPIRED"
#define AP_ERR_RATE_LIMITED "RATE_LIMITED"
#define AP_ERR_UNAVAILABLE "SERVICE_UNAVAILABLE"

/* The risk parameters configured under assetpay.risk.*. */
void ap_risk_params_from_config(const config_t *c, ap_risk_params_t *p);

extern const profile_t profile_assetpay;

#endif
