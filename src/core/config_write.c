/*
 * config_write.c — configs as YAML text: the documented example
 * (`custos config example`, examples/custos.yaml) and the effective config
 * (`custos config show`). Both come from the schema table, so a new key
 * shows up here without further work. Secrets never reach the output.
 */
#include <stdio.h>
#include <string.h>

#include "core/config_schema.h"

/* Double-quoted YAML scalar: always quoted so "[::1]:8080", "yes" or a
 * leading '*' can never change meaning. */
static void put_quoted(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(out, "\\%c", ch);
    else if (ch < 0x20 || ch == 0x7f)
      fprintf(out, "\\x%02x", ch);
    else
      fputc(ch, out);
  }
  fputc('"', out);
}

/* Appends `len` bytes of `s` at out[*j], truncating at n - 1. */
static void append(char *out, size_t n, size_t *j, const char *s, size_t len) {
  size_t room = n - 1 - *j;
  if (len > room)
    len = room;
  memcpy(out + *j, s, len);
  *j += len;
  out[*j] = '\0';
}

/* Copies a store URL with any password replaced by "[redacted]": the
 * userinfo password (postgres://u:PW@h) and a password= query parameter. */
static void redact_url(const char *in, char *out, size_t n) {
  static const char mask[] = "[redacted]";
  const char *s = in;
  size_t j = 0;
  out[0] = '\0';
  const char *auth = strstr(in, "://");
  if (auth) {
    auth += 3;
    const char *at = strchr(auth, '@');
    const char *slash = strchr(auth, '/');
    const char *colon = strchr(auth, ':');
    if (at && (!slash || at < slash) && colon && colon < at) {
      append(out, n, &j, in, (size_t)(colon + 1 - in));
      append(out, n, &j, mask, sizeof mask - 1);
      s = at;
    }
  }
  for (;;) {
    const char *pw = strstr(s, "password=");
    if (!pw) {
      append(out, n, &j, s, strlen(s));
      break;
    }
    append(out, n, &j, s, (size_t)(pw + 9 - s));
    s = pw + 9;
    /* Only a parameter name, not "xpassword=" inside some other value. */
    if (pw == in || pw[-1] == '?' || pw[-1] == '&' || pw[-1] == ' ') {
      append(out, n, &j, mask, sizeof mask - 1);
      s += strcspn(s, "& ");
    }
  }
}

static void put_value(FILE *out, const config_t *c, const cfgkey_t *k) {
  const char *field = (const char *)c + k->off;
  switch (k->type) {
  case K_ENUM: fputs(field, out); break;
  case K_URL: {
    char red[sizeof c->store_url + 16];
    redact_url(field, red, sizeof red);
    put_quoted(out, red);
    break;
  }
  case K_LISTEN:
  case K_PATH: put_quoted(out, field); break;
  case K_INT: fprintf(out, "%d", *(const int *)(const void *)field); break;
  case K_SIZE: {
    size_t v = *(const size_t *)(const void *)field;
    if (v && v % (1024 * 1024) == 0)
      fprintf(out, "%zuMiB", v / (1024 * 1024));
    else if (v && v % 1024 == 0)
      fprintf(out, "%zuKiB", v / 1024);
    else
      fprintf(out, "%zu", v);
    break;
  }
  case K_SECONDS: fprintf(out, "%ds", *(const int *)(const void *)field); break;
  case K_MILLIS: {
    int v = *(const int *)(const void *)field;
    if (v % 1000 == 0)
      fprintf(out, "%ds", v / 1000);
    else
      fprintf(out, "%dms", v);
    break;
  }
  case K_BOOL: fputs(*(const bool *)(const void *)field ? "true" : "false", out); break;
  }
}

static void put_doc(FILE *out, int indent, const char *doc) {
  while (*doc) {
    size_t n = strcspn(doc, "\n");
    fprintf(out, "%*s# %.*s\n", indent, "", (int)n, doc);
    doc += n;
    if (*doc)
      doc++;
  }
}

/* Splits the first `len` bytes of dotted `s` into at most `max` parts;
 * returns the count. */
static size_t split_path(const char *s, size_t len, const char *part[], size_t plen[],
                         size_t max) {
  size_t n = 0;
  while (len > 0 && n < max) {
    size_t l = strcspn(s, ".");
    if (l > len)
      l = len;
    part[n] = s;
    plen[n++] = l;
    if (l >= len)
      break;
    s += l + 1;
    len -= l + 1;
  }
  return n;
}

/* Writes the nested YAML for `c`; with `docs`, each key gets its comment and
 * its environment variable and flag. Relies on `keys` being grouped by
 * section. */
static int emit(const config_t *c, FILE *out, bool docs) {
  const char *prev[8] = {0}, *cur[8];
  size_t prevlen[8] = {0}, curlen[8], nprev = 0;
  for (size_t i = 0; i < config_nkeys; i++) {
    const cfgkey_t *k = &config_keys[i];
    const char *leaf = config__last_part(k->name);
    size_t ncur = split_path(k->name, (size_t)(leaf - k->name), cur, curlen, 8);
    size_t same = 0;
    while (same < ncur && same < nprev && curlen[same] == prevlen[same] &&
           memcmp(cur[same], prev[same], curlen[same]) == 0)
      same++;
    if (docs)
      fputc('\n', out);
    for (size_t d = same; d < ncur; d++)
      fprintf(out, "%*s%.*s:\n", (int)(2 * d), "", (int)curlen[d], cur[d]);
    int indent = (int)(2 * ncur);
    if (docs) {
      char env[PATH_MAX_KEY + 1], meta[2 * PATH_MAX_KEY];
      put_doc(out, indent, k->doc);
      config__env_name(k, env, sizeof env);
      if (k->flag)
        snprintf(meta, sizeof meta, "env %s%s%s, flag --%s", env, k->alias_env ? " or " : "",
                 k->alias_env ? k->alias_env : "", k->flag);
      else
        snprintf(meta, sizeof meta, "env %s, flag --set %s=...", env, k->name);
      put_doc(out, indent, meta);
    }
    fprintf(out, "%*s%s: ", indent, "", leaf);
    put_value(out, c, k);
    fputc('\n', out);
    memcpy(prev, cur, sizeof cur);
    memcpy(prevlen, curlen, sizeof curlen);
    nprev = ncur;
  }
  return ferror(out) ? -1 : 0;
}

int config_write_example(FILE *out) {
  config_t d;
  config_defaults(&d);
  fputs("# custos.yaml — every key with its default. Delete what you do not change.\n"
        "# Format: a strict YAML subset (no anchors, aliases, tags, merge keys or\n"
        "# multiple documents). Check a file with `custos config check FILE`.\n"
        "# Precedence: flags > CUSTOS_* environment > this file > defaults.\n",
        out);
  return emit(&d, out, true);
}

int config_write_yaml(const config_t *c, FILE *out) {
  fputs("# effective custos configuration (defaults < file < environment < flags)\n", out);
  int rc = emit(c, out, false);
  fprintf(out, "# master key (CUSTOS_MASTER_KEY): %s\n", c->master_key_hex[0] ? "[set]" : "[unset]");
  return rc == 0 && !ferror(out) ? 0 : -1;
}
