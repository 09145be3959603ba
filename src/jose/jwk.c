#include "jose/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64url.h"
#include "custos.h"
#include "jose/jparse.h"

#define USE_MAX 64      /* "use" value, bytes */
#define NMACS 3         /* one HMAC context per SHA-256/384/512 */
#define MAX_MEMBERS 6   /* most members of one kind a JWK emits (RSA private) */

struct jose_jwk {
  atomic_int refs;               /* references; the last jose_jwk_free frees */
  jose_kty_t kty;                /* never UNSET once parsed */
  jose_crv_t crv;                /* EC/OKP curve, NONE otherwise */
  jose_alg_t alg;                /* the JWK's "alg", UNSET when absent */
  bool priv;                     /* private material present (oct: always) */
  char *kid;                     /* NUL-terminated, NULL when absent */
  char *use;                     /* NUL-terminated, NULL when absent */
  EVP_PKEY *pkey;                /* RSA, EC, OKP; NULL for oct */
  unsigned char *secret;         /* oct secret, wiped on free */
  size_t secret_len;             /* bytes, JOSE_OCT_MIN_BYTES..JOSE_OCT_MAX_BYTES */
  EVP_MAC_CTX *mac[NMACS];       /* keyed HMAC for SHA-256/384/512 or NULL */
};

/* ---- member readers ------------------------------------------------------ */

/* Reads optional/required string member; *s NULL when absent. Rejects
 * embedded NULs so the value is a clean C string. */
static int get_str(const json_t *obj, const char *name, bool required, const char **s,
                   size_t *n) {
  json_t *v = json_object_get(obj, name);
  *s = NULL;
  *n = 0;
  if (!v) return required ? CUSTOS_EINVAL : CUSTOS_OK;
  if (!json_is_string(v)) return CUSTOS_EINVAL;
  *s = json_string_value(v);
  *n = json_string_length(v);
  if (strlen(*s) != *n) return CUSTOS_EINVAL;
  return CUSTOS_OK;
}

/* Decodes a base64url member into a new buffer (wipe+free with
 * bytes_free). Empty values are malformed: no JWK member may be empty.
 * *out NULL when absent and optional. */
static int get_b64(const json_t *obj, const char *name, bool required, unsigned char **out,
                   size_t *outlen) {
  const char *s;
  size_t n;
  *out = NULL;
  *outlen = 0;
  int rc = get_str(obj, name, required, &s, &n);
  if (rc || !s) return rc;
  if (n == 0) return CUSTOS_EINVAL;
  /* JOSE_JWK_MAX_BYTES bounds parsed text, but a json_t built in memory has
   * no such cap; keep every member within it too. */
  if (n > JOSE_JWK_MAX_BYTES) return CUSTOS_EINVAL;
  unsigned char *b = malloc(b64url_decoded_max(n));
  if (!b) return CUSTOS_ENOMEM;
  size_t len;
  if (b64url_decode(s, n, b, &len) != CUSTOS_OK || len == 0) {
    OPENSSL_cleanse(b, b64url_decoded_max(n));
    free(b);
    return CUSTOS_EINVAL;
  }
  *out = b;
  *outlen = len;
  return CUSTOS_OK;
}

static void bytes_free(unsigned char *p, size_t n) {
  if (!p) return;
  OPENSSL_cleanse(p, n);
  free(p);
}

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static int mac_index(size_t hash_len) {
  switch (hash_len) {
  case 32: return 0;
  case 48: return 1;
  case 64: return 2;
  default: return -1;
  }
}

static const char *const MAC_DIGESTS[NMACS] = {"SHA256", "SHA384", "SHA512"};
static const size_t MAC_LENS[NMACS] = {32, 48, 64};

/* ---- per key type ---------------------------------------------------------- */

/* Builds k->pkey from OSSL_PARAMs with EVP_PKEY_fromdata. */
static int from_params(jose_jwk_t *k, const char *type, OSSL_PARAM_BLD *bld, bool priv) {
  int rc = CUSTOS_ENOMEM;
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
  if (!params || !ctx) goto out;
  rc = CUSTOS_EKEY;
  if (EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &k->pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
    goto out;
  rc = CUSTOS_OK;
out:
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params); /* private BNs were pushed secure; their copies are wiped */
  return rc;
}

/* For EC keys: OpenSSL's public check (point on the curve, not infinity)
 * and, for private keys, the pairwise check that d matches the point.
 * RSA keys are checked in parse_rsa instead: OpenSSL's RSA public check
 * (SP 800-56B) runs a randomized Miller-Rabin test on n, so a malformed
 * modulus could be accepted on one load and refused on the next. */
static int check_pkey(jose_jwk_t *k) {
  int rc = CUSTOS_ENOMEM;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
  if (!ctx) goto out;
  rc = CUSTOS_EKEY;
  if (EVP_PKEY_public_check(ctx) != 1) goto out;
  if (k->priv && k->kty == JOSE_KTY_EC && EVP_PKEY_pairwise_check(ctx) != 1) goto out;
  rc = CUSTOS_OK;
out:
  EVP_PKEY_CTX_free(ctx);
  return rc;
}

static const char *const RSA_PRIV_NAMES[5] = {"p", "q", "dp", "dq", "qi"};
static const char *const RSA_PRIV_PARAMS[5] = {
    OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};

static int parse_rsa(const json_t *obj, jose_jwk_t *k) {
  unsigned char *n = NULL, *e = NULL, *d = NULL, *crt[5] = {0};
  size_t nl = 0, el = 0, dl = 0, crtl[5] = {0};
  BIGNUM *bn[8] = {0}; /* n, e, d, p, q, dp, dq, qi */
  OSSL_PARAM_BLD *bld = NULL;
  int rc;

  if (json_object_get(obj, "oth")) return CUSTOS_EKEY; /* multi-prime: unsupported */
  if ((rc = get_b64(obj, "n", true, &n, &nl)) || (rc = get_b64(obj, "e", true, &e, &el)) ||
      (rc = get_b64(obj, "d", false, &d, &dl)))
    goto out;
  int ncrt = 0;
  for (int i = 0; i < 5; i++) {
    if ((rc = get_b64(obj, RSA_PRIV_NAMES[i], false, &crt[i], &crtl[i]))) goto out;
    ncrt += crt[i] != NULL;
  }
  rc = CUSTOS_EINVAL;
  if ((ncrt != 0 && ncrt != 5) || (ncrt && !d)) goto out;
  /* Cheap size gate before any bignum work: leading zero bytes aside, the
   * modulus must be within the accepted bit range. */
  size_t nz = 0;
  while (nz < nl && n[nz] == 0) nz++;
  rc = CUSTOS_EKEY;
  if ((nl - nz) * 8 > JOSE_RSA_MAX_BITS || (nl - nz) * 8 < JOSE_RSA_MIN_BITS) goto out;
  if (el > 64) goto out;
  k->priv = d != NULL;

  rc = CUSTOS_ENOMEM;
  if (!(bld = OSSL_PARAM_BLD_new())) goto out;
  if (!(bn[0] = BN_bin2bn(n, (int)nl, NULL)) || !(bn[1] = BN_bin2bn(e, (int)el, NULL)) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn[0]) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn[1]))
    goto out;
  if (d) {
    if (!(bn[2] = BN_secure_new()) || !BN_bin2bn(d, (int)dl, bn[2]) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, bn[2]))
      goto out;
    for (int i = 0; i < ncrt; i++)
      if (!(bn[3 + i] = BN_secure_new()) || !BN_bin2bn(crt[i], (int)crtl[i], bn[3 + i]) ||
          !OSSL_PARAM_BLD_push_BN(bld, RSA_PRIV_PARAMS[i], bn[3 + i]))
        goto out;
  }
  /* Deterministic sanity: an odd modulus and an odd exponent 1 < e < n. */
  rc = CUSTOS_EKEY;
  if (!BN_is_odd(bn[0]) || !BN_is_odd(bn[1]) || BN_cmp(bn[1], BN_value_one()) <= 0 ||
      BN_cmp(bn[1], bn[0]) >= 0)
    goto out;
  if ((rc = from_params(k, "RSA", bld, k->priv))) goto out;
  rc = CUSTOS_EKEY;
  int bits = EVP_PKEY_get_bits(k->pkey);
  if (bits < JOSE_RSA_MIN_BITS || bits > JOSE_RSA_MAX_BITS) goto out;
  rc = CUSTOS_OK;
out:
  OSSL_PARAM_BLD_free(bld);
  for (int i = 0; i < 8; i++) BN_clear_free(bn[i]);
  bytes_free(n, nl);
  bytes_free(e, el);
  bytes_free(d, dl);
  for (int i = 0; i < 5; i++) bytes_free(crt[i], crtl[i]);
  return rc;
}

static int parse_crv(const json_t *obj, jose_jwk_t *k) {
  const char *s;
  size_t n;
  int rc = get_str(obj, "crv", true, &s, &n);
  if (rc) return rc;
  k->crv = jose_crv_from_name(s, n);
  bool ok = k->kty == JOSE_KTY_EC ? (k->crv == JOSE_CRV_P256 || k->crv == JOSE_CRV_P384)
                                  : k->crv == JOSE_CRV_ED25519;
  return ok ? CUSTOS_OK : CUSTOS_EKEY;
}

static int parse_ec(const json_t *obj, jose_jwk_t *k) {
  unsigned char *x = NULL, *y = NULL, *d = NULL, pub[1 + 2 * 48];
  size_t xl = 0, yl = 0, dl = 0;
  BIGNUM *priv = NULL;
  OSSL_PARAM_BLD *bld = NULL;
  int rc;

  if ((rc = parse_crv(obj, k))) return rc;
  size_t cl = jose_crv_coord_len(k->crv);
  if ((rc = get_b64(obj, "x", true, &x, &xl)) || (rc = get_b64(obj, "y", true, &y, &yl)) ||
      (rc = get_b64(obj, "d", false, &d, &dl)))
    goto out;
  /* RFC 7518 §6.2.1.2-3, §6.2.2.1: each is exactly the coordinate size. */
  rc = CUSTOS_EINVAL;
  if (!x || !y || xl != cl || yl != cl || (d && dl != cl)) goto out;
  k->priv = d != NULL;
  pub[0] = 0x04; /* SEC 1 uncompressed point */
  memcpy(pub + 1, x, cl);
  memcpy(pub + 1 + cl, y, cl);

  rc = CUSTOS_ENOMEM;
  if (!(bld = OSSL_PARAM_BLD_new())) goto out;
  const char *group = k->crv == JOSE_CRV_P256 ? "prime256v1" : "secp384r1";
  if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * cl))
    goto out;
  if (d && (!(priv = BN_secure_new()) || !BN_bin2bn(d, (int)dl, priv) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
    goto out;
  if ((rc = from_params(k, "EC", bld, k->priv))) goto out;
  rc = check_pkey(k);
out:
  OSSL_PARAM_BLD_free(bld);
  BN_clear_free(priv);
  bytes_free(x, xl);
  bytes_free(y, yl);
  bytes_free(d, dl);
  return rc;
}

/* Ed25519 keys are built with the raw-key constructors, which are
 * EVP_PKEY_fromdata with the one OSSL_PARAM an OKP key has. */
static int parse_okp(const json_t *obj, jose_jwk_t *k) {
  unsigned char *x = NULL, *d = NULL, derived[32];
  size_t xl = 0, dl = 0, derived_len = sizeof derived;
  int rc;

  if ((rc = parse_crv(obj, k))) return rc;
  if ((rc = get_b64(obj, "x", true, &x, &xl)) || (rc = get_b64(obj, "d", false, &d, &dl))) goto out;
  rc = CUSTOS_EINVAL;
  if (xl != 32 || (d && dl != 32)) goto out;
  k->priv = d != NULL;
  rc = CUSTOS_ENOMEM;
  if (d) {
    if (!(k->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, d, dl))) goto out;
    rc = CUSTOS_EKEY;
    if (EVP_PKEY_get_raw_public_key(k->pkey, derived, &derived_len) != 1 || derived_len != 32 ||
        CRYPTO_memcmp(derived, x, 32) != 0)
      goto out;
  } else {
    if (!(k->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, xl))) goto out;
  }
  rc = CUSTOS_OK;
out:
  bytes_free(x, xl);
  bytes_free(d, dl);
  return rc;
}

static int parse_oct(const json_t *obj, jose_jwk_t *k) {
  EVP_MAC *hmac = NULL;
  int rc = get_b64(obj, "k", true, &k->secret, &k->secret_len);
  if (rc) return rc;
  k->priv = true;
  /* RFC 7518 §3.2: a key of the same size as the hash output or larger. */
  size_t need = k->alg ? jose_alg_hash_len(k->alg) : JOSE_OCT_MIN_BYTES;
  if (k->secret_len < need || k->secret_len < JOSE_OCT_MIN_BYTES ||
      k->secret_len > JOSE_OCT_MAX_BYTES)
    return CUSTOS_EKEY;

  rc = CUSTOS_ENOMEM;
  if (!(hmac = EVP_MAC_fetch(NULL, "HMAC", NULL))) goto out;
  for (int i = 0; i < NMACS; i++) {
    if (k->secret_len < MAC_LENS[i]) continue;
    if (k->alg && jose_alg_hash_len(k->alg) != MAC_LENS[i]) continue;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)MAC_DIGESTS[i], 0),
        OSSL_PARAM_construct_end()};
    if (!(k->mac[i] = EVP_MAC_CTX_new(hmac))) goto out;
    if (EVP_MAC_init(k->mac[i], k->secret, k->secret_len, p) != 1) {
      rc = CUSTOS_ECRYPTO;
      goto out;
    }
  }
  rc = CUSTOS_OK;
out:
  EVP_MAC_free(hmac); /* each context holds its own reference */
  return rc;
}

/* ---- public ---------------------------------------------------------------- */

static void jwk_destroy(jose_jwk_t *k) {
  for (int i = 0; i < NMACS; i++) EVP_MAC_CTX_free(k->mac[i]);
  bytes_free(k->secret, k->secret_len);
  EVP_PKEY_free(k->pkey);
  free(k->kid);
  free(k->use);
  free(k);
}

int jose_jwk_from_json(const json_t *obj, jose_jwk_t **out) {
  if (!obj || !out || !json_is_object(obj)) return CUSTOS_EINVAL;
  jose_jwk_t *k = calloc(1, sizeof *k);
  if (!k) return CUSTOS_ENOMEM;
  atomic_init(&k->refs, 1);
  const char *s;
  size_t n;
  int rc;

  if ((rc = get_str(obj, "kty", true, &s, &n))) goto fail;
  if (n == 3 && memcmp(s, "RSA", 3) == 0) k->kty = JOSE_KTY_RSA;
  else if (n == 2 && memcmp(s, "EC", 2) == 0) k->kty = JOSE_KTY_EC;
  else if (n == 3 && memcmp(s, "OKP", 3) == 0) k->kty = JOSE_KTY_OKP;
  else if (n == 3 && memcmp(s, "oct", 3) == 0) k->kty = JOSE_KTY_OCT;
  else {
    rc = CUSTOS_EKEY;
    goto fail;
  }

  if ((rc = get_str(obj, "kid", false, &s, &n))) goto fail;
  if (s) {
    rc = CUSTOS_EINVAL;
    if (n > JOSE_KID_MAX) goto fail;
    rc = CUSTOS_ENOMEM;
    if (!(k->kid = dup_n(s, n))) goto fail;
  }
  if ((rc = get_str(obj, "use", false, &s, &n))) goto fail;
  if (s) {
    rc = CUSTOS_EINVAL;
    if (n > USE_MAX) goto fail;
    rc = CUSTOS_ENOMEM;
    if (!(k->use = dup_n(s, n))) goto fail;
  }
  if ((rc = get_str(obj, "alg", false, &s, &n))) goto fail;
  if (s) {
    rc = CUSTOS_EALG;
    k->alg = jose_alg_from_name(s, n);
    if (!k->alg || jose_alg_kty(k->alg) != k->kty) goto fail;
  }

  switch (k->kty) {
  case JOSE_KTY_RSA: rc = parse_rsa(obj, k); break;
  case JOSE_KTY_EC: rc = parse_ec(obj, k); break;
  case JOSE_KTY_OKP: rc = parse_okp(obj, k); break;
  case JOSE_KTY_OCT: rc = parse_oct(obj, k); break;
  default: rc = CUSTOS_EKEY; break;
  }
  if (rc) goto fail;
  /* An "alg" for another curve (ES384 on a P-256 key) is as wrong as one
   * for another key type. */
  if (k->alg && !jose_jwk_fits(k, k->alg)) {
    rc = CUSTOS_EALG;
    goto fail;
  }
  *out = k;
  return CUSTOS_OK;
fail:
  jwk_destroy(k);
  return rc;
}

int jose_jwk_parse(const char *text, size_t len, jose_jwk_t **out) {
  if (!text || !out) return CUSTOS_EINVAL;
  if (len > JOSE_JWK_MAX_BYTES) return CUSTOS_ETOOBIG;
  json_t *obj = NULL;
  int rc = jose_json_parse(text, len, JOSE_JWK_MAX_DEPTH, &obj);
  if (rc) return rc;
  rc = jose_jwk_from_json(obj, out);
  json_decref(obj);
  return rc;
}

jose_jwk_t *jose_jwk_ref(jose_jwk_t *k) {
  if (k) atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
  return k;
}

void jose_jwk_free(jose_jwk_t *k) {
  if (!k) return;
  if (atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) == 1) jwk_destroy(k);
}

jose_kty_t jose_jwk_kty(const jose_jwk_t *k) { return k->kty; }
jose_crv_t jose_jwk_crv(const jose_jwk_t *k) { return k->crv; }
const char *jose_jwk_kid(const jose_jwk_t *k) { return k->kid; }
jose_alg_t jose_jwk_alg(const jose_jwk_t *k) { return k->alg; }
const char *jose_jwk_use(const jose_jwk_t *k) { return k->use; }
bool jose_jwk_has_private(const jose_jwk_t *k) { return k->priv; }

bool jose_jwk_fits(const jose_jwk_t *k, jose_alg_t alg) {
  if (!k || jose_alg_kty(alg) != k->kty) return false;
  switch (k->kty) {
  case JOSE_KTY_EC:
  case JOSE_KTY_OKP: return jose_alg_crv(alg) == k->crv;
  case JOSE_KTY_OCT: {
    int i = mac_index(jose_alg_hash_len(alg));
    return i >= 0 && k->mac[i] != NULL;
  }
  default: return true;
  }
}

bool jose_jwk_allows(const jose_jwk_t *k, jose_alg_t alg) {
  return k && k->alg != JOSE_ALG_UNSET && k->alg == alg && jose_jwk_fits(k, alg);
}

EVP_PKEY *jose_jwk__pkey(const jose_jwk_t *k) { return k->pkey; }

EVP_MAC_CTX *jose_jwk__mac(const jose_jwk_t *k, jose_alg_t alg) {
  if (!jose_jwk_fits(k, alg) || k->kty != JOSE_KTY_OCT) return NULL;
  return EVP_MAC_CTX_dup(k->mac[mac_index(jose_alg_hash_len(alg))]);
}

/* ---- emission -------------------------------------------------------------- */

/* One JWK member as text: a name and a NUL-terminated value (base64url or
 * a literal such as "RSA"), owned, wiped on release since it may be a
 * private member. */
typedef struct member {
  const char *name;
  char *val;
} member_t;

static void members_free(member_t *m, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (m[i].val) {
      OPENSSL_cleanse(m[i].val, strlen(m[i].val));
      free(m[i].val);
      m[i].val = NULL;
    }
  }
}

static int add_b64(member_t *m, size_t *n, const char *name, const unsigned char *p, size_t len) {
  char *v = malloc(b64url_encoded_len(len) + 1);
  if (!v) return CUSTOS_ENOMEM;
  v[b64url_encode(p, len, v)] = '\0';
  m[*n].name = name;
  m[*n].val = v;
  (*n)++;
  return CUSTOS_OK;
}

static int add_lit(member_t *m, size_t *n, const char *name, const char *lit) {
  char *v = dup_n(lit, strlen(lit));
  if (!v) return CUSTOS_ENOMEM;
  m[*n].name = name;
  m[*n].val = v;
  (*n)++;
  return CUSTOS_OK;
}

/* Appends the base64url of BIGNUM param `param` (minimal bytes, or padded
 * to `pad` when nonzero). Absent params are skipped when `optional`. */
static int add_bn(member_t *m, size_t *n, const EVP_PKEY *pk, const char *name,
                  const char *param, size_t pad, bool optional) {
  BIGNUM *bn = NULL;
  unsigned char *tmp = NULL;
  size_t len = 0;
  int rc;
  if (EVP_PKEY_get_bn_param(pk, param, &bn) != 1) return optional ? CUSTOS_OK : CUSTOS_ECRYPTO;
  rc = CUSTOS_ECRYPTO;
  len = pad ? pad : (size_t)BN_num_bytes(bn);
  if (len == 0 || (size_t)BN_num_bytes(bn) > len) goto out;
  rc = CUSTOS_ENOMEM;
  if (!(tmp = malloc(len))) goto out;
  rc = CUSTOS_ECRYPTO;
  if (BN_bn2binpad(bn, tmp, (int)len) != (int)len) goto out;
  rc = add_b64(m, n, name, tmp, len);
out:
  bytes_free(tmp, len);
  BN_clear_free(bn);
  return rc;
}

/* The members RFC 7638 §3.2 requires, in lexicographic order. */
static int required_members(const jose_jwk_t *k, member_t *m, size_t *n) {
  size_t cl = jose_crv_coord_len(k->crv);
  unsigned char raw[32];
  size_t rawlen = sizeof raw;
  int rc;
  switch (k->kty) {
  case JOSE_KTY_RSA:
    if ((rc = add_bn(m, n, k->pkey, "e", OSSL_PKEY_PARAM_RSA_E, 0, false)) ||
        (rc = add_lit(m, n, "kty", "RSA")) ||
        (rc = add_bn(m, n, k->pkey, "n", OSSL_PKEY_PARAM_RSA_N, 0, false)))
      return rc;
    return CUSTOS_OK;
  case JOSE_KTY_EC:
    if ((rc = add_lit(m, n, "crv", jose_crv_name(k->crv))) || (rc = add_lit(m, n, "kty", "EC")) ||
        (rc = add_bn(m, n, k->pkey, "x", OSSL_PKEY_PARAM_EC_PUB_X, cl, false)) ||
        (rc = add_bn(m, n, k->pkey, "y", OSSL_PKEY_PARAM_EC_PUB_Y, cl, false)))
      return rc;
    return CUSTOS_OK;
  case JOSE_KTY_OKP:
    if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1 || rawlen != 32)
      return CUSTOS_ECRYPTO;
    if ((rc = add_lit(m, n, "crv", jose_crv_name(k->crv))) ||
        (rc = add_lit(m, n, "kty", "OKP")) || (rc = add_b64(m, n, "x", raw, rawlen)))
      return rc;
    return CUSTOS_OK;
  case JOSE_KTY_OCT:
    if ((rc = add_b64(m, n, "k", k->secret, k->secret_len)) || (rc = add_lit(m, n, "kty", "oct")))
      return rc;
    return CUSTOS_OK;
  default: return CUSTOS_EINVAL;
  }
}

/* Private members, in RFC 7518 §6 order; oct's "k" is already required. */
static int private_members(const jose_jwk_t *k, member_t *m, size_t *n) {
  unsigned char raw[32];
  size_t rawlen = sizeof raw;
  int rc = CUSTOS_OK;
  switch (k->kty) {
  case JOSE_KTY_RSA:
    if ((rc = add_bn(m, n, k->pkey, "d", OSSL_PKEY_PARAM_RSA_D, 0, false))) return rc;
    for (int i = 0; i < 5; i++)
      if ((rc = add_bn(m, n, k->pkey, RSA_PRIV_NAMES[i], RSA_PRIV_PARAMS[i], 0, true))) return rc;
    return CUSTOS_OK;
  case JOSE_KTY_EC:
    return add_bn(m, n, k->pkey, "d", OSSL_PKEY_PARAM_PRIV_KEY, jose_crv_coord_len(k->crv), false);
  case JOSE_KTY_OKP:
    if (EVP_PKEY_get_raw_private_key(k->pkey, raw, &rawlen) != 1 || rawlen != 32)
      return CUSTOS_ECRYPTO;
    rc = add_b64(m, n, "d", raw, rawlen);
    OPENSSL_cleanse(raw, sizeof raw);
    return rc;
  default: return CUSTOS_OK;
  }
}

static int set_str(json_t *o, const char *name, const char *val) {
  return json_object_set_new(o, name, json_string(val)) == 0 ? CUSTOS_OK : CUSTOS_ENOMEM;
}

json_t *jose_jwk_to_json(const jose_jwk_t *k, unsigned flags) {
  member_t m[MAX_MEMBERS] = {0}, p[MAX_MEMBERS] = {0};
  size_t nm = 0, np = 0;
  json_t *o = NULL;
  bool priv = flags & JOSE_JWK_PRIVATE;
  if (!k || (priv && !k->priv)) return NULL;
  /* An oct key has no public part: its one member is the secret. */
  if (k->kty == JOSE_KTY_OCT && !priv) return NULL;
  if (required_members(k, m, &nm) || (priv && private_members(k, p, &np))) goto fail;
  if (!(o = json_object())) goto fail;
  for (size_t i = 0; i < nm; i++)
    if (set_str(o, m[i].name, m[i].val)) goto fail;
  if (k->kid && set_str(o, "kid", k->kid)) goto fail;
  if (k->alg && set_str(o, "alg", jose_alg_name(k->alg))) goto fail;
  if (k->use && set_str(o, "use", k->use)) goto fail;
  for (size_t i = 0; i < np; i++)
    if (set_str(o, p[i].name, p[i].val)) goto fail;
  members_free(m, nm);
  members_free(p, np);
  return o;
fail:
  json_decref(o);
  members_free(m, nm);
  members_free(p, np);
  return NULL;
}

int jose_jwk_thumbprint(const jose_jwk_t *k, char out[JOSE_THUMBPRINT_LEN + 1]) {
  member_t m[MAX_MEMBERS] = {0};
  size_t nm = 0, len = 2; /* { } */
  char *text = NULL;
  unsigned char md[32];
  unsigned int mdlen = 0;
  int rc;
  if (!k || !out) return CUSTOS_EINVAL;
  if ((rc = required_members(k, m, &nm))) goto out;
  /* Names and values are base64url or fixed literals: no escaping needed,
   * so the canonical form is built by hand and can be wiped afterwards. */
  for (size_t i = 0; i < nm; i++) len += strlen(m[i].name) + strlen(m[i].val) + 6;
  rc = CUSTOS_ENOMEM;
  if (!(text = malloc(len + 1))) goto out;
  size_t at = 0;
  text[at++] = '{';
  for (size_t i = 0; i < nm; i++) {
    if (i) text[at++] = ',';
    size_t nl = strlen(m[i].name), vl = strlen(m[i].val);
    text[at++] = '"';
    memcpy(text + at, m[i].name, nl);
    at += nl;
    memcpy(text + at, "\":\"", 3); // NOLINT(bugprone-not-null-terminated-result): text is hashed by length (at), never used as a C string
    at += 3;
    memcpy(text + at, m[i].val, vl);
    at += vl;
    text[at++] = '"';
  }
  text[at++] = '}';
  rc = CUSTOS_ECRYPTO;
  if (EVP_Digest(text, at, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof md) goto out;
  out[b64url_encode(md, sizeof md, out)] = '\0';
  rc = CUSTOS_OK;
out:
  if (text) {
    OPENSSL_cleanse(text, len + 1);
    free(text);
  }
  members_free(m, nm);
  return rc;
}

/* ---- from an EVP_PKEY ------------------------------------------------------ */

static bool pkey_has_bn(const EVP_PKEY *pk, const char *param) {
  BIGNUM *bn = NULL;
  bool ok = EVP_PKEY_get_bn_param(pk, param, &bn) == 1;
  BN_clear_free(bn);
  return ok;
}

/* The same deterministic RSA rules parse_rsa applies. */
static int check_rsa_pkey(const EVP_PKEY *pk) {
  BIGNUM *n = NULL, *e = NULL;
  int rc = CUSTOS_EKEY;
  int bits = EVP_PKEY_get_bits(pk);
  if (bits < JOSE_RSA_MIN_BITS || bits > JOSE_RSA_MAX_BITS) goto out;
  if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
      EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
    goto out;
  if (!BN_is_odd(n) || !BN_is_odd(e) || BN_cmp(e, BN_value_one()) <= 0 || BN_cmp(e, n) >= 0 ||
      BN_num_bytes(e) > 64)
    goto out;
  rc = CUSTOS_OK;
out:
  BN_free(n);
  BN_free(e);
  return rc;
}

static jose_crv_t ec_curve(const EVP_PKEY *pk) {
  char group[64];
  if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) !=
      1)
    return JOSE_CRV_NONE;
  if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) return JOSE_CRV_P256;
  if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) return JOSE_CRV_P384;
  return JOSE_CRV_NONE;
}

int jose_jwk_from_pkey(EVP_PKEY *pkey, jose_alg_t alg, const char *kid, jose_jwk_t **out) {
  char tp[JOSE_THUMBPRINT_LEN + 1];
  size_t rawlen = 0;
  int rc;
  if (!pkey || !out) return CUSTOS_EINVAL;
  if (kid && strnlen(kid, JOSE_KID_MAX + 1) > JOSE_KID_MAX) return CUSTOS_EINVAL;
  if (!jose_alg_name(alg) || jose_alg_kty(alg) == JOSE_KTY_OCT) return CUSTOS_EALG;
  jose_jwk_t *k = calloc(1, sizeof *k);
  if (!k) return CUSTOS_ENOMEM;
  atomic_init(&k->refs, 1);

  rc = CUSTOS_EKEY;
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    k->kty = JOSE_KTY_RSA;
    if ((rc = check_rsa_pkey(pkey))) goto fail;
    k->priv = pkey_has_bn(pkey, OSSL_PKEY_PARAM_RSA_D);
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    k->kty = JOSE_KTY_EC;
    if ((k->crv = ec_curve(pkey)) == JOSE_CRV_NONE) goto fail;
    k->priv = pkey_has_bn(pkey, OSSL_PKEY_PARAM_PRIV_KEY);
  } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
    k->kty = JOSE_KTY_OKP;
    k->crv = JOSE_CRV_ED25519;
    k->priv = EVP_PKEY_get_raw_private_key(pkey, NULL, &rawlen) == 1 && rawlen == 32;
  } else {
    goto fail;
  }
  k->alg = alg;
  rc = CUSTOS_EALG;
  if (!jose_jwk_fits(k, alg)) goto fail;
  rc = CUSTOS_ECRYPTO;
  if (EVP_PKEY_up_ref(pkey) != 1) goto fail;
  k->pkey = pkey;
  rc = CUSTOS_ENOMEM;
  if (!(k->use = dup_n("sig", 3))) goto fail;
  if (!kid) {
    if ((rc = jose_jwk_thumbprint(k, tp))) goto fail;
    kid = tp;
  }
  rc = CUSTOS_ENOMEM;
  if (!(k->kid = dup_n(kid, strlen(kid)))) goto fail;
  *out = k;
  return CUSTOS_OK;
fail:
  jwk_destroy(k);
  return rc;
}
