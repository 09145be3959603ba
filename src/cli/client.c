/*
 * client.c — see client.h.
 */
#include "cli/client.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "custos.h"

/* curl_global_init is not thread-safe before 7.84 and must run once; the
 * CLI is single-threaded, so a flag is enough. */
static int g_curl_ready;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  buf_t *b = ud;
  size_t len = size * n;
  /* Returning less than len makes curl stop with CURLE_WRITE_ERROR; the
   * cap check after the transfer tells that apart from a real failure. */
  return buf_append(b, p, len) == 0 ? len : 0;
}

/* Copies URL `in` to out with any userinfo ("user:pw@") shown as "***@",
 * so a password given in --url never reaches a message. */
static void redact(const char *in, char *out, size_t cap) {
  const char *host = strstr(in, "://");
  host = host ? host + 3 : in;
  size_t hostlen = strcspn(host, "/?#");
  const char *at = memchr(host, '@', hostlen);
  /* The last '@' of the authority ends the userinfo. */
  for (const char *p = at; p != NULL && p < host + hostlen;) {
    at = p;
    p = memchr(p + 1, '@', (size_t)(host + hostlen - p - 1));
  }
  if (at == NULL)
    snprintf(out, cap, "%s", in);
  else
    snprintf(out, cap, "%.*s***%s", (int)(host - in), in, at);
}

/* Appends one "Name: value" line (copied) to the request headers. */
static int add_header(client_t *c, const char *line) {
  struct curl_slist *h = curl_slist_append(c->headers, line);
  if (h == NULL) return CUSTOS_ENOMEM;
  c->headers = h;
  return CUSTOS_OK;
}

int client_init(client_t *c, const char *base_url, const char *token) {
  memset(c, 0, sizeof *c);
  size_t n = strlen(base_url);
  if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0) {
    redact(base_url, c->shown, sizeof c->shown);
    snprintf(c->error, sizeof c->error, "URL \"%.200s\" must start with http:// or https://",
             c->shown);
    return CUSTOS_EINVAL;
  }
  if (n >= sizeof c->base / 2) {
    snprintf(c->error, sizeof c->error, "URL is longer than %zu bytes", sizeof c->base / 2);
    return CUSTOS_EINVAL;
  }
  while (n > 0 && base_url[n - 1] == '/') n--;
  memcpy(c->base, base_url, n);
  c->base[n] = '\0';
  redact(c->base, c->shown, sizeof c->shown);

  if (!g_curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return CUSTOS_ENOMEM;
    g_curl_ready = 1;
  }
  c->curl = curl_easy_init();
  if (c->curl == NULL) return CUSTOS_ENOMEM;

  if (token != NULL) {
    size_t tl = strlen(token);
    if (tl == 0 || tl > CLIENT_MAX_TOKEN) {
      snprintf(c->error, sizeof c->error, "admin token must be 1..%d bytes", CLIENT_MAX_TOKEN);
      return CUSTOS_EINVAL;
    }
    for (size_t i = 0; i < tl; i++)
      if ((unsigned char)token[i] < 0x21 || (unsigned char)token[i] == 0x7F) {
        snprintf(c->error, sizeof c->error, "admin token contains a space or control character");
        return CUSTOS_EINVAL;
      }
  }

  char line[CLIENT_MAX_TOKEN + 32];
  const char *fixed[] = {line, "Accept: application/json",
                         /* an empty Expect: keeps curl from waiting for 100-continue */
                         "Expect:"};
  snprintf(line, sizeof line, "User-Agent: custos-cli/%s", custos_version());
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
    if (add_header(c, fixed[i]) != CUSTOS_OK) return CUSTOS_ENOMEM;
  if (token != NULL) {
    snprintf(line, sizeof line, "Authorization: Bearer %s", token);
    int rc = add_header(c, line);
    OPENSSL_cleanse(line, sizeof line);
    if (rc != CUSTOS_OK) return rc;
  }
  return CUSTOS_OK;
}

void client_cleanup(client_t *c) {
  for (struct curl_slist *h = c->headers; h != NULL; h = h->next)
    OPENSSL_cleanse(h->data, strlen(h->data));
  curl_slist_free_all(c->headers);
  if (c->curl) curl_easy_cleanup(c->curl);
  memset(c, 0, sizeof *c);
}

char *client_escape(const char *s) {
  static const char HEX[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  char *out = malloc(3 * n + 1), *o = out;
  if (out == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      *o++ = (char)ch;
    } else {
      *o++ = '%';
      *o++ = HEX[ch >> 4];
      *o++ = HEX[ch & 15];
    }
  }
  *o = '\0';
  return out;
}

int client_request(client_t *c, const char *method, const char *path, const json_t *body,
                   client_resp_t *out) {
  char url[CLIENT_MAX_URL];
  char *payload = NULL;
  buf_t resp;
  int rc;
  memset(out, 0, sizeof *out);
  c->error[0] = '\0';
  buf_init(&resp, CLIENT_MAX_RESPONSE);
  if ((size_t)snprintf(url, sizeof url, "%s%s", c->base, path) >= sizeof url) {
    snprintf(c->error, sizeof c->error, "request URL is longer than %zu bytes", sizeof url);
    rc = CUSTOS_EINVAL;
    goto out;
  }
  if (body != NULL) {
    payload = json_dumps(body, JSON_COMPACT);
    if (payload == NULL) {
      rc = CUSTOS_ENOMEM;
      goto out;
    }
  }

  CURL *h = c->curl;
  char curl_err[CURL_ERROR_SIZE] = "";
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  /* Content-Type only with a body: a node on the stack in front of the
   * shared list (curl reads the list during the transfer, never frees it). */
  char ct_line[] = "Content-Type: application/json";
  struct curl_slist ct = {ct_line, c->headers};
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, payload != NULL ? &ct : c->headers);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CLIENT_CONNECT_TIMEOUT_MS);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CLIENT_TIMEOUT_MS);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLIENT_MAX_RESPONSE);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
  if (payload != NULL) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
  }

  CURLcode cc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL); /* curl_err goes out of scope */
  if (cc == CURLE_FILESIZE_EXCEEDED ||
      (cc == CURLE_WRITE_ERROR && resp.len + CURL_MAX_WRITE_SIZE > CLIENT_MAX_RESPONSE)) {
    snprintf(c->error, sizeof c->error, "the answer from %s is larger than %d bytes", url,
             CLIENT_MAX_RESPONSE);
    rc = CUSTOS_ETOOBIG;
    goto out;
  }
  if (cc != CURLE_OK) {
    snprintf(c->error, sizeof c->error, "cannot reach %s (%s %s): %s", c->shown, method, path,
             curl_err[0] ? curl_err : curl_easy_strerror(cc));
    rc = cc == CURLE_OUT_OF_MEMORY ? CUSTOS_ENOMEM : CUSTOS_EIO;
    goto out;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
  if (resp.len > 0) out->json = json_loadb(resp.data, resp.len, JSON_REJECT_DUPLICATES, NULL);
  rc = CUSTOS_OK;
out:
  buf_cleanup_secure(&resp);
  if (payload != NULL) {
    OPENSSL_cleanse(payload, strlen(payload));
    free(payload);
  }
  return rc;
}
