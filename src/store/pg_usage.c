/*
 * pg_usage.c — the PostgreSQL usage flush shared by API keys and user
 * tokens: a batch of usage records is sent as three array parameters
 * (ids, uses, last_used_at) of one statement (PG_USAGE_SQL), so a flush of
 * thousands of keys costs a few round trips instead of one per key.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/pg.h"

/* Bytes of one element in an array literal, with its separator: a quoted
 * id with every character escaped, or a decimal int64. */
#define ID_ELEM_MAX (2 * (RAND_ID_MAX - 1) + 3)
#define I64_ELEM_MAX PG_I64_LEN

/* Array literals for one chunk; sized once per flush. */
typedef struct usage_arrays {
  char *ids, *uses, *last;
  size_t ids_cap, i64_cap;
} usage_arrays_t;

/* Appends `id` to a text[] literal as a double-quoted element. Ids are
 * [A-Za-z0-9_] (store.c drops others), but quoting and escaping keep the
 * literal well-formed whatever they hold. */
static size_t put_id(char *out, const char *id, size_t n) {
  size_t o = 0;
  out[o++] = '"';
  for (size_t i = 0; i < n; i++) {
    if (id[i] == '"' || id[i] == '\\') out[o++] = '\\';
    out[o++] = id[i];
  }
  out[o++] = '"';
  return o;
}

static size_t put_i64(char *out, int64_t v) {
  char b[PG_I64_LEN];
  size_t n = strlen(pg__i64(b, v));
  memcpy(out, b, n);
  return n;
}

/* Fills the three literals for u[0..n) (n <= PG_USAGE_CHUNK). */
static void build_arrays(usage_arrays_t *a, const store_key_usage_t *u, int n) {
  size_t oi = 0, ou = 0, ol = 0;
  a->ids[oi++] = '{';
  a->uses[ou++] = '{';
  a->last[ol++] = '{';
  for (int i = 0; i < n; i++) {
    if (i > 0) {
      a->ids[oi++] = ',';
      a->uses[ou++] = ',';
      a->last[ol++] = ',';
    }
    oi += put_id(a->ids + oi, u[i].id, strnlen(u[i].id, RAND_ID_MAX));
    ou += put_i64(a->uses + ou, u[i].uses);
    ol += put_i64(a->last + ol, u[i].last_used_at);
  }
  a->ids[oi++] = '}';
  a->uses[ou++] = '}';
  a->last[ol++] = '}';
  a->ids[oi] = a->uses[ou] = a->last[ol] = '\0';
}

/* The statement matches each row once, so a repeated id would lose all
 * but one of its entries: store.c sorts and merges the batch (and the
 * sorted order is also the order rows are locked in). Checked here so a
 * caller that skips store.c fails loudly instead of undercounting. */
static bool sorted_unique(const store_key_usage_t *u, int n) {
  for (int i = 0; i < n; i++) {
    if (strnlen(u[i].id, RAND_ID_MAX) == RAND_ID_MAX) return false;
    if (i > 0 && strcmp(u[i - 1].id, u[i].id) >= 0) return false;
  }
  return true;
}

int pg__keyset_record_usage(pg_t *g, const pg_keyset_t *ks, const store_key_usage_t *u, int n) {
  pconn_t *pc;
  usage_arrays_t a;
  int rc;
  if (n <= 0) return n == 0 ? CUSTOS_OK : CUSTOS_EINVAL;
  if (!sorted_unique(u, n)) {
    log_msg(LOG_ERROR, "store: postgres: usage batch not sorted and merged");
    return CUSTOS_EINVAL;
  }
  int chunk = n < PG_USAGE_CHUNK ? n : PG_USAGE_CHUNK;
  /* Braces, separators and the NUL around at most `chunk` elements. */
  a.ids_cap = (size_t)chunk * ID_ELEM_MAX + 3;
  a.i64_cap = (size_t)chunk * I64_ELEM_MAX + 3;
  char *buf = malloc(a.ids_cap + 2 * a.i64_cap);
  if (!buf) return CUSTOS_ENOMEM;
  a.ids = buf;
  a.uses = buf + a.ids_cap;
  a.last = a.uses + a.i64_cap;
  if ((rc = pg__checkout(g, &pc))) goto done;
  /* One transaction for the whole flush, one statement per chunk. */
  if ((rc = pg__begin(pc))) goto out;
  for (int off = 0; off < n; off += chunk) {
    int m = n - off < chunk ? n - off : chunk;
    build_arrays(&a, u + off, m);
    const char *const params[] = {a.ids, a.uses, a.last};
    if ((rc = pg__exec(g, pc, ks->t, ks->usage, params))) goto fail;
  }
  if ((rc = pg__commit(pc))) goto fail;
  goto out;
fail:
  pg__rollback(pc);
out:
  pg__checkin(g, pc);
done:
  free(buf);
  return rc;
}
