/*
 * Tests for src/jose/signer.c over a real store, on SQLite and on
 * PostgreSQL (tests/unit/store/fixture.h).
 */
#include "store/fixture.h"

#include <jansson.h>
#include <stdatomic.h>

#include "core/seal.h"
#include "jose/jwks.h"
#include "jose/jwt.h"
#include "jose/signer.h"
#include "lib/token_cache.h"

static const unsigned char MK[MASTERKEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const jose_alg_t ALGS[] = {JOSE_ALG_RS256, JOSE_ALG_ES256, JOSE_ALG_EDDSA};
#define NALGS (sizeof ALGS / sizeof ALGS[0])

static _Atomic int64_t g_now; /* the signer's clock in tests that move time */
static int64_t test_clock(void) { return atomic_load(&g_now); }

static signer_t *new_signer(store_t *s, const jose_alg_t *algs, size_t nalgs) {
  signer_opts_t o = {.algs = algs, .nalgs = nalgs};
  signer_t *sg = NULL;
  char err[512];
  int rc = signer_new(s, MK, &o, &sg, err, sizeof err);
  if (rc) fail_msg("signer_new: %s (%s)", custos_strerror(rc), err);
  return sg;
}

/* The signer's JWKS, parsed. */
static jose_jwks_t *published(signer_t *sg, size_t *count) {
  buf_t b;
  jose_jwks_t *set = NULL;
  size_t skipped = 9;
  buf_init(&b, 0);
  assert_int_equal(signer_jwks(sg, &b, NULL), CUSTOS_OK);
  assert_null(strstr(b.data, "\"d\"")); /* never a private member */
  assert_int_equal(jose_jwks_parse(b.data, b.len, &set, &skipped), CUSTOS_OK);
  assert_int_equal(skipped, 0);
  buf_cleanup(&b);
  if (count) *count = jose_jwks_count(set);
  return set;
}

static char *sign(signer_t *sg, jose_alg_t alg) {
  char *token = NULL;
  json_t *claims = json_pack("{s:s,s:I}", "sub", "user-1", "exp", (json_int_t)time(NULL) + 600);
  assert_int_equal(signer_sign(sg, alg, claims, NULL, &token), CUSTOS_OK);
  json_decref(claims);
  return token;
}

/* Verifies `token` against the signer's public JWKS; returns the kid of
 * the key that verified it (static buffer). */
static const char *verify(signer_t *sg, const char *token, jose_alg_t alg) {
  static char kid[STORE_KID_MAX];
  jose_jwks_t *set = published(sg, NULL);
  jose_policy_t p;
  const jose_jwk_t *key = NULL;
  jose_policy_init(&p);
  p.algs = &alg;
  p.nalgs = 1;
  int rc = jose_jwt_verify(token, strlen(token), set, &p, NULL, NULL, &key);
  if (rc) fail_msg("verify: %s", custos_strerror(rc));
  snprintf(kid, sizeof kid, "%s", jose_jwk_kid(key));
  jose_jwks_free(set);
  return kid;
}

/* The kid of the only key of `alg` in `state`. */
static void kid_of(store_t *s, const char *alg, const char *state, char out[STORE_KID_MAX]) {
  store_signing_key_t rows[SIGNER_MAX_KEYS];
  int n = 0, hits = 0;
  assert_int_equal(store_signing_key_list(s, state, SIGNER_MAX_KEYS, rows, &n), CUSTOS_OK);
  for (int i = 0; i < n; i++) {
    if (strcmp(rows[i].alg, alg) == 0 && hits++ == 0) memcpy(out, rows[i].kid, STORE_KID_MAX);
    store_signing_key_cleanup(&rows[i]);
  }
  assert_int_equal(hits, 1);
}

/* Waits (PostgreSQL notifications are asynchronous) until the JWKS holds
 * `want` keys. */
static void await_count(signer_t *sg, size_t want) {
  size_t n = 0;
  for (int i = 0; i < 100; i++) {
    jose_jwks_free(published(sg, &n));
    if (n == want) return;
    usleep(50 * 1000);
  }
  fail_msg("JWKS has %zu keys, want %zu", n, want);
}

/* --- tests ------------------------------------------------------------------ */

static void test_signer_bootstraps_and_signs_each_alg(void **state) {
  fx_t *f = *state;
  signer_t *sg = new_signer(f->s, ALGS, NALGS);
  size_t n = 0;
  jose_jwks_free(published(sg, &n));
  assert_int_equal(n, 2 * NALGS); /* active + next each */
  for (size_t i = 0; i < NALGS; i++) {
    char active[STORE_KID_MAX];
    kid_of(f->s, jose_alg_name(ALGS[i]), "active", active);
    char *t = sign(sg, ALGS[i]);
    assert_string_equal(verify(sg, t, ALGS[i]), active);
    free(t);
  }
  /* An alg without keys cannot sign. */
  char *t = (char *)"untouched";
  json_t *claims = json_object();
  assert_int_equal(signer_sign(sg, JOSE_ALG_PS256, claims, NULL, &t), CUSTOS_EKEY);
  assert_string_equal(t, "untouched");
  json_decref(claims);
  /* A second signer finds the keys and creates none. */
  signer_t *again = new_signer(f->s, ALGS, NALGS);
  jose_jwks_free(published(again, &n));
  assert_int_equal(n, 2 * NALGS);
  store_close(f->s);
  f->s = NULL;
  signer_free(sg);
  signer_free(again);
}

/* The sealed column holds no private key text, nor does the public one;
 * the sealed value opens only under its own kid's context. */
static void test_signer_private_material_only_sealed(void **state) {
  fx_t *f = *state;
  signer_t *sg = new_signer(f->s, ALGS, NALGS);
  store_signing_key_t rows[10];
  int n = 0;
  assert_int_equal(store_signing_key_list(f->s, NULL, 10, rows, &n), CUSTOS_OK);
  assert_int_equal(n, 2 * (int)NALGS);
  for (int i = 0; i < n; i++) {
    char ctx[128];
    buf_t pt;
    buf_init(&pt, 0);
    snprintf(ctx, sizeof ctx, "signing_key:%s", rows[i].kid);
    assert_int_equal(unseal_text(MK, ctx, rows[i].sealed, strlen(rows[i].sealed), &pt),
                     CUSTOS_OK);
    json_t *priv = json_loadb(pt.data, pt.len, 0, NULL);
    assert_non_null(priv);
    const char *d = json_string_value(json_object_get(priv, "d"));
    assert_non_null(d);
    assert_null(strstr(rows[i].sealed, d));
    assert_null(strstr(rows[i].public_jwk, d));
    /* With its quotes: "kty" alone turns up in random base64 text about
     * once in 200 runs; a quote never does. */
    assert_null(strstr(rows[i].sealed, "\"kty\""));
    json_t *pub = json_loads(rows[i].public_jwk, 0, NULL);
    assert_non_null(pub);
    assert_null(json_object_get(pub, "d"));
    json_decref(pub);
    json_decref(priv);
    buf_cleanup_secure(&pt);
    /* Bound to its row: another kid's context does not open it. */
    buf_init(&pt, 0);
    snprintf(ctx, sizeof ctx, "signing_key:%s", rows[(i + 1) % n].kid);
    assert_int_equal(unseal_text(MK, ctx, rows[i].sealed, strlen(rows[i].sealed), &pt),
                     CUSTOS_ECRYPTO);
    buf_cleanup(&pt);
  }
  for (int i = 0; i < n; i++) store_signing_key_cleanup(&rows[i]);
  store_close(f->s);
  f->s = NULL;
  signer_free(sg);
}

static void test_signer_wrong_master_key_is_a_clear_error(void **state) {
  fx_t *f = *state;
  unsigned char other[MASTERKEY_LEN] = {9};
  signer_t *sg = new_signer(f->s, ALGS, 1), *bad = (signer_t *)(uintptr_t)1;
  char err[512] = "";
  signer_opts_t o = {.no_listen = true};
  assert_int_equal(signer_new(f->s, other, &o, &bad, err, sizeof err), CUSTOS_ECRYPTO);
  assert_ptr_equal(bad, (signer_t *)(uintptr_t)1);
  assert_non_null(strstr(err, "cannot unseal signing key "));
  assert_non_null(strstr(err, "wrong master key"));
  /* A damaged row is the same error, not a crash. */
  raw_exec(f, "UPDATE signing_key SET sealed = 'AAAA' WHERE state = 'next'");
  assert_int_equal(signer_new(f->s, MK, &o, &bad, err, sizeof err), CUSTOS_ECRYPTO);
  /* A running signer keeps its keys when a reload fails. */
  assert_int_equal(signer_reload(sg), CUSTOS_ECRYPTO);
  char *t = sign(sg, ALGS[0]);
  free(t);
  store_close(f->s);
  f->s = NULL;
  signer_free(sg);
}

/* Rotation: tokens of the old active key still verify (retired, still
 * published); new tokens carry the former next key's kid. */
static void test_signer_rotate_keeps_old_tokens_valid(void **state) {
  fx_t *f = *state;
  signer_t *sg = new_signer(f->s, ALGS, NALGS);
  for (size_t i = 0; i < NALGS; i++) {
    const char *alg = jose_alg_name(ALGS[i]);
    char old_active[STORE_KID_MAX], old_next[STORE_KID_MAX], kid[STORE_KID_MAX];
    kid_of(f->s, alg, "active", old_active);
    kid_of(f->s, alg, "next", old_next);
    char *before = sign(sg, ALGS[i]);
    store_signing_key_t row;
    assert_int_equal(signer_rotate(f->s, MK, ALGS[i], 0, &row), CUSTOS_OK);
    assert_string_equal(row.state, "next");
    assert_null(row.sealed);
    await_count(sg, 2 * NALGS + i + 1); /* + one retired key per rotation so far */
    char *after = sign(sg, ALGS[i]);
    snprintf(kid, sizeof kid, "%s", verify(sg, before, ALGS[i]));
    assert_string_equal(kid, old_active);
    snprintf(kid, sizeof kid, "%s", verify(sg, after, ALGS[i]));
    assert_string_equal(kid, old_next);
    kid_of(f->s, alg, "next", kid);
    assert_string_equal(kid, row.kid);
    free(before);
    free(after);
  }
  store_close(f->s);
  f->s = NULL;
  signer_free(sg);
}

/* signer_verify accepts what the signer signed (before and after a
 * rotation), under the policy's alg list, and nothing else. */
static void test_signer_verify_uses_the_published_keys(void **state) {
  fx_t *f = *state;
  signer_t *sg = new_signer(f->s, ALGS, NALGS);
  jose_alg_t rs = JOSE_ALG_RS256, es = JOSE_ALG_ES256;
  jose_policy_t p;
  jose_policy_init(&p);
  p.algs = &rs;
  p.nalgs = 1;
  char *before = sign(sg, JOSE_ALG_RS256);
  json_t *claims = NULL, *header = NULL;
  assert_int_equal(signer_verify(sg, before, strlen(before), &p, &claims, &header), CUSTOS_OK);
  assert_string_equal(json_string_value(json_object_get(claims, "sub")), "user-1");
  assert_string_equal(json_string_value(json_object_get(header, "alg")), "RS256");
  json_decref(claims);
  json_decref(header);
  /* another alg than the policy allows */
  char *ec = sign(sg, JOSE_ALG_ES256);
  assert_int_equal(signer_verify(sg, ec, strlen(ec), &p, NULL, NULL), CUSTOS_EALG);
  p.algs = &es;
  assert_int_equal(signer_verify(sg, ec, strlen(ec), &p, NULL, NULL), CUSTOS_OK);
  p.algs = &rs;
  /* a changed signature */
  char *bad = strdup(before);
  size_t n = strlen(bad);
  bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
  claims = NULL;
  assert_int_equal(signer_verify(sg, bad, n, &p, &claims, NULL), CUSTOS_EBADSIG);
  assert_null(claims);
  /* after a rotation, old and new tokens both verify */
  store_signing_key_t row;
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_RS256, 0, &row), CUSTOS_OK);
  await_count(sg, 2 * NALGS + 1);
  char *after = sign(sg, JOSE_ALG_RS256);
  assert_int_equal(signer_verify(sg, before, strlen(before), &p, NULL, NULL), CUSTOS_OK);
  assert_int_equal(signer_verify(sg, after, strlen(after), &p, NULL, NULL), CUSTOS_OK);
  free(before);
  free(after);
  free(bad);
  free(ec);
  store_close(f->s);
  f->s = NULL;
  signer_free(sg);
}

/* Retired keys are published for retired_keep after retirement, then
 * dropped without any store change to trigger it. */
static void test_signer_jwks_drops_keys_retired_too_long(void **state) {
  fx_t *f = *state;
  const int64_t day = 86400, t0 = 1800000000;
  char a[STORE_KID_MAX], b[STORE_KID_MAX];
  store_signing_key_t row;
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0 - 20 * day, &row), CUSTOS_OK);
  memcpy(a, row.kid, sizeof a); /* bootstrap: active */
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0 - 19 * day, &row), CUSTOS_OK);
  memcpy(b, row.kid, sizeof b); /* next */
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0 - 9 * day, &row), CUSTOS_OK);
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0 - 1 * day, &row), CUSTOS_OK);
  /* a retired at t0-9d, b at t0-1d; two live keys. */
  atomic_store(&g_now, t0);
  signer_opts_t o = {.clock = test_clock, .poll_ms = -1};
  signer_t *sg = NULL;
  char err[256];
  assert_int_equal(signer_new(f->s, MK, &o, &sg, err, sizeof err), CUSTOS_OK);
  size_t n = 0;
  jose_jwks_t *set = published(sg, &n);
  assert_int_equal(n, 3);
  assert_null(jose_jwks_find(set, a));
  assert_non_null(jose_jwks_find(set, b));
  jose_jwks_free(set);
  atomic_store(&g_now, t0 + 6 * day - 1); /* b still within 7 days */
  jose_jwks_free(published(sg, &n));
  assert_int_equal(n, 3);
  atomic_store(&g_now, t0 + 6 * day); /* b's 7 days are over */
  set = published(sg, &n);
  assert_int_equal(n, 2);
  assert_null(jose_jwks_find(set, b));
  jose_jwks_free(set);
  store_close(f->s);
  f->s = NULL;
  signer_free(sg);
}

/* A token signed at `now` by the active key of `alg`, expiring at `exp`. */
static char *sign_exp(signer_t *sg, jose_alg_t alg, int64_t exp) {
  char *token = NULL;
  json_t *claims = json_pack("{s:s,s:I}", "sub", "user-1", "exp", (json_int_t)exp);
  assert_int_equal(signer_sign(sg, alg, claims, NULL, &token), CUSTOS_OK);
  json_decref(claims);
  return token;
}

static int verify_claims(signer_t *sg, token_cache_t *cache, const char *token, const jose_policy_t *p) {
  custos_claims_t *c = NULL;
  int rc = signer_verify_claims(sg, cache, token, strlen(token), p, &c);
  if (rc == CUSTOS_OK) {
    const char *sub = NULL;
    assert_int_equal(custos_claims_get_string(c, "sub", &sub), CUSTOS_OK);
    assert_string_equal(sub, "user-1");
    custos_claims_free(c);
  } else {
    assert_null(c);
  }
  return rc;
}

/* A remembered success is trusted only under the key set that verified
 * it and never at or after exp: the cache's own ttl (a year here) is not
 * what ends it. */
static void test_signer_cached_verify_follows_keys_and_exp(void **state) {
  fx_t *f = *state;
  const int64_t day = 86400, t0 = 1800000000;
  static const jose_alg_t ed[] = {JOSE_ALG_EDDSA};
  atomic_store(&g_now, t0);
  signer_opts_t o = {.algs = ed, .nalgs = 1, .clock = test_clock, .poll_ms = -1};
  signer_t *sg = NULL;
  char err[256];
  assert_int_equal(signer_new(f->s, MK, &o, &sg, err, sizeof err), CUSTOS_OK);
  token_cache_t *cache = token_cache_new(16, 365 * day);
  assert_non_null(cache);
  jose_policy_t p;
  jose_policy_init(&p);
  p.algs = ed;
  p.nalgs = 1;
  p.leeway = 0;

  char *old = sign_exp(sg, JOSE_ALG_EDDSA, t0 + 30 * day);
  assert_int_equal(verify_claims(sg, cache, old, &p), CUSTOS_OK);
  assert_int_equal(token_cache_size(cache), 1);
  assert_int_equal(verify_claims(sg, cache, old, &p), CUSTOS_OK); /* a hit */
  /* A failure is not remembered. */
  char *bad = strdup(old);
  bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
  assert_int_not_equal(verify_claims(sg, cache, bad, &p), CUSTOS_OK);
  assert_int_equal(token_cache_size(cache), 1);

  /* Rotation: the signing key retires at t0 and stays published for
   * retired_keep (7 days): the token still verifies under the new set. */
  store_signing_key_t row;
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0, &row), CUSTOS_OK);
  assert_int_equal(signer_reload(sg), CUSTOS_OK);
  assert_int_equal(verify_claims(sg, cache, old, &p), CUSTOS_OK);
  /* Once it is no longer published, the remembered success goes with it. */
  atomic_store(&g_now, t0 + 7 * day);
  assert_int_equal(verify_claims(sg, cache, old, &p), CUSTOS_EKEY);
  assert_int_equal(verify_claims(sg, cache, old, &p), CUSTOS_EKEY);

  /* exp: remembered until just before it, refused at it (leeway 0 here,
   * so a fresh verify refuses too: only the cache could have said yes). */
  int64_t now = t0 + 7 * day;
  char *brief = sign_exp(sg, JOSE_ALG_EDDSA, now + 100);
  assert_int_equal(verify_claims(sg, cache, brief, &p), CUSTOS_OK);
  atomic_store(&g_now, now + 99);
  assert_int_equal(verify_claims(sg, cache, brief, &p), CUSTOS_OK);
  atomic_store(&g_now, now + 100);
  assert_int_equal(verify_claims(sg, cache, brief, &p), CUSTOS_EEXPIRED);

  free(old);
  free(bad);
  free(brief);
  token_cache_free(cache);
  store_close(f->s);
  f->s = NULL;
  signer_free(sg);
}

/* A rotation through another store handle (as `custos keys rotate` in
 * another process) reaches the signer by polling the generation. */
static void test_signer_polls_changes_from_elsewhere(void **state) {
  fx_t *f = *state;
  store_t *other = NULL;
  char err[256];
  signer_opts_t o = {.algs = ALGS, .nalgs = 1, .poll_ms = 50, .no_listen = true};
  signer_t *sg = NULL;
  assert_int_equal(signer_new(f->s, MK, &o, &sg, err, sizeof err), CUSTOS_OK);
  assert_int_equal(store_open(f->url, NULL, &other, err, sizeof err), CUSTOS_OK);
  store_signing_key_t row;
  assert_int_equal(signer_rotate(other, MK, ALGS[0], 0, &row), CUSTOS_OK);
  await_count(sg, 3);
  jose_jwks_t *set = published(sg, NULL);
  assert_non_null(jose_jwks_find(set, row.kid));
  jose_jwks_free(set);
  store_close(other);
  signer_free(sg);
}

typedef struct boot {
  const char *url;
  int rc;
} boot_t;

static void *boot_thread(void *p) {
  boot_t *b = p;
  store_t *s = NULL;
  signer_t *sg = NULL;
  char err[256];
  signer_opts_t o = {.algs = ALGS, .nalgs = NALGS, .no_listen = true};
  b->rc = store_open(b->url, NULL, &s, err, sizeof err);
  if (!b->rc) b->rc = signer_new(s, MK, &o, &sg, err, sizeof err);
  signer_free(sg);
  store_close(s);
  return NULL;
}

/* Nodes starting together create one active and one next key per alg. */
static void test_signer_concurrent_bootstrap_creates_one_set(void **state) {
  fx_t *f = *state;
  enum { N = 4 };
  pthread_t t[N];
  boot_t b[N];
  for (int i = 0; i < N; i++) {
    b[i] = (boot_t){f->url, -1};
    assert_int_equal(pthread_create(&t[i], NULL, boot_thread, &b[i]), 0);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(b[i].rc, CUSTOS_OK);
  }
  store_signing_key_t rows[50];
  int n = 0;
  assert_int_equal(store_signing_key_list(f->s, NULL, 50, rows, &n), CUSTOS_OK);
  assert_int_equal(n, 2 * (int)NALGS);
  for (int i = 0; i < n; i++) store_signing_key_cleanup(&rows[i]);
}

typedef struct signing_loop {
  signer_t *sg;
  int failures;
} signing_loop_t;

static void *sign_thread(void *p) {
  signing_loop_t *l = p;
  json_t *claims = json_pack("{s:s}", "sub", "x");
  for (int i = 0; i < 200; i++) {
    char *t = NULL;
    buf_t b;
    buf_init(&b, 0);
    if (signer_sign(l->sg, JOSE_ALG_EDDSA, claims, NULL, &t) != CUSTOS_OK) l->failures++;
    if (signer_jwks(l->sg, &b, NULL) != CUSTOS_OK) l->failures++;
    free(t);
    buf_cleanup(&b);
  }
  json_decref(claims);
  return NULL;
}

/* Readers never see a half-swapped set (run under ASan/TSan-style load). */
static void test_signer_signs_while_reloading(void **state) {
  fx_t *f = *state;
  static const jose_alg_t eddsa[] = {JOSE_ALG_EDDSA};
  signer_t *sg = new_signer(f->s, eddsa, 1);
  enum { N = 4 };
  pthread_t t[N];
  signing_loop_t l[N];
  for (int i = 0; i < N; i++) {
    l[i] = (signing_loop_t){sg, 0};
    assert_int_equal(pthread_create(&t[i], NULL, sign_thread, &l[i]), 0);
  }
  for (int i = 0; i < 10; i++) {
    store_signing_key_t row;
    assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, 0, &row), CUSTOS_OK);
    assert_int_equal(signer_reload(sg), CUSTOS_OK);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(l[i].failures, 0);
  }
  store_close(f->s);
  f->s = NULL;
  signer_free(sg);
}

static void test_signer_parse_algs(void **state) {
  (void)state;
  jose_alg_t a[4];
  size_t n = 0;
  assert_int_equal(signer_parse_algs("RS256, EdDSA,ES256,RS256", a, 4, &n), CUSTOS_OK);
  assert_int_equal(n, 3);
  assert_int_equal(a[0], JOSE_ALG_RS256);
  assert_int_equal(a[1], JOSE_ALG_EDDSA);
  assert_int_equal(a[2], JOSE_ALG_ES256);
  assert_int_equal(signer_parse_algs("HS256", a, 4, &n), CUSTOS_EALG);
  assert_int_equal(signer_parse_algs("none", a, 4, &n), CUSTOS_EALG);
  assert_int_equal(signer_parse_algs("", a, 4, &n), CUSTOS_EALG);
  assert_int_equal(signer_parse_algs("RS256,ES256", a, 1, &n), CUSTOS_ETOOBIG);
  signer_t *sg = (signer_t *)(uintptr_t)1;
  store_t *s = (store_t *)(uintptr_t)1;
  static const jose_alg_t hs[] = {JOSE_ALG_HS256};
  signer_opts_t o = {.algs = hs, .nalgs = 1};
  assert_int_equal(signer_new(s, MK, &o, &sg, NULL, 0), CUSTOS_EINVAL);
}


/* The store row of `kid` (cleanup it). */
static store_signing_key_t row_of(store_t *s, const char *kid) {
  store_signing_key_t rows[SIGNER_MAX_KEYS], out;
  int n = 0, hits = 0;
  memset(&out, 0, sizeof out);
  assert_int_equal(store_signing_key_list(s, NULL, SIGNER_MAX_KEYS, rows, &n), CUSTOS_OK);
  for (int i = 0; i < n; i++) {
    if (strcmp(rows[i].kid, kid) == 0 && hits++ == 0)
      out = rows[i];
    else
      store_signing_key_cleanup(&rows[i]);
  }
  assert_int_equal(hits, 1);
  return out;
}

/* The JWKS text and ETag, as a client sees them. */
static char *jwks_text(signer_t *sg, char etag[SIGNER_ETAG_MAX]) {
  buf_t b;
  buf_init(&b, 0);
  assert_int_equal(signer_jwks(sg, &b, etag), CUSTOS_OK);
  char *t = strndup(b.data, b.len);
  buf_cleanup(&b);
  return t;
}

/* Once a retired key has left the JWKS its sealed private key is erased
 * from the store (the row stays); before that it is not. The purge does
 * not change the JWKS, and tokens the purged key signed stay refused. */
static void test_signer_purges_private_keys_that_left_the_jwks(void **state) {
  fx_t *f = *state;
  const int64_t day = 86400, t0 = 1800000000;
  static const jose_alg_t ed[] = {JOSE_ALG_EDDSA};
  char a[STORE_KID_MAX], b[STORE_KID_MAX], e1[SIGNER_ETAG_MAX], e2[SIGNER_ETAG_MAX];
  store_signing_key_t row;
  jose_alg_t alg = JOSE_ALG_EDDSA;
  jose_policy_t p;
  jose_policy_init(&p);
  p.algs = &alg;
  p.nalgs = 1;
  atomic_store(&g_now, t0 - 20 * day);
  signer_opts_t o = {.algs = ed, .nalgs = 1, .clock = test_clock, .poll_ms = -1,
                     .no_listen = true};
  signer_t *sg = NULL;
  char err[256];
  assert_int_equal(signer_new(f->s, MK, &o, &sg, err, sizeof err), CUSTOS_OK);
  kid_of(f->s, "EdDSA", "active", a);
  char *ta = sign(sg, JOSE_ALG_EDDSA);
  /* a retires at t0 and b, the next key, signs. */
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0, &row), CUSTOS_OK);
  atomic_store(&g_now, t0);
  assert_int_equal(signer_reload(sg), CUSTOS_OK);
  kid_of(f->s, "EdDSA", "active", b);
  char *tb = sign(sg, JOSE_ALG_EDDSA);
  assert_int_equal(signer_verify(sg, ta, strlen(ta), &p, NULL, NULL), CUSTOS_OK);

  /* Inside retired_keep: a is published and keeps its private key. */
  atomic_store(&g_now, t0 + 7 * day - 1);
  assert_int_equal(signer_reload(sg), CUSTOS_OK);
  jose_jwks_t *set = published(sg, NULL);
  assert_non_null(jose_jwks_find(set, a));
  jose_jwks_free(set);
  store_signing_key_t k = row_of(f->s, a);
  assert_true(strlen(k.sealed) > 0);
  assert_int_equal(k.purged_at, 0);
  store_signing_key_cleanup(&k);

  /* Past it: the request that drops a from the JWKS purges it. */
  atomic_store(&g_now, t0 + 7 * day);
  char *j1 = jwks_text(sg, e1);
  assert_null(strstr(j1, a));
  assert_non_null(strstr(j1, b));
  k = row_of(f->s, a);
  assert_string_equal(k.sealed, ""); /* no sealed material left */
  assert_int_equal(k.purged_at, t0 + 7 * day);
  assert_string_equal(k.state, "retired");
  assert_int_equal(k.retired_at, t0);
  store_signing_key_cleanup(&k);
  k = row_of(f->s, b);
  assert_true(strlen(k.sealed) > 0);
  store_signing_key_cleanup(&k);

  /* The JWKS after the purge, reloaded and from a fresh signer, is the
   * one published before it. */
  assert_int_equal(signer_reload(sg), CUSTOS_OK);
  char *j2 = jwks_text(sg, e2);
  assert_string_equal(j2, j1);
  assert_string_equal(e2, e1);
  free(j2);
  signer_t *sg2 = NULL;
  assert_int_equal(signer_new(f->s, MK, &o, &sg2, err, sizeof err), CUSTOS_OK);
  j2 = jwks_text(sg2, e2);
  assert_string_equal(j2, j1);
  assert_string_equal(e2, e1);

  /* a's tokens are refused, b's still verify. */
  assert_int_equal(signer_verify(sg, ta, strlen(ta), &p, NULL, NULL), CUSTOS_EKEY);
  assert_int_equal(signer_verify(sg2, ta, strlen(ta), &p, NULL, NULL), CUSTOS_EKEY);
  assert_int_equal(signer_verify(sg2, tb, strlen(tb), &p, NULL, NULL), CUSTOS_OK);
  assert_int_equal(store_error_count(f->s), 0);
  free(j1);
  free(j2);
  free(ta);
  free(tb);
  signer_free(sg2);
  signer_free(sg);
}

/* A node whose retired_keep is longer than the purging node's skips the
 * tombstone on reload instead of failing to unseal it. */
static void test_signer_skips_keys_purged_elsewhere(void **state) {
  fx_t *f = *state;
  const int64_t day = 86400, t0 = 1800000000;
  static const jose_alg_t ed[] = {JOSE_ALG_EDDSA};
  char a[STORE_KID_MAX], err[256];
  store_signing_key_t row;
  int n = 0;
  atomic_store(&g_now, t0);
  signer_opts_t o = {.algs = ed, .nalgs = 1, .clock = test_clock, .poll_ms = -1,
                     .no_listen = true, .retired_keep = 30 * day};
  signer_t *sg = NULL;
  assert_int_equal(signer_new(f->s, MK, &o, &sg, err, sizeof err), CUSTOS_OK);
  kid_of(f->s, "EdDSA", "active", a);
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0 - 10 * day, &row), CUSTOS_OK);
  assert_int_equal(signer_reload(sg), CUSTOS_OK);
  jose_jwks_t *set = published(sg, NULL);
  assert_non_null(jose_jwks_find(set, a)); /* retired 10 days ago, kept 30 here */
  jose_jwks_free(set);
  /* Another node, with 7 days, purges it. */
  assert_int_equal(store_signing_key_purge(f->s, t0 - 7 * day, t0, &n), CUSTOS_OK);
  assert_int_equal(n, 1);
  assert_int_equal(signer_reload(sg), CUSTOS_OK);
  set = published(sg, NULL);
  assert_null(jose_jwks_find(set, a));
  jose_jwks_free(set);
  signer_free(sg);
}

typedef struct racer {
  const char *url;
  int rc;
  int errors;
} racer_t;

static void *purge_race_thread(void *p) {
  racer_t *r = p;
  store_t *s = NULL;
  signer_t *sg = NULL;
  char err[256];
  signer_opts_t o = {.clock = test_clock, .poll_ms = -1, .no_listen = true};
  r->rc = store_open(r->url, NULL, &s, err, sizeof err);
  if (!r->rc) r->rc = signer_new(s, MK, &o, &sg, err, sizeof err);
  if (s) r->errors = store_error_count(s);
  signer_free(sg);
  store_close(s);
  return NULL;
}

/* Nodes starting together on one store each find the aged-out key and
 * purge it: no error anywhere, and the key is purged. */
static void test_signer_racing_purges_succeed(void **state) {
  fx_t *f = *state;
  enum { N = 4 };
  const int64_t day = 86400, t0 = 1800000000;
  char a[STORE_KID_MAX];
  store_signing_key_t row;
  pthread_t t[N];
  racer_t r[N];
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0 - 20 * day, &row), CUSTOS_OK);
  memcpy(a, row.kid, sizeof a);
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0 - 19 * day, &row), CUSTOS_OK);
  assert_int_equal(signer_rotate(f->s, MK, JOSE_ALG_EDDSA, t0 - 9 * day, &row), CUSTOS_OK);
  atomic_store(&g_now, t0);
  for (int i = 0; i < N; i++) {
    r[i] = (racer_t){f->url, -1, -1};
    assert_int_equal(pthread_create(&t[i], NULL, purge_race_thread, &r[i]), 0);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(r[i].rc, CUSTOS_OK);
    assert_int_equal(r[i].errors, 0);
  }
  store_signing_key_t k = row_of(f->s, a);
  assert_string_equal(k.sealed, "");
  assert_int_equal(k.purged_at, t0);
  store_signing_key_cleanup(&k);
}

static const struct CMUnitTest common_tests[] = {
    cmocka_unit_test(test_signer_parse_algs),
};

static const struct CMUnitTest backend_tests[] = {
    MIG(test_signer_bootstraps_and_signs_each_alg),
    MIG(test_signer_private_material_only_sealed),
    MIG(test_signer_wrong_master_key_is_a_clear_error),
    MIG(test_signer_rotate_keeps_old_tokens_valid),
    MIG(test_signer_verify_uses_the_published_keys),
    MIG(test_signer_jwks_drops_keys_retired_too_long),
    MIG(test_signer_cached_verify_follows_keys_and_exp),
    MIG(test_signer_polls_changes_from_elsewhere),
    MIG(test_signer_concurrent_bootstrap_creates_one_set),
    MIG(test_signer_signs_while_reloading),
    MIG(test_signer_purges_private_keys_that_left_the_jwks),
    MIG(test_signer_skips_keys_purged_elsewhere),
    MIG(test_signer_racing_purges_succeed),
};

int main(void) {
  return fixture_main("jose_signer", common_tests, NTESTS(common_tests), backend_tests,
                      NTESTS(backend_tests));
}
