#include "core/yamlcfg.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "custos.h"

/* One open mapping or sequence. In a mapping, scalars alternate between key
 * and value; `key` holds a key until its value arrives. */
typedef struct frame {
  ynode_t *node;
  ynode_t *last;  /* last child, so appends are O(1) */
  char *key;      /* pending key (owned), NULL when a key is expected */
  int key_line;
  bool key_skip;  /* pending key was already reported: skip its value */
} frame_t;

typedef struct parse {
  frame_t stack[CONFIG_MAX_DEPTH];
  int depth;        /* frames in use */
  size_t nodes;     /* nodes created, against CONFIG_MAX_NODES */
  int documents;    /* DOCUMENT_START events seen */
  bool failed;      /* a problem was reported */
  ynode_t *root;
  config_problems_t *p;
} parse_t;

static int line_of(yaml_mark_t m) { return (int)m.line + 1; }

#define problem(ps, line, ...)                                                                     \
  do {                                                                                             \
    (ps)->failed = true;                                                                           \
    config_problem_add((ps)->p, (line), "file", __VA_ARGS__);                                      \
  } while (0)

void ynode_free(ynode_t *n) {
  while (n) {
    ynode_t *next = n->next;
    /* Recursion is bounded by CONFIG_MAX_DEPTH. */
    ynode_free(n->child);
    free(n->key);
    free(n->value);
    free(n);
    n = next;
  }
}

static ynode_t *node_new(parse_t *ps, ynode_kind_t kind, int line) {
  if (ps->nodes >= CONFIG_MAX_NODES) {
    problem(ps, line, "too many entries (more than %d); is this a config file?",
            CONFIG_MAX_NODES);
    return NULL;
  }
  ynode_t *n = calloc(1, sizeof *n);
  if (n) {
    n->kind = kind;
    n->line = line;
    ps->nodes++;
  }
  return n;
}

/* Anchors and tags are refused: anchors only exist to be aliased (which
 * hides where a value comes from), and tags change how a value is typed. */
static void check_anchor_tag(parse_t *ps, int line, const yaml_char_t *anchor,
                             const yaml_char_t *tag) {
  if (anchor)
    problem(ps, line, "anchors (&%s) are not supported; repeat the value instead",
            (const char *)anchor);
  if (tag)
    problem(ps, line, "tags (%s) are not supported; write the plain value", (const char *)tag);
}

/* Hangs `n` under the innermost open container (or makes it the root).
 * Returns CUSTOS_OK; CUSTOS_EINVAL (fatal, `n` not consumed) when a mapping
 * key is not a scalar. A scalar used as a key is consumed here. */
static int attach(parse_t *ps, ynode_t *n) {
  if (ps->depth == 0) {
    /* libyaml gives one root per document and a second document is refused
     * before its root; refuse rather than drop the first all the same. */
    if (ps->root) {
      problem(ps, n->line, "more than one top-level value");
      return CUSTOS_EINVAL;
    }
    ps->root = n;
    return CUSTOS_OK;
  }
  frame_t *f = &ps->stack[ps->depth - 1];
  if (f->node->kind == YNODE_MAP && !f->key) {
    if (n->kind != YNODE_SCALAR) {
      problem(ps, n->line, "keys must be scalars (a mapping or sequence was used as a key)");
      return CUSTOS_EINVAL;
    }
    f->key_line = n->line;
    f->key_skip = n->skip;
    if (!n->skip && n->plain && strcmp(n->value, "<<") == 0) {
      problem(ps, n->line, "merge keys (<<) are not supported; write the keys out");
      f->key_skip = true;
    }
    if (!f->key_skip) {
      for (ynode_t *c = f->node->child; c; c = c->next) {
        if (c->key && strcmp(c->key, n->value) == 0) {
          problem(ps, n->line, "duplicate key \"%.64s\" (first on line %d)", n->value,
                  c->key_line);
          f->key_skip = true;
          break;
        }
      }
    }
    /* Take the key text; the key node itself is not kept. */
    f->key = n->value;
    n->value = NULL;
    ynode_free(n);
    ps->nodes--;
    return CUSTOS_OK;
  }
  if (f->node->kind == YNODE_MAP) {
    n->key = f->key;
    n->key_line = f->key_line;
    n->skip = n->skip || f->key_skip;
    f->key = NULL;
    f->key_skip = false;
  }
  if (f->last)
    f->last->next = n;
  else
    f->node->child = n;
  f->last = n;
  return CUSTOS_OK;
}

static int on_scalar(parse_t *ps, const yaml_event_t *ev) {
  int line = line_of(ev->start_mark);
  check_anchor_tag(ps, line, ev->data.scalar.anchor, ev->data.scalar.tag);
  ynode_t *n = node_new(ps, YNODE_SCALAR, line);
  if (!n)
    return ps->nodes >= CONFIG_MAX_NODES ? CUSTOS_EINVAL : CUSTOS_ENOMEM;
  size_t len = ev->data.scalar.length;
  const char *v = (const char *)ev->data.scalar.value;
  n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  if (len > CONFIG_MAX_SCALAR) {
    problem(ps, line, "value is %zu bytes; the limit is %d", len, CONFIG_MAX_SCALAR);
    n->skip = true;
    len = 0;
  } else if (memchr(v, '\0', len)) {
    /* "\0" in a double-quoted scalar: C strings would silently cut it. */
    problem(ps, line, "value contains a NUL character");
    n->skip = true;
    len = 0;
  }
  n->value = malloc(len + 1);
  if (!n->value) {
    ynode_free(n);
    return CUSTOS_ENOMEM;
  }
  memcpy(n->value, v, len);
  n->value[len] = '\0';
  int rc = attach(ps, n);
  if (rc != CUSTOS_OK)
    ynode_free(n);
  return rc;
}

static int on_alias(parse_t *ps, const yaml_event_t *ev) {
  int line = line_of(ev->start_mark);
  problem(ps, line, "aliases (*%s) are not supported; repeat the value instead",
          (const char *)ev->data.alias.anchor);
  ynode_t *n = node_new(ps, YNODE_SCALAR, line);
  if (!n)
    return ps->nodes >= CONFIG_MAX_NODES ? CUSTOS_EINVAL : CUSTOS_ENOMEM;
  n->skip = true;
  n->value = strdup("");
  int rc = n->value ? attach(ps, n) : CUSTOS_ENOMEM;
  if (rc != CUSTOS_OK)
    ynode_free(n);
  return rc;
}

static int on_open(parse_t *ps, const yaml_event_t *ev, ynode_kind_t kind) {
  int line = line_of(ev->start_mark);
  if (kind == YNODE_MAP)
    check_anchor_tag(ps, line, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
  else
    check_anchor_tag(ps, line, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
  if (ps->depth >= CONFIG_MAX_DEPTH) {
    problem(ps, line, "nested more than %d levels deep", CONFIG_MAX_DEPTH);
    return CUSTOS_EINVAL;
  }
  ynode_t *n = node_new(ps, kind, line);
  if (!n)
    return ps->nodes >= CONFIG_MAX_NODES ? CUSTOS_EINVAL : CUSTOS_ENOMEM;
  int rc = attach(ps, n);
  if (rc != CUSTOS_OK) {
    ynode_free(n);
    return rc;
  }
  frame_t *f = &ps->stack[ps->depth++];
  memset(f, 0, sizeof *f);
  f->node = n;
  return CUSTOS_OK;
}

static void on_close(parse_t *ps) {
  /* libyaml guarantees balanced events, so depth > 0 here; never step
   * below the first frame all the same. */
  if (ps->depth == 0)
    return;
  frame_t *f = &ps->stack[--ps->depth];
  free(f->key);
  f->key = NULL;
}

static void syntax_problem(parse_t *ps, const yaml_parser_t *y, const char *data, size_t len) {
  int line;
  if (y->error == YAML_READER_ERROR) {
    /* Reader errors (bad UTF-8, control characters) carry only an offset. */
    line = 1;
    for (size_t i = 0; i < y->problem_offset && i < len; i++)
      line += data[i] == '\n';
  } else {
    line = line_of(y->problem_mark);
  }
  const char *what = y->problem ? y->problem : "malformed input";
  /* The usual way into a flow-context error is an unquoted value that
   * starts with '[' or '{', such as `listen: [::1]:8080`. */
  if (y->context && y->error != YAML_READER_ERROR)
    config_problem_add(ps->p, line, "file", "invalid YAML: %s (%s that starts on line %d)%s",
                       what, y->context, line_of(y->context_mark),
                       strstr(y->context, "flow") ? "; quote values that start with [ or {, "
                                                    "e.g. \"[::1]:8080\""
                                                  : "");
  else
    config_problem_add(ps->p, line, "file", "invalid YAML: %s", what);
  ps->failed = true;
}

int yamlcfg_parse(const char *data, size_t len, ynode_t **root_out, config_problems_t *p) {
  parse_t ps;
  yaml_parser_t y;
  yaml_event_t ev;
  int rc = CUSTOS_OK;
  bool done = false;

  memset(&ps, 0, sizeof ps);
  ps.p = p;
  *root_out = NULL;
  if (!yaml_parser_initialize(&y))
    return CUSTOS_ENOMEM;
  yaml_parser_set_input_string(&y, (const unsigned char *)data, len);
  /* Refuse UTF-16 rather than guess from a BOM. */
  yaml_parser_set_encoding(&y, YAML_UTF8_ENCODING);

  while (!done) {
    if (!yaml_parser_parse(&y, &ev)) {
      syntax_problem(&ps, &y, data, len);
      rc = CUSTOS_EINVAL;
      goto out;
    }
    switch (ev.type) {
    case YAML_DOCUMENT_START_EVENT:
      if (++ps.documents > 1) {
        problem(&ps, line_of(ev.start_mark),
                "multiple documents (---) are not supported; use one file per config");
        rc = CUSTOS_EINVAL;
      } else if (ev.data.document_start.version_directive ||
                 ev.data.document_start.tag_directives.start !=
                     ev.data.document_start.tag_directives.end) {
        problem(&ps, line_of(ev.start_mark), "directives (%%YAML, %%TAG) are not supported");
      }
      break;
    case YAML_SCALAR_EVENT: rc = on_scalar(&ps, &ev); break;
    case YAML_ALIAS_EVENT: rc = on_alias(&ps, &ev); break;
    case YAML_MAPPING_START_EVENT: rc = on_open(&ps, &ev, YNODE_MAP); break;
    case YAML_SEQUENCE_START_EVENT: rc = on_open(&ps, &ev, YNODE_SEQ); break;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: on_close(&ps); break;
    case YAML_STREAM_END_EVENT: done = true; break;
    default: break;
    }
    yaml_event_delete(&ev);
    if (rc != CUSTOS_OK)
      goto out;
  }

  /* An empty file, or one holding only comments or a bare `---`, is an empty
   * config: every key keeps its default. */
  if (!ps.root || (ps.root->kind == YNODE_SCALAR && ps.root->plain && !ps.root->skip &&
                   (ps.root->value[0] == '\0' || strcmp(ps.root->value, "~") == 0 ||
                    strcmp(ps.root->value, "null") == 0))) {
    ynode_free(ps.root);
    ps.root = calloc(1, sizeof *ps.root);
    if (!ps.root) {
      rc = CUSTOS_ENOMEM;
      goto out;
    }
    ps.root->kind = YNODE_MAP;
    ps.root->line = 1;
  } else if (ps.root->kind != YNODE_MAP) {
    problem(&ps, ps.root->line, "the top level must be a mapping of `key: value` lines");
    rc = CUSTOS_EINVAL;
    goto out;
  }
  *root_out = ps.root;
  ps.root = NULL;
  rc = ps.failed ? CUSTOS_EINVAL : CUSTOS_OK;

out:
  /* Frames point into the tree (freed with the root) but own pending keys. */
  while (ps.depth > 0)
    on_close(&ps);
  ynode_free(ps.root);
  yaml_parser_delete(&y);
  return rc;
}
