/*
 * store.c — URL dispatch, input validation, ids and timestamps, error
 * counting, and the version gate. Everything a backend would otherwise
 * duplicate lives here, so both backends see identical, validated input.
 */
#include "store/store.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/backend.h"
#include "store/migrations.h"

#define POOL_SIZE_MAX 64

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* Counts backend failures for /metrics; passes rc through. */
static int counted(store_t *s, int rc) {
  if (rc == CUSTOS_ESTORE) atomic_fetch_add(&s->errors, 1);
  return rc;
}

/* --- shared helpers (backend.h) ---------------------------------------- */

int store__copy(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) {
    dst[0] = '\0';
    return CUSTOS_ESTORE;
  }
  memcpy(dst, src, n + 1);
  return CUSTOS_OK;
}

bool store__parse_i64(const char *s, int64_t *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end) return false;
  *out = (int64_t)v;
  return true;
}

struct timespec store__deadline(int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

/* --- validation ---------------------------------------------------------- */

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, <= U+10FFFF. */
static bool utf8_valid(const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len;
    unsigned min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, c &= 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      c = (c << 6) | (p[i + k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

/* A name is 1..STORE_NAME_LEN_MAX bytes of valid UTF-8. */
static bool name_valid(const char *name) {
  if (!name) return false;
  size_t n = strnlen(name, STORE_NAME_LEN_MAX + 1);
  return n >= 1 && n <= STORE_NAME_LEN_MAX && utf8_valid((const unsigned char *)name, n);
}

static bool profile_valid(const char *p) {
  if (!p) return false;
  size_t n = strnlen(p, STORE_PROFILE_MAX);
  if (n < 1 || n >= STORE_PROFILE_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

/* An id we could have issued ("<prefix>_<base62>") fits RAND_ID_MAX and
 * uses only [A-Za-z0-9_]; anything else cannot match a row, and must not
 * reach the database (invalid UTF-8 is an error there, not a miss). */
static bool id_fits(const char *id) {
  if (!id) return false;
  size_t n = strnlen(id, RAND_ID_MAX);
  if (n >= RAND_ID_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

static bool limit_valid(int limit) { return limit >= 1 && limit <= STORE_LIST_MAX; }

static bool field_terminated(const char *f, size_t cap) { return memchr(f, '\0', cap) != NULL; }

/* --- URL handling ---------------------------------------------------------- */

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

typedef struct outbuf {
  char *p;
  size_t cap, len;
} outbuf_t;

static void out_put(outbuf_t *o, const char *s, size_t n) {
  for (size_t i = 0; i < n && o->len + 1 < o->cap; i++) o->p[o->len++] = s[i];
  o->p[o->len] = '\0';
}

void store_url_redact(const char *url, char *out, size_t outlen) {
  if (!out || outlen == 0) return;
  outbuf_t o = {out, outlen, 0};
  out[0] = '\0';
  if (!url) return;
  const char *scheme_end = strstr(url, "://");
  if (!scheme_end) {
    out_put(&o, url, strlen(url));
    return;
  }
  const char *auth = scheme_end + 3;
  size_t auth_len = strcspn(auth, "/?#");
  const char *at = NULL;
  for (size_t i = 0; i < auth_len; i++)
    if (auth[i] == '@') at = auth + i; /* the last '@' ends the userinfo */
  out_put(&o, url, (size_t)(auth - url));
  if (at) {
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (colon) {
      out_put(&o, auth, (size_t)(colon - auth));
      out_put(&o, ":***", 4);
    } else {
      out_put(&o, auth, (size_t)(at - auth));
    }
    out_put(&o, at, (size_t)(auth + auth_len - at));
  } else {
    out_put(&o, auth, auth_len);
  }
  /* Path, then query parameters with password=… masked. */
  const char *rest = auth + auth_len;
  const char *q = strchr(rest, '?');
  if (!q) {
    out_put(&o, rest, strlen(rest));
    return;
  }
  out_put(&o, rest, (size_t)(q + 1 - rest));
  const char *p = q + 1;
  while (*p) {
    size_t plen = strcspn(p, "&#");
    if (plen >= 9 && strncmp(p, "password=", 9) == 0) {
      out_put(&o, "password=***", 12);
    } else {
      out_put(&o, p, plen);
    }
    p += plen;
    if (*p == '#') {
      out_put(&o, p, strlen(p));
      break;
    }
    if (*p == '&') out_put(&o, p++, 1);
  }
}

/* Replaces each occurrence of `secret[0..n)` in `msg` with "***". */
static void mask_in(char *msg, size_t cap, const char *secret, size_t n) {
  if (n == 0 || cap == 0) return;
  char *tmp = malloc(cap);
  if (!tmp) {
    msg[0] = '\0'; /* cannot scrub: drop the message rather than leak */
    return;
  }
  outbuf_t o = {tmp, cap, 0};
  tmp[0] = '\0';
  for (const char *p = msg; *p;) {
    if (strncmp(p, secret, n) == 0) {
      out_put(&o, "***", 3);
      p += n;
    } else {
      out_put(&o, p++, 1);
    }
  }
  memcpy(msg, tmp, o.len + 1);
  free(tmp);
}

void store__scrub_url_secrets(char *msg, size_t cap, const char *url) {
  const char *scheme_end = url ? strstr(url, "://") : NULL;
  if (!msg || !scheme_end) return;
  const char *auth = scheme_end + 3;
  size_t auth_len = strcspn(auth, "/?#");
  const char *at = NULL;
  for (size_t i = 0; i < auth_len; i++)
    if (auth[i] == '@') at = auth + i;
  if (at) {
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (colon) mask_in(msg, cap, colon + 1, (size_t)(at - colon - 1));
  }
  const char *q = strchr(auth + auth_len, '?');
  for (const char *p = q ? q + 1 : NULL; p && *p;) {
    size_t plen = strcspn(p, "&#");
    if (plen >= 9 && strncmp(p, "password=", 9) == 0) mask_in(msg, cap, p + 9, plen - 9);
    p += plen;
    if (*p != '&') break;
    p++;
  }
}

/* --- lifecycle ----------------------------------------------------------- */

int store_open(const char *url, const store_opts_t *opts, store_t **out, char *err,
               size_t errlen) {
  store_opts_t o = {0, 0};
  store_t *s = NULL;
  void *impl = NULL;
  const store_ops_t *ops;
  char shown[256];
  int rc;

  seterr(err, errlen, "%s", "");
  if (!out) {
    seterr(err, errlen, "store_open: no output pointer");
    return CUSTOS_EINVAL;
  }
  if (!url || !*url) {
    seterr(err, errlen, "empty store URL: expected sqlite:PATH or postgres://…");
    return CUSTOS_EINVAL;
  }
  if (strnlen(url, STORE_URL_MAX + 1) > STORE_URL_MAX) {
    seterr(err, errlen, "store URL longer than %d bytes", STORE_URL_MAX);
    return CUSTOS_EINVAL;
  }
  if (opts) o = *opts;
  if (o.pool_size < 0 || o.pool_size > POOL_SIZE_MAX || o.busy_timeout_ms < 0) {
    seterr(err, errlen, "store options out of range (pool_size 0..%d, busy_timeout_ms >= 0)",
           POOL_SIZE_MAX);
    return CUSTOS_EINVAL;
  }
  if (o.pool_size == 0) o.pool_size = STORE_DEFAULT_POOL;
  if (o.busy_timeout_ms == 0) o.busy_timeout_ms = STORE_DEFAULT_BUSY_MS;

  if (has_prefix(url, "sqlite:")) {
    const char *path = url + 7;
    if (!*path) {
      seterr(err, errlen, "sqlite store URL needs a path: sqlite:PATH or sqlite::memory:");
      return CUSTOS_EINVAL;
    }
    ops = &store__sqlite_ops;
    rc = store__sqlite_open(path, &o, &impl, err, errlen);
  } else if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://")) {
    ops = &store__pg_ops;
    rc = store__pg_open(url, &o, &impl, err, errlen);
  } else {
    store_url_redact(url, shown, sizeof shown);
    seterr(err, errlen,
           "unsupported store URL \"%s\": expected sqlite:PATH or postgres://USER@HOST/DB",
           shown);
    return CUSTOS_EINVAL;
  }
  if (rc) goto fail;

  s = calloc(1, sizeof *s);
  if (!s) {
    rc = CUSTOS_ENOMEM;
    seterr(err, errlen, "out of memory");
    goto fail;
  }
  s->ops = ops;
  s->impl = impl;
  atomic_init(&s->errors, 0);
  *out = s;
  return CUSTOS_OK;

fail:
  if (impl) ops->close(impl);
  return rc;
}

void store_close(store_t *s) {
  if (!s) return;
  s->ops->close(s->impl);
  free(s);
}

const char *store_kind(const store_t *s) { return s->ops->kind; }

int store_ping(store_t *s) { return counted(s, s->ops->ping(s->impl)); }

uint64_t store_error_count(const store_t *s) {
  return atomic_load(&((store_t *)s)->errors);
}

/* --- schema -------------------------------------------------------------- */

int store_binary_schema_version(void) { return migrations_count(); }

int store_schema_version(store_t *s, int *version_out) {
  int v = 0;
  int rc = counted(s, s->ops->schema_version(s->impl, &v));
  if (rc == CUSTOS_OK) *version_out = v;
  return rc;
}

int store_migrate(store_t *s, int *applied_out) {
  int n = 0;
  int rc = counted(s, s->ops->migrate(s->impl, &n));
  if (rc == CUSTOS_OK && applied_out) *applied_out = n;
  return rc;
}

int store_check_version(store_t *s, char *err, size_t errlen) {
  int v = 0, bin = store_binary_schema_version();
  int rc = store_schema_version(s, &v);
  if (rc) {
    seterr(err, errlen, "cannot read the database schema version: %s", custos_strerror(rc));
    return rc;
  }
  if (v > bin) {
    seterr(err, errlen,
           "database schema version %d is newer than this custos (knows up to %d); "
           "upgrade custos",
           v, bin);
    return CUSTOS_EVERSION;
  }
  if (v < bin) {
    seterr(err, errlen, "database needs migrations; run `custos migrate`");
    return CUSTOS_ESTORE;
  }
  seterr(err, errlen, "%s", "");
  return CUSTOS_OK;
}

/* --- accounts ------------------------------------------------------------ */

static const char *const DEFAULT_ENVS[] = {"development", "production"};
#define NDEFAULT_ENVS ((int)(sizeof DEFAULT_ENVS / sizeof DEFAULT_ENVS[0]))

int store_account_create(store_t *s, const char *name, store_account_t *out) {
  store_account_t a;
  store_environment_t envs[NDEFAULT_ENVS];
  int rc;

  if (!name_valid(name) || !out) return CUSTOS_EINVAL;
  memset(&a, 0, sizeof a);
  memset(envs, 0, sizeof envs);
  if ((rc = rand_id(a.id, "acct"))) return rc;
  memcpy(a.name, name, strlen(name) + 1);
  a.created_at = (int64_t)time(NULL);
  for (int i = 0; i < NDEFAULT_ENVS; i++) {
    if ((rc = rand_id(envs[i].id, "env"))) return rc;
    memcpy(envs[i].account_id, a.id, sizeof a.id);
    snprintf(envs[i].name, sizeof envs[i].name, "%s", DEFAULT_ENVS[i]);
    envs[i].created_at = a.created_at;
  }
  rc = counted(s, s->ops->account_create(s->impl, &a, envs, NDEFAULT_ENVS));
  if (rc == CUSTOS_OK) *out = a;
  return rc;
}

int store_account_get(store_t *s, const char *id, store_account_t *out) {
  store_account_t a;
  if (!out || !id) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  int rc = counted(s, s->ops->account_get(s->impl, id, &a));
  if (rc == CUSTOS_OK) *out = a;
  return rc;
}

int store_account_list(store_t *s, const char *after_id, int limit, store_account_t *out,
                       int *n_out) {
  int n = 0;
  if (!out || !n_out || !limit_valid(limit)) return CUSTOS_EINVAL;
  if (after_id && !id_fits(after_id)) return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->account_list(s->impl, after_id ? after_id : "", limit, out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

/* --- environments -------------------------------------------------------- */

int store_environment_create(store_t *s, const char *account_id, const char *name,
                             store_environment_t *out) {
  store_environment_t e;
  int rc;
  if (!account_id || !name_valid(name) || !out) return CUSTOS_EINVAL;
  if (!id_fits(account_id)) return CUSTOS_ENOTFOUND;
  memset(&e, 0, sizeof e);
  if ((rc = rand_id(e.id, "env"))) return rc;
  memcpy(e.account_id, account_id, strlen(account_id) + 1);
  memcpy(e.name, name, strlen(name) + 1);
  e.created_at = (int64_t)time(NULL);
  rc = counted(s, s->ops->environment_create(s->impl, &e));
  if (rc == CUSTOS_OK) *out = e;
  return rc;
}

int store_environment_list(store_t *s, const char *account_id, const char *after_id,
                           int limit, store_environment_t *out, int *n_out) {
  int n = 0;
  if (!account_id || !out || !n_out || !limit_valid(limit)) return CUSTOS_EINVAL;
  if (after_id && !id_fits(after_id)) return CUSTOS_EINVAL;
  if (!id_fits(account_id)) {
    *n_out = 0;
    return CUSTOS_OK;
  }
  int rc = counted(s, s->ops->environment_list(s->impl, account_id, after_id ? after_id : "",
                                               limit, out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

/* --- entities ------------------------------------------------------------ */

bool store_entity_id_valid(const char *id) {
  if (!id) return false;
  size_t n = strnlen(id, STORE_ENTITY_ID_LEN_MAX + 1);
  if (n < 1 || n > STORE_ENTITY_ID_LEN_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == ':' || c == '-'))
      return false;
  }
  return true;
}

int store_entity_create(store_t *s, const char *account_id, const char *id, const char *name,
                        store_entity_t *out) {
  store_entity_t e;
  int rc;
  if (!account_id || !name_valid(name) || !out) return CUSTOS_EINVAL;
  if (id && !store_entity_id_valid(id)) return CUSTOS_EINVAL;
  if (!id_fits(account_id)) return CUSTOS_ENOTFOUND;
  memset(&e, 0, sizeof e);
  if (id) memcpy(e.id, id, strlen(id) + 1);
  else if ((rc = rand_id(e.id, "ent"))) return rc;
  memcpy(e.account_id, account_id, strlen(account_id) + 1);
  memcpy(e.name, name, strlen(name) + 1);
  e.created_at = (int64_t)time(NULL);
  rc = counted(s, s->ops->entity_create(s->impl, &e));
  if (rc == CUSTOS_OK) *out = e;
  return rc;
}

int store_entity_get(store_t *s, const char *id, store_entity_t *out) {
  store_entity_t e;
  if (!out || !id) return CUSTOS_EINVAL;
  if (!store_entity_id_valid(id)) return CUSTOS_ENOTFOUND;
  int rc = counted(s, s->ops->entity_get(s->impl, id, &e));
  if (rc == CUSTOS_OK) *out = e;
  return rc;
}

int store_entity_list(store_t *s, const char *account_id, const char *after_id, int limit,
                      store_entity_t *out, int *n_out) {
  int n = 0;
  if (!account_id || !out || !n_out || !limit_valid(limit)) return CUSTOS_EINVAL;
  if (after_id && !store_entity_id_valid(after_id)) return CUSTOS_EINVAL;
  if (!id_fits(account_id)) {
    *n_out = 0;
    return CUSTOS_OK;
  }
  int rc = counted(s, s->ops->entity_list(s->impl, account_id, after_id ? after_id : "", limit,
                                          out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

int store_account_token_lifetime(store_t *s, const char *account_id, int64_t *out) {
  int64_t v = 0;
  if (!account_id || !out) return CUSTOS_EINVAL;
  if (!id_fits(account_id)) return CUSTOS_ENOTFOUND;
  int rc = counted(s, s->ops->account_token_lifetime(s->impl, account_id, &v));
  if (rc == CUSTOS_OK) *out = v;
  return rc;
}

int store_account_set_token_lifetime(store_t *s, const char *account_id, int64_t seconds) {
  if (!account_id || seconds < 0 || seconds > STORE_TOKEN_LIFETIME_MAX) return CUSTOS_EINVAL;
  if (!id_fits(account_id)) return CUSTOS_ENOTFOUND;
  return counted(s, s->ops->account_set_token_lifetime(s->impl, account_id, seconds));
}

/* --- apps ---------------------------------------------------------------- */

int store_app_create(store_t *s, const char *account_id, const char *name,
                     const char *profile, store_app_t *out) {
  store_app_t a;
  int rc;
  if (!account_id || !name_valid(name) || !profile_valid(profile) || !out)
    return CUSTOS_EINVAL;
  if (!id_fits(account_id)) return CUSTOS_ENOTFOUND;
  memset(&a, 0, sizeof a);
  if ((rc = rand_id(a.id, "app"))) return rc;
  memcpy(a.account_id, account_id, strlen(account_id) + 1);
  memcpy(a.name, name, strlen(name) + 1);
  memcpy(a.profile, profile, strlen(profile) + 1);
  a.created_at = (int64_t)time(NULL);
  rc = counted(s, s->ops->app_create(s->impl, &a));
  if (rc == CUSTOS_OK) *out = a;
  return rc;
}

int store_app_get(store_t *s, const char *id, store_app_t *out) {
  store_app_t a;
  if (!out || !id) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  int rc = counted(s, s->ops->app_get(s->impl, id, &a));
  if (rc == CUSTOS_OK) *out = a;
  return rc;
}

int store_app_list(store_t *s, const char *account_id, const char *after_id, int limit,
                   store_app_t *out, int *n_out) {
  int n = 0;
  if (!out || !n_out || !limit_valid(limit)) return CUSTOS_EINVAL;
  if (after_id && !id_fits(after_id)) return CUSTOS_EINVAL;
  if (account_id && !id_fits(account_id)) {
    *n_out = 0;
    return CUSTOS_OK;
  }
  int rc = counted(s, s->ops->app_list(s->impl, account_id, after_id ? after_id : "", limit,
                                       out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

/* --- audit --------------------------------------------------------------- */

int store_audit_append(store_t *s, const store_audit_t *ev) {
  store_audit_t e;
  if (!ev) return CUSTOS_EINVAL;
  if (!field_terminated(ev->actor, sizeof ev->actor) ||
      !field_terminated(ev->action, sizeof ev->action) ||
      !field_terminated(ev->target, sizeof ev->target) ||
      !field_terminated(ev->outcome, sizeof ev->outcome) ||
      !field_terminated(ev->remote, sizeof ev->remote) ||
      !field_terminated(ev->request_id, sizeof ev->request_id))
    return CUSTOS_EINVAL;
  if (!ev->actor[0] || !ev->action[0] || !ev->outcome[0]) return CUSTOS_EINVAL;
  if (ev->detail_json) {
    size_t n = strnlen(ev->detail_json, STORE_AUDIT_DETAIL_MAX + 1);
    if (n > STORE_AUDIT_DETAIL_MAX) return CUSTOS_ETOOBIG;
    json_error_t jerr;
    json_t *j = json_loadb(ev->detail_json, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!j) return CUSTOS_EINVAL;
    json_decref(j);
  }
  e = *ev;
  e.id = 0;
  if (e.at == 0) e.at = (int64_t)time(NULL);
  return counted(s, s->ops->audit_append(s->impl, &e));
}

int store_audit_list(store_t *s, int64_t after_id, int limit, store_audit_t *out,
                     int *n_out) {
  int n = 0;
  if (!out || !n_out || !limit_valid(limit) || after_id < 0) return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->audit_list(s->impl, after_id, limit, out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

void store_audit_cleanup(store_audit_t *ev) {
  if (!ev) return;
  free(ev->detail_json);
  ev->detail_json = NULL;
}

/* --- hashes ---------------------------------------------------------------- */

void store__hash_hex(const unsigned char hash[STORE_KEY_HASH_LEN], char out[STORE_HASH_HEX_MAX]) {
  static const char HEX[] = "0123456789abcdef";
  for (int i = 0; i < STORE_KEY_HASH_LEN; i++) {
    out[2 * i] = HEX[hash[i] >> 4];
    out[2 * i + 1] = HEX[hash[i] & 15];
  }
  out[2 * STORE_KEY_HASH_LEN] = '\0';
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int store__hash_unhex(const char *hex, unsigned char out[STORE_KEY_HASH_LEN]) {
  unsigned char tmp[STORE_KEY_HASH_LEN];
  if (strlen(hex) != 2 * STORE_KEY_HASH_LEN) return CUSTOS_ESTORE;
  for (int i = 0; i < STORE_KEY_HASH_LEN; i++) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return CUSTOS_ESTORE;
    tmp[i] = (unsigned char)(hi << 4 | lo);
  }
  memcpy(out, tmp, sizeof tmp);
  return CUSTOS_OK;
}

/* --- API keys ------------------------------------------------------------ */

/* 1..max bytes, each accepted by `ok`. */
static bool chars_valid(const char *s, size_t min, size_t max, bool (*ok)(char)) {
  size_t n = strnlen(s, max + 1);
  if (n < min || n > max) return false;
  for (size_t i = 0; i < n; i++)
    if (!ok(s[i])) return false;
  return true;
}

static bool kind_char(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
static bool start_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
static bool scope_char(char c) {
  return start_char(c) || c == ':' || c == '.' || c == '-';
}

/* "" or names of scope_char separated by single spaces, fitting
 * STORE_SCOPES_MAX with its NUL. */
static bool scopes_valid(const char *s) {
  if (!s) return false;
  size_t n = strnlen(s, STORE_SCOPES_MAX);
  if (n >= STORE_SCOPES_MAX) return false;
  bool at_start = true; /* of a name */
  for (size_t i = 0; i < n; i++) {
    if (s[i] == ' ') {
      if (at_start) return false; /* leading or double space */
      at_start = true;
    } else if (scope_char(s[i])) {
      at_start = false;
    } else {
      return false;
    }
  }
  return n == 0 || !at_start; /* no trailing space */
}

/* The caller-filled input fields of a key (see store_api_key_create). */
static bool key_input_valid(const store_api_key_t *k) {
  if (!field_terminated(k->kind, sizeof k->kind) ||
      !field_terminated(k->name, sizeof k->name) ||
      !field_terminated(k->start, sizeof k->start) ||
      !field_terminated(k->scopes, sizeof k->scopes))
    return false;
  size_t nlen = strlen(k->name);
  return chars_valid(k->kind, 1, STORE_KEY_KIND_MAX - 1, kind_char) &&
         chars_valid(k->start, 4, STORE_KEY_START_MAX - 1, start_char) &&
         nlen <= STORE_NAME_LEN_MAX && utf8_valid((const unsigned char *)k->name, nlen) &&
         scopes_valid(k->scopes) && k->expires_at >= 0;
}

int store_api_key_create(store_t *s, store_api_key_t *k) {
  store_api_key_t c;
  int rc;
  if (!k || !field_terminated(k->app_id, sizeof k->app_id) ||
      !field_terminated(k->environment_id, sizeof k->environment_id) || !key_input_valid(k))
    return CUSTOS_EINVAL;
  if (!id_fits(k->app_id) || !id_fits(k->environment_id)) return CUSTOS_ENOTFOUND;
  memset(&c, 0, sizeof c);
  if ((rc = rand_id(c.id, "key"))) return rc;
  /* String by string, so the output is zero-filled past each NUL exactly
   * as a later get returns it. */
  memcpy(c.app_id, k->app_id, strlen(k->app_id) + 1);
  memcpy(c.environment_id, k->environment_id, strlen(k->environment_id) + 1);
  memcpy(c.kind, k->kind, strlen(k->kind) + 1);
  memcpy(c.name, k->name, strlen(k->name) + 1);
  memcpy(c.start, k->start, strlen(k->start) + 1);
  memcpy(c.hash, k->hash, sizeof c.hash);
  memcpy(c.scopes, k->scopes, strlen(k->scopes) + 1);
  c.expires_at = k->expires_at;
  c.created_at = (int64_t)time(NULL);
  rc = counted(s, s->ops->api_key_create(s->impl, &c));
  if (rc == CUSTOS_OK) *k = c;
  return rc;
}

int store_api_key_get(store_t *s, const char *id, store_api_key_t *out) {
  store_api_key_t k;
  if (!out || !id) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  int rc = counted(s, s->ops->api_key_get(s->impl, id, &k));
  if (rc == CUSTOS_OK) *out = k;
  return rc;
}

int store_api_key_get_by_hash(store_t *s, const unsigned char hash[STORE_KEY_HASH_LEN],
                              store_api_key_t *out) {
  store_api_key_t k;
  if (!out || !hash) return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->api_key_get_by_hash(s->impl, hash, &k));
  if (rc == CUSTOS_OK) *out = k;
  return rc;
}

int store_api_key_list(store_t *s, const char *app_id, const char *after_id, int limit,
                       store_api_key_t *out, int *n_out) {
  int n = 0;
  if (!out || !n_out || !limit_valid(limit)) return CUSTOS_EINVAL;
  if (after_id && !id_fits(after_id)) return CUSTOS_EINVAL;
  if (app_id && !id_fits(app_id)) {
    *n_out = 0;
    return CUSTOS_OK;
  }
  int rc = counted(s, s->ops->api_key_list(s->impl, app_id, after_id ? after_id : "", limit,
                                           out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

int store_api_key_set_scopes(store_t *s, const char *id, const char *scopes) {
  if (!id || !scopes_valid(scopes)) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  return counted(s, s->ops->api_key_set_scopes(s->impl, id, scopes));
}

int store_api_key_revoke(store_t *s, const char *id, int64_t at) {
  if (!id || at <= 0) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  return counted(s, s->ops->api_key_revoke(s->impl, id, at));
}

int store_api_key_rotate(store_t *s, const char *old_id, int64_t grace_until,
                         store_api_key_t *new_key) {
  store_api_key_t c;
  int rc;
  if (!old_id || !new_key || grace_until <= 0) return CUSTOS_EINVAL;
  if (!field_terminated(new_key->start, sizeof new_key->start) ||
      !chars_valid(new_key->start, 4, STORE_KEY_START_MAX - 1, start_char))
    return CUSTOS_EINVAL;
  if (!id_fits(old_id)) return CUSTOS_ENOTFOUND;
  memset(&c, 0, sizeof c);
  if ((rc = rand_id(c.id, "key"))) return rc;
  memcpy(c.start, new_key->start, strlen(new_key->start) + 1);
  memcpy(c.hash, new_key->hash, sizeof c.hash);
  c.created_at = (int64_t)time(NULL);
  rc = counted(s, s->ops->api_key_rotate(s->impl, old_id, grace_until, &c));
  if (rc == CUSTOS_OK) *new_key = c;
  return rc;
}

static int usage_cmp(const void *a, const void *b) {
  return strcmp(((const store_key_usage_t *)a)->id, ((const store_key_usage_t *)b)->id);
}

/* a + b for non-negative counts, saturating at INT64_MAX. */
static int64_t add_sat(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

typedef int (*usage_op_fn)(void *impl, const store_key_usage_t *u, int n);

static int record_usage(store_t *s, const store_key_usage_t *u, int n, usage_op_fn op);

int store_api_key_record_usage(store_t *s, const store_key_usage_t *u, int n) {
  return record_usage(s, u, n, s->ops->api_key_record_usage);
}

/* Validates, sorts and merges usage records, then writes them with `op`. */
static int record_usage(store_t *s, const store_key_usage_t *u, int n, usage_op_fn op) {
  store_key_usage_t *v;
  int m = 0, rc;
  if (n < 0 || (n > 0 && !u)) return CUSTOS_EINVAL;
  for (int i = 0; i < n; i++)
    if (!field_terminated(u[i].id, sizeof u[i].id) || u[i].uses < 0 || u[i].last_used_at < 0)
      return CUSTOS_EINVAL;
  if (n == 0) return CUSTOS_OK;
  /* Sorted and merged: each row is written once, and every node locks rows
   * in the same order, so concurrent batches cannot deadlock. */
  if (!(v = malloc((size_t)n * sizeof *v))) return CUSTOS_ENOMEM;
  memcpy(v, u, (size_t)n * sizeof *v);
  qsort(v, (size_t)n, sizeof *v, usage_cmp);
  for (int i = 0; i < n; i++) {
    if (!id_fits(v[i].id)) continue; /* cannot match a key */
    if (m > 0 && strcmp(v[m - 1].id, v[i].id) == 0) {
      v[m - 1].uses = add_sat(v[m - 1].uses, v[i].uses);
      if (v[i].last_used_at > v[m - 1].last_used_at) v[m - 1].last_used_at = v[i].last_used_at;
    } else {
      v[m++] = v[i];
    }
  }
  rc = m ? counted(s, op(s->impl, v, m)) : CUSTOS_OK;
  free(v);
  return rc;
}

/* --- admin tokens ---------------------------------------------------------- */

/* The row a create stores for input `t`: validated name, new id, now. */
static int admin_token_new(const store_admin_token_t *t, store_admin_token_t *c) {
  int rc;
  if (!t || !field_terminated(t->name, sizeof t->name) || !name_valid(t->name))
    return CUSTOS_EINVAL;
  memset(c, 0, sizeof *c);
  if ((rc = rand_id(c->id, "adm"))) return rc;
  memcpy(c->name, t->name, strlen(t->name) + 1);
  memcpy(c->hash, t->hash, sizeof c->hash);
  c->created_at = (int64_t)time(NULL);
  return CUSTOS_OK;
}

static int admin_token_insert(store_t *s, store_admin_token_t *t, bool only_first) {
  store_admin_token_t c;
  int rc = admin_token_new(t, &c);
  if (rc == CUSTOS_OK) rc = counted(s, s->ops->admin_token_create(s->impl, &c, only_first));
  if (rc == CUSTOS_OK) *t = c;
  return rc;
}

int store_admin_token_create(store_t *s, store_admin_token_t *t) {
  return admin_token_insert(s, t, false);
}

int store_admin_token_create_first(store_t *s, store_admin_token_t *t) {
  return admin_token_insert(s, t, true);
}

int store_admin_token_replace(store_t *s, store_admin_token_t *t, store_admin_token_t *revoked, int max,
                              int *n_revoked) {
  store_admin_token_t c;
  int n = 0;
  if (!n_revoked || max < 0 || (max > 0 && !revoked)) return CUSTOS_EINVAL;
  int rc = admin_token_new(t, &c);
  if (rc == CUSTOS_OK) rc = counted(s, s->ops->admin_token_replace(s->impl, &c, revoked, max, &n));
  if (rc == CUSTOS_OK) {
    *t = c;
    *n_revoked = n;
  }
  return rc;
}

int store_admin_token_get(store_t *s, const char *id, store_admin_token_t *out) {
  store_admin_token_t t;
  if (!out || !id) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  int rc = counted(s, s->ops->admin_token_get(s->impl, id, &t));
  if (rc == CUSTOS_OK) *out = t;
  return rc;
}

int store_admin_token_list(store_t *s, const char *after_id, int limit, store_admin_token_t *out,
                           int *n_out) {
  int n = 0;
  if (!out || !n_out || !limit_valid(limit)) return CUSTOS_EINVAL;
  if (after_id && !id_fits(after_id)) return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->admin_token_list(s->impl, after_id ? after_id : "", limit, out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

int store_admin_token_get_by_hash(store_t *s, const unsigned char hash[STORE_KEY_HASH_LEN],
                                  store_admin_token_t *out) {
  store_admin_token_t t;
  if (!out || !hash) return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->admin_token_get_by_hash(s->impl, hash, &t));
  if (rc == CUSTOS_OK) *out = t;
  return rc;
}

int store_admin_token_count_active(store_t *s, int64_t *n_out) {
  int64_t n = 0;
  if (!n_out) return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->admin_token_count_active(s->impl, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

int store_admin_token_revoke(store_t *s, const char *id, int64_t at, bool keep_one) {
  if (!id || at <= 0) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  return counted(s, s->ops->admin_token_revoke(s->impl, id, at, keep_one));
}


/* --- AssetPay merchants and clients ------------------------------------------ */

#define MERCHANT_ENSURE_TRIES 8 /* merchant-id races lost before giving up */

int store_merchant_ensure(store_t *s, const char *app_id, store_merchant_t *out) {
  if (!app_id || !out) return CUSTOS_EINVAL;
  if (!id_fits(app_id)) return CUSTOS_ENOTFOUND;
  store_merchant_t m;
  int rc = CUSTOS_EEXISTS;
  /* Two creators on PostgreSQL can pick the same max + 1; the loser's
   * insert fails on the unique merchant id, and it tries again. */
  for (int i = 0; i < MERCHANT_ENSURE_TRIES && rc == CUSTOS_EEXISTS; i++)
    rc = s->ops->merchant_ensure(s->impl, app_id, (int64_t)time(NULL), &m);
  if (rc == CUSTOS_EEXISTS) rc = CUSTOS_ESTORE;
  rc = counted(s, rc);
  if (rc == CUSTOS_OK) *out = m;
  return rc;
}

int store_merchant_get(store_t *s, const char *app_id, store_merchant_t *out) {
  if (!app_id || !out) return CUSTOS_EINVAL;
  if (!id_fits(app_id)) return CUSTOS_ENOTFOUND;
  store_merchant_t m;
  int rc = counted(s, s->ops->merchant_get(s->impl, app_id, &m));
  if (rc == CUSTOS_OK) *out = m;
  return rc;
}

int store_merchant_get_by_mid(store_t *s, int64_t mid, store_merchant_t *out) {
  if (!out) return CUSTOS_EINVAL;
  if (mid <= 0) return CUSTOS_ENOTFOUND;
  store_merchant_t m;
  int rc = counted(s, s->ops->merchant_get_by_mid(s->impl, mid, &m));
  if (rc == CUSTOS_OK) *out = m;
  return rc;
}

static bool sealed_text_valid(const char *t) {
  size_t n = strnlen(t, STORE_SECRET_SEALED_MAX);
  if (n >= STORE_SECRET_SEALED_MAX) return false;
  for (size_t i = 0; i < n; i++)
    if (!start_char(t[i]) && t[i] != '-') return false; /* base64url */
  return true;
}

int store_merchant_set_secret(store_t *s, const store_merchant_t *m, const char *expect) {
  if (!m || !expect) return CUSTOS_EINVAL;
  if (!field_terminated(m->app_id, sizeof m->app_id) || !sealed_text_valid(m->secret_sealed) ||
      !sealed_text_valid(m->prev_sealed) || !sealed_text_valid(expect) || !m->secret_sealed[0] ||
      m->secret_created_at <= 0 || m->secret_rotated_at < 0 || m->prev_valid_until < 0)
    return CUSTOS_EINVAL;
  if (!id_fits(m->app_id)) return CUSTOS_ENOTFOUND;
  return counted(s, s->ops->merchant_set_secret(s->impl, m, expect));
}

static bool digits_only(const char *t, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (t[i] < '0' || t[i] > '9') return false;
  return true;
}

int store_ap_client_upsert(store_t *s, const store_ap_client_t *c) {
  if (!c) return CUSTOS_EINVAL;
  if (!field_terminated(c->app_id, sizeof c->app_id) ||
      !field_terminated(c->steam_id, sizeof c->steam_id) ||
      !field_terminated(c->trade_url, sizeof c->trade_url) ||
      !field_terminated(c->client_id, sizeof c->client_id))
    return CUSTOS_EINVAL;
  size_t sid = strlen(c->steam_id);
  if (sid != STORE_STEAM_ID_MAX - 1 || !digits_only(c->steam_id, sid) || !c->trade_url[0] ||
      !utf8_valid((const unsigned char *)c->trade_url, strlen(c->trade_url)) ||
      !utf8_valid((const unsigned char *)c->client_id, strlen(c->client_id)) || c->risk_limit < 0 ||
      c->risk_tier < 0 || c->risk_tier > 5)
    return CUSTOS_EINVAL;
  if (c->client_data) {
    size_t n = strnlen(c->client_data, STORE_CLIENT_DATA_MAX + 1);
    if (n > STORE_CLIENT_DATA_MAX || !utf8_valid((const unsigned char *)c->client_data, n))
      return CUSTOS_EINVAL;
  }
  if (!id_fits(c->app_id)) return CUSTOS_ENOTFOUND;
  store_ap_client_t x = *c;
  x.created_at = (int64_t)time(NULL);
  if (x.updated_at == 0) x.updated_at = x.created_at;
  return counted(s, s->ops->ap_client_upsert(s->impl, &x));
}

int store_ap_client_get(store_t *s, const char *app_id, const char *steam_id, store_ap_client_t *out) {
  if (!app_id || !steam_id || !out) return CUSTOS_EINVAL;
  if (!id_fits(app_id) || strnlen(steam_id, STORE_STEAM_ID_MAX) != STORE_STEAM_ID_MAX - 1 ||
      !digits_only(steam_id, STORE_STEAM_ID_MAX - 1))
    return CUSTOS_ENOTFOUND;
  store_ap_client_t c;
  int rc = counted(s, s->ops->ap_client_get(s->impl, app_id, steam_id, &c));
  if (rc == CUSTOS_OK) *out = c;
  return rc;
}

int store_ap_client_list(store_t *s, const char *app_id, const char *after_steam_id, int limit,
                         store_ap_client_t *out, int *n_out) {
  int n = 0;
  if (!app_id || !out || !n_out || !limit_valid(limit)) return CUSTOS_EINVAL;
  if (after_steam_id && (strnlen(after_steam_id, STORE_STEAM_ID_MAX) != STORE_STEAM_ID_MAX - 1 ||
                         !digits_only(after_steam_id, STORE_STEAM_ID_MAX - 1)))
    return CUSTOS_EINVAL;
  if (!id_fits(app_id)) {
    *n_out = 0;
    return CUSTOS_OK;
  }
  int rc = counted(s, s->ops->ap_client_list(s->impl, app_id, after_steam_id ? after_steam_id : "", limit,
                                             out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

void store_ap_client_cleanup(store_ap_client_t *c) {
  if (!c) return;
  free(c->client_data);
  c->client_data = NULL;
}

/* --- audit queries --------------------------------------------------------- */

/* NULL, or valid UTF-8 (a filter longer than any column is caught later;
 * this bounds the scan). */
static bool text_valid(const char *t) {
  if (!t) return true;
  size_t n = strnlen(t, STORE_AUDIT_DETAIL_MAX);
  return n < STORE_AUDIT_DETAIL_MAX ? utf8_valid((const unsigned char *)t, n) : true;
}

void store__audit_find_sql(unsigned mask, bool pg, char *buf, size_t cap) {
  const char *ph = pg ? "$" : "?";
  const char *act = pg ? "action COLLATE \"C\"" : "action";
  int p = 1;
  size_t len = 0;
  /* (column, operator) per bound condition, in parameter order. */
  const char *cond[6][2];
  int nc = 0;
  if (mask & STORE_AQ_ACTION) cond[nc][0] = act, cond[nc++][1] = "=";
  if (mask & STORE_AQ_PREFIX) {
    cond[nc][0] = act, cond[nc++][1] = ">=";
    cond[nc][0] = act, cond[nc++][1] = "<";
  }
  if (mask & STORE_AQ_TARGET) cond[nc][0] = "target", cond[nc++][1] = "=";
  if (mask & STORE_AQ_ACTOR) cond[nc][0] = "actor", cond[nc++][1] = "=";
  if (mask & STORE_AQ_SINCE) cond[nc][0] = "at", cond[nc++][1] = ">=";
  len += (size_t)snprintf(buf, cap,
                          "SELECT id, at, actor, action, target, outcome, remote, request_id,"
                          " detail_json FROM audit_event WHERE id > %s%d",
                          ph, p++);
  for (int i = 0; i < nc && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, " AND %s %s %s%d", cond[i][0], cond[i][1], ph,
                            p++);
  if (len < cap) snprintf(buf + len, cap - len, " ORDER BY id LIMIT %s%d", ph, p);
}

int store_audit_find(store_t *s, const store_audit_filter_t *f, int64_t after_id, int limit,
                     store_audit_t *out, int *n_out) {
  store__audit_query_t q;
  int n = 0;
  if (!out || !n_out || !limit_valid(limit) || after_id < 0) return CUSTOS_EINVAL;
  memset(&q, 0, sizeof q);
  if (f && f->since < 0) return CUSTOS_EINVAL;
  if (f && f->action && !f->action[0]) return CUSTOS_EINVAL;
  if (f && (!text_valid(f->action) || !text_valid(f->target) || !text_valid(f->actor)))
    return CUSTOS_EINVAL;
  /* A filter longer than its column can hold matches nothing. */
  if (f && ((f->action && strnlen(f->action, sizeof q.action_hi) >= sizeof q.action_hi) ||
            (f->target && strnlen(f->target, 128) >= 128) ||
            (f->actor && strnlen(f->actor, 128) >= 128))) {
    *n_out = 0;
    return CUSTOS_OK;
  }
  if (f && f->action) {
    size_t len = strlen(f->action);
    q.action = f->action;
    if (f->action[len - 1] == '.') {
      /* Every string starting with "p." sorts in ["p.", "p/"). */
      q.mask |= STORE_AQ_PREFIX;
      memcpy(q.action_hi, f->action, len + 1);
      q.action_hi[len - 1] = '/';
    } else {
      q.mask |= STORE_AQ_ACTION;
    }
  }
  if (f && f->target) q.mask |= STORE_AQ_TARGET, q.target = f->target;
  if (f && f->actor) q.mask |= STORE_AQ_ACTOR, q.actor = f->actor;
  if (f && f->since > 0) q.mask |= STORE_AQ_SINCE, q.since = f->since;
  int rc = counted(s, s->ops->audit_find(s->impl, &q, after_id, limit, out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

/* --- signing keys ---------------------------------------------------------- */

static bool kid_char(char c) { return start_char(c) || c == '-'; }
static bool alg_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool state_valid(const char *st) {
  return st && (strcmp(st, "next") == 0 || strcmp(st, "active") == 0 ||
                strcmp(st, "retired") == 0);
}

/* A JSON object with no member that would carry private key material: the
 * last guard that a private key never lands in the clear column. */
static bool public_jwk_valid(const char *j) {
  static const char *const PRIVATE[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
  size_t n = strnlen(j, STORE_PUBLIC_JWK_MAX + 1);
  if (n > STORE_PUBLIC_JWK_MAX) return false;
  json_error_t jerr;
  json_t *o = json_loadb(j, n, JSON_REJECT_DUPLICATES, &jerr);
  bool ok = json_is_object(o);
  for (size_t i = 0; ok && i < sizeof PRIVATE / sizeof PRIVATE[0]; i++)
    if (json_object_get(o, PRIVATE[i])) ok = false;
  json_decref(o);
  return ok;
}

/* kid, alg, sealed and public_jwk of a key to insert. */
static bool signing_input_valid(const store_signing_key_t *k) {
  return field_terminated(k->kid, sizeof k->kid) && field_terminated(k->alg, sizeof k->alg) &&
         chars_valid(k->kid, 1, STORE_KID_MAX - 1, kid_char) &&
         chars_valid(k->alg, 1, STORE_SIGNING_ALG_MAX - 1, alg_char) && k->sealed &&
         chars_valid(k->sealed, 1, STORE_SEALED_MAX, kid_char) && k->public_jwk &&
         public_jwk_valid(k->public_jwk);
}

int store_signing_key_create(store_t *s, store_signing_key_t *k) {
  store_signing_key_t c;
  if (!k || !signing_input_valid(k) || !field_terminated(k->state, sizeof k->state) ||
      (strcmp(k->state, "next") != 0 && strcmp(k->state, "active") != 0) || k->created_at < 0)
    return CUSTOS_EINVAL;
  memset(&c, 0, sizeof c);
  memcpy(c.kid, k->kid, strlen(k->kid) + 1);
  memcpy(c.alg, k->alg, strlen(k->alg) + 1);
  memcpy(c.state, k->state, strlen(k->state) + 1);
  c.sealed = k->sealed;
  c.public_jwk = k->public_jwk;
  c.created_at = k->created_at ? k->created_at : (int64_t)time(NULL);
  c.activated_at = strcmp(c.state, "active") == 0 ? c.created_at : 0;
  int rc = counted(s, s->ops->signing_key_create(s->impl, &c));
  if (rc == CUSTOS_OK) *k = c;
  return rc;
}

int store_signing_key_list(store_t *s, const char *state, int limit, store_signing_key_t *out,
                           int *n_out) {
  int n = 0;
  if (!out || !n_out || !limit_valid(limit) || (state && !state_valid(state)))
    return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->signing_key_list(s->impl, state, limit, out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

void store_signing_key_cleanup(store_signing_key_t *k) {
  if (!k) return;
  free(k->sealed);
  free(k->public_jwk);
  k->sealed = k->public_jwk = NULL;
}

int store_signing_key_rotate(store_t *s, const char *alg, store_signing_key_t *new_key,
                             int64_t now) {
  store_signing_key_t c;
  if (!alg || !new_key || now <= 0 || !chars_valid(alg, 1, STORE_SIGNING_ALG_MAX - 1, alg_char) ||
      !signing_input_valid(new_key) || strcmp(alg, new_key->alg) != 0)
    return CUSTOS_EINVAL;
  memset(&c, 0, sizeof c);
  memcpy(c.kid, new_key->kid, strlen(new_key->kid) + 1);
  memcpy(c.alg, alg, strlen(alg) + 1);
  c.sealed = new_key->sealed;
  c.public_jwk = new_key->public_jwk;
  c.created_at = now;
  int rc = counted(s, s->ops->signing_key_rotate(s->impl, &c));
  if (rc == CUSTOS_OK) *new_key = c;
  return rc;
}

int store_signing_key_generation(store_t *s, int64_t *gen_out) {
  int64_t g = 0;
  if (!gen_out) return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->signing_key_generation(s->impl, &g));
  if (rc == CUSTOS_OK) *gen_out = g;
  return rc;
}

int store_signing_key_purge(store_t *s, int64_t retired_before, int64_t now, int *n_out) {
  int n = 0;
  if (now <= 0) return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->signing_key_purge(s->impl, retired_before, now, &n));
  if (rc == CUSTOS_OK && n_out) *n_out = n;
  return rc;
}

/* --- notifications --------------------------------------------------------- */

static bool channel_valid(const char *c) {
  return c && chars_valid(c, 1, STORE_CHANNEL_LEN_MAX, kind_char);
}

int store_notify(store_t *s, const char *channel, const char *payload) {
  if (!channel_valid(channel) || !payload) return CUSTOS_EINVAL;
  size_t n = strnlen(payload, STORE_PAYLOAD_LEN_MAX + 1);
  if (n > STORE_PAYLOAD_LEN_MAX || !utf8_valid((const unsigned char *)payload, n))
    return CUSTOS_EINVAL;
  return counted(s, s->ops->notify(s->impl, channel, payload));
}

int store_listen(store_t *s, const char *channel, store_notify_fn fn, void *ctx) {
  if (!channel_valid(channel) || !fn) return CUSTOS_EINVAL;
  return counted(s, s->ops->listen(s->impl, channel, fn, ctx, &s->errors));
}

/* --- users and user tokens -------------------------------------------------- */

int store_user_create(store_t *s, const char *app_id, const char *external_id, store_user_t *out) {
  store_user_t u;
  int rc;
  if (!app_id || !out || !name_valid(external_id)) return CUSTOS_EINVAL;
  if (!id_fits(app_id)) return CUSTOS_ENOTFOUND;
  memset(&u, 0, sizeof u);
  if ((rc = rand_id(u.id, "usr"))) return rc;
  memcpy(u.app_id, app_id, strlen(app_id) + 1);
  memcpy(u.external_id, external_id, strlen(external_id) + 1);
  u.created_at = (int64_t)time(NULL);
  rc = counted(s, s->ops->user_create(s->impl, &u));
  if (rc == CUSTOS_OK) *out = u;
  return rc;
}

int store_user_get(store_t *s, const char *id, store_user_t *out) {
  store_user_t u;
  if (!out || !id) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  int rc = counted(s, s->ops->user_get(s->impl, id, &u));
  if (rc == CUSTOS_OK) *out = u;
  return rc;
}

int store_user_list(store_t *s, const char *app_id, const char *after_id, int limit, store_user_t *out,
                    int *n_out) {
  int n = 0;
  if (!app_id || !out || !n_out || !limit_valid(limit)) return CUSTOS_EINVAL;
  if (after_id && !id_fits(after_id)) return CUSTOS_EINVAL;
  if (!id_fits(app_id)) {
    *n_out = 0;
    return CUSTOS_OK;
  }
  int rc = counted(s, s->ops->user_list(s->impl, app_id, after_id ? after_id : "", limit, out, &n));
  if (rc == CUSTOS_OK) *n_out = n;
  return rc;
}

static bool level_valid(const char *l) {
  return strcmp(l, "read") == 0 || strcmp(l, "write") == 0 || strcmp(l, "admin") == 0;
}

/* The public struct from the key-shaped row the backends move. */
void store_user_token_from_key(const store_api_key_t *k, store_user_token_t *t) {
  memset(t, 0, sizeof *t);
  memcpy(t->id, k->id, sizeof t->id);
  memcpy(t->app_id, k->app_id, sizeof t->app_id);
  memcpy(t->account_id, k->account_id, sizeof t->account_id);
  memcpy(t->user_id, k->environment_id, sizeof t->user_id);
  memcpy(t->start, k->start, sizeof t->start);
  memcpy(t->hash, k->hash, sizeof t->hash);
  size_t ln = strnlen(k->scopes, sizeof t->access_level - 1); /* a level always fits: the schema checks it */
  memcpy(t->access_level, k->scopes, ln);
  t->access_level[ln] = '\0';
  t->created_at = k->created_at;
  t->expires_at = k->expires_at;
  t->revoked_at = k->revoked_at;
  t->grace_until = k->grace_until;
  memcpy(t->replaced_by, k->replaced_by, sizeof t->replaced_by);
  t->last_used_at = k->last_used_at;
  t->use_count = k->use_count;
}

int store_user_token_create(store_t *s, store_user_token_t *t) {
  store_api_key_t k;
  int rc;
  if (!t || !field_terminated(t->user_id, sizeof t->user_id) || !field_terminated(t->start, sizeof t->start) ||
      !field_terminated(t->access_level, sizeof t->access_level) ||
      !chars_valid(t->start, 4, STORE_KEY_START_MAX - 1, start_char) || !level_valid(t->access_level) ||
      t->expires_at < 0)
    return CUSTOS_EINVAL;
  if (!id_fits(t->user_id)) return CUSTOS_ENOTFOUND;
  memset(&k, 0, sizeof k);
  if ((rc = rand_id(k.id, "utk"))) return rc;
  memcpy(k.environment_id, t->user_id, strlen(t->user_id) + 1);
  memcpy(k.start, t->start, strlen(t->start) + 1);
  memcpy(k.hash, t->hash, sizeof k.hash);
  memcpy(k.scopes, t->access_level, strlen(t->access_level) + 1);
  snprintf(k.kind, sizeof k.kind, "user_token");
  k.expires_at = t->expires_at;
  k.created_at = (int64_t)time(NULL);
  rc = counted(s, s->ops->user_token_create(s->impl, &k));
  if (rc == CUSTOS_OK) store_user_token_from_key(&k, t);
  return rc;
}

int store_user_token_get_key(store_t *s, const char *id, store_api_key_t *out) {
  if (!out || !id) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  return counted(s, s->ops->user_token_get(s->impl, id, out));
}

int store_user_token_get(store_t *s, const char *id, store_user_token_t *out) {
  store_api_key_t k;
  if (!out) return CUSTOS_EINVAL;
  int rc = store_user_token_get_key(s, id, &k);
  if (rc == CUSTOS_OK) store_user_token_from_key(&k, out);
  return rc;
}

int store_user_token_list(store_t *s, const char *user_id, const char *after_id, int limit,
                          store_user_token_t *out, int *n_out) {
  int n = 0;
  if (!user_id || !out || !n_out || !limit_valid(limit)) return CUSTOS_EINVAL;
  if (after_id && !id_fits(after_id)) return CUSTOS_EINVAL;
  if (!id_fits(user_id)) {
    *n_out = 0;
    return CUSTOS_OK;
  }
  /* The backends move key-shaped rows; convert them into `out`. */
  store_api_key_t *rows = calloc((size_t)limit, sizeof *rows);
  if (!rows) return CUSTOS_ENOMEM;
  int rc = counted(s, s->ops->user_token_list(s->impl, user_id, after_id ? after_id : "", limit, rows, &n));
  if (rc == CUSTOS_OK) {
    for (int i = 0; i < n; i++) store_user_token_from_key(&rows[i], &out[i]);
    *n_out = n;
  }
  free(rows);
  return rc;
}

int store_user_token_lookup(store_t *s, const unsigned char hash[STORE_KEY_HASH_LEN], store_api_key_t *out) {
  store_api_key_t k;
  if (!out || !hash) return CUSTOS_EINVAL;
  int rc = counted(s, s->ops->user_token_get_by_hash(s->impl, hash, &k));
  if (rc == CUSTOS_OK) *out = k;
  return rc;
}

int store_user_token_get_by_hash(store_t *s, const unsigned char hash[STORE_KEY_HASH_LEN],
                                 store_user_token_t *out) {
  store_api_key_t k;
  if (!out) return CUSTOS_EINVAL;
  int rc = store_user_token_lookup(s, hash, &k);
  if (rc == CUSTOS_OK) store_user_token_from_key(&k, out);
  return rc;
}

int store_user_token_revoke(store_t *s, const char *id, int64_t at) {
  if (!id || at <= 0) return CUSTOS_EINVAL;
  if (!id_fits(id)) return CUSTOS_ENOTFOUND;
  return counted(s, s->ops->user_token_revoke(s->impl, id, at));
}

int store_user_token_rotate_key(store_t *s, const char *old_id, int64_t grace_until, store_api_key_t *nk) {
  store_api_key_t c;
  int rc;
  if (!old_id || !nk || grace_until <= 0) return CUSTOS_EINVAL;
  if (!field_terminated(nk->start, sizeof nk->start) || !chars_valid(nk->start, 4, STORE_KEY_START_MAX - 1, start_char))
    return CUSTOS_EINVAL;
  if (!id_fits(old_id)) return CUSTOS_ENOTFOUND;
  memset(&c, 0, sizeof c);
  if ((rc = rand_id(c.id, "utk"))) return rc;
  memcpy(c.start, nk->start, strlen(nk->start) + 1);
  memcpy(c.hash, nk->hash, sizeof c.hash);
  c.created_at = (int64_t)time(NULL);
  rc = counted(s, s->ops->user_token_rotate(s->impl, old_id, grace_until, &c));
  if (rc == CUSTOS_OK) *nk = c;
  return rc;
}

int store_user_token_rotate(store_t *s, const char *old_id, int64_t grace_until, store_user_token_t *new_token) {
  store_api_key_t c;
  if (!new_token || !field_terminated(new_token->start, sizeof new_token->start)) return CUSTOS_EINVAL;
  memset(&c, 0, sizeof c);
  memcpy(c.start, new_token->start, strlen(new_token->start) + 1);
  memcpy(c.hash, new_token->hash, sizeof c.hash);
  int rc = store_user_token_rotate_key(s, old_id, grace_until, &c);
  if (rc == CUSTOS_OK) store_user_token_from_key(&c, new_token);
  return rc;
}

int store_user_token_record_usage(store_t *s, const store_key_usage_t *u, int n) {
  return record_usage(s, u, n, s->ops->user_token_record_usage);
}
