/*
 * apikey: the key text format — generation, well-formedness with its CRC32
 * checksum (vectors computed independently with Python's zlib.crc32),
 * hashing and the visible start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth/apikey.h"
#include "custos.h"

/* prefix + 40 random chars → + 6 checksum chars (big-endian base62 CRC32). */
static const struct {
  const char *key;
  unsigned long crc; /* for the record */
} VECTORS[] = {
    {"ap_0123456789ABCDEFGHIJabcdefghij01234567894aHsFl", 0xfa6232e1},
    {"ol_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz0SRlZp", 0x190e1c51},
    {"ck2024x_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA4AV6Bh", 0xe3ac1915},
    {"a_00000000000000000000000000000000000000001oNTXb", 0x62f9e6df},
};

static bool wf(const char *s) { return apikey_well_formed(s, strlen(s)); }

static void test_apikey_checksum_vectors(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
    assert_true(wf(VECTORS[i].key));
  }
}

static void test_apikey_generate_is_well_formed(void **state) {
  (void)state;
  const char *prefixes[] = {"ap_", "ol_", "x_", "abcdefg_", "0_"};
  for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
    for (int i = 0; i < 200; i++) {
      char k[APIKEY_TEXT_MAX];
      assert_int_equal(apikey_generate(prefixes[p], k), CUSTOS_OK);
      assert_int_equal(strlen(k), strlen(prefixes[p]) + APIKEY_RANDOM_LEN + APIKEY_CHECKSUM_LEN);
      assert_memory_equal(k, prefixes[p], strlen(prefixes[p]));
      assert_true(wf(k));
    }
  }
}

static void test_apikey_generate_rejects_bad_prefix(void **state) {
  (void)state;
  const char *bad[] = {"", "_", "ap", "AP_", "a-b_", "abcdefgh_", "ap__", "a p_", "ap_x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char k[APIKEY_TEXT_MAX] = "unchanged";
    assert_int_equal(apikey_generate(bad[i], k), CUSTOS_EINVAL);
    assert_string_equal(k, "unchanged");
  }
  char k[APIKEY_TEXT_MAX];
  assert_int_equal(apikey_generate(NULL, k), CUSTOS_EINVAL);
}

static void test_apikey_two_keys_differ(void **state) {
  (void)state;
  char a[APIKEY_TEXT_MAX], b[APIKEY_TEXT_MAX];
  assert_int_equal(apikey_generate("ap_", a), CUSTOS_OK);
  assert_int_equal(apikey_generate("ap_", b), CUSTOS_OK);
  assert_string_not_equal(a, b);
}

/* Every single-byte change anywhere — to any of the 255 other byte
 * values — makes the key not well-formed. */
static void test_apikey_every_single_change_is_caught(void **state) {
  (void)state;
  for (int round = 0; round < 3; round++) {
    char k[APIKEY_TEXT_MAX];
    if (round == 0) snprintf(k, sizeof k, "%s", VECTORS[0].key);
    else assert_int_equal(apikey_generate(round == 1 ? "ap_" : "ck2024x_", k), CUSTOS_OK);
    size_t n = strlen(k);
    assert_true(apikey_well_formed(k, n));
    for (size_t i = 0; i < n; i++) {
      char orig = k[i];
      for (int v = 0; v < 256; v++) {
        if ((char)v == orig) continue;
        k[i] = (char)v;
        if (apikey_well_formed(k, n)) fail_msg("change at %zu to 0x%02x accepted", i, v);
      }
      k[i] = orig;
    }
  }
}

static void test_apikey_shape_rejections(void **state) {
  (void)state;
  const char *good = VECTORS[0].key;
  size_t n = strlen(good);
  char k[128];
  /* Wrong lengths: every truncation, and one char more. */
  for (size_t l = 0; l < n; l++) assert_false(apikey_well_formed(good, l));
  snprintf(k, sizeof k, "%sA", good);
  assert_false(wf(k));
  /* Bad prefixes with an otherwise valid body (checksums recomputed would
   * still fail the shape; these do not even get that far). */
  const char *bad[] = {
      "_p_0123456789ABCDEFGHIJabcdefghij01234567894aHsFl",   /* empty prefix */
      "AP_0123456789ABCDEFGHIJabcdefghij01234567894aHsFl",   /* upper case */
      "apapapap_0123456789ABCDEFGHIJabcdefghij01234567894aHsFl", /* 8 chars */
      "ap-0123456789ABCDEFGHIJabcdefghij01234567894aHsFl",   /* no '_' */
      "ap_0123456789ABCDEFGHIJabcdefghij0123456789zzzzzz",   /* checksum > 2^32 */
      "ap_0123456789ABCDEFGHIJabcdefghij0123456789-aHsFl",   /* non-base62 checksum */
      "ap_0123456789ABCDEF+HIJabcdefghij01234567894aHsFl",   /* non-base62 body */
      "ap_0123456789ABCDEFGHIJabcdefghij0123456789 4aHsF",   /* space */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (wf(bad[i])) fail_msg("accepted %s", bad[i]);
  }
  /* A NUL inside counts as a character, not the end. */
  memcpy(k, good, n);
  k[10] = '\0';
  assert_false(apikey_well_formed(k, n));
  assert_false(apikey_well_formed(NULL, 0));
  assert_false(apikey_well_formed("", 0));
  /* Overlong input is refused by length without reading it all. */
  char big[4096];
  memset(big, 'a', sizeof big);
  assert_false(apikey_well_formed(big, sizeof big));
}

static void test_apikey_hash_is_sha256(void **state) {
  (void)state;
  static const unsigned char want[32] = {
      0x0c, 0x16, 0xae, 0x06, 0xe0, 0xff, 0x05, 0x3b, 0xe0, 0xe3, 0x70, 0x3b, 0xe3, 0x85, 0x89, 0x77,
      0x17, 0xfe, 0x87, 0x5f, 0xef, 0x6d, 0x9c, 0xc1, 0x85, 0x8f, 0x98, 0xfb, 0xe3, 0xdb, 0xc8, 0x74};
  unsigned char h[STORE_KEY_HASH_LEN];
  apikey_hash(VECTORS[0].key, strlen(VECTORS[0].key), h);
  assert_memory_equal(h, want, sizeof want);
}

static void test_apikey_start(void **state) {
  (void)state;
  char s[STORE_KEY_START_MAX];
  apikey_start(VECTORS[0].key, strlen(VECTORS[0].key), s);
  assert_string_equal(s, "ap_0123");
  apikey_start(VECTORS[2].key, strlen(VECTORS[2].key), s);
  assert_string_equal(s, "ck2024x_AAAA");
  apikey_start("garbage", 7, s);
  assert_string_equal(s, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_apikey_checksum_vectors),
      cmocka_unit_test(test_apikey_generate_is_well_formed),
      cmocka_unit_test(test_apikey_generate_rejects_bad_prefix),
      cmocka_unit_test(test_apikey_two_keys_differ),
      cmocka_unit_test(test_apikey_every_single_change_is_caught),
      cmocka_unit_test(test_apikey_shape_rejections),
      cmocka_unit_test(test_apikey_hash_is_sha256),
      cmocka_unit_test(test_apikey_start),
  };
  return cmocka_run_group_tests_name("apikey", tests, NULL, NULL);
}
