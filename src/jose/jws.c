#include "jose/jws.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64url.h"
#include "core/buf.h"
#include "custos.h"
#include "jose/jparse.h"
#include "jose/sig.h"

/* Decodes a base64url span into a new buffer with one spare NUL byte. */
static int decode(const char *s, size_t n, unsigned char **out, size_t *outlen) {
  unsigned char *b = malloc(b64url_decoded_max(n) + 1);
  if (!b) return CUSTOS_ENOMEM;
  size_t len = 0;
  if (b64url_decode(s, n, b, &len) != CUSTOS_OK) {
    free(b);
    return CUSTOS_EINVAL;
  }
  b[len] = '\0';
  *out = b;
  *outlen = len;
  return CUSTOS_OK;
}


/* RFC 7515 §4.1.11: "crit" is a non-empty array of strings naming
 * extensions the recipient must understand. custos understands none. */
static int check_crit(const json_t *header) {
  json_t *crit = json_object_get(header, "crit");
  if (!crit) return CUSTOS_OK;
  if (!json_is_array(crit) || json_array_size(crit) == 0) return CUSTOS_EINVAL;
  size_t i;
  json_t *v;
  json_array_foreach(crit, i, v) {
    if (!json_is_string(v)) return CUSTOS_EINVAL;
  }
  return CUSTOS_ECRIT;
}

int jose_jws_parse(const char *token, size_t len, size_t max_len, int max_depth,
                   jose_jws_t *out) {
  jose_jws_t j = {0};
  unsigned char *hdr = NULL;
  size_t hdrlen = 0;
  int rc;
  if (!token || !out) return CUSTOS_EINVAL;
  if (!max_len) max_len = JOSE_JWS_MAX_BYTES;
  if (len > max_len) return CUSTOS_ETOOBIG;

  const char *d1 = memchr(token, '.', len);
  if (!d1) return CUSTOS_EINVAL;
  const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
  if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) return CUSTOS_EINVAL;
  size_t hl = (size_t)(d1 - token), pl = (size_t)(d2 - d1 - 1), sl = len - (size_t)(d2 + 1 - token);
  /* An empty signature is refused below, after the header: a token with
   * "alg":"none" and no signature should be reported as the alg problem. */
  if (hl == 0) return CUSTOS_EINVAL;
  if (!b64url_shape_ok(d1 + 1, pl)) return CUSTOS_EINVAL;

  if ((rc = decode(token, hl, &hdr, &hdrlen))) goto fail;
  if ((rc = jose_json_parse((const char *)hdr, hdrlen, max_depth, &j.header))) goto fail;
  rc = CUSTOS_EINVAL;
  json_t *alg = json_object_get(j.header, "alg");
  json_t *kid = json_object_get(j.header, "kid");
  if (!json_is_string(alg) || (kid && !json_is_string(kid))) goto fail;
  rc = CUSTOS_EALG;
  if (!(j.alg = jose_alg_from_name(json_string_value(alg), json_string_length(alg)))) goto fail;
  if ((rc = check_crit(j.header))) goto fail;
  rc = CUSTOS_EINVAL;
  if (sl == 0) goto fail;
  j.kid = kid ? json_string_value(kid) : NULL;
  if ((rc = decode(d2 + 1, sl, &j.sig, &j.sig_len))) goto fail;
  j.signing_input = token;
  j.signing_input_len = (size_t)(d2 - token);
  j.payload_b64 = d1 + 1;
  j.payload_b64_len = pl;
  free(hdr);
  *out = j;
  return CUSTOS_OK;
fail:
  free(hdr);
  jose_jws_cleanup(&j);
  return rc;
}

void jose_jws_cleanup(jose_jws_t *jws) {
  if (!jws) return;
  json_decref(jws->header);
  free(jws->sig);
  memset(jws, 0, sizeof *jws);
}

int jose_jws_verify(const jose_jws_t *jws, const jose_jwk_t *key) {
  if (!jws || !key || !jws->sig) return CUSTOS_EINVAL;
  return jose_sig_verify(key, jws->alg, jws->signing_input, jws->signing_input_len, jws->sig,
                         jws->sig_len);
}

int jose_jws_payload(const jose_jws_t *jws, unsigned char **out, size_t *outlen) {
  if (!jws || !out || !outlen) return CUSTOS_EINVAL;
  return decode(jws->payload_b64, jws->payload_b64_len, out, outlen);
}

int jose_jws_sign(const jose_jwk_t *key, jose_alg_t alg, const void *header, size_t hlen,
                  const void *payload, size_t plen, char **out, size_t *outlen) {
  unsigned char sig[JOSE_SIG_MAX_BYTES];
  size_t siglen = 0;
  buf_t b;
  int rc;
  if (!key || !header || !hlen || (!payload && plen) || !out) return CUSTOS_EINVAL;
  if (hlen > JOSE_JWS_MAX_OUT || plen > JOSE_JWS_MAX_OUT) return CUSTOS_ETOOBIG;
  buf_init(&b, JOSE_JWS_MAX_OUT);
  if ((rc = b64url_encode_buf(&b, header, hlen)) || (rc = buf_append(&b, ".", 1)) ||
      (rc = b64url_encode_buf(&b, payload, plen)))
    goto fail;
  if ((rc = jose_sig_sign(key, alg, b.data, b.len, sig, sizeof sig, &siglen))) goto fail;
  if ((rc = buf_append(&b, ".", 1)) || (rc = b64url_encode_buf(&b, sig, siglen))) goto fail;
  if (outlen) *outlen = b.len;
  *out = buf_take(&b);
  return CUSTOS_OK;
fail:
  buf_cleanup(&b);
  return rc;
}
