/*
 * policy.c — route policies (policy.h): the strict loader and the matcher.
 *
 * The loader walks the YAML tree from src/core/yamlcfg.c and reports every
 * problem with its line, the way the config loader does, so an operator
 * fixes a file in one round. The matcher walks pattern and path together,
 * segment by segment, without splitting or allocating: it runs on every
 * gateway check.
 */
#include "perm/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/yamlcfg.h"
#include "custos.h"
#include "profiles/profile.h"

#define SCOPE_LEN_MAX 64

struct policy_set {
  size_t n;                /* routes used */
  route_policy_t *routes;  /* n entries, in file order */
};

static const char *const METHODS[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*", NULL};

/* --- matching -------------------------------------------------------------- */

bool policy_pattern_match(const char *pat, const char *path) {
  if (pat[0] != '/' || path[0] != '/') return false;
  const char *p = pat + 1, *q = path + 1;
  if (*p == '\0') return *q == '\0';
  bool path_done = false; /* the path has no segment left (not even an empty one) */
  for (;;) {
    size_t pl = strcspn(p, "/");
    if (pl == 2 && p[0] == '*' && p[1] == '*') return true; /* always last (validated) */
    if (path_done) return false;
    size_t ql = strcspn(q, "/");
    if (pl == 1 && p[0] == '*') {
      if (ql == 0) return false;
    } else if (pl != ql || memcmp(p, q, pl) != 0) {
      return false;
    }
    p += pl;
    q += ql;
    if (*p == '\0') return *q == '\0';
    p++;
    if (*q == '/') q++;
    else path_done = true;
  }
}

const route_policy_t *policy_match(const policy_set_t *ps, const char *method, const char *path) {
  if (!ps || !method || !path) return NULL;
  for (size_t i = 0; i < ps->n; i++) {
    const route_policy_t *r = &ps->routes[i];
    if (!(r->method[0] == '*' && r->method[1] == '\0') && strcmp(r->method, method) != 0) continue;
    if (policy_pattern_match(r->pattern, path)) return r;
  }
  return NULL;
}

size_t policy_count(const policy_set_t *ps) { return ps ? ps->n : 0; }

/* --- validation ------------------------------------------------------------ */

static int why_set(char *why, size_t n, const char *msg) {
  if (why && n) snprintf(why, n, "%s", msg);
  return 0;
}

bool policy_pattern_valid(const char *pat, char *why, size_t whylen) {
  size_t len = strnlen(pat, POLICY_PATTERN_MAX);
  if (len >= POLICY_PATTERN_MAX) return why_set(why, whylen, "is too long");
  if (pat[0] != '/') return why_set(why, whylen, "must start with '/'");
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)pat[i];
    if (c <= 0x20 || c == 0x7f) return why_set(why, whylen, "must not contain spaces or control characters");
    if (c == '?' || c == '#') return why_set(why, whylen, "must be a path only (no '?' or '#')");
    if (c == '%')
      return why_set(why, whylen, "is matched against the decoded path: write characters, not %-escapes");
  }
  if (len == 1) return true;
  const char *p = pat + 1;
  for (;;) {
    size_t l = strcspn(p, "/");
    if (l == 0) return why_set(why, whylen, "has an empty segment (\"//\" or a trailing '/')");
    bool star = memchr(p, '*', l) != NULL;
    if (star && !((l == 1 && p[0] == '*') || (l == 2 && p[0] == '*' && p[1] == '*')))
      return why_set(why, whylen, "uses '*' inside a segment: a segment is a literal, '*' or '**'");
    if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
      return why_set(why, whylen, "has a '.' or '..' segment (such paths are refused before matching)");
    if (l == 2 && p[0] == '*' && p[1] == '*' && p[l] != '\0')
      return why_set(why, whylen, "has '**' before the last segment");
    p += l;
    if (*p == '\0') return true;
    p++;
  }
}

static bool scope_ok(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > SCOPE_LEN_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
          c == '.' || c == '-'))
      return false;
  }
  return true;
}

static const char *kind_name(ynode_kind_t k) {
  return k == YNODE_MAP ? "a mapping" : k == YNODE_SEQ ? "a list" : "a value";
}

static bool is_null(const ynode_t *n) {
  return n->kind == YNODE_SCALAR && n->plain &&
         (n->value[0] == '\0' || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0);
}

/* A single non-empty scalar, else a problem. */
static const char *scalar(const ynode_t *n, const char *where, const char *key, config_problems_t *p) {
  if (n->kind != YNODE_SCALAR) {
    config_problem_add(p, n->line, "file", "%s.%s: expected a value, got %s", where, key, kind_name(n->kind));
    return NULL;
  }
  if (is_null(n)) {
    config_problem_add(p, n->line, "file", "%s.%s: has no value", where, key);
    return NULL;
  }
  return n->value;
}

static void parse_match(const ynode_t *n, const char *where, route_policy_t *r, bool *ok,
                        config_problems_t *p) {
  const char *v = scalar(n, where, "match", p);
  if (!v) {
    *ok = false;
    return;
  }
  /* "METHOD PATTERN", separated by spaces. */
  const char *sp = strchr(v, ' ');
  if (!sp) {
    config_problem_add(p, n->line, "file", "%s.match: expected \"METHOD /path\", got \"%.64s\"", where, v);
    *ok = false;
    return;
  }
  size_t ml = (size_t)(sp - v);
  const char *pat = sp;
  while (*pat == ' ') pat++;
  bool mok = false;
  for (size_t i = 0; METHODS[i]; i++)
    if (strlen(METHODS[i]) == ml && memcmp(METHODS[i], v, ml) == 0) mok = true;
  if (!mok) {
    config_problem_add(p, n->line, "file",
                       "%s.match: unknown method \"%.*s\" (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or *)",
                       where, (int)(ml > 16 ? 16 : ml), v);
    *ok = false;
  } else {
    memcpy(r->method, v, ml);
    r->method[ml] = '\0';
  }
  char why[128];
  if (!*pat) {
    config_problem_add(p, n->line, "file", "%s.match: expected \"METHOD /path\", got \"%.64s\"", where, v);
    *ok = false;
  } else if (strchr(pat, ' ')) {
    config_problem_add(p, n->line, "file", "%s.match: pattern \"%.64s\" must not contain spaces", where, pat);
    *ok = false;
  } else if (!policy_pattern_valid(pat, why, sizeof why)) {
    config_problem_add(p, n->line, "file", "%s.match: pattern \"%.64s\" %s", where, pat, why);
    *ok = false;
  } else {
    snprintf(r->pattern, sizeof r->pattern, "%s", pat);
  }
}

static void parse_scopes(const ynode_t *n, const char *where, route_policy_t *r, bool *ok,
                         config_problems_t *p) {
  if (is_null(n)) return;
  if (n->kind != YNODE_SEQ) {
    config_problem_add(p, n->line, "file", "%s.scopes: expected a list of scope names, got %s", where,
                       kind_name(n->kind));
    *ok = false;
    return;
  }
  size_t used = 0;
  for (const ynode_t *s = n->child; s; s = s->next) {
    if (s->skip) continue;
    if (s->kind != YNODE_SCALAR || !scope_ok(s->value)) {
      config_problem_add(p, s->line, "file", "%s.scopes: \"%.64s\" is not a scope name (1 to %d of A-Z a-z 0-9 _ : . -)",
                         where, s->kind == YNODE_SCALAR ? s->value : kind_name(s->kind), SCOPE_LEN_MAX);
      *ok = false;
      continue;
    }
    bool dup = false;
    for (const ynode_t *t = n->child; t != s; t = t->next)
      if (t->kind == YNODE_SCALAR && strcmp(t->value, s->value) == 0) dup = true;
    if (dup) {
      config_problem_add(p, s->line, "file", "%s.scopes: \"%s\" is listed twice", where, s->value);
      *ok = false;
      continue;
    }
    size_t l = strlen(s->value);
    if (used + (used ? 1 : 0) + l >= sizeof r->scopes) {
      config_problem_add(p, s->line, "file", "%s.scopes: too many scopes (%zu bytes at most, joined by spaces)",
                         where, sizeof r->scopes - 1);
      *ok = false;
      return;
    }
    if (used) r->scopes[used++] = ' ';
    memcpy(r->scopes + used, s->value, l + 1);
    used += l;
  }
}

static void parse_route(const ynode_t *rn, size_t idx, route_policy_t *r, bool *ok, config_problems_t *p) {
  char where[32];
  snprintf(where, sizeof where, "routes[%zu]", idx);
  memset(r, 0, sizeof *r);
  r->line = rn->line;
  if (rn->kind != YNODE_MAP) {
    config_problem_add(p, rn->line, "file", "%s: expected a mapping (match, profile, class, scopes), got %s", where,
                       kind_name(rn->kind));
    *ok = false;
    return;
  }
  const ynode_t *match = NULL, *profile = NULL, *cls = NULL;
  for (const ynode_t *k = rn->child; k; k = k->next) {
    if (k->skip) {
      *ok = false;
      continue;
    }
    if (strcmp(k->key, "match") == 0) match = k;
    else if (strcmp(k->key, "profile") == 0) profile = k;
    else if (strcmp(k->key, "class") == 0) cls = k;
    else if (strcmp(k->key, "scopes") == 0) parse_scopes(k, where, r, ok, p);
    else {
      config_problem_add(p, k->key_line, "file", "%s: unknown key \"%.64s\" (match, profile, class, scopes)", where,
                         k->key);
      *ok = false;
    }
  }
  if (!match) {
    config_problem_add(p, rn->line, "file", "%s: \"match\" is required", where);
    *ok = false;
  } else {
    parse_match(match, where, r, ok, p);
  }
  const profile_t *pf = NULL;
  if (!profile) {
    config_problem_add(p, rn->line, "file", "%s: \"profile\" is required", where);
    *ok = false;
  } else {
    const char *v = scalar(profile, where, "profile", p);
    if (!v) {
      *ok = false;
    } else if (!(pf = profile_find(v))) {
      char known[256] = "";
      size_t off = 0;
      for (const profile_t *const *q = profile_all(); *q && off < sizeof known; q++) {
        int w = snprintf(known + off, sizeof known - off, "%s%s", off ? ", " : "", (*q)->name);
        if (w > 0) off += (size_t)w;
      }
      config_problem_add(p, profile->line, "file", "%s.profile: unknown profile \"%.32s\" (known: %s)", where, v,
                         known);
      *ok = false;
    } else {
      snprintf(r->profile, sizeof r->profile, "%s", pf->name);
    }
  }
  if (cls) {
    const char *v = scalar(cls, where, "class", p);
    if (!v) {
      *ok = false;
    } else if (strlen(v) >= sizeof r->route_class) {
      config_problem_add(p, cls->line, "file", "%s.class: longer than %zu characters", where,
                         sizeof r->route_class - 1);
      *ok = false;
    } else if (pf && !profile_class_ok(pf, v)) {
      char known[128] = "";
      size_t off = 0;
      for (size_t i = 0; pf->classes[i] && off < sizeof known; i++) {
        int w = snprintf(known + off, sizeof known - off, "%s%s", off ? ", " : "", pf->classes[i]);
        if (w > 0) off += (size_t)w;
      }
      config_problem_add(p, cls->line, "file", "%s.class: profile %s has no class \"%.32s\" (known: %s)", where,
                         pf->name, v, known);
      *ok = false;
    } else {
      snprintf(r->route_class, sizeof r->route_class, "%s", v);
    }
  }
}

/* The parser reports some problems before the schema reports others: keep
 * the list in line order, as `custos config check` does. */
static void sort_by_line(config_problems_t *p, size_t from) {
  for (size_t i = from + 1; i < p->count; i++) {
    config_problem_t e = p->items[i];
    size_t j = i;
    for (; j > from && p->items[j - 1].line > e.line; j--) p->items[j] = p->items[j - 1];
    p->items[j] = e;
  }
}

policy_set_t *policy_empty(void) { return calloc(1, sizeof(policy_set_t)); }

void policy_free(policy_set_t *ps) {
  if (!ps) return;
  free(ps->routes);
  free(ps);
}

int policy_parse(const char *data, size_t len, const char *name, policy_set_t **out, config_problems_t *p) {
  size_t before = p->count + p->dropped, first = p->count;
  ynode_t *root = NULL;
  policy_set_t *ps = NULL;
  int rc;
  snprintf(p->file, sizeof p->file, "%s", name ? name : "policy");
  if (len > CONFIG_MAX_FILE_BYTES) {
    config_problem_add(p, 0, "file", "is %zu bytes; the limit is %d", len, CONFIG_MAX_FILE_BYTES);
    return CUSTOS_ETOOBIG;
  }
  rc = yamlcfg_parse(data, len, &root, p);
  if (rc == CUSTOS_ENOMEM) goto out;
  ps = policy_empty();
  if (!ps) {
    rc = CUSTOS_ENOMEM;
    goto out;
  }
  bool ok = true;
  const ynode_t *routes = NULL;
  for (const ynode_t *n = root ? root->child : NULL; n; n = n->next) {
    if (n->skip) continue;
    if (strcmp(n->key, "routes") == 0) routes = n;
    else config_problem_add(p, n->key_line, "file", "unknown key \"%.64s\" (a policy file has only \"routes\")", n->key);
  }
  if (root && !routes) {
    config_problem_add(p, 1, "file", "\"routes\" is required (a list of route policies)");
  } else if (routes && !is_null(routes) && routes->kind != YNODE_SEQ) {
    config_problem_add(p, routes->line, "file", "routes: expected a list, got %s", kind_name(routes->kind));
  } else if (routes && routes->kind == YNODE_SEQ) {
    size_t count = 0;
    for (const ynode_t *r = routes->child; r; r = r->next) count++;
    if (count > POLICY_MAX_ROUTES) {
      config_problem_add(p, routes->line, "file", "routes: %zu routes; the limit is %d", count, POLICY_MAX_ROUTES);
    } else if (count) {
      ps->routes = calloc(count, sizeof *ps->routes);
      if (!ps->routes) {
        rc = CUSTOS_ENOMEM;
        goto out;
      }
      size_t i = 0;
      for (const ynode_t *r = routes->child; r; r = r->next, i++) {
        bool rok = true;
        route_policy_t *rp = &ps->routes[ps->n];
        parse_route(r, i, rp, &rok, p);
        if (!rok) {
          ok = false;
          continue;
        }
        for (size_t j = 0; j < ps->n; j++) {
          if (strcmp(ps->routes[j].method, rp->method) == 0 && strcmp(ps->routes[j].pattern, rp->pattern) == 0) {
            config_problem_add(p, rp->line, "file",
                               "routes[%zu]: \"%s %s\" repeats the route at line %d, which always matches first",
                               i, rp->method, rp->pattern, ps->routes[j].line);
            rok = ok = false;
            break;
          }
        }
        if (rok) ps->n++;
      }
    }
  }
  (void)ok;
  rc = p->count + p->dropped == before ? CUSTOS_OK : CUSTOS_EINVAL;
  if (rc == CUSTOS_OK) {
    *out = ps;
    ps = NULL;
  } else {
    sort_by_line(p, first);
  }
out:
  policy_free(ps);
  ynode_free(root);
  return rc;
}

int policy_load_file(const char *path, policy_set_t **out, config_problems_t *p) {
  buf_t b;
  char chunk[16384];
  int rc = CUSTOS_OK;
  buf_init(&b, CONFIG_MAX_FILE_BYTES + 1);
  snprintf(p->file, sizeof p->file, "%s", path);
  FILE *f = fopen(path, "rb");
  if (!f) {
    config_problem_add(p, 0, "file", "cannot open: %s", strerror(errno));
    rc = CUSTOS_EIO;
    goto out;
  }
  for (;;) {
    size_t n = fread(chunk, 1, sizeof chunk, f);
    if (n > 0 && buf_append(&b, chunk, n) != CUSTOS_OK) {
      if (b.len + n > CONFIG_MAX_FILE_BYTES) {
        config_problem_add(p, 0, "file", "is larger than the %d-byte limit", CONFIG_MAX_FILE_BYTES);
        rc = CUSTOS_ETOOBIG;
      } else {
        rc = CUSTOS_ENOMEM;
      }
      goto out;
    }
    if (n < sizeof chunk) {
      if (ferror(f)) {
        config_problem_add(p, 0, "file", "cannot read: %s", strerror(errno));
        rc = CUSTOS_EIO;
        goto out;
      }
      break;
    }
  }
  rc = policy_parse(b.data ? b.data : "", b.len, path, out, p);
out:
  if (f) fclose(f);
  buf_cleanup(&b);
  return rc;
}
