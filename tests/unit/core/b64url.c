#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/b64url.h"
#include "custos.h"

typedef struct vec {
  const char *raw;
  size_t rawlen;
  const char *enc;
} vec_t;

/* RFC 4648 §10, plus bytes that land on the two url-alphabet characters. */
static const vec_t VECTORS[] = {
    {"", 0, ""},
    {"f", 1, "Zg"},
    {"fo", 2, "Zm8"},
    {"foo", 3, "Zm9v"},
    {"foob", 4, "Zm9vYg"},
    {"fooba", 5, "Zm9vYmE"},
    {"foobar", 6, "Zm9vYmFy"},
    {"\xfb\xff", 2, "-_8"},
    {"\xfb\xef\xbe", 3, "----"},
    {"\xff\xff\xff", 3, "____"},
    {"\x00\x00\x00\x00", 4, "AAAAAA"},
};

static void test_b64url_rfc4648_vectors(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
    const vec_t *v = &VECTORS[i];
    char enc[32];
    unsigned char dec[32];
    size_t n = strlen(v->enc), declen = 999;
    assert_int_equal(b64url_encoded_len(v->rawlen), n);
    assert_int_equal(b64url_encode((const unsigned char *)v->raw, v->rawlen, enc), n);
    assert_memory_equal(enc, v->enc, n);
    assert_int_equal(b64url_decoded_max(n), v->rawlen);
    assert_int_equal(b64url_decode(v->enc, n, dec, &declen), CUSTOS_OK);
    assert_int_equal(declen, v->rawlen);
    if (declen) assert_memory_equal(dec, v->raw, declen);
  }
}

static void test_b64url_rejects_noncanonical(void **state) {
  (void)state;
  static const struct {
    const char *what, *in;
    size_t len; /* 0 = strlen */
  } BAD[] = {
      {"padding ==", "Zg==", 0},
      {"padding =", "Zm8=", 0},
      {"lone padding", "Zg=", 0},
      {"length 1", "Z", 0},
      {"length 5", "Zm9vY", 0},
      {"standard alphabet +", "Zm9v+A", 0},
      {"standard alphabet /", "Zm9v/A", 0},
      {"space", "Zm 9v", 0},
      {"newline", "Zm9v\nZm8", 0},
      {"NUL inside", "Zm\0v", 4},
      {"non-ASCII", "Zm9\xc3", 4},
      {"dot", "Zm9v.Zm8", 0},
      {"trailing bits after 1 byte", "Zh", 0},
      {"trailing bits after 2 bytes", "Zm9", 0},
      {"trailing bits in last of 3", "-_-", 0},
  };
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    unsigned char out[16];
    size_t outlen = 12345;
    size_t len = BAD[i].len ? BAD[i].len : strlen(BAD[i].in);
    print_message("case: %s\n", BAD[i].what);
    assert_int_equal(b64url_decode(BAD[i].in, len, out, &outlen), CUSTOS_EINVAL);
    assert_int_equal(outlen, 12345);
  }
}

static void test_b64url_round_trip_all_lengths(void **state) {
  (void)state;
  unsigned char raw[200], dec[200];
  char enc[300];
  for (size_t i = 0; i < sizeof raw; i++) raw[i] = (unsigned char)(i * 37 + 11);
  for (size_t n = 0; n <= sizeof raw; n++) {
    size_t elen = b64url_encode(raw, n, enc), dlen = 0;
    assert_int_equal(elen, b64url_encoded_len(n));
    assert_true(b64url_decoded_max(elen) == n);
    assert_int_equal(b64url_decode(enc, elen, dec, &dlen), CUSTOS_OK);
    assert_int_equal(dlen, n);
    if (n) assert_memory_equal(dec, raw, n);
  }
}

static void test_b64url_encode_buf_appends(void **state) {
  (void)state;
  buf_t b;
  buf_init(&b, 0);
  assert_int_equal(buf_puts(&b, "x."), CUSTOS_OK);
  assert_int_equal(b64url_encode_buf(&b, (const unsigned char *)"foobar", 6), CUSTOS_OK);
  assert_int_equal(b64url_encode_buf(&b, (const unsigned char *)"", 0), CUSTOS_OK);
  assert_string_equal(buf_str(&b), "x.Zm9vYmFy");
  buf_cleanup(&b);

  /* Over the cap: nothing appended. */
  buf_init(&b, 5);
  assert_int_equal(buf_puts(&b, "ab"), CUSTOS_OK);
  assert_int_equal(b64url_encode_buf(&b, (const unsigned char *)"foo", 3), CUSTOS_ETOOBIG);
  assert_string_equal(buf_str(&b), "ab");
  buf_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_b64url_rfc4648_vectors),
      cmocka_unit_test(test_b64url_rejects_noncanonical),
      cmocka_unit_test(test_b64url_round_trip_all_lengths),
      cmocka_unit_test(test_b64url_encode_buf_appends),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
