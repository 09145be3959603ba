/*
 * fuzz_jws — jose_jwt_verify against a fixed key set (HS256 "hs", ES256
 * "es"). Two modes, chosen by the first byte:
 *   'S' + header + '\n' + payload: the harness signs header and payload with
 *       the HS256 key first, so the fuzzer reaches header, payload and claim
 *       checks behind a valid signature;
 *   anything else: the input is the token itself (structure, base64url,
 *       header JSON, alg/crit/kid rules, signature checks).
 * Any result code is fine; crashes, leaks and sanitizer reports are not.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"
#include "jose/jwk.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "jose/jwt.h"

#define HS_JWK                                                                                \
  "{\"kty\":\"oct\",\"kid\":\"hs\",\"alg\":\"HS256\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMko" \
  "qQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}"
#define ES_JWK                                                              \
  "{\"kty\":\"EC\",\"kid\":\"es\",\"alg\":\"ES256\",\"crv\":\"P-256\","    \
  "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","                  \
  "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}"

static jose_jwk_t *hs;
static jose_jwks_t *set;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  jose_jwk_t *es = NULL;
  set = jose_jwks_new();
  if (!set || jose_jwk_parse(HS_JWK, strlen(HS_JWK), &hs) ||
      jose_jwk_parse(ES_JWK, strlen(ES_JWK), &es) || jose_jwks_add(set, hs) ||
      jose_jwks_add(set, es))
    abort();
  jose_jwk_free(es);
  return 0;
}

static void verify(const char *token, size_t len) {
  jose_policy_t p;
  jose_policy_init(&p);
  p.now = 1700000000;
  p.iss = "custos";
  p.aud = "api";
  json_t *claims = NULL, *header = NULL;
  const jose_jwk_t *k = NULL;
  int rc = jose_jwt_verify(token, len, set, &p, &claims, &header, &k);
  if (rc == CUSTOS_OK) {
    if (!json_is_object(claims) || !json_is_object(header) || !k) abort();
  } else if (claims || header || k) {
    abort(); /* fail closed: no output on failure */
  }
  json_decref(claims);
  json_decref(header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 0 && data[0] == 'S') {
    const char *in = (const char *)data + 1;
    const char *nl = memchr(in, '\n', size - 1);
    if (!nl || nl == in) return 0;
    char *token = NULL;
    size_t len = 0;
    if (jose_jws_sign(hs, JOSE_ALG_HS256, in, (size_t)(nl - in), nl + 1,
                      size - 1 - (size_t)(nl - in) - 1, &token, &len) == CUSTOS_OK) {
      verify(token, len);
      free(token);
    }
    return 0;
  }
  verify((const char *)data, size);
  return 0;
}
