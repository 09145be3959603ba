#include "jose/jwks.h"

#include <stdlib.h>
#include <string.h>

#include "custos.h"
#include "jose/jparse.h"

struct jose_jwks {
  jose_jwk_t *keys[JOSE_JWKS_MAX_KEYS]; /* one reference each */
  size_t n;                             /* keys used, <= JOSE_JWKS_MAX_KEYS */
};

jose_jwks_t *jose_jwks_new(void) { return calloc(1, sizeof(jose_jwks_t)); }

void jose_jwks_free(jose_jwks_t *set) {
  if (!set) return;
  for (size_t i = 0; i < set->n; i++) jose_jwk_free(set->keys[i]);
  free(set);
}

int jose_jwks_add(jose_jwks_t *set, jose_jwk_t *key) {
  if (!set || !key) return CUSTOS_EINVAL;
  if (set->n >= JOSE_JWKS_MAX_KEYS) return CUSTOS_ETOOBIG;
  const char *kid = jose_jwk_kid(key);
  if (kid && jose_jwks_find(set, kid)) return CUSTOS_EEXISTS;
  set->keys[set->n++] = jose_jwk_ref(key);
  return CUSTOS_OK;
}

/* True for keys a verifier-side set should skip rather than refuse: they
 * belong to someone else's use of the same JWKS (encryption, other curves). */
static bool skippable(const json_t *jwk, int rc) {
  json_t *use = json_object_get(jwk, "use");
  if (json_is_string(use) && strcmp(json_string_value(use), "sig") != 0) return true;
  if (rc == CUSTOS_EKEY) {
    /* Unknown kty or crv: parse_* returns EKEY for those before reading
     * any key material; decide here from the members themselves. */
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    if (!kty) return false;
    if (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0 && strcmp(kty, "OKP") != 0 &&
        strcmp(kty, "oct") != 0)
      return true;
    if (strcmp(kty, "EC") == 0 || strcmp(kty, "OKP") == 0) {
      const char *crv = json_string_value(json_object_get(jwk, "crv"));
      return crv && jose_crv_from_name(crv, strlen(crv)) == JOSE_CRV_NONE;
    }
    return false;
  }
  if (rc == CUSTOS_EALG) {
    /* An alg custos does not implement (RSA-OAEP, ES512) is skipped; a
     * known JWS alg on the wrong key type is an error in the set. */
    const char *alg = json_string_value(json_object_get(jwk, "alg"));
    return alg && jose_alg_from_name(alg, strlen(alg)) == JOSE_ALG_UNSET;
  }
  return false;
}

int jose_jwks_from_json(const json_t *obj, jose_jwks_t **out, size_t *skipped) {
  if (!obj || !out || !json_is_object(obj)) return CUSTOS_EINVAL;
  json_t *arr = json_object_get(obj, "keys");
  if (!json_is_array(arr)) return CUSTOS_EINVAL;
  if (json_array_size(arr) > JOSE_JWKS_MAX_KEYS) return CUSTOS_ETOOBIG;
  jose_jwks_t *set = jose_jwks_new();
  if (!set) return CUSTOS_ENOMEM;
  size_t nskip = 0, i;
  json_t *v;
  int rc = CUSTOS_OK;
  json_array_foreach(arr, i, v) {
    jose_jwk_t *k = NULL;
    if (!json_is_object(v)) {
      rc = CUSTOS_EINVAL;
      goto fail;
    }
    rc = jose_jwk_from_json(v, &k);
    if (rc == CUSTOS_OK) {
      const char *use = jose_jwk_use(k);
      if (use && strcmp(use, "sig") != 0) {
        nskip++;
        jose_jwk_free(k);
        continue;
      }
      rc = jose_jwks_add(set, k);
      jose_jwk_free(k);
      if (rc) goto fail;
    } else if (rc != CUSTOS_ENOMEM && skippable(v, rc)) {
      nskip++;
    } else {
      goto fail;
    }
  }
  *out = set;
  if (skipped) *skipped = nskip;
  return CUSTOS_OK;
fail:
  jose_jwks_free(set);
  return rc;
}

int jose_jwks_parse(const char *text, size_t len, jose_jwks_t **out, size_t *skipped) {
  if (!text || !out) return CUSTOS_EINVAL;
  if (len > JOSE_JWKS_MAX_BYTES) return CUSTOS_ETOOBIG;
  json_t *obj = NULL;
  int rc = jose_json_parse(text, len, JOSE_JWKS_MAX_DEPTH, &obj);
  if (rc) return rc;
  rc = jose_jwks_from_json(obj, out, skipped);
  json_decref(obj);
  return rc;
}

size_t jose_jwks_count(const jose_jwks_t *set) { return set ? set->n : 0; }

const jose_jwk_t *jose_jwks_at(const jose_jwks_t *set, size_t i) {
  return set && i < set->n ? set->keys[i] : NULL;
}

const jose_jwk_t *jose_jwks_find(const jose_jwks_t *set, const char *kid) {
  if (!set || !kid) return NULL;
  for (size_t i = 0; i < set->n; i++) {
    const char *k = jose_jwk_kid(set->keys[i]);
    if (k && strcmp(k, kid) == 0) return set->keys[i];
  }
  return NULL;
}

static bool for_signatures(const jose_jwk_t *k) {
  const char *use = jose_jwk_use(k);
  return !use || strcmp(use, "sig") == 0;
}

int jose_jwks_select(const jose_jwks_t *set, jose_alg_t alg, const char *kid,
                     const jose_jwk_t **out) {
  if (!set || !out) return CUSTOS_EINVAL;
  if (kid) {
    const jose_jwk_t *k = jose_jwks_find(set, kid);
    if (!k || !for_signatures(k)) return CUSTOS_EKEY;
    *out = k;
    return CUSTOS_OK;
  }
  const jose_jwk_t *found = NULL;
  for (size_t i = 0; i < set->n; i++) {
    const jose_jwk_t *k = set->keys[i];
    if (!for_signatures(k) || !jose_jwk_fits(k, alg)) continue;
    if (jose_jwk_alg(k) && jose_jwk_alg(k) != alg) continue;
    if (found) return CUSTOS_EKEY; /* ambiguous: the token must name its key */
    found = k;
  }
  if (!found) return CUSTOS_EKEY;
  *out = found;
  return CUSTOS_OK;
}

json_t *jose_jwks_to_json(const jose_jwks_t *set, unsigned flags) {
  if (!set) return NULL;
  json_t *o = json_object(), *arr = json_array();
  if (!o || !arr || json_object_set(o, "keys", arr)) goto fail;
  for (size_t i = 0; i < set->n; i++) {
    const jose_jwk_t *k = set->keys[i];
    if (jose_jwk_kty(k) == JOSE_KTY_OCT && !(flags & JOSE_JWK_PRIVATE)) continue;
    /* Asked for private members, a public-only key still appears. */
    json_t *j = jose_jwk_to_json(k, jose_jwk_has_private(k) ? flags : JOSE_JWK_PUBLIC);
    if (!j || json_array_append_new(arr, j)) goto fail;
  }
  json_decref(arr);
  return o;
fail:
  json_decref(arr);
  json_decref(o);
  return NULL;
}
