/*
 * verify — check one token with libcustos and print its claims.
 *
 *   verify --jwks FILE      [options] TOKEN
 *   verify --jwks-url URL   [options] TOKEN
 *   verify --hmac SECRET    [--alg HS256|HS384|HS512] [options] TOKEN
 * options: --iss ISS  --aud AUD  --typ TYP  --algs RS256,ES256,...
 *          --leeway SECONDS  --allow-http
 * TOKEN "-" reads the token from stdin.
 *
 * Exit status: 0 the token is valid (claims printed as JSON on stdout),
 * 1 it is not (the cause on stderr as "invalid token: CUSTOS_E... (text)"),
 * 2 usage or setup error.
 *
 * Build against an installed libcustos:
 *   cc verify.c $(pkg-config --cflags --libs custos) -o verify
 */
#include <custos.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (1u << 20)

static const struct { const char *name; custos_alg_t bit; } ALGS[] = {
    {"HS256", CUSTOS_ALG_HS256}, {"HS384", CUSTOS_ALG_HS384}, {"HS512", CUSTOS_ALG_HS512},
    {"RS256", CUSTOS_ALG_RS256}, {"RS384", CUSTOS_ALG_RS384}, {"RS512", CUSTOS_ALG_RS512},
    {"PS256", CUSTOS_ALG_PS256}, {"PS384", CUSTOS_ALG_PS384}, {"PS512", CUSTOS_ALG_PS512},
    {"ES256", CUSTOS_ALG_ES256}, {"ES384", CUSTOS_ALG_ES384}, {"EdDSA", CUSTOS_ALG_EDDSA},
};

static unsigned alg_bits(const char *list) {
  unsigned bits = 0;
  char *copy = strdup(list), *save = NULL;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    size_t i;
    for (i = 0; i < sizeof ALGS / sizeof ALGS[0]; i++)
      if (!strcmp(t, ALGS[i].name)) break;
    if (i == sizeof ALGS / sizeof ALGS[0]) {
      fprintf(stderr, "verify: unknown algorithm %s\n", t);
      exit(2);
    }
    bits |= ALGS[i].bit;
  }
  free(copy);
  return bits;
}

static char *read_all(FILE *f, size_t *len) {
  char *b = malloc(MAX_FILE + 1);
  size_t n = b ? fread(b, 1, MAX_FILE + 1, f) : 0;
  if (!b || n > MAX_FILE || ferror(f)) {
    free(b);
    return NULL;
  }
  b[n] = '\0';
  *len = n;
  return b;
}

static int usage(void) {
  fprintf(stderr,
          "usage: verify (--jwks FILE | --jwks-url URL | --hmac SECRET [--alg HSxxx])\n"
          "              [--iss ISS] [--aud AUD] [--typ TYP] [--algs A,B] [--leeway S]\n"
          "              [--allow-http] TOKEN|-\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *jwks_file = NULL, *jwks_url = NULL, *secret = NULL, *hmac_alg = "HS256";
  const char *token_arg = NULL;
  custos_verify_opts_t opts;
  custos_verify_opts_init(&opts);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--allow-http")) { opts.jwks_allow_http = 1; continue; }
    if (a[0] != '-' || !strcmp(a, "-")) { token_arg = a; continue; }
    if (!val) return usage();
    i++;
    if (!strcmp(a, "--jwks")) jwks_file = val;
    else if (!strcmp(a, "--jwks-url")) jwks_url = val;
    else if (!strcmp(a, "--hmac")) secret = val;
    else if (!strcmp(a, "--alg")) hmac_alg = val;
    else if (!strcmp(a, "--iss")) opts.iss = val;
    else if (!strcmp(a, "--aud")) opts.aud = val;
    else if (!strcmp(a, "--typ")) opts.typ = val;
    else if (!strcmp(a, "--algs")) opts.algs = alg_bits(val);
    else if (!strcmp(a, "--leeway")) opts.leeway = atoll(val);
    else return usage();
  }
  if (!token_arg || (!!jwks_file + !!jwks_url + !!secret) != 1) return usage();

  /* 1. A verifier: build it once, share it between threads, free at exit. */
  custos_verifier_t *v = NULL;
  int rc;
  if (jwks_file) {
    FILE *f = fopen(jwks_file, "rb");
    size_t len = 0;
    char *text = f ? read_all(f, &len) : NULL;
    if (f) fclose(f);
    if (!text) {
      fprintf(stderr, "verify: cannot read %s\n", jwks_file);
      return 2;
    }
    rc = custos_verifier_new_jwks(text, len, &opts, &v);
    free(text);
  } else if (jwks_url) {
    rc = custos_verifier_new_jwks_url(jwks_url, &opts, &v);
  } else {
    rc = custos_verifier_new_hmac(secret, strlen(secret), (custos_alg_t)alg_bits(hmac_alg), &opts,
                                  &v);
  }
  if (rc != CUSTOS_OK) {
    fprintf(stderr, "verify: cannot set up the verifier: %s (%s)\n", custos_err_name(rc),
            custos_strerror(rc));
    return 2;
  }

  size_t tlen = 0;
  char *stdin_token = NULL;
  const char *token = token_arg;
  if (!strcmp(token_arg, "-")) {
    if (!(stdin_token = read_all(stdin, &tlen))) return 2;
    while (tlen && (stdin_token[tlen - 1] == '\n' || stdin_token[tlen - 1] == '\r')) tlen--;
    token = stdin_token;
  } else {
    tlen = strlen(token);
  }

  /* 2. Verify. Only CUSTOS_OK grants; every other value is a deny. */
  custos_claims_t *claims = NULL;
  rc = custos_verify(v, token, tlen, &claims);
  int status;
  if (rc != CUSTOS_OK) {
    fprintf(stderr, "invalid token: %s (%s)\n", custos_err_name(rc), custos_strerror(rc));
    status = 1;
  } else {
    /* 3. Read claims: typed getters, or any claim as JSON. */
    char *json = NULL;
    const char *sub = NULL;
    if (custos_claims_get_json(claims, NULL, &json) == CUSTOS_OK) puts(json);
    if (custos_claims_get_string(claims, "sub", &sub) == CUSTOS_OK) fprintf(stderr, "sub: %s\n", sub);
    custos_free(json);
    custos_claims_free(claims);
    status = 0;
  }
  free(stdin_token);
  custos_verifier_free(v);
  return status;
}
