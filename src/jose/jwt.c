#include "jose/jwt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "custos.h"
#include "jose/jparse.h"
#include "jose/jws.h"

void jose_policy_init(jose_policy_t *p) {
  memset(p, 0, sizeof *p);
  p->leeway = JOSE_JWT_DEFAULT_LEEWAY;
  p->require_exp = true;
}

/* RFC 8725 §3.1: the algorithm must be one this key may use. The JWK's own
 * "alg" and the policy's list both narrow; with neither, nothing passes. */
bool jose_jwt_alg_allowed(const jose_policy_t *p, const jose_jwk_t *k, jose_alg_t alg) {
  if (!jose_jwk_fits(k, alg)) return false;
  jose_alg_t own = jose_jwk_alg(k);
  if (own && own != alg) return false;
  if (!p->algs) return own != JOSE_ALG_UNSET;
  for (size_t i = 0; i < p->nalgs; i++)
    if (p->algs[i] == alg) return true;
  return false;
}

/* RFC 7515 §4.1.9: "typ" is a media type, compared case-insensitively,
 * and "application/" may be left off. */
static const char *media_subtype(const char *s) {
  return strncasecmp(s, "application/", 12) == 0 ? s + 12 : s;
}

int jose_jwt_check_typ(const jose_policy_t *p, const json_t *header) {
  if (!p->typ) return CUSTOS_OK;
  json_t *typ = json_object_get(header, "typ");
  if (!typ) return CUSTOS_ECLAIM;
  if (!json_is_string(typ)) return CUSTOS_EINVAL;
  return strcasecmp(media_subtype(p->typ), media_subtype(json_string_value(typ))) == 0
             ? CUSTOS_OK
             : CUSTOS_ECLAIM;
}

/* Reads NumericDate claim `name`; *present false when absent. Non-integer
 * values are allowed (RFC 7519 §2), compared as doubles: no overflow. */
static int numeric_date(const json_t *claims, const char *name, bool *present, double *v) {
  json_t *c = json_object_get(claims, name);
  *present = c != NULL;
  if (!c) return CUSTOS_OK;
  if (!json_is_number(c)) return CUSTOS_EINVAL;
  *v = json_number_value(c);
  return CUSTOS_OK;
}

static int check_times(const jose_policy_t *p, const json_t *claims) {
  double now = (double)(p->now ? p->now : (int64_t)time(NULL));
  double leeway = p->leeway > 0 ? (double)p->leeway : 0;
  bool has_exp, has_nbf, has_iat;
  double exp = 0, nbf = 0, iat = 0;
  int rc;
  if ((rc = numeric_date(claims, "exp", &has_exp, &exp)) ||
      (rc = numeric_date(claims, "nbf", &has_nbf, &nbf)) ||
      (rc = numeric_date(claims, "iat", &has_iat, &iat)))
    return rc;
  if (has_exp && now - leeway >= exp) return CUSTOS_EEXPIRED;
  if (!has_exp && p->require_exp) return CUSTOS_ECLAIM;
  if (has_nbf && now + leeway < nbf) return CUSTOS_ENOTYET;
  if (has_iat && iat > now + leeway) return CUSTOS_ENOTYET;
  return CUSTOS_OK;
}

static int check_iss_aud(const jose_policy_t *p, const json_t *claims) {
  if (p->iss) {
    json_t *iss = json_object_get(claims, "iss");
    if (!iss) return CUSTOS_ECLAIM;
    if (!json_is_string(iss)) return CUSTOS_EINVAL;
    if (strcmp(json_string_value(iss), p->iss) != 0) return CUSTOS_ECLAIM;
  }
  if (p->aud) {
    json_t *aud = json_object_get(claims, "aud");
    if (!aud) return CUSTOS_ECLAIM;
    if (json_is_string(aud)) return strcmp(json_string_value(aud), p->aud) ? CUSTOS_ECLAIM : 0;
    if (!json_is_array(aud)) return CUSTOS_EINVAL;
    size_t i;
    json_t *v;
    bool found = false;
    json_array_foreach(aud, i, v) {
      if (!json_is_string(v)) return CUSTOS_EINVAL;
      if (strcmp(json_string_value(v), p->aud) == 0) found = true;
    }
    return found ? CUSTOS_OK : CUSTOS_ECLAIM;
  }
  return CUSTOS_OK;
}

int jose_jwt_check_claims(const jose_policy_t *policy, const json_t *claims) {
  int rc;
  if (!policy || !json_is_object(claims)) return CUSTOS_EINVAL;
  if ((rc = check_times(policy, claims))) return rc;
  return check_iss_aud(policy, claims);
}

/* ---- the same checks on a scanned index (jose/jindex.h) ----------------
 * Each mirrors the jansson version above: same order, same codes. */

static int view_date(const jose_jview_t *v, const char *name, bool *present, double *out) {
  const jose_jmember_t *m = jose_jview_get(v, name, strlen(name));
  *present = m != NULL;
  if (!m) return CUSTOS_OK;
  if (m->type != JOSE_JINT && m->type != JOSE_JREAL) return CUSTOS_EINVAL;
  *out = jose_jmember_number(m);
  return CUSTOS_OK;
}

static int view_times(const jose_policy_t *p, const jose_jview_t *v) {
  double now = (double)(p->now ? p->now : (int64_t)time(NULL));
  double leeway = p->leeway > 0 ? (double)p->leeway : 0;
  bool has_exp, has_nbf, has_iat;
  double exp = 0, nbf = 0, iat = 0;
  int rc;
  if ((rc = view_date(v, "exp", &has_exp, &exp)) || (rc = view_date(v, "nbf", &has_nbf, &nbf)) ||
      (rc = view_date(v, "iat", &has_iat, &iat)))
    return rc;
  if (has_exp && now - leeway >= exp) return CUSTOS_EEXPIRED;
  if (!has_exp && p->require_exp) return CUSTOS_ECLAIM;
  if (has_nbf && now + leeway < nbf) return CUSTOS_ENOTYET;
  if (has_iat && iat > now + leeway) return CUSTOS_ENOTYET;
  return CUSTOS_OK;
}

/* A decoded string member equals NUL-terminated `want` (members hold no
 * NUL, so this is strcmp's verdict). */
static bool view_str_eq(const jose_jview_t *v, const jose_jmember_t *m, const char *want) {
  return strcmp(jose_jview_str(v, m), want) == 0;
}

static int view_iss_aud(const jose_policy_t *p, const jose_jview_t *v) {
  if (p->iss) {
    const jose_jmember_t *iss = jose_jview_get(v, "iss", 3);
    if (!iss) return CUSTOS_ECLAIM;
    if (iss->type != JOSE_JSTRING) return CUSTOS_EINVAL;
    if (!view_str_eq(v, iss, p->iss)) return CUSTOS_ECLAIM;
  }
  if (p->aud) {
    const jose_jmember_t *aud = jose_jview_get(v, "aud", 3);
    if (!aud) return CUSTOS_ECLAIM;
    if (aud->type == JOSE_JSTRING) return view_str_eq(v, aud, p->aud) ? CUSTOS_OK : CUSTOS_ECLAIM;
    if (aud->type != JOSE_JARRAY) return CUSTOS_EINVAL;
    bool found = false;
    int rc = jose_jview_array_has_string(v, aud, p->aud, &found);
    if (rc) return rc;
    return found ? CUSTOS_OK : CUSTOS_ECLAIM;
  }
  return CUSTOS_OK;
}

int jose_jwt_check_claims_view(const jose_policy_t *policy, const jose_jview_t *claims) {
  int rc;
  if (!policy || !claims) return CUSTOS_EINVAL;
  if ((rc = view_times(policy, claims))) return rc;
  return view_iss_aud(policy, claims);
}

int jose_jwt_verify(const char *token, size_t len, const jose_jwks_t *keys,
                    const jose_policy_t *policy, json_t **claims, json_t **header,
                    const jose_jwk_t **key) {
  jose_policy_t defaults;
  jose_jws_t jws = {0};
  const jose_jwk_t *k = NULL;
  unsigned char *payload = NULL;
  size_t plen = 0;
  json_t *c = NULL;
  int rc;
  if (!token || !keys) return CUSTOS_EINVAL;
  if (!policy) {
    jose_policy_init(&defaults);
    policy = &defaults;
  }

  if ((rc = jose_jws_parse(token, len, policy->max_token_bytes, policy->max_depth, &jws)))
    goto out;
  if ((rc = jose_jwks_select(keys, jws.alg, jws.kid, &k))) goto out;
  rc = CUSTOS_EALG;
  if (!jose_jwt_alg_allowed(policy, k, jws.alg)) goto out;
  if ((rc = jose_jws_verify(&jws, k))) goto out;

  if ((rc = jose_jws_payload(&jws, &payload, &plen))) goto out;
  if ((rc = jose_json_parse((const char *)payload, plen, policy->max_depth, &c))) goto out;
  if ((rc = jose_jwt_check_typ(policy, jws.header)) || (rc = check_times(policy, c)) ||
      (rc = check_iss_aud(policy, c)))
    goto out;

  if (claims) *claims = json_incref(c);
  if (header) *header = json_incref(jws.header);
  if (key) *key = k;
  rc = CUSTOS_OK;
out:
  json_decref(c);
  free(payload);
  jose_jws_cleanup(&jws);
  return rc;
}

int jose_jwt_verify_scan(const char *token, size_t len, const jose_jwks_t *keys,
                         const jose_policy_t *policy, jose_jindex_t *ix, unsigned char **payload,
                         size_t *plen) {
  jose_policy_t defaults;
  jose_jws_t jws = {0};
  const jose_jwk_t *k = NULL;
  unsigned char *p = NULL;
  size_t n = 0;
  int rc;
  if (!token || !keys || !ix || !payload || !plen) return CUSTOS_EINVAL;
  if (!policy) {
    jose_policy_init(&defaults);
    policy = &defaults;
  }
  /* Steps 1-7 exactly as jose_jwt_verify; 8-11 on the scanned index. */
  if ((rc = jose_jws_parse(token, len, policy->max_token_bytes, policy->max_depth, &jws))) goto out;
  if ((rc = jose_jwks_select(keys, jws.alg, jws.kid, &k))) goto out;
  rc = CUSTOS_EALG;
  if (!jose_jwt_alg_allowed(policy, k, jws.alg)) goto out;
  if ((rc = jose_jws_verify(&jws, k))) goto out;
  if ((rc = jose_jws_payload(&jws, &p, &n))) goto out;
  if ((rc = jose_jindex_scan(ix, (const char *)p, n, policy->max_depth))) goto out;
  jose_jview_t view = jose_jindex_view(ix, (const char *)p, n);
  if ((rc = jose_jwt_check_typ(policy, jws.header)) || (rc = jose_jwt_check_claims_view(policy, &view)))
    goto out;
  *payload = p;
  *plen = n;
  p = NULL;
  rc = CUSTOS_OK;
out:
  free(p);
  jose_jws_cleanup(&jws);
  return rc;
}

int jose_jwt_sign(const jose_jwk_t *key, jose_alg_t alg, const json_t *claims,
                  const json_t *extra_header, char **out) {
  json_t *h = NULL;
  char *htext = NULL, *ctext = NULL;
  int rc = CUSTOS_EINVAL;
  if (!key || !json_is_object(claims) || !out) return CUSTOS_EINVAL;
  if (extra_header && !json_is_object(extra_header)) return CUSTOS_EINVAL;
  if (jose_jwk_alg(key) && jose_jwk_alg(key) != alg) return CUSTOS_EALG;
  if (!jose_alg_name(alg)) return CUSTOS_EALG;

  rc = CUSTOS_ENOMEM;
  if (!(h = json_object()) || json_object_set_new(h, "alg", json_string(jose_alg_name(alg))) ||
      json_object_set_new(h, "typ", json_string("JWT")))
    goto out;
  if (jose_jwk_kid(key) && json_object_set_new(h, "kid", json_string(jose_jwk_kid(key)))) goto out;
  if (extra_header) {
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)extra_header, name, v) {
      rc = CUSTOS_EINVAL;
      if (!strcmp(name, "alg") || !strcmp(name, "crit")) goto out;
      rc = CUSTOS_ENOMEM;
      if (json_object_set(h, name, v)) goto out;
    }
  }
  rc = CUSTOS_ENOMEM;
  if (!(htext = json_dumps(h, JSON_COMPACT)) || !(ctext = json_dumps(claims, JSON_COMPACT)))
    goto out;
  rc = jose_jws_sign(key, alg, htext, strlen(htext), ctext, strlen(ctext), out, NULL);
out:
  free(htext);
  free(ctext);
  json_decref(h);
  return rc;
}
