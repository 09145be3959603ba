/*
 * fuzz_jwk — JWK and JWKS parsing, thumbprints and emission. Properties
 * checked beyond "no crash": every key that parses emits a public (and,
 * when it has one, private) JWK that parses back to a key with the same
 * RFC 7638 thumbprint, and public emission never contains private members.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"
#include "jose/jwk.h"
#include "jose/jwks.h"

static void same_thumbprint(const jose_jwk_t *k, json_t *emitted) {
  char a[JOSE_THUMBPRINT_LEN + 1], b[JOSE_THUMBPRINT_LEN + 1];
  jose_jwk_t *back = NULL;
  if (jose_jwk_from_json(emitted, &back) != CUSTOS_OK) abort();
  if (jose_jwk_thumbprint(k, a) || jose_jwk_thumbprint(back, b) || strcmp(a, b)) abort();
  jose_jwk_free(back);
}

static void check_key(const jose_jwk_t *k) {
  static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi", "k"};
  json_t *pub = jose_jwk_to_json(k, JOSE_JWK_PUBLIC);
  if (pub) {
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++)
      if (json_object_get(pub, priv[i])) abort();
    same_thumbprint(k, pub);
    json_decref(pub);
  } else if (jose_jwk_kty(k) != JOSE_KTY_OCT) {
    abort();
  }
  if (jose_jwk_has_private(k)) {
    json_t *full = jose_jwk_to_json(k, JOSE_JWK_PRIVATE);
    if (!full) abort();
    same_thumbprint(k, full);
    json_decref(full);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  jose_jwk_t *k = NULL;
  if (jose_jwk_parse((const char *)data, size, &k) == CUSTOS_OK) {
    check_key(k);
    jose_jwk_free(k);
  }
  jose_jwks_t *set = NULL;
  size_t skipped = 0;
  if (jose_jwks_parse((const char *)data, size, &set, &skipped) == CUSTOS_OK) {
    for (size_t i = 0; i < jose_jwks_count(set); i++) check_key(jose_jwks_at(set, i));
    json_t *out = jose_jwks_to_json(set, JOSE_JWK_PUBLIC);
    if (!out) abort();
    json_decref(out);
    jose_jwks_free(set);
  }
  return 0;
}
