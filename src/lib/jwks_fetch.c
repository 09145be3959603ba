#include "lib/jwks_fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "custos.h"

static bool is_loopback(const char *host) {
  struct in_addr a4;
  if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0) return true;
  if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  return false;
}

int jwks_url_check(const char *url, bool allow_http) {
  CURLU *u = NULL;
  char *scheme = NULL, *host = NULL;
  int rc = CUSTOS_EINVAL;
  if (!url) return CUSTOS_EINVAL;
  if (!(u = curl_url())) return CUSTOS_ENOMEM;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0])
    goto out;
  if (strcasecmp(scheme, "https") == 0 ||
      (strcasecmp(scheme, "http") == 0 && (allow_http || is_loopback(host))))
    rc = CUSTOS_OK;
out:
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(u);
  return rc;
}

typedef struct sink {
  char *data;
  size_t len, cap, max;
  bool toobig, nomem;
} sink_t;

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg) {
  sink_t *s = arg;
  size_t n = size * nmemb;
  if (n > s->max - s->len) {
    s->toobig = true;
    return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
  }
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->len + n + 1) cap *= 2;
    if (cap > s->max + 1) cap = s->max + 1;
    char *d = realloc(s->data, cap);
    if (!d) {
      s->nomem = true;
      return 0;
    }
    s->data = d;
    s->cap = cap;
  }
  memcpy(s->data + s->len, p, n);
  s->len += n;
  s->data[s->len] = '\0';
  return n;
}

int jwks_fetch(const char *url, const jwks_fetch_opts_t *o, char **body, size_t *len) {
  sink_t s = {.max = o->max_bytes};
  CURL *h = NULL;
  long status = 0;
  int rc = jwks_url_check(url, o->allow_http);
  if (rc) return rc;
  rc = CUSTOS_ENOMEM;
  if (!(h = curl_easy_init())) goto out;
  rc = CUSTOS_EIO;
  if (curl_easy_setopt(h, CURLOPT_URL, url) || curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
      curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ||
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) ||
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms) ||
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_ms) ||
      curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes) ||
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) ||
      curl_easy_setopt(h, CURLOPT_WRITEDATA, &s) ||
      curl_easy_setopt(h, CURLOPT_USERAGENT, "libcustos/" CUSTOS_VERSION) ||
      (o->ca_file && curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file)))
    goto out;
  CURLcode cc = curl_easy_perform(h);
  if (s.toobig || cc == CURLE_FILESIZE_EXCEEDED) {
    rc = CUSTOS_ETOOBIG;
    goto out;
  }
  if (s.nomem) {
    rc = CUSTOS_ENOMEM;
    goto out;
  }
  if (cc != CURLE_OK || curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
      status != 200)
    goto out;
  if (!s.data && !(s.data = calloc(1, 1))) {
    rc = CUSTOS_ENOMEM;
    goto out;
  }
  *body = s.data;
  *len = s.len;
  s.data = NULL;
  rc = CUSTOS_OK;
out:
  free(s.data);
  curl_easy_cleanup(h);
  return rc;
}
