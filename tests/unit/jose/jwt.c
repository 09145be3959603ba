/* Tests for src/jose/jwt.c: the RFC 8725 negative suite. Each case asserts
 * the one error code its cause must produce, and that nothing is output. */
#include "jose/helpers.h"
#include "jose/vectors.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "jose/jwt.h"

#define NOW 1700000000
#define HS_KEY                                                                               \
  "{\"kty\":\"oct\",\"kid\":\"hs\",\"alg\":\"HS256\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMko" \
  "qQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}"
#define HDR "{\"alg\":\"HS256\",\"kid\":\"hs\"}"
#define CLAIMS(extra) "{\"iss\":\"custos\",\"aud\":\"api\"," extra "}"
#define GOOD CLAIMS("\"exp\":1700000300,\"iat\":1700000000")

typedef enum { SIGN, NO_SIG, SIGN_THEN_APPEND_SIG } how_t;

typedef struct neg {
  const char *what;
  const char *header;  /* signed as these exact bytes */
  const char *payload; /* likewise */
  how_t how;
  int want;
} neg_t;

static jose_policy_t policy(void) {
  jose_policy_t p;
  jose_policy_init(&p);
  p.now = NOW;
  p.iss = "custos";
  p.aud = "api";
  return p;
}

/* Verifies and checks the code, and that outputs stay untouched unless OK. */
static void check(const char *what, const char *token, size_t len, const jose_jwks_t *s,
                  const jose_policy_t *p, int want) {
  json_t *claims = (json_t *)0x1, *hdr = (json_t *)0x1;
  const jose_jwk_t *k = (const jose_jwk_t *)0x1;
  int rc = jose_jwt_verify(token, len, s, p, &claims, &hdr, &k);
  if (rc != want)
    fail_msg("%s: got %d (%s), want %d (%s)", what, rc, custos_strerror(rc), want,
             custos_strerror(want));
  if (rc == CUSTOS_OK) {
    json_decref(claims);
    json_decref(hdr);
  } else {
    assert_ptr_equal(claims, (json_t *)0x1);
    assert_ptr_equal(hdr, (json_t *)0x1);
    assert_ptr_equal(k, (const jose_jwk_t *)0x1);
  }
}

static void test_jwt_negative_table(void **state) {
  (void)state;
  static const neg_t cases[] = {
      {"baseline", HDR, GOOD, SIGN, CUSTOS_OK},
      {"alg none, no signature", "{\"alg\":\"none\"}", GOOD, NO_SIG, CUSTOS_EALG},
      {"alg none, with signature", "{\"alg\":\"none\",\"kid\":\"hs\"}", GOOD, SIGN_THEN_APPEND_SIG,
       CUSTOS_EALG},
      {"alg None", "{\"alg\":\"None\",\"kid\":\"hs\"}", GOOD, SIGN_THEN_APPEND_SIG, CUSTOS_EALG},
      {"alg unknown", "{\"alg\":\"HS1\",\"kid\":\"hs\"}", GOOD, SIGN_THEN_APPEND_SIG, CUSTOS_EALG},
      {"alg missing", "{\"kid\":\"hs\"}", GOOD, SIGN_THEN_APPEND_SIG, CUSTOS_EINVAL},
      {"alg not a string", "{\"alg\":256,\"kid\":\"hs\"}", GOOD, SIGN_THEN_APPEND_SIG,
       CUSTOS_EINVAL},
      {"HS256 with no signature", HDR, GOOD, NO_SIG, CUSTOS_EINVAL},
      {"unknown kid", "{\"alg\":\"HS256\",\"kid\":\"nope\"}", GOOD, SIGN, CUSTOS_EKEY},
      {"kid not a string", "{\"alg\":\"HS256\",\"kid\":1}", GOOD, SIGN, CUSTOS_EINVAL},
      {"wrong key type, no kid", "{\"alg\":\"ES256\"}", GOOD, SIGN_THEN_APPEND_SIG, CUSTOS_EKEY},
      {"wrong key type, kid", "{\"alg\":\"ES256\",\"kid\":\"hs\"}", GOOD, SIGN_THEN_APPEND_SIG,
       CUSTOS_EALG},
      {"alg differs from the JWK's", "{\"alg\":\"HS512\",\"kid\":\"hs\"}", GOOD,
       SIGN_THEN_APPEND_SIG, CUSTOS_EALG},
      {"duplicate header member", "{\"alg\":\"HS256\",\"kid\":\"hs\",\"kid\":\"hs\"}", GOOD, SIGN,
       CUSTOS_EDUP},
      {"duplicate alg in header", "{\"alg\":\"HS256\",\"alg\":\"none\",\"kid\":\"hs\"}", GOOD,
       SIGN, CUSTOS_EDUP},
      {"duplicate payload member", HDR, CLAIMS("\"exp\":1700000300,\"exp\":1") , SIGN,
       CUSTOS_EDUP},
      {"header too deep", "{\"alg\":\"HS256\",\"kid\":\"hs\",\"x\":"
                          "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}",
       GOOD, SIGN, CUSTOS_EDEPTH},
      {"header not an object", "[\"HS256\"]", GOOD, SIGN, CUSTOS_EINVAL},
      {"header not JSON", "{alg:HS256}", GOOD, SIGN, CUSTOS_EINVAL},
      {"payload not an object", HDR, "[1,2]", SIGN, CUSTOS_EINVAL},
      {"payload not JSON", HDR, "hello", SIGN, CUSTOS_EINVAL},
      {"empty payload", HDR, "", SIGN, CUSTOS_EINVAL},
      {"unknown crit", "{\"alg\":\"HS256\",\"kid\":\"hs\",\"crit\":[\"exp\"],\"exp\":1}", GOOD,
       SIGN, CUSTOS_ECRIT},
      {"crit b64", "{\"alg\":\"HS256\",\"kid\":\"hs\",\"b64\":false,\"crit\":[\"b64\"]}", GOOD,
       SIGN, CUSTOS_ECRIT},
      {"crit empty", "{\"alg\":\"HS256\",\"kid\":\"hs\",\"crit\":[]}", GOOD, SIGN, CUSTOS_EINVAL},
      {"crit not array", "{\"alg\":\"HS256\",\"kid\":\"hs\",\"crit\":\"exp\"}", GOOD, SIGN,
       CUSTOS_EINVAL},
      {"crit non-string", "{\"alg\":\"HS256\",\"kid\":\"hs\",\"crit\":[1]}", GOOD, SIGN,
       CUSTOS_EINVAL},
      {"expired beyond leeway", HDR, CLAIMS("\"exp\":1699999969"), SIGN, CUSTOS_EEXPIRED},
      {"expired within leeway", HDR, CLAIMS("\"exp\":1699999971"), SIGN, CUSTOS_OK},
      {"exp exactly now-leeway", HDR, CLAIMS("\"exp\":1699999970"), SIGN, CUSTOS_EEXPIRED},
      {"exp fractional", HDR, CLAIMS("\"exp\":1700000000.5"), SIGN, CUSTOS_OK},
      {"exp missing", HDR, CLAIMS("\"iat\":1700000000"), SIGN, CUSTOS_ECLAIM},
      {"exp a string", HDR, CLAIMS("\"exp\":\"1700000300\""), SIGN, CUSTOS_EINVAL},
      {"exp a bool", HDR, CLAIMS("\"exp\":true"), SIGN, CUSTOS_EINVAL},
      {"not yet valid", HDR, CLAIMS("\"exp\":1700000900,\"nbf\":1700000031"), SIGN,
       CUSTOS_ENOTYET},
      {"nbf within leeway", HDR, CLAIMS("\"exp\":1700000900,\"nbf\":1700000029"), SIGN,
       CUSTOS_OK},
      {"iat in the future", HDR, CLAIMS("\"exp\":1700000900,\"iat\":1700000060"), SIGN,
       CUSTOS_ENOTYET},
      {"nbf a string", HDR, CLAIMS("\"exp\":1700000900,\"nbf\":\"0\""), SIGN, CUSTOS_EINVAL},
      {"wrong iss", HDR, "{\"iss\":\"evil\",\"aud\":\"api\",\"exp\":1700000300}", SIGN,
       CUSTOS_ECLAIM},
      {"missing iss", HDR, "{\"aud\":\"api\",\"exp\":1700000300}", SIGN, CUSTOS_ECLAIM},
      {"iss not a string", HDR, "{\"iss\":[\"custos\"],\"aud\":\"api\",\"exp\":1700000300}", SIGN,
       CUSTOS_EINVAL},
      {"wrong aud", HDR, "{\"iss\":\"custos\",\"aud\":\"web\",\"exp\":1700000300}", SIGN,
       CUSTOS_ECLAIM},
      {"missing aud", HDR, "{\"iss\":\"custos\",\"exp\":1700000300}", SIGN, CUSTOS_ECLAIM},
      {"aud array with ours", HDR,
       "{\"iss\":\"custos\",\"aud\":[\"web\",\"api\"],\"exp\":1700000300}", SIGN, CUSTOS_OK},
      {"aud array without ours", HDR,
       "{\"iss\":\"custos\",\"aud\":[\"web\",\"apix\"],\"exp\":1700000300}", SIGN, CUSTOS_ECLAIM},
      {"aud array with a number", HDR,
       "{\"iss\":\"custos\",\"aud\":[\"api\",1],\"exp\":1700000300}", SIGN, CUSTOS_EINVAL},
      {"aud a number", HDR, "{\"iss\":\"custos\",\"aud\":1,\"exp\":1700000300}", SIGN,
       CUSTOS_EINVAL},
  };
  jose_jwk_t *k = key_from(HS_KEY);
  jose_jwks_t *s = set_of(jose_jwk_ref(k), NULL);
  jose_policy_t p = policy();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const neg_t *c = &cases[i];
    char *t;
    if (c->how == SIGN) {
      t = signed_token(k, JOSE_ALG_HS256, c->header, c->payload);
    } else {
      t = unsigned_token(c->header, c->payload);
      if (c->how == SIGN_THEN_APPEND_SIG) {
        /* A real HS256 MAC over this exact signing input. */
        char *full = signed_token(k, JOSE_ALG_HS256, c->header, c->payload);
        free(t);
        t = full;
      }
    }
    check(c->what, t, strlen(t), s, &p, c->want);
    free(t);
  }
  jose_jwks_free(s);
  jose_jwk_free(k);
}

/* Structural damage to an otherwise valid token. */
static void test_jwt_malformed_compact_forms(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(HS_KEY);
  jose_jwks_t *s = set_of(jose_jwk_ref(k), NULL);
  jose_policy_t p = policy();
  char *good = signed_token(k, JOSE_ALG_HS256, HDR, GOOD);
  size_t n = strlen(good);
  char *buf = malloc(n + 16);
  const char *d1 = strchr(good, '.'), *d2 = strrchr(good, '.');
  size_t hl = (size_t)(d1 - good);

  check("valid", good, n, s, &p, CUSTOS_OK);

  snprintf(buf, n + 16, "%s.", good);
  check("three dots (trailing)", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  snprintf(buf, n + 16, "%.*s.%s", (int)hl, good, d1);
  check("three dots (doubled)", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  snprintf(buf, n + 16, "%.*s", (int)(d2 - good), good);
  check("one dot", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  check("no dots", "abc", 3, s, &p, CUSTOS_EINVAL);
  check("empty token", "", 0, s, &p, CUSTOS_EINVAL);
  check("only dots", "..", 2, s, &p, CUSTOS_EINVAL);
  snprintf(buf, n + 16, "%s", d1);
  check("empty header", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  snprintf(buf, n + 16, "%.*s.%s", (int)hl, good, d2);
  /* An empty payload is well-formed JWS (RFC 7515 allows it), so cutting
   * it out of a signed token is a signature failure; a signed empty payload
   * is EINVAL as a JWT (see the table). */
  check("empty payload", buf, strlen(buf), s, &p, CUSTOS_EBADSIG);
  snprintf(buf, n + 16, "%.*s", (int)(d2 - good + 1), good);
  check("empty signature", buf, strlen(buf), s, &p, CUSTOS_EINVAL);

  /* Truncated base64url: header missing its last char. */
  snprintf(buf, n + 16, "%.*s%s", (int)(hl - 1), good, d1);
  check("truncated header", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  /* Truncated signature to a length no base64url string can have. */
  size_t sl = strlen(d2 + 1);
  size_t cut = sl % 4 == 1 ? 0 : (sl % 4 + 3) % 4; /* chars to drop to reach n%4==1 */
  snprintf(buf, n + 16, "%.*s", (int)(n - cut), good);
  if ((strlen(buf) - (size_t)(d2 + 1 - good)) % 4 == 1)
    check("truncated signature", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  /* Padded: '=' after the header, the payload, the signature. */
  snprintf(buf, n + 16, "%.*s=%s", (int)hl, good, d1);
  check("padded header", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  snprintf(buf, n + 16, "%.*s=%s", (int)(d2 - good), good, d2);
  check("padded payload", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  snprintf(buf, n + 16, "%s=", good);
  check("padded signature", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  /* Standard base64 alphabet and whitespace are not base64url. */
  snprintf(buf, n + 16, "%s", good);
  buf[hl + 3] = '+';
  check("'+' in payload", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  snprintf(buf, n + 16, " %s", good);
  check("leading space", buf, strlen(buf), s, &p, CUSTOS_EINVAL);
  /* An embedded NUL: length-delimited, so it is just a bad byte. */
  snprintf(buf, n + 16, "%s", good);
  buf[2] = '\0';
  check("embedded NUL", buf, n, s, &p, CUSTOS_EINVAL);

  free(buf);
  free(good);
  jose_jwks_free(s);
  jose_jwk_free(k);
}

static void test_jwt_rejects_2mib_token_before_decoding(void **state) {
  (void)state;
  jose_jwks_t *s = set_of(key_from(HS_KEY), NULL);
  jose_policy_t p = policy();
  size_t n = 2u << 20;
  char *t = malloc(n);
  memset(t, 'A', n);
  t[10] = t[20] = '.';
  check("2 MiB token", t, n, s, &p, CUSTOS_ETOOBIG);
  /* The default cap is 8192 bytes with no policy at all. */
  check("8193 bytes, NULL policy", t, JOSE_JWS_MAX_BYTES + 1, s, NULL, CUSTOS_ETOOBIG);
  free(t);
  jose_jwks_free(s);
}

static void test_jwt_rejects_10000_deep_payload(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(HS_KEY);
  jose_jwks_t *s = set_of(jose_jwk_ref(k), NULL);
  jose_policy_t p = policy();
  enum { DEEP = 10000 };
  const char *pre = "{\"iss\":\"custos\",\"aud\":\"api\",\"exp\":1700000300,\"x\":";
  size_t n = strlen(pre) + 2 * DEEP + 2;
  char *payload = malloc(n + 1), *at = payload;
  at += sprintf(at, "%s", pre);
  memset(at, '[', DEEP);
  at += DEEP;
  memset(at, ']', DEEP);
  at += DEEP;
  strcpy(at, "}");
  char *t = signed_token(k, JOSE_ALG_HS256, HDR, payload);
  /* Within the default size cap it is refused for size first ... */
  check("deep payload, default size cap", t, strlen(t), s, &p, CUSTOS_ETOOBIG);
  /* ... and with the cap raised, for depth, by the byte scan. */
  p.max_token_bytes = 1u << 20;
  check("deep payload", t, strlen(t), s, &p, CUSTOS_EDEPTH);
  free(t);
  /* Nesting at exactly the limit is fine: 16 = the object plus 15 arrays. */
  strcpy(payload, pre);
  at = payload + strlen(pre);
  memset(at, '[', 15);
  memset(at + 15, ']', 15);
  strcpy(at + 30, "}");
  t = signed_token(k, JOSE_ALG_HS256, HDR, payload);
  check("depth 16", t, strlen(t), s, &p, CUSTOS_OK);
  free(t);
  at[15] = '[';
  memcpy(at, "[[[[[[[[[[[[[[[[", 16);
  memset(at + 16, ']', 16);
  strcpy(at + 32, "}");
  t = signed_token(k, JOSE_ALG_HS256, HDR, payload);
  check("depth 17", t, strlen(t), s, &p, CUSTOS_EDEPTH);
  free(t);
  free(payload);
  jose_jwks_free(s);
  jose_jwk_free(k);
}

/* RFC 8725 §2.1 / §3.1: an HS256 token whose "secret" is the RSA public
 * key's PEM must not verify against that RSA key. */
static void test_jwt_rejects_hs256_signed_with_rsa_public_pem(void **state) {
  (void)state;
  jose_jwk_t *rsa = key_from("{\"kty\":\"RSA\",\"kid\":\"rsa\",\"alg\":\"RS256\",\"n\":\"" RFC7515_A2_N
                             "\",\"e\":\"AQAB\"}");
  BIO *bio = BIO_new(BIO_s_mem());
  assert_int_equal(PEM_write_bio_PUBKEY(bio, jose_jwk__pkey(rsa)), 1);
  char *pem = NULL;
  long pemlen = BIO_get_mem_data(bio, &pem);
  assert_true(pemlen > 256);
  char *k64 = b64s(pem, (size_t)pemlen);
  char jwk[2048];
  snprintf(jwk, sizeof jwk, "{\"kty\":\"oct\",\"k\":\"%s\"}", k64);
  jose_jwk_t *evil = key_from(jwk);
  jose_policy_t p = policy();

  /* Named by kid: the key is RSA, so HS256 is not an alg it allows. */
  jose_jwks_t *s = set_of(jose_jwk_ref(rsa), NULL);
  char *t = signed_token(evil, JOSE_ALG_HS256, "{\"alg\":\"HS256\",\"kid\":\"rsa\"}", GOOD);
  check("HS256 with RSA PEM, kid", t, strlen(t), s, &p, CUSTOS_EALG);
  free(t);
  /* Without kid: no key in the set can do HS256 at all. */
  t = signed_token(evil, JOSE_ALG_HS256, "{\"alg\":\"HS256\"}", GOOD);
  check("HS256 with RSA PEM, no kid", t, strlen(t), s, &p, CUSTOS_EKEY);
  free(t);
  jose_jwks_free(s);

  /* Even when the JWK has no "alg" and the policy lists HS256 too. */
  jose_jwk_t *rsa_noalg =
      key_from("{\"kty\":\"RSA\",\"kid\":\"rsa\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}");
  s = set_of(rsa_noalg, NULL);
  jose_alg_t both[] = {JOSE_ALG_RS256, JOSE_ALG_HS256};
  p.algs = both;
  p.nalgs = 2;
  t = signed_token(evil, JOSE_ALG_HS256, "{\"alg\":\"HS256\",\"kid\":\"rsa\"}", GOOD);
  check("HS256 with RSA PEM, permissive policy", t, strlen(t), s, &p, CUSTOS_EALG);
  free(t);
  jose_jwks_free(s);

  jose_jwk_free(evil);
  free(k64);
  BIO_free(bio);
  jose_jwk_free(rsa);
}

/* RFC 8725 §3.1: with neither the JWK's "alg" nor a policy list there is
 * no allowlist, and nothing verifies. */
static void test_jwt_key_without_alg_needs_policy_list(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(RFC7515_A1_JWK); /* no kid, no alg */
  jose_jwks_t *s = set_of(jose_jwk_ref(k), NULL);
  jose_policy_t p = policy();
  char *t = signed_token(k, JOSE_ALG_HS256, "{\"alg\":\"HS256\"}", GOOD);
  check("no allowlist anywhere", t, strlen(t), s, &p, CUSTOS_EALG);
  jose_alg_t only384 = JOSE_ALG_HS384;
  p.algs = &only384;
  p.nalgs = 1;
  check("alg not in the policy list", t, strlen(t), s, &p, CUSTOS_EALG);
  jose_alg_t hs256 = JOSE_ALG_HS256;
  p.algs = &hs256;
  check("alg in the policy list", t, strlen(t), s, &p, CUSTOS_OK);
  free(t);
  jose_jwks_free(s);
  jose_jwk_free(k);
}

static void test_jwt_policy_list_narrows_key_alg(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(HS_KEY);
  jose_jwks_t *s = set_of(jose_jwk_ref(k), NULL);
  jose_policy_t p = policy();
  jose_alg_t rs = JOSE_ALG_RS256;
  p.algs = &rs;
  p.nalgs = 1;
  char *t = signed_token(k, JOSE_ALG_HS256, HDR, GOOD);
  check("key says HS256, policy only RS256", t, strlen(t), s, &p, CUSTOS_EALG);
  free(t);
  jose_jwks_free(s);
  jose_jwk_free(k);
}

static void test_jwt_typ_policy(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(HS_KEY);
  jose_jwks_t *s = set_of(jose_jwk_ref(k), NULL);
  jose_policy_t p = policy();
  p.typ = "JWT";
  static const struct {
    const char *hdr;
    int want;
  } cases[] = {
      {"{\"alg\":\"HS256\",\"kid\":\"hs\",\"typ\":\"JWT\"}", CUSTOS_OK},
      {"{\"alg\":\"HS256\",\"kid\":\"hs\",\"typ\":\"jwt\"}", CUSTOS_OK},
      {"{\"alg\":\"HS256\",\"kid\":\"hs\",\"typ\":\"application/jwt\"}", CUSTOS_OK},
      {"{\"alg\":\"HS256\",\"kid\":\"hs\",\"typ\":\"at+jwt\"}", CUSTOS_ECLAIM},
      {"{\"alg\":\"HS256\",\"kid\":\"hs\"}", CUSTOS_ECLAIM},
      {"{\"alg\":\"HS256\",\"kid\":\"hs\",\"typ\":7}", CUSTOS_EINVAL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *t = signed_token(k, JOSE_ALG_HS256, cases[i].hdr, GOOD);
    check(cases[i].hdr, t, strlen(t), s, &p, cases[i].want);
    free(t);
  }
  jose_jwks_free(s);
  jose_jwk_free(k);
}

static void test_jwt_require_exp_can_be_relaxed(void **state) {
  (void)state;
  jose_jwk_t *k = key_from(HS_KEY);
  jose_jwks_t *s = set_of(jose_jwk_ref(k), NULL);
  jose_policy_t p = policy();
  char *t = signed_token(k, JOSE_ALG_HS256, HDR, CLAIMS("\"sub\":\"x\""));
  check("no exp, required", t, strlen(t), s, &p, CUSTOS_ECLAIM);
  p.require_exp = false;
  check("no exp, not required", t, strlen(t), s, &p, CUSTOS_OK);
  free(t);
  jose_jwks_free(s);
  jose_jwk_free(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jwt_negative_table),
      cmocka_unit_test(test_jwt_malformed_compact_forms),
      cmocka_unit_test(test_jwt_rejects_2mib_token_before_decoding),
      cmocka_unit_test(test_jwt_rejects_10000_deep_payload),
      cmocka_unit_test(test_jwt_rejects_hs256_signed_with_rsa_public_pem),
      cmocka_unit_test(test_jwt_key_without_alg_needs_policy_list),
      cmocka_unit_test(test_jwt_policy_list_narrows_key_alg),
      cmocka_unit_test(test_jwt_typ_policy),
      cmocka_unit_test(test_jwt_require_exp_can_be_relaxed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
