#include "support/httpc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sink { char *p; size_t n; };
struct source { const char *p; size_t left; };

static size_t on_write(char *d, size_t sz, size_t n, void *u) {
  struct sink *s = u;
  size_t add = sz * n;
  char *np = realloc(s->p, s->n + add + 1);
  if (!np) return 0;
  memcpy(np + s->n, d, add);
  s->n += add;
  np[s->n] = 0;
  s->p = np;
  return add;
}

static size_t on_read(char *d, size_t sz, size_t n, void *u) {
  struct source *s = u;
  size_t k = sz * n < s->left ? sz * n : s->left;
  memcpy(d, s->p, k);
  s->p += k;
  s->left -= k;
  return k;
}

CURL *httpc_new(void) { return curl_easy_init(); }

int httpc_do(CURL *h, const char *method, const char *url, const char *const *headers,
             const char *body, size_t body_len, int chunked, httpc_resp_t *out) {
  struct sink b = {0}, hd = {0};
  struct source src = {body, body_len};
  struct curl_slist *hl = NULL;
  memset(out, 0, sizeof *out);
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "HEAD") == 0) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
  for (int i = 0; headers && headers[i]; i++) hl = curl_slist_append(hl, headers[i]);
  hl = curl_slist_append(hl, "Expect:");
  if (body) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &src);
    if (chunked)
      hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
    else
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(hl);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &out->new_conns);
  out->body = b.p ? b.p : calloc(1, 1);
  out->body_len = b.n;
  out->headers = hd.p ? hd.p : calloc(1, 1);
  return rc == CURLE_OK ? 0 : -(int)rc;
}

int httpc_header(const httpc_resp_t *r, const char *name, char *out, size_t outlen) {
  size_t nl = strlen(name);
  for (const char *p = r->headers; p && *p;) {
    const char *eol = strstr(p, "\r\n");
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ') v++;
      size_t vl = len - (size_t)(v - p);
      if (vl >= outlen) return -1;
      memcpy(out, v, vl);
      out[vl] = 0;
      return 0;
    }
    if (!eol) break;
    p = eol + 2;
  }
  return -1;
}

void httpc_resp_free(httpc_resp_t *r) {
  free(r->body);
  free(r->headers);
  memset(r, 0, sizeof *r);
}
