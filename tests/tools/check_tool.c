/*
 * check_tool — libcustos's in-process gateway decision from the command
 * line, for tests/integration/inproc_check.test.mjs. Uses only the public
 * header, as an integrator would. Not installed.
 *
 *   check_tool [CONFIG]    (CONFIG as custos_checker_new's config_path)
 *
 * Starts one checker, prints {"ready":true} (or {"ready":false,"error":
 * "CUSTOS_E…"} and exits 2), then reads requests from stdin, one per line,
 * fields separated by tabs:
 *   METHOD \t URI \t REQUEST_ID \t NAME \t VALUE \t NAME \t VALUE …
 * (REQUEST_ID "-" = none) and prints one JSON line per request:
 *   {"rc":"CUSTOS_OK","status":200,"code":null,"headers":[["X-Custos-App","app_…"],…],
 *    "content_type":null,"retry_after":0,"body":""}
 * A line that is only "quit" (or end of input) frees the checker and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "custos.h"

#define MAX_HEADERS 64

typedef struct {
  int n;
  const char *name[MAX_HEADERS], *value[MAX_HEADERS];
} headers_t;

static const char *lookup(void *ctx, const char *name) {
  const headers_t *h = ctx;
  for (int i = 0; i < h->n; i++)
    if (strcasecmp(h->name[i], name) == 0) return h->value[i];
  return NULL;
}

/* A JSON string (or null): quote, backslash and control bytes escaped;
 * other bytes pass as they are (custos's bodies are valid UTF-8). */
static void json_str(const char *s, size_t n) {
  if (!s) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static void print_decision(int rc, const custos_decision_t *d) {
  printf("{\"rc\":\"%s\",\"status\":%d,\"code\":", custos_err_name(rc), custos_decision_status(d));
  const char *code = custos_decision_code(d);
  json_str(code, code ? strlen(code) : 0);
  fputs(",\"headers\":[", stdout);
  for (size_t i = 0; i < custos_decision_header_count(d); i++) {
    const char *n, *v;
    if (custos_decision_header(d, i, &n, &v) != CUSTOS_OK) break;
    fputs(i ? ",[" : "[", stdout);
    json_str(n, strlen(n));
    putchar(',');
    json_str(v, strlen(v));
    putchar(']');
  }
  fputs("],\"content_type\":", stdout);
  const char *ct = custos_decision_content_type(d);
  json_str(ct, ct ? strlen(ct) : 0);
  size_t blen;
  const char *body = custos_decision_body(d, &blen);
  printf(",\"retry_after\":%d,\"body\":", custos_decision_retry_after(d));
  json_str(body, blen);
  fputs("}\n", stdout);
  fflush(stdout);
}

int main(int argc, char **argv) {
  custos_checker_t *c;
  int rc = custos_checker_new(argc > 1 ? argv[1] : NULL, &c);
  if (rc != CUSTOS_OK) {
    printf("{\"ready\":false,\"error\":\"%s\"}\n", custos_err_name(rc));
    return 2;
  }
  printf("{\"ready\":true}\n");
  fflush(stdout);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, stdin)) > 0) {
    if (line[len - 1] == '\n') line[--len] = '\0';
    if (strcmp(line, "quit") == 0) break;
    char *f[3 + 2 * MAX_HEADERS];
    int nf = 0;
    for (char *p = line; nf < (int)(sizeof f / sizeof *f);) {
      f[nf++] = p;
      char *tab = strchr(p, '\t');
      if (!tab) break;
      *tab = '\0';
      p = tab + 1;
    }
    if (nf < 3 || (nf - 3) % 2 != 0) {
      printf("{\"error\":\"bad request line\"}\n");
      fflush(stdout);
      continue;
    }
    headers_t h = {.n = 0};
    for (int i = 3; i + 1 < nf; i += 2) {
      h.name[h.n] = f[i];
      h.value[h.n++] = f[i + 1];
    }
    custos_decision_t *d;
    rc = custos_check(c, f[0], f[1], lookup, &h, strcmp(f[2], "-") == 0 ? NULL : f[2], &d);
    print_decision(rc, d);
    custos_decision_free(d);
  }
  free(line);
  custos_checker_free(c);
  return 0;
}
