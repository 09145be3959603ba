/*
 * remote.c — see remote.h.
 */
#include "cli/remote.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/duration.h"
#include "cli/table.h"
#include "core/buf.h"
#include "custos.h"

static const char *const GLOBAL_FLAGS[] = {"json", "all", "help", NULL};
static const char *const GLOBAL_VALUES[] = {"url", "limit", "after", NULL};

/* The entry of `list` (NULL-terminated, may be NULL) equal to the first
 * len bytes of name, or NULL. */
static const char *find(const char *const *list, const char *name, size_t len) {
  for (; list != NULL && *list != NULL; list++)
    if (strlen(*list) == len && strncmp(*list, name, len) == 0) return *list;
  return NULL;
}

/* Parses --limit's text: 1..REMOTE_MAX_LIMIT, digits only. */
static int parse_limit(const char *s, int *out) {
  long v = 0;
  if (*s == '\0' || strlen(s) > 4) return -1;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    v = v * 10 + (*p - '0');
  }
  if (v < 1 || v > REMOTE_MAX_LIMIT) return -1;
  *out = (int)v;
  return 0;
}

static int set_global(remote_args_t *a, const char *prog, const char *name, const char *v) {
  if (strcmp(name, "url") == 0) {
    a->url = v;
  } else if (strcmp(name, "after") == 0) {
    a->after = v;
    a->paged = true;
  } else if (parse_limit(v, &a->limit) != 0) {
    fprintf(stderr, "%s: --limit takes a number from 1 to %d\n", prog, REMOTE_MAX_LIMIT);
    return 2;
  } else {
    a->paged = true;
  }
  return 0;
}

int remote_parse(remote_args_t *a, int argc, char **argv, const char *const *value_opts) {
  char prog[64];
  snprintf(prog, sizeof prog, "custos %s", argv[0]);
  memset(a, 0, sizeof *a);
  bool only_pos = false;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (only_pos || arg[0] != '-' || arg[1] == '\0') {
      if (a->npos == REMOTE_MAX_ARGS) goto too_many;
      a->pos[a->npos++] = arg;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      only_pos = true;
      continue;
    }
    if (strcmp(arg, "-h") == 0) {
      a->help = true;
      continue;
    }
    if (arg[1] != '-') {
      fprintf(stderr, "%s: unknown option \"%s\"\n", prog, arg);
      return 2;
    }
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    if (find(GLOBAL_FLAGS, name, nlen)) {
      if (eq) {
        fprintf(stderr, "%s: --%.*s takes no value\n", prog, (int)nlen, name);
        return 2;
      }
      if (name[0] == 'j') a->json = true;
      else if (name[0] == 'a') a->all = a->paged = true;
      else a->help = true;
      continue;
    }
    /* The list's own spelling is kept: NUL-terminated, for strcmp later. */
    const char *global = find(GLOBAL_VALUES, name, nlen);
    const char *canon = global ? global : find(value_opts, name, nlen);
    if (canon == NULL) {
      if (nlen == 5 && strncmp(name, "token", 5) == 0)
        fprintf(stderr, "%s: there is no --token: set $%s (flags are visible in ps)\n", prog,
                REMOTE_TOKEN_ENV);
      else
        fprintf(stderr, "%s: unknown option \"--%.*s\"\n", prog, (int)nlen, name);
      return 2;
    }
    const char *v = eq ? eq + 1 : NULL;
    if (v == NULL) {
      if (i + 1 >= argc) {
        fprintf(stderr, "%s: --%s needs a value\n", prog, name);
        return 2;
      }
      v = argv[++i];
    }
    if (global) {
      if (set_global(a, prog, canon, v) != 0) return 2;
      continue;
    }
    if (a->nopts == REMOTE_MAX_ARGS) goto too_many;
    a->opts[a->nopts].name = canon;
    a->opts[a->nopts].value = v;
    a->nopts++;
  }
  return 0;
too_many:
  fprintf(stderr, "%s: more than %d arguments\n", prog, REMOTE_MAX_ARGS);
  return 2;
}

const char *remote_opt(const remote_args_t *a, const char *name) {
  const char *v = NULL;
  for (int i = 0; i < a->nopts; i++)
    if (strcmp(a->opts[i].name, name) == 0) v = a->opts[i].value;
  return v;
}

int remote_check(const remote_args_t *a, const char *prog, int min_pos, int max_pos,
                 const char *const *allowed, bool paged) {
  int n = a->npos - 1;
  if (n < min_pos) {
    fprintf(stderr, "%s: missing argument\n", prog);
    return 2;
  }
  if (n > max_pos) {
    fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, a->pos[1 + max_pos]);
    return 2;
  }
  for (int i = 0; i < a->nopts; i++)
    if (!find(allowed, a->opts[i].name, strlen(a->opts[i].name))) {
      fprintf(stderr, "%s: --%s does not apply here\n", prog, a->opts[i].name);
      return 2;
    }
  if (a->paged && !paged) {
    fprintf(stderr, "%s: --limit, --after and --all apply to list commands only\n", prog);
    return 2;
  }
  return 0;
}

int remote_open(remote_t *r, const remote_args_t *a, const char *prog) {
  memset(r, 0, sizeof *r);
  r->prog = prog;
  r->json = a->json;
  r->all = a->all;
  r->limit = a->limit;
  r->after = a->after;
  const char *token = getenv(REMOTE_TOKEN_ENV);
  if (token == NULL || token[0] == '\0') {
    fprintf(stderr,
            "%s: no admin token: set $%s (an admin token from `custos admin init`);\n"
            "the token is never taken as a flag, since flags are visible in ps\n",
            prog, REMOTE_TOKEN_ENV);
    return 2;
  }
  const char *url = a->url;
  if (url == NULL) url = getenv(REMOTE_URL_ENV);
  if (url == NULL || url[0] == '\0') url = REMOTE_DEFAULT_URL;
  int rc = client_init(&r->client, url, token);
  if (rc != CUSTOS_OK) {
    fprintf(stderr, "%s: %s\n", prog, r->client.error[0] ? r->client.error : custos_strerror(rc));
    client_cleanup(&r->client);
    return rc == CUSTOS_EINVAL ? 2 : 1;
  }
  return 0;
}

void remote_close(remote_t *r) { client_cleanup(&r->client); }

/* Prints the custos error envelope of a failed answer, or what there is. */
static void print_error(const remote_t *r, const client_resp_t *resp) {
  json_t *e = json_object_get(resp->json, "error");
  const char *msg = json_string_value(json_object_get(e, "message"));
  const char *code = json_string_value(json_object_get(e, "code"));
  const char *field = json_string_value(json_object_get(e, "field"));
  if (msg == NULL) {
    fprintf(stderr, "%s: HTTP %ld from %s, without a custos error message\n", r->prog,
            resp->status, r->client.shown);
    return;
  }
  /* The server's words reach a terminal: clean them like table cells. */
  char *m = table_clean(msg, 0), *f = field && *field ? table_clean(field, 0) : NULL;
  char *c = table_clean(code ? code : "", 0);
  if (f != NULL)
    fprintf(stderr, "%s: %s (field \"%s\"; HTTP %ld %s)\n", r->prog, m ? m : msg, f, resp->status,
            c ? c : "");
  else
    fprintf(stderr, "%s: %s (HTTP %ld %s)\n", r->prog, m ? m : msg, resp->status, c ? c : "");
  if (resp->status == 401)
    fprintf(stderr, "%s: check $%s and --url\n", r->prog, REMOTE_TOKEN_ENV);
  free(m);
  free(f);
  free(c);
}

int remote_call(remote_t *r, const char *method, const char *path, const json_t *body,
                json_t **out) {
  client_resp_t resp;
  *out = NULL;
  int rc = client_request(&r->client, method, path, body, &resp);
  if (rc != CUSTOS_OK) {
    fprintf(stderr, "%s: %s\n", r->prog, r->client.error[0] ? r->client.error : custos_strerror(rc));
    return 1;
  }
  if (resp.status < 200 || resp.status > 299) {
    print_error(r, &resp);
    json_decref(resp.json);
    return 1;
  }
  if (resp.json == NULL) {
    fprintf(stderr, "%s: HTTP %ld from %s, but the answer is not JSON\n", r->prog, resp.status,
            r->client.shown);
    return 1;
  }
  *out = resp.json;
  return 0;
}

char *remote_format(const json_t *v, remote_fmt_t fmt) {
  if (v == NULL || json_is_null(v)) return strdup(fmt == REMOTE_USED ? "never" : "-");
  if ((fmt == REMOTE_TIME || fmt == REMOTE_USED) && json_is_integer(v)) {
    time_t t = (time_t)json_integer_value(v);
    struct tm tm;
    char s[64];
    if (gmtime_r(&t, &tm) == NULL || strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
      snprintf(s, sizeof s, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return strdup(s);
  }
  if (json_is_string(v)) return strdup(json_string_value(v));
  if (json_is_array(v) && json_array_size(v) == 0) return strdup("-");
  if (json_is_array(v)) {
    buf_t b;
    buf_init(&b, 0);
    size_t i;
    json_t *x;
    int rc = 0;
    json_array_foreach(v, i, x) {
      char *s = remote_format(x, REMOTE_TEXT);
      if (rc == 0 && i > 0) rc = buf_puts(&b, ",");
      if (rc == 0) rc = s ? buf_puts(&b, s) : CUSTOS_ENOMEM;
      free(s);
    }
    if (rc != 0) {
      buf_cleanup(&b);
      return NULL;
    }
    return buf_take(&b);
  }
  /* Numbers, booleans and objects: their compact JSON. */
  return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

int remote_print_json(const json_t *v) {
  if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) != 0) return 1;
  return fputc('\n', stdout) == EOF || fflush(stdout) != 0 ? 1 : 0;
}

/* Members holding unix seconds: "at" and names ending in "_at", plus
 * grace_until. Shown as dates in key: value blocks. */
static bool is_time_field(const char *k) {
  size_t n = strlen(k);
  return strcmp(k, "at") == 0 || (n > 6 && strcmp(k + n - 6, "_until") == 0) ||
         (n > 3 && strcmp(k + n - 3, "_at") == 0);
}

int remote_print_object(const remote_t *r, const json_t *obj, const char *skip) {
  if (r->json) return remote_print_json(obj);
  const char *k;
  json_t *v;
  int w = 0;
  json_object_foreach((json_t *)obj, k, v) {
    if (skip && strcmp(k, skip) == 0) continue;
    if ((int)strlen(k) > w) w = (int)strlen(k);
  }
  int rc = 0;
  json_object_foreach((json_t *)obj, k, v) {
    if (skip && strcmp(k, skip) == 0) continue;
    char *text = remote_format(v, is_time_field(k) ? REMOTE_TIME : REMOTE_TEXT);
    char *clean = table_clean(text, 0), *key = table_clean(k, 0);
    if (clean == NULL || key == NULL ||
        printf("%s:%*s %s\n", key, w - (int)table_text_width(key), "", clean) < 0)
      rc = 1;
    free(text);
    free(clean);
    free(key);
    if (rc) break;
  }
  return rc;
}

int remote_query(char *path, size_t cap, const char *name, const char *value) {
  char *e = client_escape(value);
  if (e == NULL) return 1;
  size_t len = strlen(path);
  int n = snprintf(path + len, cap - len, "%c%s=%s", strchr(path, '?') ? '&' : '?', name, e);
  free(e);
  return n < 0 || (size_t)n >= cap - len ? 1 : 0;
}

int remote_path_id(char *path, size_t cap, const char *prog, const char *what, const char *id,
                   const char *suffix) {
  if (id[0] == '\0' || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
    fprintf(stderr, "%s: \"%s\" is not %s id\n", prog, id, what);
    return 2;
  }
  char *e = client_escape(id);
  if (e == NULL) return 1;
  size_t len = strlen(path);
  int n = snprintf(path + len, cap - len, "/%s%s", e, suffix ? suffix : "");
  free(e);
  if (n < 0 || (size_t)n >= cap - len) {
    fprintf(stderr, "%s: %s id is too long\n", prog, what);
    return 1;
  }
  return 0;
}

/* Adds one list item as a table row. */
static int add_item(table_t *t, const json_t *item, const remote_col_t *cols, size_t ncols,
                    remote_xform_fn xform, void *ctx) {
  char *cells[TABLE_MAX_COLS] = {0};
  int rc = CUSTOS_OK;
  for (size_t c = 0; c < ncols && rc == CUSTOS_OK; c++) {
    cells[c] = remote_format(json_object_get(item, cols[c].field), cols[c].fmt);
    if (cells[c] == NULL) rc = CUSTOS_ENOMEM;
    if (rc == CUSTOS_OK && xform != NULL) {
      char *better = xform(ctx, &cols[c], item, cells[c]);
      if (better != NULL) {
        free(cells[c]);
        cells[c] = better;
      }
    }
  }
  if (rc == CUSTOS_OK) rc = table_add_row(t, (const char *const *)cells);
  for (size_t c = 0; c < ncols; c++) free(cells[c]);
  return rc;
}

int remote_list(remote_t *r, const char *path, const remote_col_t *cols, size_t ncols,
                remote_xform_fn xform, void *ctx) {
  const char *titles[TABLE_MAX_COLS];
  char page_path[CLIENT_MAX_URL], after[256] = "";
  json_t *all = NULL, *resp = NULL;
  table_t t = {0};
  int code = 1, pages = 0;
  if (r->after != NULL) snprintf(after, sizeof after, "%s", r->after);
  for (size_t c = 0; c < ncols; c++) titles[c] = cols[c].title;
  if (table_init(&t, ncols, titles) != CUSTOS_OK) goto out;
  if (r->json && r->all && (all = json_array()) == NULL) goto out;

  for (;;) {
    snprintf(page_path, sizeof page_path, "%s", path);
    char lim[16];
    snprintf(lim, sizeof lim, "%d", r->limit);
    if ((r->limit > 0 && remote_query(page_path, sizeof page_path, "limit", lim) != 0) ||
        (after[0] && remote_query(page_path, sizeof page_path, "after", after) != 0)) {
      fprintf(stderr, "%s: request URL too long\n", r->prog);
      goto out;
    }
    if (remote_call(r, "GET", page_path, NULL, &resp) != 0) goto out;
    json_t *data = json_object_get(resp, "data"), *next = json_object_get(resp, "next");
    if (!json_is_array(data)) {
      fprintf(stderr, "%s: the answer has no \"data\" list\n", r->prog);
      goto out;
    }
    if (r->json && !r->all) {
      code = remote_print_json(resp);
      goto out;
    }
    size_t i;
    json_t *item;
    json_array_foreach(data, i, item) {
      if (all != NULL ? json_array_append(all, item) != 0
                      : add_item(&t, item, cols, ncols, xform, ctx) != CUSTOS_OK) {
        fprintf(stderr, "%s: out of memory\n", r->prog);
        goto out;
      }
    }
    /* Cursors are ids, so strings; a number is taken as its digits. */
    char num[32];
    const char *nx = json_string_value(next);
    if (json_is_integer(next)) {
      snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(next));
      nx = num;
    }
    if (nx == NULL || nx[0] == '\0') break;
    if (!r->all) {
      char *hint = table_clean(nx, 0);
      fprintf(stderr, "(more: add --after %s, or --all)\n", hint ? hint : "?");
      free(hint);
      break;
    }
    /* A server that hands back the same cursor would loop forever. */
    if (strcmp(nx, after) == 0 || strlen(nx) >= sizeof after || ++pages >= REMOTE_MAX_PAGES) {
      fprintf(stderr, "%s: the server's \"next\" cursor does not advance; stopping\n", r->prog);
      goto out;
    }
    snprintf(after, sizeof after, "%s", nx);
    json_decref(resp);
    resp = NULL;
  }
  if (all != NULL) {
    json_t *doc = json_pack("{s:O,s:n}", "data", all, "next");
    code = doc ? remote_print_json(doc) : 1;
    json_decref(doc);
  } else {
    code = table_print(&t, stdout) == CUSTOS_OK && fflush(stdout) == 0 ? 0 : 1;
  }
out:
  json_decref(resp);
  json_decref(all);
  table_cleanup(&t);
  return code;
}

int remote_duration_opt(const remote_t *r, const char *flag, const char *text, int64_t *out) {
  if (duration_parse(text, out) != 0) {
    fprintf(stderr, "%s: --%s \"%s\" is not a duration (30s, 15m, 24h, 7d)\n", r->prog, flag, text);
    return 2;
  }
  return 0;
}

int remote_print_secret(const remote_t *r, const json_t *obj, const char *field) {
  const char *secret = json_string_value(json_object_get(obj, field));
  if (r->json) {
    fprintf(stderr, "%s: the answer holds a secret; it will not be shown again\n", r->prog);
    return 0;
  }
  if (secret == NULL) {
    fprintf(stderr, "%s: the answer holds no secret\n", r->prog);
    return 1;
  }
  char *clean = table_clean(secret, 0);
  int bad = clean == NULL || printf("\nsecret: %s\nSave this secret now: it will not be shown again.\n", clean) < 0;
  if (clean) {
    memset(clean, 0, strlen(clean));
    free(clean);
  }
  return bad || fflush(stdout) != 0 ? 1 : 0;
}

int remote_print_rotation(const remote_t *r, const json_t *out, const char *member, const char *field,
                          const char *noun) {
  const json_t *fresh = json_object_get(out, member), *prev = json_object_get(out, "previous");
  int code;
  if (r->json) {
    code = remote_print_json(out);
  } else if (!json_is_object(fresh)) {
    fprintf(stderr, "%s: the answer holds no new %s\n", r->prog, noun);
    return 1;
  } else {
    code = remote_print_object(r, fresh, field);
    if (code == 0 && json_is_object(prev)) {
      char *until = remote_format(json_object_get(prev, "grace_until"), REMOTE_TIME);
      char *id = table_clean(json_string_value(json_object_get(prev, "id")), 0);
      if (until && id) printf("\nprevious %s %s keeps working until %s\n", noun, id, until);
      free(until);
      free(id);
    }
  }
  return code == 0 ? remote_print_secret(r, fresh, field) : code;
}

int remote_bad_text(const remote_t *r) {
  fprintf(stderr, "%s: arguments must be valid UTF-8 text\n", r->prog);
  return 2;
}

int remote_main(int argc, char **argv, const char *const *group_opts, const remote_verb_t *verbs,
                size_t nverbs, void (*usage)(FILE *out)) {
  remote_args_t a;
  remote_t r;
  char prog[64];
  const remote_verb_t *v = NULL;
  if (remote_parse(&a, argc, argv, group_opts) != 0) goto usage;
  if (a.help) {
    usage(stdout);
    return 0;
  }
  if (a.npos == 0) {
    fprintf(stderr, "custos %s: missing subcommand\n", argv[0]);
    goto usage;
  }
  for (size_t i = 0; i < nverbs && v == NULL; i++)
    if (strcmp(a.pos[0], verbs[i].name) == 0) v = &verbs[i];
  if (v == NULL) {
    fprintf(stderr, "custos %s: unknown subcommand \"%s\"\n", argv[0], a.pos[0]);
    goto usage;
  }
  snprintf(prog, sizeof prog, "custos %s %s", argv[0], v->name);
  if (remote_check(&a, prog, v->min_pos, v->max_pos, v->opts, v->paged) != 0) goto usage;
  int code = remote_open(&r, &a, prog);
  if (code != 0) return code;
  code = v->run(&r, &a);
  remote_close(&r);
  if (code == 2) usage(stderr); /* the verb found its arguments wanting */
  return code;
usage:
  usage(stderr);
  return 2;
}
