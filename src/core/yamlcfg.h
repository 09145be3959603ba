/*
 * yamlcfg.h — a strict YAML subset parsed into a small tree with lines.
 *
 * libyaml does the lexing; this file turns its event stream into ynode_t
 * values and refuses the parts of YAML that make configs hard to read or
 * review: anchors and aliases, tags, merge keys (`<<`), directives,
 * duplicate keys, complex (non-scalar) keys and multiple documents. Limits
 * (depth, scalar size, node count) are the CONFIG_MAX_* caps in config.h.
 * Internal to the config module.
 */
#ifndef CUSTOS_CORE_YAMLCFG_H
#define CUSTOS_CORE_YAMLCFG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

typedef enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ } ynode_kind_t;

typedef struct ynode {
  ynode_kind_t kind;
  int line;            /* 1-based line where the node starts */
  char *key;           /* NUL-terminated key when inside a mapping, else NULL */
  int key_line;        /* 1-based line of the key */
  char *value;         /* scalars: NUL-terminated text (no NUL inside) */
  bool plain;          /* scalars: unquoted, so `~`, `null` and "" mean null */
  bool skip;           /* already reported (duplicate key, alias, too long): ignore */
  struct ynode *child; /* maps/sequences: first entry */
  struct ynode *next;  /* next entry of the parent */
} ynode_t;

/*
 * Parses `len` bytes. On success *root_out is the top-level node (a
 * YNODE_MAP; an empty document gives an empty map) and the caller frees it
 * with ynode_free(). Problems are appended to `p` with source "file".
 * Returns CUSTOS_OK, CUSTOS_ENOMEM, or CUSTOS_EINVAL if any problem was found;
 * a tree may still be returned with EINVAL (problems that do not break the
 * structure, such as a duplicate key, are marked `skip`) so that the schema
 * can report its own problems too. *root_out is NULL when no tree could be
 * built.
 */
int yamlcfg_parse(const char *data, size_t len, ynode_t **root_out, config_problems_t *p)
    __attribute__((warn_unused_result));

/* Frees a tree; NULL is fine. */
void ynode_free(ynode_t *n);

#endif
