/*
 * assetpay_merchant.h — AssetPay merchants: API secrets (generated, sealed
 * under the master key, rotated with a grace period) and the keys that
 * sign and verify client tokens.
 *
 * Client-token checks are the hot path: keys are unsealed once and held
 * parsed (an oct JWK with its HMAC context) in a cache keyed by merchant
 * id, re-read from the store after AP_MERCHANT_TTL seconds, and dropped on
 * every node when a secret changes (store_notify on AP_MERCHANT_CHANNEL).
 *
 * Thread-safe.
 */
#ifndef CUSTOS_PROFILES_ASSETPAY_MERCHANT_H
#define CUSTOS_PROFILES_ASSETPAY_MERCHANT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/masterkey.h"
#include "jose/jwk.h"
#include "jose/jwks.h"
#include "store/store.h"

#define AP_MERCHANT_CHANNEL "custos_merchants"
#define AP_MERCHANT_TTL 60              /* seconds a cached merchant is trusted */
#define AP_MERCHANT_CACHE_MAX 4096      /* cached merchants; the oldest go first */
#define AP_SECRET_PREFIX "aps_"
#define AP_SECRET_RANDOM 48             /* base62 characters after the prefix (~285 bits) */
#define AP_SECRET_TEXT_MAX (sizeof AP_SECRET_PREFIX + AP_SECRET_RANDOM) /* incl. NUL */

typedef struct ap_merchants ap_merchants_t;

/* A merchant ready to sign or verify. Holds references: release with
 * ap_merchant_release(). */
typedef struct ap_merchant {
  char app_id[RAND_ID_MAX];
  char account_id[RAND_ID_MAX];
  int64_t merchant_id;
  jose_jwks_t *current;     /* one HS256 key, NULL when no secret exists yet */
  jose_jwks_t *previous;    /* the rotated-out key, NULL when none */
  int64_t previous_until;   /* previous verifies while now < this */
} ap_merchant_t;

/* Starts the service over `s` with `master_key` (copied) and listens on
 * AP_MERCHANT_CHANNEL. NULL on failure. */
ap_merchants_t *ap_merchants_new(store_t *s, const unsigned char master_key[MASTERKEY_LEN]);
/* Frees the cache (wiping keys) and the service. NULL ok. Call before
 * store_close(). */
void ap_merchants_free(ap_merchants_t *m);

/*
 * The merchant whose merchant id is `mid` (cached), or of app `app_id`
 * (always read from the store: used when minting, which writes anyway).
 * CUSTOS_OK with *out filled; CUSTOS_ENOTFOUND (no such merchant, or the
 * app is not an assetpay app), CUSTOS_ESTORE, CUSTOS_ECRYPTO (a secret did
 * not unseal: wrong master key), CUSTOS_ENOMEM. *out untouched on failure.
 */
int ap_merchant_by_mid(ap_merchants_t *m, int64_t mid, ap_merchant_t *out)
    __attribute__((warn_unused_result));
int ap_merchant_by_app(ap_merchants_t *m, const char *app_id, ap_merchant_t *out)
    __attribute__((warn_unused_result));
/* Drops the references in `x`; a zeroed struct is fine. */
void ap_merchant_release(ap_merchant_t *x);

/*
 * Whether app `app_id` has profile assetpay (cached for AP_MERCHANT_TTL;
 * an app's profile never changes). CUSTOS_OK with *yes set, CUSTOS_ESTORE.
 * An unknown app is *yes = false.
 */
int ap_app_is_merchant(ap_merchants_t *m, const char *app_id, bool *yes)
    __attribute__((warn_unused_result));

/* Drops merchant `mid` from every node's cache (this one at once). */
void ap_merchants_changed(ap_merchants_t *m, int64_t mid);

/* A new API secret "aps_<48 base62>" into out. CUSTOS_OK or CUSTOS_ECRYPTO. */
int ap_secret_generate(char out[AP_SECRET_TEXT_MAX]) __attribute__((warn_unused_result));

/* The seal context of app `app_id`'s secret: "app_secret:<app id>". */
void ap_secret_context(const char *app_id, char out[RAND_ID_MAX + 16]);

/* Unseals `sealed` (base64url text) for `app_id` into a new HS256 key set
 * (one key). CUSTOS_OK, CUSTOS_ECRYPTO, CUSTOS_EKEY, CUSTOS_ENOMEM. */
int ap_secret_keyset(const unsigned char master_key[MASTERKEY_LEN], const char *app_id,
                     const char *sealed, jose_jwks_t **out) __attribute__((warn_unused_result));

#endif
