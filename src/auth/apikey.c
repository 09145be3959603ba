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
#include <stdint.h>
#include <string.h>

#include "core/rand.h"
#include "custos.h"

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Value of a base62 digit, or -1. */
static int b62_val(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, init and final xor ~0: the
 * zlib/PNG crc32), table-driven. The table is a compile-time constant so no
 * initialisation race exists. */
static const uint32_t CRC_TABLE[256] = {
#define C1(c) (((c) & 1) ? (0xEDB88320u ^ ((c) >> 1)) : ((c) >> 1))
#define C8(c) C1(C1(C1(C1(C1(C1(C1(C1((uint32_t)(c)))))))))
#define R4(n) C8(n), C8(n + 1), C8(n + 2), C8(n + 3)
#define R16(n) R4(n), R4(n + 4), R4(n + 8), R4(n + 12)
#define R64(n) R16(n), R16(n + 16), R16(n + 32), R16(n + 48)
    R64(0), R64(64), R64(128), R64(192)
#undef R64
#undef R16
#undef R4
#undef C8
#undef C1
};

static uint32_t crc32_ieee(const char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = CRC_TABLE[(c ^ (unsigned char)p[i]) & 0xFF] ^ (c >> 8);
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
