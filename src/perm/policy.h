/*
 * policy.h — route policies: which profile, route class and scopes govern
 * a platform route (method + path pattern). Loaded from the YAML file named
 * by config key `policy.file`; first match wins; a route no policy matches
 * is refused (fail closed).
 *
 *   routes:
 *     - match: GET /v1/transactions      # METHOD (or *) and a path pattern
 *       profile: openledger
 *       class: developer                 # profile-defined, e.g. developer|entity|client|secure
 *       scopes: [CORE_ACCESS]            # all required; may be empty
 *     - match: "* /client/STARSTAR"      # STAR (*) = one segment, STARSTAR (**) = the rest
 *       profile: assetpay
 *       class: client
 *
 * (STAR and STARSTAR stand for * and ** here only because a slash followed
 * by a star cannot appear in a C comment; examples/policy.yaml is the real
 * thing.)
 *
 * The file is strict (unknown keys, a bad method or pattern, an unknown
 * profile or class, a repeated scope are problems, each with its line) and
 * is loaded once at start: `custos serve` refuses to start on any problem,
 * `custos policy check FILE` lists them. Patterns match the decoded path
 * segment by segment, exactly as sent: a literal segment compares bytes, `*`
 * matches one non-empty segment, a final `**` matches the rest (zero or more
 * segments). Methods compare exactly (HEAD is not GET); `*` matches any.
 */
#ifndef CUSTOS_PERM_POLICY_H
#define CUSTOS_PERM_POLICY_H

#include <stddef.h>

#include "core/config.h"
#include "store/store.h"

#define POLICY_MAX_ROUTES 1024
#define POLICY_PATTERN_MAX 512
#define POLICY_CLASS_MAX 32

typedef struct route_policy {
  char method[16];                   /* "GET", … or "*" */
  char pattern[POLICY_PATTERN_MAX];  /* e.g. "/v1/entities/STAR/transactions" (see above) */
  char profile[STORE_PROFILE_MAX];   /* a registered profile name */
  char route_class[POLICY_CLASS_MAX];/* profile-defined; "" = the profile's default */
  char scopes[STORE_SCOPES_MAX];     /* space-separated, all required */
  int line;                          /* line in the policy file, for messages */
} route_policy_t;

typedef struct policy_set policy_set_t;

/*
 * Parses a policy file's text (`len` bytes, need not be NUL-terminated;
 * `name` is recorded in p->file for messages). Every problem is appended
 * to `p` with its line. Returns CUSTOS_OK and *out (free with
 * policy_free), CUSTOS_EINVAL (problems; *out untouched), CUSTOS_ETOOBIG
 * (over CONFIG_MAX_FILE_BYTES) or CUSTOS_ENOMEM.
 */
int policy_parse(const char *data, size_t len, const char *name, policy_set_t **out,
                 config_problems_t *p) __attribute__((warn_unused_result));

/* policy_parse() on the file at `path`; CUSTOS_EIO when it cannot be read. */
int policy_load_file(const char *path, policy_set_t **out, config_problems_t *p)
    __attribute__((warn_unused_result));

/* An empty set: every route is refused. NULL on OOM. */
policy_set_t *policy_empty(void);

/* Frees `ps`; NULL is fine. */
void policy_free(policy_set_t *ps);

/* Routes in the set. */
size_t policy_count(const policy_set_t *ps);

/* The first policy matching `method` (upper-case) and `path` (decoded, no
 * query), or NULL (refuse). Valid as long as `ps`. No allocation, no lock:
 * thread-safe on a loaded set. NULL `ps` matches nothing. */
const route_policy_t *policy_match(const policy_set_t *ps, const char *method, const char *path);

/* True when `pattern` is a valid path pattern (see above). Writes the reason
 * into why (may be NULL) otherwise. */
bool policy_pattern_valid(const char *pattern, char *why, size_t whylen);

/* True when path `path` matches `pattern` (assumed valid). */
bool policy_pattern_match(const char *pattern, const char *path);

#endif
