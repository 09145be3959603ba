#include "auth/apikey.h"

/* The one-call SHA-256 of OpenSSL 3.0 (EVP_Digest, and SHA256() built on
 * EVP_Q_digest) allocates a context per call, and EVP_DigestInit_ex2 on a
 * reused EVP_MD_CTX still allocates the provider context each time
 * (measured on 3.0.19: 1 malloc per digest). apikey_hash() is on the
 * key-check hot path, which must not allocate, so it uses the low-level
 * SHA256_* calls on a stack context: same speed (~75 ns for a 49-byte key
 * here), zero allocations. They are deprecated, not removed, in 3.x. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "core/rand.h"
#include "custos.h"

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Base62 digit values; -1 for every other byte. */
static const signed char B62_VAL[256] = {
#define X16 -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
    X16, X16, X16,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,                          /* '0'.. */
    -1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,                /* '@'.. */
    25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, -1, -1, -1, -1, -1,                /* 'P'.. */
    -1, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50,                /* '`'.. */
    51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1,                /* 'p'.. */
    X16, X16, X16, X16, X16, X16, X16, X16,
#undef X16
};

static int b62_val(unsigned char c) { return B62_VAL[c]; }

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, init and final xor ~0: the
 * zlib/PNG crc32), slicing by 8: eight bytes per step through eight
 * tables (8 KiB), ~4x faster than a byte at a time on the 40-odd bytes of
 * a key. The tables are built once, before first use. */
static uint32_t CRC_T[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    CRC_T[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; i++) {
    for (int t = 1; t < 8; t++) CRC_T[t][i] = CRC_T[0][CRC_T[t - 1][i] & 0xFF] ^ (CRC_T[t - 1][i] >> 8);
  }
}

static uint32_t crc32_ieee(const char *text, size_t n) {
  const unsigned char *p = (const unsigned char *)text;
  uint32_t c = 0xFFFFFFFFu;
  pthread_once(&crc_once, crc_init);
  while (n >= 8) {
    uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
    c = CRC_T[7][lo & 0xFF] ^ CRC_T[6][(lo >> 8) & 0xFF] ^ CRC_T[5][(lo >> 16) & 0xFF] ^
        CRC_T[4][lo >> 24] ^ CRC_T[3][hi & 0xFF] ^ CRC_T[2][(hi >> 8) & 0xFF] ^
        CRC_T[1][(hi >> 16) & 0xFF] ^ CRC_T[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = CRC_T[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* Writes `v` as APIKEY_CHECKSUM_LEN base62 digits, most significant first,
 * zero-padded. 62^6 > 2^32, so every CRC fits. */
static void checksum_encode(uint32_t v, char out[APIKEY_CHECKSUM_LEN]) {
  for (int i = APIKEY_CHECKSUM_LEN - 1; i >= 0; i--) {
    out[i] = B62[v % 62];
    v /= 62;
  }
}

/* Length of a valid prefix (including its '_') at the start of text, or 0.
 * A prefix is 1..APIKEY_PREFIX_MAX-1 chars of [a-z0-9] and then '_'. */
static size_t prefix_len(const char *text, size_t len) {
  for (size_t i = 0; i < len && i < APIKEY_PREFIX_MAX; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == '_') return i >= 1 ? i + 1 : 0;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return 0;
  }
  return 0;
}

int apikey_generate(const char *prefix, char out[APIKEY_TEXT_MAX]) {
  if (!prefix || !out) return CUSTOS_EINVAL;
  size_t plen = strnlen(prefix, APIKEY_PREFIX_MAX + 1);
  if (plen == 0 || plen > APIKEY_PREFIX_MAX || prefix_len(prefix, plen) != plen) return CUSTOS_EINVAL;

  char text[APIKEY_TEXT_MAX];
  memcpy(text, prefix, plen);
  if (rand_base62(text + plen, APIKEY_RANDOM_LEN)) {
    OPENSSL_cleanse(text, sizeof text);
    return CUSTOS_ECRYPTO;
  }
  size_t body = plen + APIKEY_RANDOM_LEN;
  checksum_encode(crc32_ieee(text, body), text + body);
  text[body + APIKEY_CHECKSUM_LEN] = '\0';
  memcpy(out, text, body + APIKEY_CHECKSUM_LEN + 1);
  OPENSSL_cleanse(text, sizeof text);
  return CUSTOS_OK;
}

bool apikey_well_formed(const char *text, size_t len) {
  if (!text || len > APIKEY_TEXT_MAX - 1) return false;
  size_t plen = prefix_len(text, len);
  if (plen == 0 || len != plen + APIKEY_RANDOM_LEN + APIKEY_CHECKSUM_LEN) return false;

  /* Every character is looked at whatever the outcome, so the work depends
   * on the length only. */
  int bad = 0;
  for (size_t i = plen; i < plen + APIKEY_RANDOM_LEN; i++) bad |= b62_val((unsigned char)text[i]);
  uint64_t sum = 0;
  for (size_t i = plen + APIKEY_RANDOM_LEN; i < len; i++) {
    int v = b62_val((unsigned char)text[i]);
    bad |= v;
    sum = sum * 62 + (uint64_t)(v < 0 ? 0 : v);
  }
  uint32_t crc = crc32_ieee(text, plen + APIKEY_RANDOM_LEN);
  return bad >= 0 && sum == (uint64_t)crc;
}

void apikey_hash(const char *text, size_t len, unsigned char out[STORE_KEY_HASH_LEN]) {
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, text, len);
  SHA256_Final(out, &c);
  OPENSSL_cleanse(&c, sizeof c);
}

void apikey_start(const char *text, size_t len, char out[STORE_KEY_START_MAX]) {
  size_t plen = prefix_len(text, len);
  size_t n = plen + APIKEY_START_RANDOM;
  if (plen == 0 || n > len) n = 0; /* not well-formed: the contract is broken, give "" */
  memcpy(out, text, n);
  out[n] = '\0';
}
