/* libcustos: the constructors, custos_verify's causes and codes (on the
 * first, full path and on the remembered-header path), claims accessors. */
#include "lib/helpers.h"

static jose_jwk_t *g_rsa, *g_ec, *g_ed, *g_p384, *g_ps;

static int setup(void **state) {
  (void)state;
  g_rsa = lib_key(RFC7515_A2_JWK, "rsa-1", "RS256");
  g_ps = lib_key(RFC7515_A2_JWK, "ps-1", "PS256");
  g_ec = lib_key(RFC7515_A3_JWK, "ec-1", "ES256");
  g_ed = lib_key(RFC8037_JWK, "ed-1", "EdDSA");
  g_p384 = lib_key(TEST_P384_JWK, "p384-1", "ES384");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  jose_jwk_free(g_rsa);
  jose_jwk_free(g_ps);
  jose_jwk_free(g_ec);
  jose_jwk_free(g_ed);
  jose_jwk_free(g_p384);
  return 0;
}

static custos_verifier_t *jwks_verifier(const custos_verify_opts_t *o) {
  char *jwks = lib_jwks(g_rsa, g_ps, g_ec, g_ed, g_p384, NULL);
  custos_verifier_t *v = NULL;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), o, &v), CUSTOS_OK);
  free(jwks);
  return v;
}

static int verify_str(const custos_verifier_t *v, const char *t) {
  custos_claims_t *c = (custos_claims_t *)0x1; /* must stay untouched on failure */
  int rc = custos_verify(v, t, strlen(t), &c);
  if (rc == CUSTOS_OK)
    custos_claims_free(c);
  else
    assert_ptr_equal(c, (custos_claims_t *)0x1);
  return rc;
}

/* ---- constructors ---- */

static void test_opts_init_defaults(void **state) {
  (void)state;
  custos_verify_opts_t o;
  memset(&o, 0x5a, sizeof o);
  custos_verify_opts_init(&o);
  assert_int_equal(o.algs, 0);
  assert_int_equal(o.leeway, CUSTOS_DEFAULT_LEEWAY);
  assert_int_equal(o.require_exp, 1);
  assert_null(o.iss);
  assert_int_equal(o.cache_entries, 0);
  assert_int_equal(o.jwks_refetch_interval, CUSTOS_DEFAULT_JWKS_REFETCH);
  assert_int_equal(o.jwks_max_bytes, CUSTOS_MAX_JWKS_BYTES);
  custos_verify_opts_init(NULL); /* harmless */
}

static void test_new_jwks_rejects_bad_arguments_and_options(void **state) {
  (void)state;
  const char *jwks = "{\"keys\":[]}";
  custos_verifier_t *v = (custos_verifier_t *)0x1;
  assert_int_equal(custos_verifier_new_jwks(NULL, 0, NULL, &v), CUSTOS_EINVAL);
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), NULL, NULL), CUSTOS_EINVAL);
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.algs = 1u << 20;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_EINVAL);
  custos_verify_opts_init(&o);
  o.leeway = -1;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_EINVAL);
  custos_verify_opts_init(&o);
  o.leeway = 86401;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_EINVAL);
  custos_verify_opts_init(&o);
  o.max_token_bytes = CUSTOS_MAX_TOKEN_LEN_LIMIT + 1;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_EINVAL);
  custos_verify_opts_init(&o);
  o.cache_entries = 10;
  o.cache_ttl = 0;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_EINVAL);
  custos_verify_opts_init(&o);
  o.cache_entries = CUSTOS_MAX_CACHE_ENTRIES + 1;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_EINVAL);
  custos_verify_opts_init(&o);
  o.jwks_max_bytes = CUSTOS_MAX_JWKS_BYTES + 1;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_EINVAL);
  assert_ptr_equal(v, (custos_verifier_t *)0x1); /* untouched throughout */
}

static void test_new_jwks_document_errors(void **state) {
  (void)state;
  static char big[CUSTOS_MAX_JWKS_BYTES + 2];
  memset(big, ' ', sizeof big - 1);
  char *dupkid = NULL;
  {
    jose_jwk_t *a = lib_key(RFC7515_A3_JWK, "same", "ES256");
    jose_jwk_t *b = lib_key(RFC8037_JWK, "same", "EdDSA");
    dupkid = lib_jwks(a, b, NULL);
    jose_jwk_free(a);
    jose_jwk_free(b);
  }
  struct { const char *jwks; int rc; } cases[] = {
      {"", CUSTOS_EINVAL},
      {"{\"keys\":", CUSTOS_EINVAL},
      {"[]", CUSTOS_EINVAL},
      {"{\"keys\":{}}", CUSTOS_EINVAL},
      {"{\"keys\":[],\"keys\":[]}", CUSTOS_EDUP},
      {"{\"keys\":[[[[[[[[[[]]]]]]]]]]}", CUSTOS_EDEPTH},
      {"{\"keys\":[]}", CUSTOS_EKEY},                                     /* nothing usable */
      {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"}]}", CUSTOS_EKEY},
      {"{\"keys\":[" TEST_RSA1024_JWK "]}", CUSTOS_EKEY},                /* weak RSA */
      {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"RS256\","
       "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}", CUSTOS_EALG},
      {dupkid, CUSTOS_EEXISTS},
      {big, CUSTOS_ETOOBIG},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    custos_verifier_t *v = NULL;
    int rc = custos_verifier_new_jwks(cases[i].jwks, strlen(cases[i].jwks), NULL, &v);
    if (rc != cases[i].rc) fail_msg("case %zu: got %s, want %s", i, custos_err_name(rc),
                                    custos_err_name(cases[i].rc));
    assert_null(v);
  }
  free(dupkid);
}

static void test_new_hmac_errors(void **state) {
  (void)state;
  unsigned char s[64];
  size_t n = lib_a1_secret(s);
  static unsigned char huge[CUSTOS_MAX_SECRET_LEN + 1];
  custos_verifier_t *v = NULL;
  custos_verify_opts_t o;
  assert_int_equal(custos_verifier_new_hmac(NULL, n, CUSTOS_ALG_HS256, NULL, &v), CUSTOS_EINVAL);
  assert_int_equal(custos_verifier_new_hmac(s, n, CUSTOS_ALG_HS256, NULL, NULL), CUSTOS_EINVAL);
  assert_int_equal(custos_verifier_new_hmac(s, n, CUSTOS_ALG_RS256, NULL, &v), CUSTOS_EINVAL);
  assert_int_equal(custos_verifier_new_hmac(s, n, CUSTOS_ALG_HS256 | CUSTOS_ALG_HS384, NULL, &v),
                   CUSTOS_EINVAL);
  assert_int_equal(custos_verifier_new_hmac(s, n, (custos_alg_t)0, NULL, &v), CUSTOS_EINVAL);
  assert_int_equal(custos_verifier_new_hmac(s, 31, CUSTOS_ALG_HS256, NULL, &v), CUSTOS_EKEY);
  assert_int_equal(custos_verifier_new_hmac(s, 63, CUSTOS_ALG_HS512, NULL, &v), CUSTOS_EKEY);
  assert_int_equal(custos_verifier_new_hmac(huge, sizeof huge, CUSTOS_ALG_HS256, NULL, &v),
                   CUSTOS_EKEY);
  custos_verify_opts_init(&o);
  o.algs = CUSTOS_ALG_RS256;
  assert_int_equal(custos_verifier_new_hmac(s, n, CUSTOS_ALG_HS256, &o, &v), CUSTOS_EINVAL);
  assert_null(v);
  o.algs = CUSTOS_ALG_RS256 | CUSTOS_ALG_HS256; /* includes it: fine, HS256 only in effect */
  assert_int_equal(custos_verifier_new_hmac(s, n, CUSTOS_ALG_HS256, &o, &v), CUSTOS_OK);
  custos_verifier_free(v);
  custos_verifier_free(NULL);
}

static void test_new_jwks_url_rejects_bad_urls(void **state) {
  (void)state;
  custos_verifier_t *v = NULL;
  const char *bad[] = {"", "not a url", "ftp://127.0.0.1/jwks", "file:///etc/passwd",
                       "http://example.com/jwks", "http://10.0.0.1/jwks", "gopher://x/"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(custos_verifier_new_jwks_url(bad[i], NULL, &v), CUSTOS_EINVAL);
  assert_int_equal(custos_verifier_new_jwks_url(NULL, NULL, &v), CUSTOS_EINVAL);
  /* Loopback http is allowed, so this one gets as far as connecting: port 1
   * on loopback refuses. */
  assert_int_equal(custos_verifier_new_jwks_url("http://127.0.0.1:1/jwks", NULL, &v), CUSTOS_EIO);
  assert_int_equal(custos_verifier_new_jwks_url("http://[::1]:1/jwks", NULL, &v), CUSTOS_EIO);
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.jwks_allow_http = 1;
  o.jwks_connect_timeout_ms = 300;
  o.jwks_timeout_ms = 500;
  /* allow_http admits a non-loopback host; .invalid never resolves. */
  assert_int_equal(custos_verifier_new_jwks_url("http://jwks.invalid/jwks", &o, &v), CUSTOS_EIO);
  assert_null(v);
}

/* ---- verification, every algorithm ---- */

static void test_verify_every_alg_twice(void **state) {
  (void)state;
  custos_verifier_t *v = jwks_verifier(NULL);
  jose_jwk_t *keys[] = {g_rsa, g_ps, g_ec, g_ed, g_p384};
  for (size_t i = 0; i < 5; i++) {
    char *t = lib_token(keys[i], lib_claims(600));
    /* The second verification of each takes the remembered-header path. */
    for (int round = 0; round < 2; round++) {
      custos_claims_t *c = NULL;
      assert_int_equal(custos_verify(v, t, strlen(t), &c), CUSTOS_OK);
      const char *sub = NULL;
      assert_int_equal(custos_claims_get_string(c, "sub", &sub), CUSTOS_OK);
      assert_string_equal(sub, "u1");
      custos_claims_free(c);
    }
    assert_int_equal(custos_verify(v, t, strlen(t), NULL), CUSTOS_OK);
    char *f = lib_forge(t);
    assert_int_equal(verify_str(v, f), CUSTOS_EBADSIG);
    free(f);
    free(t);
  }
  custos_verifier_free(v);
}

static void test_verify_hmac(void **state) {
  (void)state;
  unsigned char s[64];
  size_t n = lib_a1_secret(s);
  custos_verifier_t *v = NULL;
  assert_int_equal(custos_verifier_new_hmac(s, n, CUSTOS_ALG_HS256, NULL, &v), CUSTOS_OK);
  jose_jwk_t *with_kid = lib_key(RFC7515_A1_JWK, "any-kid", "HS256");
  jose_jwk_t *no_kid = lib_key(RFC7515_A1_JWK, NULL, "HS256");
  jose_jwk_t *hs384 = lib_key(RFC7515_A1_JWK, NULL, "HS384");
  char *t1 = lib_token(with_kid, lib_claims(600)), *t2 = lib_token(no_kid, lib_claims(600));
  char *t3 = lib_token(hs384, lib_claims(600));
  for (int round = 0; round < 3; round++) {
    assert_int_equal(verify_str(v, t1), CUSTOS_OK); /* a kid is ignored: one secret */
    assert_int_equal(verify_str(v, t2), CUSTOS_OK);
    assert_int_equal(verify_str(v, t3), CUSTOS_EALG);
  }
  char *f = lib_forge(t1);
  assert_int_equal(verify_str(v, f), CUSTOS_EBADSIG);
  free(f);
  /* The RFC's own A.1 token: valid signature, expired in 2011. */
  assert_int_equal(verify_str(v, RFC7515_A1_TOKEN), CUSTOS_EEXPIRED);
  unsigned char other[64];
  memcpy(other, s, sizeof other);
  other[0] ^= 1;
  custos_verifier_t *w = NULL;
  assert_int_equal(custos_verifier_new_hmac(other, n, CUSTOS_ALG_HS256, NULL, &w), CUSTOS_OK);
  assert_int_equal(verify_str(w, t1), CUSTOS_EBADSIG);
  custos_verifier_free(w);
  free(t1);
  free(t2);
  free(t3);
  jose_jwk_free(with_kid);
  jose_jwk_free(no_kid);
  jose_jwk_free(hs384);
  custos_verifier_free(v);
}

/* ---- causes and codes ---- */

static char *token_with(const jose_jwk_t *k, const char *header, const char *payload) {
  char *t = NULL;
  assert_int_equal(jose_jws_sign(k, jose_jwk_alg(k), header, strlen(header), payload,
                                 strlen(payload), &t, NULL),
                   CUSTOS_OK);
  return t;
}

static void test_verify_causes_table(void **state) {
  (void)state;
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.iss = "https://iss";
  o.aud = "api";
  o.typ = "JWT";
  custos_verifier_t *v = jwks_verifier(&o);
  int64_t now = (int64_t)time(NULL);
  char p_ok[256], p_exp[256], p_nbf[256], p_iat[256], p_noexp[128], p_iss[256], p_aud[256],
      p_dup[256], p_audarr[256];
  snprintf(p_ok, sizeof p_ok, "%s", lib_claims_at(now, 600));
  snprintf(p_exp, sizeof p_exp, "%s", lib_claims_at(now - 1000, 600)); /* exp now-400 */
  snprintf(p_nbf, sizeof p_nbf,
           "{\"iss\":\"https://iss\",\"aud\":\"api\",\"exp\":%lld,\"nbf\":%lld}",
           (long long)now + 600, (long long)now + 300);
  snprintf(p_iat, sizeof p_iat, "{\"iss\":\"https://iss\",\"aud\":\"api\",\"exp\":%lld,\"iat\":%lld}",
           (long long)now + 600, (long long)now + 300);
  snprintf(p_noexp, sizeof p_noexp, "{\"iss\":\"https://iss\",\"aud\":\"api\"}");
  snprintf(p_iss, sizeof p_iss, "{\"iss\":\"https://evil\",\"aud\":\"api\",\"exp\":%lld}",
           (long long)now + 600);
  snprintf(p_aud, sizeof p_aud, "{\"iss\":\"https://iss\",\"aud\":\"web\",\"exp\":%lld}",
           (long long)now + 600);
  snprintf(p_audarr, sizeof p_audarr,
           "{\"iss\":\"https://iss\",\"aud\":[\"web\",\"api\"],\"exp\":%lld}", (long long)now + 600);
  snprintf(p_dup, sizeof p_dup, "{\"iss\":\"https://iss\",\"aud\":\"api\",\"exp\":%lld,\"exp\":1}",
           (long long)now + 600);
  const char *H = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec-1\"}";
  struct { const char *header; const char *payload; int rc; } cases[] = {
      {H, p_ok, CUSTOS_OK},
      {H, p_audarr, CUSTOS_OK},
      {H, p_exp, CUSTOS_EEXPIRED},
      {H, p_nbf, CUSTOS_ENOTYET},
      {H, p_iat, CUSTOS_ENOTYET},
      {H, p_noexp, CUSTOS_ECLAIM},
      {H, p_iss, CUSTOS_ECLAIM},
      {H, p_aud, CUSTOS_ECLAIM},
      {H, p_dup, CUSTOS_EDUP},
      {H, "[1]", CUSTOS_EINVAL},
      {H, "{\"exp\":\"soon\"}", CUSTOS_EINVAL},
      {H, "{\"exp\":1e400}", CUSTOS_EINVAL},
      {H, "{\"sub\":\"\\u0000\"}", CUSTOS_EINVAL},
      {H, "{\"sub\":\"\\ud800\"}", CUSTOS_EINVAL},
      {H, "{\"sub\":\"\xc0\x80\"}", CUSTOS_EINVAL},
      {H, "{\"o\":{\"k\":1,\"\\u006b\":2}}", CUSTOS_EDUP},
      {H, "{\"iss\":\"https://iss\",\"aud\":[\"api\",7],\"exp\":9999999999}", CUSTOS_EINVAL},
      {H, "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", CUSTOS_EDEPTH},
      {"{\"alg\":\"ES256\",\"kid\":\"ec-1\"}", p_ok, CUSTOS_ECLAIM},            /* no typ */
      {"{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"ec-1\"}", p_ok, CUSTOS_ECLAIM},
      {"{\"alg\":\"ES256\",\"typ\":\"application/JWT\",\"kid\":\"ec-1\"}", p_ok, CUSTOS_OK},
      {"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"nope\"}", p_ok, CUSTOS_EKEY},
      {"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec-1\",\"crit\":[\"exp\"]}", p_ok, CUSTOS_ECRIT},
      {"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec-1\",\"kid\":\"ec-1\"}", p_ok, CUSTOS_EDUP},
      {"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":7}", p_ok, CUSTOS_EINVAL},
      {"{\"alg\":\"ES256\",\"typ\":\"JWT\"}", p_ok, CUSTOS_OK}, /* no kid: the one P-256 key */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *t = token_with(g_ec, cases[i].header, cases[i].payload);
    /* Twice: first the full path, then (for headers that verified) the
     * remembered one; both must give the same code. */
    for (int round = 0; round < 2; round++) {
      int rc = verify_str(v, t);
      if (rc != cases[i].rc)
        fail_msg("case %zu round %d: got %s, want %s", i, round, custos_err_name(rc),
                 custos_err_name(cases[i].rc));
    }
    free(t);
  }
  custos_verifier_free(v);
}

static void test_verify_structural_and_alg_attacks(void **state) {
  (void)state;
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.max_token_bytes = 4096;
  custos_verifier_t *v = jwks_verifier(&o);
  char *good = lib_token(g_ec, lib_claims(600));
  assert_int_equal(verify_str(v, good), CUSTOS_OK); /* header now remembered */
  const char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');
  size_t hl = (size_t)(dot1 - good);
  char buf[8192];

  /* Remembered header, broken rest: same codes as the full path. */
  snprintf(buf, sizeof buf, "%.*s.%.*s", (int)(dot2 - good), good, 0, "");
  assert_int_equal(verify_str(v, buf), CUSTOS_EINVAL); /* two parts only */
  snprintf(buf, sizeof buf, "%.*s.", (int)(dot2 - good), good);
  assert_int_equal(verify_str(v, buf), CUSTOS_EINVAL); /* empty signature */
  snprintf(buf, sizeof buf, "%s.x", good);
  assert_int_equal(verify_str(v, buf), CUSTOS_EINVAL); /* four parts */
  snprintf(buf, sizeof buf, "%.*s.e30=%s", (int)hl, good, dot2);
  assert_int_equal(verify_str(v, buf), CUSTOS_EINVAL); /* padded payload */
  snprintf(buf, sizeof buf, "%.*s!", (int)strlen(good) - 1, good);
  assert_int_equal(verify_str(v, buf), CUSTOS_EINVAL); /* bad signature base64url */
  snprintf(buf, sizeof buf, "%.*s.e30.%s", (int)hl, good, dot2 + 1);
  assert_int_equal(verify_str(v, buf), CUSTOS_EBADSIG); /* payload swapped */
  snprintf(buf, sizeof buf, "%.*s.e31%s", (int)hl, good, dot2);
  assert_int_equal(verify_str(v, buf), CUSTOS_EBADSIG); /* stray bits: refused after the sig */

  /* alg none, unknown, and HS256 signed with the RSA public key. */
  char *none = NULL;
  {
    char *h = malloc(64), *p = malloc(512);
    const char *hj = "{\"alg\":\"none\"}";
    h[b64url_encode((const unsigned char *)hj, strlen(hj), h)] = 0;
    const char *pj = lib_claims(600);
    p[b64url_encode((const unsigned char *)pj, strlen(pj), p)] = 0;
    none = malloc(strlen(h) + strlen(p) + 3);
    sprintf(none, "%s.%s.", h, p);
    free(h);
    free(p);
  }
  assert_int_equal(verify_str(v, none), CUSTOS_EALG);
  free(none);
  jose_jwk_t *hs = lib_key(RFC7515_A1_JWK, "rsa-1", "HS256"); /* kid of the RSA key */
  char *confused = lib_token(hs, lib_claims(600));
  assert_int_equal(verify_str(v, confused), CUSTOS_EALG);
  free(confused);
  jose_jwk_free(hs);
  /* RS256 key asked to verify PS256 (kid of the RS256 key). */
  jose_jwk_t *ps_as_rs = lib_key(RFC7515_A2_JWK, "rsa-1", "PS256");
  char *t = lib_token(ps_as_rs, lib_claims(600));
  assert_int_equal(verify_str(v, t), CUSTOS_EALG);
  free(t);
  jose_jwk_free(ps_as_rs);

  /* Size cap before anything else, even for garbage. */
  static char big[4097];
  memset(big, 'A', sizeof big);
  assert_int_equal(custos_verify(v, big, sizeof big, NULL), CUSTOS_ETOOBIG);
  assert_int_equal(custos_verify(v, big, 0, NULL), CUSTOS_EINVAL);
  assert_int_equal(custos_verify(NULL, good, strlen(good), NULL), CUSTOS_EINVAL);
  assert_int_equal(custos_verify(v, NULL, 0, NULL), CUSTOS_EINVAL);
  /* Length is honoured: the token need not be NUL-terminated. */
  snprintf(buf, sizeof buf, "%sGARBAGE", good);
  assert_int_equal(custos_verify(v, buf, strlen(good), NULL), CUSTOS_OK);
  free(good);
  custos_verifier_free(v);
}

static void test_verify_alg_allowlist(void **state) {
  (void)state;
  /* Keys without "alg" need opts.algs; with it, only listed algs pass. */
  jose_jwk_t *ec = lib_key(RFC7515_A3_JWK, "ec-1", NULL);
  jose_jwk_t *signer = lib_key(RFC7515_A3_JWK, "ec-1", "ES256");
  char *jwks = lib_jwks(ec, NULL);
  char *t = lib_token(signer, lib_claims(600));
  custos_verifier_t *v = NULL;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), NULL, &v), CUSTOS_OK);
  assert_int_equal(verify_str(v, t), CUSTOS_EALG);
  custos_verifier_free(v);
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.algs = CUSTOS_ALG_RS256;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_OK);
  assert_int_equal(verify_str(v, t), CUSTOS_EALG);
  custos_verifier_free(v);
  o.algs = CUSTOS_ALG_RS256 | CUSTOS_ALG_ES256;
  assert_int_equal(custos_verifier_new_jwks(jwks, strlen(jwks), &o, &v), CUSTOS_OK);
  assert_int_equal(verify_str(v, t), CUSTOS_OK);
  assert_int_equal(verify_str(v, t), CUSTOS_OK);
  custos_verifier_free(v);
  free(t);
  free(jwks);
  jose_jwk_free(ec);
  jose_jwk_free(signer);
}

static void test_verify_leeway_and_require_exp(void **state) {
  (void)state;
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  int64_t now = (int64_t)time(NULL);
  char *recent = lib_token(g_ec, lib_claims_at(now - 610, 600)); /* expired 10 s ago */
  custos_verifier_t *v = jwks_verifier(&o);                       /* leeway 30 */
  assert_int_equal(verify_str(v, recent), CUSTOS_OK);
  custos_verifier_free(v);
  o.leeway = 0;
  v = jwks_verifier(&o);
  assert_int_equal(verify_str(v, recent), CUSTOS_EEXPIRED);
  custos_verifier_free(v);
  free(recent);
  char *noexp = lib_token(g_ec, "{\"sub\":\"x\"}");
  custos_verify_opts_init(&o);
  o.require_exp = 0;
  v = jwks_verifier(&o);
  assert_int_equal(verify_str(v, noexp), CUSTOS_OK);
  custos_verifier_free(v);
  free(noexp);
}

/* ---- claims ---- */

static void test_claims_accessors(void **state) {
  (void)state;
  custos_verifier_t *v = jwks_verifier(NULL);
  int64_t now = (int64_t)time(NULL);
  char payload[512];
  snprintf(payload, sizeof payload,
           "{\"sub\":\"u1\",\"exp\":%lld,\"n\":-42,\"big\":9007199254740993,\"r\":1e3,"
           "\"half\":1.5,\"huge\":1e30,\"obj\":{\"a\":[1,\"x\"]},\"s\":\"caf\\u00e9\",\"t\":true}",
           (long long)now + 600);
  char *t = lib_token(g_ed, payload);
  custos_claims_t *c = NULL;
  assert_int_equal(custos_verify(v, t, strlen(t), &c), CUSTOS_OK);
  const char *s = NULL;
  int64_t i = 0;
  char *j = NULL;
  assert_int_equal(custos_claims_get_string(c, "s", &s), CUSTOS_OK);
  assert_string_equal(s, "caf\xc3\xa9");
  assert_int_equal(custos_claims_get_string(c, "missing", &s), CUSTOS_ENOTFOUND);
  assert_int_equal(custos_claims_get_string(c, "n", &s), CUSTOS_EINVAL);
  assert_int_equal(custos_claims_get_string(NULL, "s", &s), CUSTOS_EINVAL);
  assert_int_equal(custos_claims_get_string(c, NULL, &s), CUSTOS_EINVAL);
  assert_int_equal(custos_claims_get_int(c, "n", &i), CUSTOS_OK);
  assert_int_equal(i, -42);
  assert_int_equal(custos_claims_get_int(c, "big", &i), CUSTOS_OK);
  assert_true(i == 9007199254740993LL);
  assert_int_equal(custos_claims_get_int(c, "exp", &i), CUSTOS_OK);
  assert_int_equal(i, now + 600);
  assert_int_equal(custos_claims_get_int(c, "r", &i), CUSTOS_OK);
  assert_int_equal(i, 1000);
  i = 7;
  assert_int_equal(custos_claims_get_int(c, "half", &i), CUSTOS_EINVAL);
  assert_int_equal(custos_claims_get_int(c, "huge", &i), CUSTOS_EINVAL);
  assert_int_equal(custos_claims_get_int(c, "sub", &i), CUSTOS_EINVAL);
  assert_int_equal(custos_claims_get_int(c, "t", &i), CUSTOS_EINVAL);
  assert_int_equal(custos_claims_get_int(c, "missing", &i), CUSTOS_ENOTFOUND);
  assert_int_equal(i, 7);
  assert_int_equal(custos_claims_get_json(c, "obj", &j), CUSTOS_OK);
  assert_string_equal(j, "{\"a\":[1,\"x\"]}");
  custos_free(j);
  assert_int_equal(custos_claims_get_json(c, "t", &j), CUSTOS_OK);
  assert_string_equal(j, "true");
  custos_free(j);
  assert_int_equal(custos_claims_get_json(c, NULL, &j), CUSTOS_OK);
  assert_non_null(strstr(j, "\"sub\":\"u1\""));
  custos_free(j);
  j = NULL;
  assert_int_equal(custos_claims_get_json(c, "missing", &j), CUSTOS_ENOTFOUND);
  assert_null(j);
  assert_int_equal(custos_claims_get_json(NULL, NULL, &j), CUSTOS_EINVAL);
  custos_free(NULL);
  custos_claims_free(c);
  custos_claims_free(NULL);
  /* Claims outlive their verifier. */
  assert_int_equal(custos_verify(v, t, strlen(t), &c), CUSTOS_OK);
  custos_verifier_free(v);
  assert_int_equal(custos_claims_get_string(c, "sub", &s), CUSTOS_OK);
  assert_string_equal(s, "u1");
  custos_claims_free(c);
  free(t);
}

static void test_err_names(void **state) {
  (void)state;
  assert_string_equal(custos_err_name(CUSTOS_OK), "CUSTOS_OK");
  assert_string_equal(custos_err_name(CUSTOS_EEXPIRED), "CUSTOS_EEXPIRED");
  assert_string_equal(custos_err_name(CUSTOS_EREVOKED), "CUSTOS_EREVOKED");
  assert_string_equal(custos_err_name(-999), "CUSTOS_E?");
  for (int e = 0; e >= CUSTOS_EREVOKED; e--) {
    assert_non_null(custos_err_name(e));
    assert_string_not_equal(custos_err_name(e), "CUSTOS_E?");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_opts_init_defaults),
      cmocka_unit_test(test_new_jwks_rejects_bad_arguments_and_options),
      cmocka_unit_test(test_new_jwks_document_errors),
      cmocka_unit_test(test_new_hmac_errors),
      cmocka_unit_test(test_new_jwks_url_rejects_bad_urls),
      cmocka_unit_test(test_verify_every_alg_twice),
      cmocka_unit_test(test_verify_hmac),
      cmocka_unit_test(test_verify_causes_table),
      cmocka_unit_test(test_verify_structural_and_alg_attacks),
      cmocka_unit_test(test_verify_alg_allowlist),
      cmocka_unit_test(test_verify_leeway_and_require_exp),
      cmocka_unit_test(test_claims_accessors),
      cmocka_unit_test(test_err_names),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
