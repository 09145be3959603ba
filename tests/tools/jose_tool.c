/*
 * jose_tool — a small command-line face of src/jose for the npm `jose`
 * cross-check (tests/integration/jose_crosscheck.test.mjs). Not installed.
 *
 * Each command reads one JSON request on stdin and prints one line:
 *   sign ALG   {"jwk":{...},"claims":{...},"header":{...}?}  -> the token
 *   verify     {"jwks":{"keys":[...]},"token":"...","algs":["RS256",...]?,
 *               "now":N?,"iss":"..."?,"aud":"..."?,"typ":"..."?}
 *              -> {"ok":true,"claims":{...},"header":{...}}
 *                 or {"ok":false,"code":N,"error":"..."} (exit status 1)
 *   jwk        a JWK -> {"public":{...}|null,"thumbprint":"..."}
 *   jwks       a JWKS -> {"jwks":{...},"thumbprints":[...],"skipped":N}
 * Exit status: 0 success, 1 the JOSE call failed, 2 usage or I/O error.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"
#include "jose/jwk.h"
#include "jose/jwks.h"
#include "jose/jwt.h"

#define TOOL_MAX_INPUT (1u << 20)

static char *read_stdin(size_t *len) {
  char *b = malloc(TOOL_MAX_INPUT + 1);
  if (!b) return NULL;
  size_t n = fread(b, 1, TOOL_MAX_INPUT + 1, stdin);
  if (n > TOOL_MAX_INPUT || ferror(stdin)) {
    free(b);
    return NULL;
  }
  b[n] = '\0';
  *len = n;
  return b;
}

static int fail(int rc) {
  json_t *o = json_pack("{s:b, s:i, s:s}", "ok", 0, "code", rc, "error", custos_strerror(rc));
  char *s = json_dumps(o, JSON_COMPACT);
  puts(s ? s : "{}");
  free(s);
  json_decref(o);
  return 1;
}

static int print_json(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT);
  if (!s) return 2;
  puts(s);
  free(s);
  return 0;
}

static int cmd_sign(json_t *req, const char *algname) {
  jose_alg_t alg = jose_alg_from_name(algname, strlen(algname));
  jose_jwk_t *k = NULL;
  char *t = NULL;
  int rc = jose_jwk_from_json(json_object_get(req, "jwk"), &k);
  if (!rc) rc = jose_jwt_sign(k, alg, json_object_get(req, "claims"),
                              json_object_get(req, "header"), &t);
  jose_jwk_free(k);
  if (rc) return fail(rc);
  puts(t);
  free(t);
  return 0;
}

static int cmd_verify(json_t *req) {
  jose_jwks_t *set = NULL;
  jose_alg_t algs[JOSE_ALG_COUNT_];
  jose_policy_t p;
  json_t *claims = NULL, *header = NULL, *v;
  size_t i;
  int rc = jose_jwks_from_json(json_object_get(req, "jwks"), &set, NULL);
  if (rc) return fail(rc);
  jose_policy_init(&p);
  json_t *list = json_object_get(req, "algs");
  if (json_is_array(list)) {
    p.algs = algs;
    json_array_foreach(list, i, v) {
      if (p.nalgs >= JOSE_ALG_COUNT_ || !json_is_string(v)) break;
      algs[p.nalgs++] = jose_alg_from_name(json_string_value(v), json_string_length(v));
    }
  }
  if (json_is_integer(json_object_get(req, "now")))
    p.now = json_integer_value(json_object_get(req, "now"));
  p.iss = json_string_value(json_object_get(req, "iss"));
  p.aud = json_string_value(json_object_get(req, "aud"));
  p.typ = json_string_value(json_object_get(req, "typ"));
  json_t *token = json_object_get(req, "token");
  rc = json_is_string(token) ? jose_jwt_verify(json_string_value(token), json_string_length(token),
                                               set, &p, &claims, &header, NULL)
                             : CUSTOS_EINVAL;
  jose_jwks_free(set);
  if (rc) return fail(rc);
  json_t *o = json_pack("{s:b, s:o, s:o}", "ok", 1, "claims", claims, "header", header);
  rc = print_json(o);
  json_decref(o);
  return rc;
}

static json_t *thumbprint_json(const jose_jwk_t *k) {
  char tp[JOSE_THUMBPRINT_LEN + 1];
  return jose_jwk_thumbprint(k, tp) == CUSTOS_OK ? json_string(tp) : json_null();
}

static int cmd_jwk(json_t *req) {
  jose_jwk_t *k = NULL;
  int rc = jose_jwk_from_json(req, &k);
  if (rc) return fail(rc);
  json_t *pub = jose_jwk_to_json(k, JOSE_JWK_PUBLIC);
  json_t *o = json_pack("{s:o, s:o}", "public", pub ? pub : json_null(), "thumbprint",
                        thumbprint_json(k));
  rc = print_json(o);
  json_decref(o);
  jose_jwk_free(k);
  return rc;
}

static int cmd_jwks(json_t *req) {
  jose_jwks_t *set = NULL;
  size_t skipped = 0;
  int rc = jose_jwks_from_json(req, &set, &skipped);
  if (rc) return fail(rc);
  json_t *tps = json_array();
  for (size_t i = 0; i < jose_jwks_count(set); i++)
    json_array_append_new(tps, thumbprint_json(jose_jwks_at(set, i)));
  json_t *o = json_pack("{s:o, s:o, s:I}", "jwks", jose_jwks_to_json(set, JOSE_JWK_PUBLIC),
                        "thumbprints", tps, "skipped", (json_int_t)skipped);
  rc = print_json(o);
  json_decref(o);
  jose_jwks_free(set);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: jose_tool sign ALG | verify | jwk | jwks  (JSON request on stdin)\n");
    return 2;
  }
  size_t len = 0;
  char *in = read_stdin(&len);
  if (!in) {
    fprintf(stderr, "jose_tool: cannot read stdin (max %u bytes)\n", TOOL_MAX_INPUT);
    return 2;
  }
  json_error_t je;
  json_t *req = json_loadb(in, len, JSON_REJECT_DUPLICATES, &je);
  free(in);
  if (!req) {
    fprintf(stderr, "jose_tool: bad JSON request: %s\n", je.text);
    return 2;
  }
  int rc = 2;
  if (!strcmp(argv[1], "sign") && argc == 3) rc = cmd_sign(req, argv[2]);
  else if (!strcmp(argv[1], "verify")) rc = cmd_verify(req);
  else if (!strcmp(argv[1], "jwk")) rc = cmd_jwk(req);
  else if (!strcmp(argv[1], "jwks")) rc = cmd_jwks(req);
  else fprintf(stderr, "jose_tool: unknown command %s\n", argv[1]);
  json_decref(req);
  return rc;
}
