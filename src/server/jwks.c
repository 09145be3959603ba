/*
 * GET /.well-known/jwks.json — the public keys custos signs tokens with.
 *
 * Published: every next, active and recently retired key (jose/signer.h).
 * Cacheable for JWKS_MAX_AGE seconds; docs/operations.md "Signing keys"
 * explains why that must stay shorter than the time a next key is
 * published before it signs. A strong ETag lets a client revalidate with
 * If-None-Match and get an empty 304 while the set is unchanged.
 */
#include <string.h>

#include "core/err.h"
#include "server/app.h"

#define JWKS_MAX_AGE 300 /* seconds, Cache-Control max-age */
#define JWKS_CACHE_CONTROL "public, max-age=300"

_Static_assert(JWKS_MAX_AGE == 300, "keep JWKS_CACHE_CONTROL and docs/operations.md in step");

/* True when the If-None-Match list (RFC 9110 §13.1.2) names `etag`: "*",
 * or one of its comma-separated entity tags, compared weakly (a W/ prefix
 * is ignored), as the RFC requires for If-None-Match. */
static bool etag_matches(const char *inm, const char *etag) {
  size_t elen = strlen(etag);
  const char *p = inm;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (*p == '*') return true;
    if (strncmp(p, "W/", 2) == 0) p += 2;
    size_t n = strcspn(p, ", \t");
    if (n == elen && memcmp(p, etag, n) == 0) return true;
    p += n;
  }
  return false;
}

void jwks_get(http_req_t *r, void *ctx) {
  app_t *a = ctx;
  char etag[SIGNER_ETAG_MAX];
  cerr_t e;
  if (!a->signer) {
    cerr_set(&e, 503, CERR_UNAVAILABLE, NULL, "no signing keys");
    http_reply_error(r, &e);
    return;
  }
  const char *inm = http_header(r, "If-None-Match");
  if (inm) {
    signer_jwks_etag(a->signer, etag);
    if (etag_matches(inm, etag)) {
      (void)http_add_header(r, "ETag", etag);
      (void)http_add_header(r, "Cache-Control", JWKS_CACHE_CONTROL);
      http_reply(r, 304, NULL, NULL);
      return;
    }
  }
  buf_t b;
  buf_init(&b, 0);
  if (signer_jwks(a->signer, &b, etag) != 0) {
    buf_cleanup(&b);
    cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
    http_reply_error(r, &e);
    return;
  }
  (void)http_add_header(r, "ETag", etag);
  (void)http_add_header(r, "Cache-Control", JWKS_CACHE_CONTROL);
  http_reply(r, 200, "application/json", &b);
}
