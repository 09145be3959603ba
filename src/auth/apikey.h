/*
 * apikey.h — the text format of API keys and other long-lived secrets.
 *
 *   <prefix><random><checksum>
 *   prefix    1..7 chars [a-z0-9] then '_', e.g. "ap_", "ol_", "ck_"
 *   random    APIKEY_RANDOM_LEN base62 chars (≈238 bits) from the CSPRNG
 *   checksum  APIKEY_CHECKSUM_LEN base62 chars: CRC32 of prefix+random,
 *             big-endian base62, zero-padded ("0" digits first)
 *
 * The checksum lets a secret scanner (or custos itself, before any store
 * lookup) tell a real key from noise; it is not a security property. The
 * visible start stored for humans is the prefix plus the first 4 random
 * characters.
 */
#ifndef CUSTOS_AUTH_APIKEY_H
#define CUSTOS_AUTH_APIKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

#define APIKEY_PREFIX_MAX 8        /* including the '_' */
#define APIKEY_RANDOM_LEN 40
#define APIKEY_CHECKSUM_LEN 6
#define APIKEY_TEXT_MAX (APIKEY_PREFIX_MAX + APIKEY_RANDOM_LEN + APIKEY_CHECKSUM_LEN + 1)
#define APIKEY_START_RANDOM 4      /* random chars kept in the visible start */

/* The prefix keys of an app with `profile` get by default: "ap_" for
 * assetpay, "ol_" for openledger, "tl_" for thelayer, else "ck_". Static. */
const char *apikey_default_prefix(const char *profile);

/* Writes a new key with `prefix` ("ap_") into out (NUL-terminated).
 * CUSTOS_OK, CUSTOS_EINVAL (bad prefix), CUSTOS_ECRYPTO (RNG). */
int apikey_generate(const char *prefix, char out[APIKEY_TEXT_MAX]) __attribute__((warn_unused_result));

/* True when `text` (len bytes, need not be NUL-terminated) has the shape
 * above and a correct checksum. Constant work per length; no allocation. */
bool apikey_well_formed(const char *text, size_t len);

/* SHA-256 of the key text. */
void apikey_hash(const char *text, size_t len, unsigned char out[STORE_KEY_HASH_LEN]);

/* The visible start (prefix + APIKEY_START_RANDOM chars) of a well-formed
 * key into out. */
void apikey_start(const char *text, size_t len, char out[STORE_KEY_START_MAX]);

#endif
