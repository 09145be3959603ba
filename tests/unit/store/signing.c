/*
 * Store tests for signing keys (create, list, rotate, generation), run on
 * SQLite and on PostgreSQL through fixture.h.
 */
#include "store/fixture.h"

#define PUB "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}"

/* A key input: kid "k<n>", alg, sealed text "sealed<n>". The strings live
 * in `buf`, which must outlive the struct. */
typedef struct kin {
  store_signing_key_t k;
  char sealed[32];
  char pub[128];
} kin_t;

static store_signing_key_t *key_in(kin_t *in, int n, const char *alg, const char *state) {
  memset(in, 0, sizeof *in);
  snprintf(in->k.kid, sizeof in->k.kid, "k%d", n);
  snprintf(in->k.alg, sizeof in->k.alg, "%s", alg);
  snprintf(in->k.state, sizeof in->k.state, "%s", state);
  snprintf(in->sealed, sizeof in->sealed, "sealed%d", n);
  snprintf(in->pub, sizeof in->pub, "%s", PUB);
  in->k.sealed = in->sealed;
  in->k.public_jwk = in->pub;
  return &in->k;
}

/* "alg:state:kid ..." of every key, newest first, into out. */
static void listing(store_t *s, const char *state, char *out, size_t cap) {
  store_signing_key_t rows[50];
  int n = -1;
  assert_int_equal(store_signing_key_list(s, state, 50, rows, &n), CUSTOS_OK);
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "%s%s:%s:%s", i ? " " : "", rows[i].alg, rows[i].state,
             rows[i].kid);
    store_signing_key_cleanup(&rows[i]);
  }
}

static void test_signing_create_and_list(void **state) {
  fx_t *f = *state;
  kin_t in;
  store_signing_key_t rows[4];
  int n = -1;
  store_signing_key_t *k = key_in(&in, 1, "RS256", "active");
  k->created_at = 1700000000;
  assert_int_equal(store_signing_key_create(f->s, k), CUSTOS_OK);
  assert_int_equal(k->activated_at, 1700000000);
  assert_int_equal(k->retired_at, 0);
  k = key_in(&in, 2, "RS256", "next");
  k->created_at = 1700000100;
  assert_int_equal(store_signing_key_create(f->s, k), CUSTOS_OK);
  assert_int_equal(k->activated_at, 0);
  k = key_in(&in, 3, "EdDSA", "next");
  assert_int_equal(store_signing_key_create(f->s, k), CUSTOS_OK); /* created_at 0 = now */
  assert_true(k->created_at > 1700000100);

  assert_int_equal(store_signing_key_list(f->s, NULL, 4, rows, &n), CUSTOS_OK);
  assert_int_equal(n, 3);
  assert_string_equal(rows[0].kid, "k3"); /* newest first */
  assert_string_equal(rows[1].kid, "k2");
  assert_string_equal(rows[2].kid, "k1");
  assert_string_equal(rows[2].alg, "RS256");
  assert_string_equal(rows[2].state, "active");
  assert_string_equal(rows[2].sealed, "sealed1");
  assert_string_equal(rows[2].public_jwk, PUB);
  assert_int_equal(rows[2].created_at, 1700000000);
  assert_int_equal(rows[2].activated_at, 1700000000);
  for (int i = 0; i < n; i++) store_signing_key_cleanup(&rows[i]);

  assert_int_equal(store_signing_key_list(f->s, "next", 1, rows, &n), CUSTOS_OK);
  assert_int_equal(n, 1);
  assert_string_equal(rows[0].kid, "k3");
  store_signing_key_cleanup(&rows[0]);
  assert_int_equal(store_signing_key_list(f->s, "retired", 4, rows, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(store_error_count(f->s), 0);
}

/* One active and one next per alg; kids unique. */
static void test_signing_one_key_per_live_state(void **state) {
  fx_t *f = *state;
  kin_t in;
  assert_int_equal(store_signing_key_create(f->s, key_in(&in, 1, "ES256", "active")), CUSTOS_OK);
  assert_int_equal(store_signing_key_create(f->s, key_in(&in, 2, "ES256", "active")),
                   CUSTOS_EEXISTS);
  assert_int_equal(store_signing_key_create(f->s, key_in(&in, 1, "RS256", "next")),
                   CUSTOS_EEXISTS); /* same kid */
  assert_int_equal(store_signing_key_create(f->s, key_in(&in, 3, "ES256", "next")), CUSTOS_OK);
  assert_int_equal(store_signing_key_create(f->s, key_in(&in, 4, "ES256", "next")),
                   CUSTOS_EEXISTS);
  assert_int_equal(store_signing_key_create(f->s, key_in(&in, 5, "RS256", "active")), CUSTOS_OK);
  assert_int_equal(store_error_count(f->s), 0);
}

static void test_signing_bad_input_is_einval(void **state) {
  fx_t *f = *state;
  kin_t in;
  store_signing_key_t rows[2], *k;
  int n = 7;
  k = key_in(&in, 1, "RS256", "retired"); /* never born retired */
  assert_int_equal(store_signing_key_create(f->s, k), CUSTOS_EINVAL);
  k = key_in(&in, 1, "RS256", "active");
  snprintf(k->kid, sizeof k->kid, "bad kid");
  assert_int_equal(store_signing_key_create(f->s, k), CUSTOS_EINVAL);
  k = key_in(&in, 1, "RS-256", "active");
  assert_int_equal(store_signing_key_create(f->s, k), CUSTOS_EINVAL);
  k = key_in(&in, 1, "RS256", "active");
  k->sealed = "not base64url!";
  assert_int_equal(store_signing_key_create(f->s, k), CUSTOS_EINVAL);
  k->sealed = NULL;
  assert_int_equal(store_signing_key_create(f->s, k), CUSTOS_EINVAL);
  /* The clear column refuses anything private. */
  static const char *const bad_pub[] = {
      "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\",\"d\":\"BBBB\"}",
      "{\"kty\":\"oct\",\"k\":\"AAAA\"}", "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"p\":\"A\"}",
      "[1]", "not json", "{\"a\":1,\"a\":2}"};
  for (size_t i = 0; i < sizeof bad_pub / sizeof bad_pub[0]; i++) {
    k = key_in(&in, 1, "RS256", "active");
    k->public_jwk = (char *)bad_pub[i];
    assert_int_equal(store_signing_key_create(f->s, k), CUSTOS_EINVAL);
  }
  assert_int_equal(store_signing_key_list(f->s, "old", 2, rows, &n), CUSTOS_EINVAL);
  assert_int_equal(store_signing_key_list(f->s, NULL, 0, rows, &n), CUSTOS_EINVAL);
  assert_int_equal(n, 7);
  k = key_in(&in, 1, "RS256", "next");
  assert_int_equal(store_signing_key_rotate(f->s, "RS256", k, 0), CUSTOS_EINVAL);
  assert_int_equal(store_signing_key_rotate(f->s, "ES256", k, 1700000000), CUSTOS_EINVAL);
  assert_int_equal(store_signing_key_list(f->s, NULL, 2, rows, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(store_error_count(f->s), 0);
}

/* The rotation table of store.h, step by step, with the generation
 * growing at every change. */
static void test_signing_rotate_states(void **state) {
  fx_t *f = *state;
  kin_t in;
  char got[512];
  int64_t g0 = -1, g1 = -1, g2 = -1, g3 = -1;
  store_signing_key_t *k;
  store_signing_key_t rows[8];
  int n = 0;

  assert_int_equal(store_signing_key_generation(f->s, &g0), CUSTOS_OK);
  assert_int_equal(g0, 0);
  /* Bootstrap: no keys -> the new key is active at once. */
  k = key_in(&in, 1, "RS256", "ignored");
  assert_int_equal(store_signing_key_rotate(f->s, "RS256", k, 1000), CUSTOS_OK);
  assert_string_equal(k->state, "active");
  assert_int_equal(k->created_at, 1000);
  assert_int_equal(k->activated_at, 1000);
  assert_int_equal(store_signing_key_generation(f->s, &g1), CUSTOS_OK);
  assert_true(g1 > g0);
  /* Active, no next -> the new key is next; the active key stays. */
  k = key_in(&in, 2, "RS256", "");
  assert_int_equal(store_signing_key_rotate(f->s, "RS256", k, 2000), CUSTOS_OK);
  assert_string_equal(k->state, "next");
  assert_int_equal(k->activated_at, 0);
  listing(f->s, NULL, got, sizeof got);
  assert_string_equal(got, "RS256:next:k2 RS256:active:k1");
  assert_int_equal(store_signing_key_generation(f->s, &g2), CUSTOS_OK);
  assert_true(g2 > g1);
  /* Both -> active retires, next activates, new is next. */
  k = key_in(&in, 3, "RS256", "");
  assert_int_equal(store_signing_key_rotate(f->s, "RS256", k, 3000), CUSTOS_OK);
  assert_string_equal(k->state, "next");
  listing(f->s, NULL, got, sizeof got);
  assert_string_equal(got, "RS256:next:k3 RS256:active:k2 RS256:retired:k1");
  assert_int_equal(store_signing_key_list(f->s, NULL, 8, rows, &n), CUSTOS_OK);
  assert_int_equal(n, 3);
  assert_int_equal(rows[1].activated_at, 3000);
  assert_int_equal(rows[2].retired_at, 3000);
  assert_int_equal(rows[2].activated_at, 1000);
  for (int i = 0; i < n; i++) store_signing_key_cleanup(&rows[i]);
  assert_int_equal(store_signing_key_generation(f->s, &g3), CUSTOS_OK);
  assert_true(g3 > g2);
  /* Next, no active -> next activates, new is next. */
  assert_int_equal(store_signing_key_create(f->s, key_in(&in, 10, "EdDSA", "next")), CUSTOS_OK);
  k = key_in(&in, 11, "EdDSA", "");
  assert_int_equal(store_signing_key_rotate(f->s, "EdDSA", k, 4000), CUSTOS_OK);
  assert_string_equal(k->state, "next");
  listing(f->s, "active", got, sizeof got);
  assert_string_equal(got, "EdDSA:active:k10 RS256:active:k2");
  /* Other algs are untouched; a duplicate kid changes nothing. */
  k = key_in(&in, 3, "RS256", "");
  assert_int_equal(store_signing_key_rotate(f->s, "RS256", k, 5000), CUSTOS_EEXISTS);
  listing(f->s, NULL, got, sizeof got);
  /* k10 was created "now", after every explicit time above. */
  assert_string_equal(got, "EdDSA:active:k10 EdDSA:next:k11 RS256:next:k3 RS256:active:k2 "
                           "RS256:retired:k1");
  assert_int_equal(store_error_count(f->s), 0);
}

typedef struct rot {
  store_t *s;
  int n;
  int rc;
} rot_t;

static void *rotate_thread(void *p) {
  rot_t *r = p;
  kin_t in;
  r->rc = store_signing_key_rotate(r->s, "ES256", key_in(&in, 100 + r->n, "ES256", ""),
                                   5000 + r->n);
  return NULL;
}

/* Concurrent rotations take turns: every one succeeds, and the result is
 * one active, one next, the rest retired. */
static void test_signing_concurrent_rotations_serialise(void **state) {
  fx_t *f = *state;
  kin_t in;
  enum { N = 6 };
  pthread_t t[N];
  rot_t r[N];
  store_signing_key_t rows[N + 2];
  int n = 0, active = 0, next = 0, retired = 0;
  assert_int_equal(store_signing_key_create(f->s, key_in(&in, 1, "ES256", "active")), CUSTOS_OK);
  assert_int_equal(store_signing_key_create(f->s, key_in(&in, 2, "ES256", "next")), CUSTOS_OK);
  for (int i = 0; i < N; i++) {
    r[i] = (rot_t){f->s, i, -1};
    assert_int_equal(pthread_create(&t[i], NULL, rotate_thread, &r[i]), 0);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(r[i].rc, CUSTOS_OK);
  }
  assert_int_equal(store_signing_key_list(f->s, NULL, N + 2, rows, &n), CUSTOS_OK);
  assert_int_equal(n, N + 2);
  for (int i = 0; i < n; i++) {
    active += strcmp(rows[i].state, "active") == 0;
    next += strcmp(rows[i].state, "next") == 0;
    retired += strcmp(rows[i].state, "retired") == 0;
    store_signing_key_cleanup(&rows[i]);
  }
  assert_int_equal(active, 1);
  assert_int_equal(next, 1);
  assert_int_equal(retired, N);
}


/* The key named `kid`, read back from the store (cleanup it). */
static store_signing_key_t read_key(store_t *s, const char *kid) {
  store_signing_key_t rows[16], out;
  int n = 0, hits = 0;
  memset(&out, 0, sizeof out);
  assert_int_equal(store_signing_key_list(s, NULL, 16, rows, &n), CUSTOS_OK);
  for (int i = 0; i < n; i++) {
    if (strcmp(rows[i].kid, kid) == 0 && hits++ == 0)
      out = rows[i];
    else
      store_signing_key_cleanup(&rows[i]);
  }
  assert_int_equal(hits, 1);
  return out;
}

/* k1 retired at 3000, k2 retired at 4000, k3 active, k4 next. */
static void four_rs256_keys(store_t *s) {
  kin_t in;
  for (int i = 1; i <= 4; i++)
    assert_int_equal(store_signing_key_rotate(s, "RS256", key_in(&in, i, "RS256", ""), i * 1000),
                     CUSTOS_OK);
}

/* Purge erases the sealed private key of retired keys at or before the
 * cut-off, once; the row stays (tombstone) with its public half and times;
 * live keys and keys retired later keep theirs. */
static void test_signing_purge_erases_only_aged_retired_keys(void **state) {
  fx_t *f = *state;
  char got[512];
  int n = -1;
  int64_t g0 = 0, g1 = 0, g2 = 0;
  four_rs256_keys(f->s);
  listing(f->s, NULL, got, sizeof got);
  assert_string_equal(got, "RS256:next:k4 RS256:active:k3 RS256:retired:k2 RS256:retired:k1");
  assert_int_equal(store_signing_key_generation(f->s, &g0), CUSTOS_OK);

  assert_int_equal(store_signing_key_purge(f->s, 2999, 5000, &n), CUSTOS_OK);
  assert_int_equal(n, 0); /* k1 retired at 3000: not yet */
  store_signing_key_t k = read_key(f->s, "k1");
  assert_string_equal(k.sealed, "sealed1");
  assert_int_equal(k.purged_at, 0);
  store_signing_key_cleanup(&k);
  assert_int_equal(store_signing_key_generation(f->s, &g1), CUSTOS_OK);
  assert_int_equal(g1, g0);

  assert_int_equal(store_signing_key_purge(f->s, 3000, 5000, &n), CUSTOS_OK);
  assert_int_equal(n, 1);
  k = read_key(f->s, "k1");
  assert_string_equal(k.sealed, ""); /* no private material left */
  assert_int_equal(k.purged_at, 5000);
  assert_string_equal(k.state, "retired");
  assert_string_equal(k.alg, "RS256");
  assert_int_equal(k.created_at, 1000);
  assert_int_equal(k.activated_at, 1000);
  assert_int_equal(k.retired_at, 3000);
  assert_string_equal(k.public_jwk, PUB);
  store_signing_key_cleanup(&k);
  k = read_key(f->s, "k2");
  assert_string_equal(k.sealed, "sealed2");
  assert_int_equal(k.purged_at, 0);
  store_signing_key_cleanup(&k);
  assert_int_equal(store_signing_key_generation(f->s, &g2), CUSTOS_OK);
  assert_true(g2 > g1);

  /* Again: nothing left to purge; the first purge time stays. */
  assert_int_equal(store_signing_key_purge(f->s, 3000, 6000, &n), CUSTOS_OK);
  assert_int_equal(n, 0);
  k = read_key(f->s, "k1");
  assert_int_equal(k.purged_at, 5000);
  store_signing_key_cleanup(&k);

  /* A cut-off past every time: only retired keys are purged. */
  assert_int_equal(store_signing_key_purge(f->s, INT64_MAX, 7000, NULL), CUSTOS_OK);
  static const char *const live[] = {"k3", "k4"};
  for (int i = 0; i < 2; i++) {
    k = read_key(f->s, live[i]);
    assert_int_equal(k.purged_at, 0);
    assert_string_equal(k.sealed, i ? "sealed4" : "sealed3");
    store_signing_key_cleanup(&k);
  }
  k = read_key(f->s, "k2");
  assert_string_equal(k.sealed, "");
  assert_int_equal(k.purged_at, 7000);
  store_signing_key_cleanup(&k);
  listing(f->s, NULL, got, sizeof got); /* rows are never deleted */
  assert_string_equal(got, "RS256:next:k4 RS256:active:k3 RS256:retired:k2 RS256:retired:k1");

  assert_int_equal(store_signing_key_purge(f->s, 3000, 0, &n), CUSTOS_EINVAL);
  assert_int_equal(store_error_count(f->s), 0);
}

typedef struct purger {
  store_t *s;
  int n;
  int rc;
} purger_t;

/* Rotates RS256 at 5000: k3 retires, after the purges' cut-off. */
static void *rotate_rs256_thread(void *p) {
  rot_t *r = p;
  kin_t in;
  r->rc = store_signing_key_rotate(r->s, "RS256", key_in(&in, 5, "RS256", ""), 5000);
  return NULL;
}

static void *purge_thread(void *p) {
  purger_t *u = p;
  u->rc = store_signing_key_purge(u->s, 4000, 9000, &u->n);
  return NULL;
}

/* Purges racing each other and a rotation: no error, each key purged by
 * exactly one of them. */
static void test_signing_concurrent_purges_purge_once(void **state) {
  fx_t *f = *state;
  enum { N = 4 };
  pthread_t t[N], rt;
  purger_t u[N];
  rot_t r = {f->s, 0, -1};
  int total = 0;
  four_rs256_keys(f->s);
  for (int i = 0; i < N; i++) {
    u[i] = (purger_t){f->s, -1, -1};
    assert_int_equal(pthread_create(&t[i], NULL, purge_thread, &u[i]), 0);
  }
  assert_int_equal(pthread_create(&rt, NULL, rotate_rs256_thread, &r), 0);
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(u[i].rc, CUSTOS_OK);
    total += u[i].n;
  }
  pthread_join(rt, NULL);
  assert_int_equal(r.rc, CUSTOS_OK);
  assert_int_equal(total, 2);
  store_signing_key_t k = read_key(f->s, "k3");
  assert_int_equal(k.purged_at, 0); /* retired at 5000, after the cut-off */
  assert_string_equal(k.state, "retired");
  assert_string_equal(k.sealed, "sealed3");
  store_signing_key_cleanup(&k);
}

static const struct CMUnitTest backend_tests[] = {
    MIG(test_signing_create_and_list),
    MIG(test_signing_one_key_per_live_state),
    MIG(test_signing_bad_input_is_einval),
    MIG(test_signing_rotate_states),
    MIG(test_signing_concurrent_rotations_serialise),
    MIG(test_signing_purge_erases_only_aged_retired_keys),
    MIG(test_signing_concurrent_purges_purge_once),
};

int main(void) {
  return fixture_main("store_signing", NULL, 0, backend_tests, NTESTS(backend_tests));
}
