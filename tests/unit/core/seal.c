#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/b64url.h"
#include "core/seal.h"
#include "custos.h"

static const unsigned char KEY[MASTERKEY_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const char CTX[] = "signing_key:kid-1";
static const unsigned char PT[] = "-----BEGIN PRIVATE KEY-----\nsecret\n";
#define PTLEN (sizeof PT - 1)

static void sealed_pt(buf_t *out) {
  buf_init(out, 0);
  assert_int_equal(seal(KEY, CTX, PT, PTLEN, out), CUSTOS_OK);
  assert_int_equal(out->len, PTLEN + SEAL_OVERHEAD);
  assert_int_equal((unsigned char)out->data[0], SEAL_VERSION);
}

/* unseal must fail with ECRYPTO and leave `out` exactly as it was. */
static void expect_unseal_fails(const unsigned char *key, const char *ctx, const void *in,
                                size_t inlen) {
  buf_t out;
  buf_init(&out, 0);
  assert_int_equal(buf_puts(&out, "keep"), CUSTOS_OK);
  assert_int_equal(unseal(key, ctx, in, inlen, &out), CUSTOS_ECRYPTO);
  assert_string_equal(buf_str(&out), "keep");
  buf_cleanup(&out);
}

static void test_seal_round_trip(void **state) {
  (void)state;
  buf_t s, p;
  sealed_pt(&s);
  buf_init(&p, 0);
  assert_int_equal(unseal(KEY, CTX, (unsigned char *)s.data, s.len, &p), CUSTOS_OK);
  assert_int_equal(p.len, PTLEN);
  assert_memory_equal(p.data, PT, PTLEN);
  buf_cleanup_secure(&p);

  /* Fresh nonce each time: the same plaintext never seals the same. */
  buf_t s2;
  sealed_pt(&s2);
  assert_memory_not_equal(s.data + 1, s2.data + 1, SEAL_NONCE_LEN);
  buf_cleanup(&s2);
  buf_cleanup(&s);
}

static void test_seal_empty_plaintext(void **state) {
  (void)state;
  buf_t s, p;
  buf_init(&s, 0);
  buf_init(&p, 0);
  assert_int_equal(seal(KEY, CTX, NULL, 0, &s), CUSTOS_OK);
  assert_int_equal(s.len, SEAL_OVERHEAD);
  assert_int_equal(unseal(KEY, CTX, (unsigned char *)s.data, s.len, &p), CUSTOS_OK);
  assert_int_equal(p.len, 0);
  /* Empty plaintext is still authenticated. */
  s.data[s.len - 1] ^= 1;
  expect_unseal_fails(KEY, CTX, s.data, s.len);
  buf_cleanup(&s);
  buf_cleanup(&p);
}

static void test_seal_tamper_any_byte_is_ecrypto(void **state) {
  (void)state;
  buf_t s;
  sealed_pt(&s);
  /* Every byte: version, each nonce byte, ciphertext, tag. */
  for (size_t i = 0; i < s.len; i++) {
    s.data[i] ^= 0x01;
    expect_unseal_fails(KEY, CTX, s.data, s.len);
    s.data[i] ^= 0x01;
  }
  /* Unknown version even with an otherwise intact body. */
  s.data[0] = 0x02;
  expect_unseal_fails(KEY, CTX, s.data, s.len);
  buf_cleanup(&s);
}

static void test_seal_wrong_key_or_context_is_ecrypto(void **state) {
  (void)state;
  buf_t s;
  sealed_pt(&s);
  unsigned char other[MASTERKEY_LEN];
  memcpy(other, KEY, sizeof other);
  other[31] ^= 0x80;
  expect_unseal_fails(other, CTX, s.data, s.len);
  expect_unseal_fails(KEY, "signing_key:kid-2", s.data, s.len);
  expect_unseal_fails(KEY, "", s.data, s.len);
  expect_unseal_fails(KEY, "signing_key:kid-1 ", s.data, s.len);
  buf_cleanup(&s);
}

static void test_seal_truncated_or_extended_is_ecrypto(void **state) {
  (void)state;
  buf_t s;
  sealed_pt(&s);
  for (size_t n = 0; n < s.len; n++) expect_unseal_fails(KEY, CTX, s.data, n);
  expect_unseal_fails(KEY, CTX, NULL, 0);
  unsigned char longer[PTLEN + SEAL_OVERHEAD + 1];
  memcpy(longer, s.data, s.len);
  longer[s.len] = 0;
  expect_unseal_fails(KEY, CTX, longer, sizeof longer);
  buf_cleanup(&s);
}

static void test_seal_limits_and_arguments(void **state) {
  (void)state;
  buf_t out;
  buf_init(&out, 0);
  assert_int_equal(seal(KEY, NULL, PT, PTLEN, &out), CUSTOS_EINVAL);
  assert_int_equal(seal(KEY, CTX, PT, SEAL_MAX_PLAINTEXT + 1, &out), CUSTOS_ETOOBIG);
  assert_int_equal(out.len, 0);
  buf_cleanup(&out);

  /* out's cap is honoured and out left unchanged. */
  buf_init(&out, SEAL_OVERHEAD + PTLEN - 1);
  assert_int_equal(seal(KEY, CTX, PT, PTLEN, &out), CUSTOS_ETOOBIG);
  assert_int_equal(out.len, 0);
  buf_cleanup(&out);
}

static void test_seal_text_round_trip_and_damage(void **state) {
  (void)state;
  buf_t t, p;
  buf_init(&t, 0);
  buf_init(&p, 0);
  assert_int_equal(seal_text(KEY, CTX, PT, PTLEN, &t), CUSTOS_OK);
  assert_int_equal(t.len, b64url_encoded_len(PTLEN + SEAL_OVERHEAD));
  assert_int_equal(strspn(t.data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                   t.len);
  assert_int_equal(unseal_text(KEY, CTX, t.data, t.len, &p), CUSTOS_OK);
  assert_memory_equal(p.data, PT, PTLEN);
  buf_cleanup_secure(&p);

  buf_init(&p, 0);
  assert_int_equal(unseal_text(KEY, "app_secret:x", t.data, t.len, &p), CUSTOS_ECRYPTO);
  assert_int_equal(unseal_text(KEY, CTX, t.data, t.len - 1, &p), CUSTOS_ECRYPTO);
  assert_int_equal(unseal_text(KEY, CTX, "", 0, &p), CUSTOS_ECRYPTO);
  char saved = t.data[5];
  t.data[5] = '=';
  assert_int_equal(unseal_text(KEY, CTX, t.data, t.len, &p), CUSTOS_ECRYPTO);
  t.data[5] = saved == 'A' ? 'B' : 'A';
  assert_int_equal(unseal_text(KEY, CTX, t.data, t.len, &p), CUSTOS_ECRYPTO);
  assert_int_equal(p.len, 0);
  buf_cleanup(&p);
  buf_cleanup(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seal_round_trip),
      cmocka_unit_test(test_seal_empty_plaintext),
      cmocka_unit_test(test_seal_tamper_any_byte_is_ecrypto),
      cmocka_unit_test(test_seal_wrong_key_or_context_is_ecrypto),
      cmocka_unit_test(test_seal_truncated_or_extended_is_ecrypto),
      cmocka_unit_test(test_seal_limits_and_arguments),
      cmocka_unit_test(test_seal_text_round_trip_and_damage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
