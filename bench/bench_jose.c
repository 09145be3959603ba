/*
 * bench_jose — verify throughput per JWS algorithm, custos against its
 * anchors, on the same tokens in one run (driven by bench/jose.sh):
 *   custos   custos_verify through the public API, claims object returned
 *            and freed (HS256 via custos_verifier_new_hmac, the others via
 *            a one-key JWKS);
 *   openssl  a bare OpenSSL verify of the same signature over the same
 *            signing input: key pre-parsed, signature pre-decoded (ECDSA
 *            pre-converted to DER), per op only EVP_DigestVerifyInit +
 *            EVP_DigestVerify (HS256: re-init a keyed EVP_MAC_CTX + MAC +
 *            CRYPTO_memcmp) -- the floor nothing can beat;
 *   libjwt   Debian's libjwt (1.10): jwt_decode with the PEM key (or the
 *            secret), which verifies the signature and parses the claims;
 *            it has no PS256 or EdDSA.
 * Usage: bench_jose TOKENS.json [SECONDS_PER_CASE]  (split over ROUNDS
 * interleaved rounds; each column reports its best round)
 * BENCH_ONLY=custos (or openssl, libjwt) runs one column, for profiling.
 * Prints "ALG<TAB>IMPL<TAB>OPS_PER_SEC" lines; "n/a" when unsupported.
 */
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64url.h"
#include "custos.h"
#ifdef HAVE_LIBJWT
#include <jwt.h>
#endif

static double secs_per_case = 1.0;
#define ROUNDS 3 /* interleaved rounds per case; the best counts */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs fn(arg) in batches until secs_per_case passed; returns ops/s, or -1
 * if fn failed (it returns nonzero). */
static double measure(int (*fn)(void *), void *arg) {
  for (int i = 0; i < 50; i++)
    if (fn(arg)) return -1;
  long n = 0;
  double t0 = now_s(), t;
  do {
    for (int i = 0; i < 64; i++)
      if (fn(arg)) return -1;
    n += 64;
    t = now_s();
  } while (t - t0 < secs_per_case);
  return (double)n / (t - t0);
}

typedef struct bcase {
  const char *alg;
  const char *token;
  size_t token_len;
  custos_verifier_t *v;
  EVP_PKEY *pkey;             /* bare OpenSSL, NULL for HS */
  EVP_MAC_CTX *mac;           /* bare OpenSSL HS256 */
  const char *digest;         /* "SHA256", NULL for EdDSA */
  int pss;
  unsigned char *secret;
  size_t secret_len;
  const char *pem;
  size_t signing_len;         /* "header.payload" */
  unsigned char sig[1024];    /* as OpenSSL wants it */
  size_t sig_len;
} bcase_t;

static int run_custos(void *arg) {
  bcase_t *c = arg;
  custos_claims_t *cl = NULL;
  int rc = custos_verify(c->v, c->token, c->token_len, &cl);
  custos_claims_free(cl);
  return rc;
}

static int run_openssl(void *arg) {
  bcase_t *c = arg;
  if (c->mac) {
    unsigned char out[64];
    size_t n = 0;
    if (EVP_MAC_init(c->mac, NULL, 0, NULL) != 1 ||
        EVP_MAC_update(c->mac, (const unsigned char *)c->token, c->signing_len) != 1 ||
        EVP_MAC_final(c->mac, out, &n, sizeof out) != 1)
      return 1;
    return n == c->sig_len && CRYPTO_memcmp(out, c->sig, n) == 0 ? 0 : 1;
  }
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  int ok = md && EVP_DigestVerifyInit_ex(md, &pctx, c->digest, NULL, NULL, c->pkey, NULL) == 1;
  if (ok && c->pss)
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  ok = ok && EVP_DigestVerify(md, c->sig, c->sig_len, (const unsigned char *)c->token,
                              c->signing_len) == 1;
  EVP_MD_CTX_free(md);
  return ok ? 0 : 1;
}

#ifdef HAVE_LIBJWT
static int run_libjwt(void *arg) {
  bcase_t *c = arg;
  jwt_t *j = NULL;
  const unsigned char *key = c->secret ? c->secret : (const unsigned char *)c->pem;
  int klen = (int)(c->secret ? c->secret_len : strlen(c->pem));
  int rc = jwt_decode(&j, c->token, key, klen);
  jwt_free(j);
  return rc;
}
#endif

static unsigned char *b64d(const char *s, size_t *n) {
  size_t len = strlen(s);
  unsigned char *o = malloc(b64url_decoded_max(len) + 1);
  if (!o || b64url_decode(s, len, o, n) != CUSTOS_OK) {
    free(o);
    return NULL;
  }
  return o;
}

static int setup(bcase_t *c, json_t *a) {
  c->alg = json_string_value(json_object_get(a, "alg"));
  c->token = json_string_value(json_object_get(a, "token"));
  c->token_len = strlen(c->token);
  const char *dot2 = strrchr(c->token, '.');
  c->signing_len = (size_t)(dot2 - c->token);
  size_t rawlen = 0;
  unsigned char *raw = b64d(dot2 + 1, &rawlen);
  if (!raw || rawlen > sizeof c->sig) return -1;
  custos_verify_opts_t o;
  custos_verify_opts_init(&o);
  o.iss = "https://auth.example";
  o.aud = "api";
  int rc;
  if (!strcmp(c->alg, "HS256")) {
    c->secret = b64d(json_string_value(json_object_get(a, "secret")), &c->secret_len);
    rc = custos_verifier_new_hmac(c->secret, c->secret_len, CUSTOS_ALG_HS256, &o, &c->v);
    if (rc) return rc;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                      OSSL_PARAM_construct_end()};
    c->mac = EVP_MAC_CTX_new(m);
    EVP_MAC_free(m);
    if (!c->mac || EVP_MAC_init(c->mac, c->secret, c->secret_len, p) != 1) return -1;
    memcpy(c->sig, raw, rawlen);
    c->sig_len = rawlen;
  } else {
    char *jwks = json_dumps(json_object_get(a, "jwks"), JSON_COMPACT);
    rc = custos_verifier_new_jwks(jwks, strlen(jwks), &o, &c->v);
    free(jwks);
    if (rc) return rc;
    c->pem = json_string_value(json_object_get(a, "pem"));
    BIO *b = BIO_new_mem_buf(c->pem, -1);
    c->pkey = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!c->pkey) return -1;
    c->pss = c->alg[0] == 'P';
    c->digest = !strcmp(c->alg, "EdDSA") ? NULL : !strcmp(c->alg, "ES384") ? "SHA384" : "SHA256";
    if (c->alg[0] == 'E' && c->alg[1] == 'S') { /* JWS r||s -> DER */
      ECDSA_SIG *es = ECDSA_SIG_new();
      size_t h = rawlen / 2;
      ECDSA_SIG_set0(es, BN_bin2bn(raw, (int)h, NULL), BN_bin2bn(raw + h, (int)h, NULL));
      unsigned char *p = c->sig;
      c->sig_len = (size_t)i2d_ECDSA_SIG(es, &p);
      ECDSA_SIG_free(es);
    } else {
      memcpy(c->sig, raw, rawlen);
      c->sig_len = rawlen;
    }
  }
  free(raw);
  return 0;
}

/* Keeps the best ops/s; a failure (-1) sticks. */
static void keep_best(double *best, double x) {
  if (*best < 0) return;
  *best = x < 0 ? -1 : (x > *best ? x : *best);
}

static void report(const char *alg, const char *impl, double ops) {
  if (ops < 0)
    printf("%s\t%s\tfail\n", alg, impl);
  else
    printf("%s\t%s\t%.0f\n", alg, impl, ops);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s TOKENS.json [SECONDS_PER_CASE]\n", argv[0]);
    return 2;
  }
  if (argc > 2) secs_per_case = atof(argv[2]);
  json_error_t je;
  json_t *doc = json_load_file(argv[1], 0, &je);
  json_t *algs = json_object_get(doc, "algs");
  if (!json_is_array(algs)) {
    fprintf(stderr, "%s: %s\n", argv[1], je.text);
    return 2;
  }
  size_t i;
  json_t *a;
  int status = 0;
  json_array_foreach(algs, i, a) {
    bcase_t c = {0};
    int rc = setup(&c, a);
    if (rc) {
      fprintf(stderr, "%s: setup failed: %s\n", c.alg, rc < 0 ? custos_err_name(rc) : "openssl");
      status = 1;
      continue;
    }
    /* Interleaved rounds, best of each: on a shared machine the load
     * changes during a run, and this keeps it from favouring one column. */
    const char *only = getenv("BENCH_ONLY");
    int do_c = !only || !strcmp(only, "custos"), do_o = !only || !strcmp(only, "openssl");
    int do_l = (!only || !strcmp(only, "libjwt")) && strcmp(c.alg, "PS256") && strcmp(c.alg, "EdDSA");
#ifndef HAVE_LIBJWT
    do_l = 0;
#endif
    double best_c = 0, best_o = 0, best_l = 0, saved = secs_per_case;
    secs_per_case = saved / ROUNDS;
    for (int r = 0; r < ROUNDS; r++) {
      if (do_c) keep_best(&best_c, measure(run_custos, &c));
      if (do_o) keep_best(&best_o, measure(run_openssl, &c));
#ifdef HAVE_LIBJWT
      if (do_l) keep_best(&best_l, measure(run_libjwt, &c));
#endif
    }
    secs_per_case = saved;
    if (do_c) report(c.alg, "custos", best_c);
    if (do_o) report(c.alg, "openssl", best_o);
    if (do_l)
      report(c.alg, "libjwt", best_l);
    else if (!only || !strcmp(only, "libjwt"))
      printf("%s\tlibjwt\tn/a\n", c.alg);
    custos_verifier_free(c.v);
    EVP_PKEY_free(c.pkey);
    EVP_MAC_CTX_free(c.mac);
    free(c.secret);
  }
  json_decref(doc);
  return status;
}
