#include "auth/keycache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "custos.h"

#define NEG_STRIPES 64
#define SLOTS_MIN 16
#define CHUNK_SHIFT 7                  /* entries are allocated 128 at a time */
#define CHUNK (1u << CHUNK_SHIFT)
#define ATTRS_BUCKETS_MIN 64
/* A slot is (tag << IDX_BITS) | (index + 1): 12 bits of hash that the home
 * position does not use, so a probe rarely touches a wrong entry, and 20
 * bits of index. */
#define IDX_BITS 20
#define IDX_MASK ((1u << IDX_BITS) - 1)
#define SHARD_MAX (IDX_MASK - 1) /* entries per shard */

_Static_assert(sizeof(keycache_entry_t) == 160, "keep keycache entries compact");

struct keycache_attrs {
  struct keycache_attrs *next; /* intern-table chain */
  uint32_t refs;               /* entries pointing here; freed at 0 */
  uint32_t hash;               /* FNV-1a of text */
  uint32_t len;                /* bytes of text, both NULs included */
  uint16_t kind_len;           /* strlen(kind); scopes start at text + kind_len + 1 */
  char text[];                 /* "kind\0scopes\0" */
};

struct keycache_shard {
  pthread_mutex_t mu;
  keycache_entry_t **chunks; /* entry i is chunks[i / CHUNK][i % CHUNK]; dense: 0..n */
  uint32_t *slots;     /* see IDX_BITS; 0 = empty */
  uint32_t n;          /* entries */
  uint32_t nchunks;    /* chunks allocated */
  uint32_t chunk_len;  /* entries per chunk: min(CHUNK, max) */
  uint32_t mask;       /* slots - 1; slots is a power of 2 (0 slots: mask 0, slots NULL) */
  uint32_t max;        /* bound on n */
  uint32_t hand;       /* CLOCK hand, an index into e */
  uint32_t gen;        /* bumped by invalidation */
  uint32_t dirty;      /* entries whose uses went from 0 since the last take */
} __attribute__((aligned(64)));

typedef struct neg_entry {
  unsigned char hash[STORE_KEY_HASH_LEN];
  int64_t until; /* 0 = empty */
} neg_entry_t;

typedef struct neg_stripe {
  pthread_mutex_t mu;
} __attribute__((aligned(64))) neg_stripe_t;

struct keycache {
  const char *prefix[KEYCACHE_NIDS]; /* id prefixes implied by each slot (static strings) */
  keycache_shard_t *shards; /* nshards, cache-line aligned */
  uint32_t nshards;         /* power of 2 */
  neg_entry_t *neg;         /* nsets * neg_ways */
  uint32_t nsets;           /* power of 2 */
  uint32_t neg_ways;        /* 1..KEYCACHE_NEG_WAYS */
  neg_stripe_t stripes[NEG_STRIPES];

  pthread_mutex_t attrs_mu;      /* guards the intern table */
  keycache_attrs_t **attrs_tab;  /* chained by hash */
  size_t attrs_buckets;          /* power of 2 */
  size_t attrs_count;

  pthread_mutex_t usage_mu;      /* guards the evicted-usage list */
  store_key_usage_t *usage;      /* uses of entries no longer cached */
  size_t usage_n, usage_cap;
  uint64_t usage_dropped;        /* records lost to KEYCACHE_USAGE_MAX or OOM */

  _Atomic size_t entries;        /* positive entries, all shards */
  _Atomic size_t bytes;          /* allocated bytes, see keycache_bytes() */
};

const char *const KEYCACHE_KEY_PREFIXES[KEYCACHE_NIDS] = {"key", "app", "acct", "env"};

static void bytes_add(keycache_t *c, size_t n) { atomic_fetch_add_explicit(&c->bytes, n, memory_order_relaxed); }
static void bytes_sub(keycache_t *c, size_t n) { atomic_fetch_sub_explicit(&c->bytes, n, memory_order_relaxed); }

static uint32_t load32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static uint32_t shard_of(const keycache_t *c, const unsigned char *hash) {
  return hash[0] & (c->nshards - 1);
}

/* --- ids ------------------------------------------------------------------ */

static int b62_val(unsigned char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'A' && ch <= 'Z') return ch - 'A' + 10;
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 36;
  return -1;
}

/* Packs "<prefix>_<22 base62>" into 17 bytes, 6 bits per digit. */
static bool id_pack(const char *id, const char *prefix, uint8_t out[KEYCACHE_ID_PACKED]) {
  size_t pl = strlen(prefix);
  if (strncmp(id, prefix, pl) != 0 || id[pl] != '_') return false;
  const char *d = id + pl + 1;
  if (strnlen(d, KEYCACHE_ID_DIGITS + 1) != KEYCACHE_ID_DIGITS) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < KEYCACHE_ID_DIGITS; i++) {
    int v = b62_val((unsigned char)d[i]);
    if (v < 0) return false;
    acc = ((acc << 6) | (uint32_t)v) & 0x3FFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  out[o] = (uint8_t)(acc << (8 - bits)); /* 132 bits: 4 left in the last byte */
  return true;
}

/* Digits by 6-bit value; 62 and 63 never occur in a packed id. */
static const char B64DIG[65] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz00";

static void id_unpack(const uint8_t in[KEYCACHE_ID_PACKED], const char *prefix, char out[RAND_ID_MAX]) {
  size_t pl = strlen(prefix);
  memcpy(out, prefix, pl); // NOLINT(bugprone-not-null-terminated-result): terminated below, after the digits
  out[pl] = '_';
  char *d = out + pl + 1;
  /* 3 bytes → 4 digits, five times (20 digits), then 12 bits → 2. */
  for (int g = 0; g < 5; g++) {
    uint32_t v = (uint32_t)in[3 * g] << 16 | (uint32_t)in[3 * g + 1] << 8 | in[3 * g + 2];
    d[4 * g] = B64DIG[v >> 18];
    d[4 * g + 1] = B64DIG[(v >> 12) & 0x3F];
    d[4 * g + 2] = B64DIG[(v >> 6) & 0x3F];
    d[4 * g + 3] = B64DIG[v & 0x3F];
  }
  uint32_t v = (uint32_t)in[15] << 8 | in[16];
  d[20] = B64DIG[v >> 10];
  d[21] = B64DIG[(v >> 4) & 0x3F];
  d[KEYCACHE_ID_DIGITS] = '\0';
}

void keycache_entry_id(const keycache_t *c, const keycache_entry_t *e, enum keycache_id which,
                       char out[RAND_ID_MAX]) {
  id_unpack(e->ids[which], c->prefix[which], out);
}

/* --- interned attributes --------------------------------------------------- */

const char *keycache_attrs_kind(const keycache_attrs_t *a) { return a->text; }
const char *keycache_attrs_scopes(const keycache_attrs_t *a) { return a->text + a->kind_len + 1; }

static uint32_t fnv1a(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
  return h;
}

static size_t attrs_size(const keycache_attrs_t *a) { return sizeof *a + a->len; }

/* Grows the table when it averages more than one entry per bucket.
 * Failure only costs longer chains. Caller holds attrs_mu. */
static void attrs_grow(keycache_t *c) {
  size_t old = c->attrs_tab ? c->attrs_buckets : 0; /* 0 buckets while there is no table */
  size_t nb = old ? old * 2 : ATTRS_BUCKETS_MIN;
  keycache_attrs_t **t = calloc(nb, sizeof *t); // NOLINT(bugprone-sizeof-expression): a table of pointers
  if (!t) return;
  for (size_t i = 0; i < old; i++) {
    keycache_attrs_t *a = c->attrs_tab[i];
    while (a) {
      keycache_attrs_t *next = a->next;
      a->next = t[a->hash & (nb - 1)];
      t[a->hash & (nb - 1)] = a;
      a = next;
    }
  }
  free(c->attrs_tab);
  bytes_sub(c, old * sizeof *t); // NOLINT(bugprone-sizeof-expression): a table of pointers
  bytes_add(c, nb * sizeof *t); // NOLINT(bugprone-sizeof-expression): a table of pointers
  c->attrs_tab = t;
  c->attrs_buckets = nb;
}

/* A counted reference to the interned (kind, scopes), or NULL on OOM. */
static keycache_attrs_t *attrs_get(keycache_t *c, const char *kind, const char *scopes) {
  size_t kl = strnlen(kind, STORE_KEY_KIND_MAX - 1);
  size_t sl = strnlen(scopes, STORE_SCOPES_MAX - 1);
  size_t len = kl + 1 + sl + 1;
  char text[STORE_KEY_KIND_MAX + STORE_SCOPES_MAX];
  memcpy(text, kind, kl);
  text[kl] = '\0';
  memcpy(text + kl + 1, scopes, sl);
  text[kl + 1 + sl] = '\0';
  uint32_t h = fnv1a(text, len);

  keycache_attrs_t *a = NULL;
  pthread_mutex_lock(&c->attrs_mu);
  if (c->attrs_tab) {
    for (a = c->attrs_tab[h & (c->attrs_buckets - 1)]; a; a = a->next) {
      if (a->hash == h && a->len == len && memcmp(a->text, text, len) == 0) break;
    }
  }
  if (a) {
    a->refs++;
  } else if ((c->attrs_tab || (attrs_grow(c), c->attrs_tab)) &&
             (a = malloc(sizeof *a + len)) != NULL) {
    a->refs = 1;
    a->hash = h;
    a->len = (uint32_t)len;
    a->kind_len = (uint16_t)kl;
    memcpy(a->text, text, len);
    a->next = c->attrs_tab[h & (c->attrs_buckets - 1)];
    c->attrs_tab[h & (c->attrs_buckets - 1)] = a;
    bytes_add(c, attrs_size(a));
    if (++c->attrs_count > c->attrs_buckets) attrs_grow(c);
  }
  pthread_mutex_unlock(&c->attrs_mu);
  return a;
}

static void attrs_put(keycache_t *c, const keycache_attrs_t *ca) {
  keycache_attrs_t *a = (keycache_attrs_t *)ca;
  pthread_mutex_lock(&c->attrs_mu);
  if (--a->refs == 0) {
    keycache_attrs_t **pp = &c->attrs_tab[a->hash & (c->attrs_buckets - 1)];
    while (*pp != a) pp = &(*pp)->next;
    *pp = a->next;
    c->attrs_count--;
    bytes_sub(c, attrs_size(a));
    free(a);
  }
  pthread_mutex_unlock(&c->attrs_mu);
}

/* --- usage of entries that left the cache ---------------------------------- */

static void usage_push(keycache_t *c, const store_key_usage_t *u, size_t n) {
  pthread_mutex_lock(&c->usage_mu);
  for (size_t i = 0; i < n; i++) {
    if (c->usage_n == c->usage_cap) {
      size_t nc = c->usage_cap ? c->usage_cap * 2 : 64;
      store_key_usage_t *p = NULL;
      if (nc <= KEYCACHE_USAGE_MAX) p = realloc(c->usage, nc * sizeof *p);
      if (!p) {
        c->usage_dropped += n - i;
        log_msg(LOG_WARN, "keycache: %zu usage records dropped (pending list full)", n - i);
        break;
      }
      bytes_add(c, (nc - c->usage_cap) * sizeof *p);
      c->usage = p;
      c->usage_cap = nc;
    }
    c->usage[c->usage_n++] = u[i];
  }
  pthread_mutex_unlock(&c->usage_mu);
}

void keycache_return_usage(keycache_t *c, const store_key_usage_t *u, size_t n) {
  if (c && u && n) usage_push(c, u, n);
}

static void entry_usage(const keycache_t *c, const keycache_entry_t *e, store_key_usage_t *u) {
  keycache_entry_id(c, e, KEYCACHE_KEY, u->id);
  u->last_used_at = e->last_used_at;
  u->uses = e->uses;
}

/* --- the index -------------------------------------------------------------
 * Entries sit densely in fixed-size chunks (a removal moves the last entry
 * into the hole), so the only slack is the unfilled part of the last chunk;
 * the index maps hashes to entry numbers. */

static keycache_entry_t *E(const keycache_shard_t *sh, uint32_t i) {
  return &sh->chunks[i >> CHUNK_SHIFT][i & (CHUNK - 1)];
}

/* Home position: hash bits 32..63. Tag: the top 12 bits of bits 64..95. */
static uint32_t home_of(const keycache_shard_t *sh, const unsigned char *hash) {
  return load32(hash + 4) & sh->mask;
}
static uint32_t tag_of(const unsigned char *hash) { return load32(hash + 8) >> IDX_BITS; }

static void slot_insert(keycache_shard_t *sh, const unsigned char *hash, uint32_t idx) {
  uint32_t i = home_of(sh, hash);
  while (sh->slots[i]) i = (i + 1) & sh->mask;
  sh->slots[i] = (tag_of(hash) << IDX_BITS) | (idx + 1);
}

static uint32_t slot_idx(uint32_t slot) { return (slot & IDX_MASK) - 1; }

/* Position in slots of the slot pointing at entry `idx`. */
static uint32_t slot_find_idx(const keycache_shard_t *sh, uint32_t idx) {
  uint32_t i = home_of(sh, E(sh, idx)->hash);
  while ((sh->slots[i] & IDX_MASK) != idx + 1) i = (i + 1) & sh->mask;
  return i;
}

/* Linear-probing deletion without tombstones: later slots of the run move
 * back into the hole when their home does not lie between hole and slot. */
static void slot_delete(keycache_shard_t *sh, uint32_t i) {
  uint32_t j = i;
  for (;;) {
    j = (j + 1) & sh->mask;
    uint32_t s = sh->slots[j];
    if (!s) break;
    uint32_t k = home_of(sh, E(sh, slot_idx(s))->hash);
    if (((j - k) & sh->mask) >= ((j - i) & sh->mask)) {
      sh->slots[i] = s;
      i = j;
    }
  }
  sh->slots[i] = 0;
}

/* Doubles the index and re-inserts every entry. Caller holds the shard. */
static int index_grow(keycache_t *c, keycache_shard_t *sh) {
  uint32_t nslots = sh->slots ? (sh->mask + 1) * 2 : SLOTS_MIN;
  uint32_t *ns = calloc(nslots, sizeof *ns);
  if (!ns) return CUSTOS_ENOMEM;
  if (sh->slots) {
    free(sh->slots);
    bytes_sub(c, (size_t)(sh->mask + 1) * sizeof *ns);
  }
  bytes_add(c, (size_t)nslots * sizeof *ns);
  sh->slots = ns;
  sh->mask = nslots - 1;
  for (uint32_t k = 0; k < sh->n; k++) slot_insert(sh, E(sh, k)->hash, k);
  return CUSTOS_OK;
}

/* Room for entry number sh->n. */
static int chunk_reserve(keycache_t *c, keycache_shard_t *sh) {
  if ((sh->n >> CHUNK_SHIFT) < sh->nchunks) return CUSTOS_OK;
  keycache_entry_t **nc = realloc(sh->chunks, (sh->nchunks + 1) * sizeof *nc); // NOLINT(bugprone-sizeof-expression): a table of pointers
  if (!nc) return CUSTOS_ENOMEM;
  sh->chunks = nc;
  nc[sh->nchunks] = malloc((size_t)sh->chunk_len * sizeof(keycache_entry_t));
  if (!nc[sh->nchunks]) return CUSTOS_ENOMEM;
  sh->nchunks++;
  bytes_add(c, (size_t)sh->chunk_len * sizeof(keycache_entry_t) + sizeof *nc); // NOLINT(bugprone-sizeof-expression): a table of pointers
  return CUSTOS_OK;
}

/* Frees the last chunk once a whole chunk more than needed is empty. */
static void chunk_trim(keycache_t *c, keycache_shard_t *sh) {
  while (sh->nchunks >= 2 && sh->n <= (sh->nchunks - 2) * CHUNK) {
    free(sh->chunks[--sh->nchunks]);
    bytes_sub(c, (size_t)sh->chunk_len * sizeof(keycache_entry_t) + sizeof *sh->chunks); // NOLINT(bugprone-sizeof-expression): a table of pointers
  }
}

/* Removes entry `idx`; its pending uses go to the usage list. The last
 * entry moves into its place to keep the array dense. */
static void entry_remove(keycache_t *c, keycache_shard_t *sh, uint32_t idx) {
  keycache_entry_t *e = E(sh, idx);
  if (e->uses) {
    store_key_usage_t u;
    entry_usage(c, e, &u);
    usage_push(c, &u, 1);
  }
  attrs_put(c, e->attrs);
  slot_delete(sh, slot_find_idx(sh, idx));
  uint32_t last = sh->n - 1;
  if (idx != last) {
    uint32_t pos = slot_find_idx(sh, last);
    *e = *E(sh, last);
    sh->slots[pos] = (sh->slots[pos] & ~IDX_MASK) | (idx + 1);
  }
  sh->n--;
  chunk_trim(c, sh);
  atomic_fetch_sub_explicit(&c->entries, 1, memory_order_relaxed);
}

/* CLOCK: clear reference bits until an entry without one comes up. New
 * entries start without the bit, so a scan of one-off keys evicts itself
 * rather than the keys in use. */
static void evict_one(keycache_t *c, keycache_shard_t *sh) {
  for (;;) {
    if (sh->hand >= sh->n) sh->hand = 0;
    keycache_entry_t *e = E(sh, sh->hand);
    if (e->flags & KEYCACHE_F_REF) {
      e->flags &= (uint8_t)~KEYCACHE_F_REF;
      sh->hand++;
    } else {
      entry_remove(c, sh, sh->hand);
      return;
    }
  }
}

static int find_idx(const keycache_shard_t *sh, const unsigned char *hash, uint32_t *idx_out) {
  if (!sh->slots) return 0;
  uint32_t tag = tag_of(hash);
  for (uint32_t i = home_of(sh, hash);; i = (i + 1) & sh->mask) {
    uint32_t s = sh->slots[i];
    if (!s) return 0;
    if ((s >> IDX_BITS) == tag) {
      uint32_t idx = slot_idx(s);
      if (CRYPTO_memcmp(E(sh, idx)->hash, hash, STORE_KEY_HASH_LEN) == 0) {
        *idx_out = idx;
        return 1;
      }
    }
  }
}

/* --- lifecycle ------------------------------------------------------------- */

keycache_t *keycache_new(size_t max_entries, size_t negative_max) {
  return keycache_new_ids(max_entries, negative_max, KEYCACHE_KEY_PREFIXES);
}

keycache_t *keycache_new_ids(size_t max_entries, size_t negative_max, const char *const prefixes[KEYCACHE_NIDS]) {
  if (max_entries == 0 || negative_max == 0 || !prefixes) return NULL;
  if (max_entries > (size_t)KEYCACHE_SHARDS * SHARD_MAX) return NULL;
  for (int i = 0; i < KEYCACHE_NIDS; i++)
    if (!prefixes[i] || strlen(prefixes[i]) + 1 + KEYCACHE_ID_DIGITS >= RAND_ID_MAX) return NULL;
  keycache_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  for (int i = 0; i < KEYCACHE_NIDS; i++) c->prefix[i] = prefixes[i];
  c->nshards = KEYCACHE_SHARDS;
  while (c->nshards > max_entries) c->nshards /= 2;
  c->shards = aligned_alloc(64, sizeof(keycache_shard_t) * c->nshards);
  c->neg_ways = negative_max < KEYCACHE_NEG_WAYS ? (uint32_t)negative_max : KEYCACHE_NEG_WAYS;
  c->nsets = 1;
  while ((size_t)c->nsets * 2 * c->neg_ways <= negative_max && c->nsets < (1u << 30)) c->nsets *= 2;
  c->neg = calloc((size_t)c->nsets * c->neg_ways, sizeof *c->neg);
  if (!c->shards || !c->neg) {
    free(c->shards);
    free(c->neg);
    free(c);
    return NULL;
  }
  memset(c->shards, 0, sizeof(keycache_shard_t) * c->nshards);
  for (uint32_t i = 0; i < c->nshards; i++) {
    pthread_mutex_init(&c->shards[i].mu, NULL);
    c->shards[i].max = (uint32_t)(max_entries / c->nshards);
    c->shards[i].chunk_len = c->shards[i].max < CHUNK ? c->shards[i].max : CHUNK;
  }
  for (int i = 0; i < NEG_STRIPES; i++) pthread_mutex_init(&c->stripes[i].mu, NULL);
  pthread_mutex_init(&c->attrs_mu, NULL);
  pthread_mutex_init(&c->usage_mu, NULL);
  atomic_init(&c->entries, 0);
  atomic_init(&c->bytes, sizeof *c + sizeof(keycache_shard_t) * c->nshards +
                             (size_t)c->nsets * c->neg_ways * sizeof *c->neg);
  return c;
}

void keycache_free(keycache_t *c) {
  if (!c) return;
  for (uint32_t i = 0; i < c->nshards; i++) {
    keycache_shard_t *sh = &c->shards[i];
    for (uint32_t k = 0; k < sh->nchunks; k++) free(sh->chunks[k]);
    free(sh->chunks);
    free(sh->slots);
    pthread_mutex_destroy(&sh->mu);
  }
  for (size_t i = 0; i < c->attrs_buckets; i++) {
    keycache_attrs_t *a = c->attrs_tab[i];
    while (a) {
      keycache_attrs_t *next = a->next;
      free(a);
      a = next;
    }
  }
  for (int i = 0; i < NEG_STRIPES; i++) pthread_mutex_destroy(&c->stripes[i].mu);
  pthread_mutex_destroy(&c->attrs_mu);
  pthread_mutex_destroy(&c->usage_mu);
  free(c->attrs_tab);
  free(c->usage);
  free(c->shards);
  free(c->neg);
  free(c);
}

/* --- positive cache -------------------------------------------------------- */

keycache_shard_t *keycache_lock(keycache_t *c, const unsigned char hash[STORE_KEY_HASH_LEN]) {
  keycache_shard_t *sh = &c->shards[shard_of(c, hash)];
  pthread_mutex_lock(&sh->mu);
  return sh;
}

void keycache_unlock(keycache_shard_t *sh) { pthread_mutex_unlock(&sh->mu); }

uint32_t keycache_gen(const keycache_shard_t *sh) { return sh->gen; }

keycache_entry_t *keycache_find(keycache_shard_t *sh, const unsigned char hash[STORE_KEY_HASH_LEN]) {
  uint32_t idx;
  if (!find_idx(sh, hash, &idx)) return NULL;
  keycache_entry_t *e = E(sh, idx);
  e->flags |= KEYCACHE_F_REF;
  return e;
}

/* Copies the store's view of the key into `e`, leaving the counters. */
static void entry_load(keycache_entry_t *e, const store_api_key_t *k, const keycache_attrs_t *attrs,
                       const uint8_t ids[KEYCACHE_NIDS][KEYCACHE_ID_PACKED], int64_t now) {
  memcpy(e->hash, k->hash, STORE_KEY_HASH_LEN);
  e->expires_at = k->expires_at;
  e->grace_until = k->grace_until;
  e->loaded_at = now;
  e->attrs = attrs;
  e->flags = (uint8_t)((e->flags & KEYCACHE_F_REF) | (k->revoked_at ? KEYCACHE_F_REVOKED : 0));
  memcpy(e->ids, ids, sizeof e->ids);
}

int keycache_put(keycache_t *c, keycache_shard_t *sh, const store_api_key_t *k, int64_t now,
                 keycache_entry_t **out) {
  uint8_t ids[KEYCACHE_NIDS][KEYCACHE_ID_PACKED];
  const char *src[KEYCACHE_NIDS] = {k->id, k->app_id, k->account_id, k->environment_id};
  for (int i = 0; i < KEYCACHE_NIDS; i++) {
    if (!id_pack(src[i], c->prefix[i], ids[i])) return CUSTOS_EINVAL;
  }
  keycache_attrs_t *attrs = attrs_get(c, k->kind, k->scopes);
  if (!attrs) return CUSTOS_ENOMEM;

  uint32_t idx;
  if (find_idx(sh, k->hash, &idx)) {
    keycache_entry_t *e = E(sh, idx);
    attrs_put(c, e->attrs);
    entry_load(e, k, attrs, ids, now);
    *out = e;
    return CUSTOS_OK;
  }

  if (sh->n >= sh->max) evict_one(c, sh);
  if (chunk_reserve(c, sh)) goto nomem;
  /* Load factor at most 0.8: probes stay short (successful ~3 on average at
   * the worst point), slots cost 5..10 bytes per entry. */
  if (!sh->slots || (uint64_t)(sh->n + 1) * 5 > (uint64_t)(sh->mask + 1) * 4) {
    if (index_grow(c, sh)) goto nomem;
  }
  keycache_entry_t *e = E(sh, sh->n);
  memset(e, 0, sizeof *e);
  entry_load(e, k, attrs, ids, now);
  slot_insert(sh, e->hash, sh->n);
  sh->n++;
  atomic_fetch_add_explicit(&c->entries, 1, memory_order_relaxed);
  *out = e;
  return CUSTOS_OK;

nomem:
  attrs_put(c, attrs);
  return CUSTOS_ENOMEM;
}

void keycache_count_use(keycache_shard_t *sh, keycache_entry_t *e, int64_t now) {
  if (e->uses == 0) sh->dirty++;
  if (e->uses != UINT32_MAX) e->uses++;
  if (now > e->last_used_at) e->last_used_at = now;
}

/* --- negative cache -------------------------------------------------------- */

static neg_entry_t *neg_set(keycache_t *c, const unsigned char *hash, pthread_mutex_t **mu) {
  uint32_t set = load32(hash + 12) & (c->nsets - 1);
  *mu = &c->stripes[set & (NEG_STRIPES - 1)].mu;
  return &c->neg[(size_t)set * c->neg_ways];
}

bool keycache_neg_has(keycache_t *c, const unsigned char hash[STORE_KEY_HASH_LEN], int64_t now) {
  pthread_mutex_t *mu;
  neg_entry_t *set = neg_set(c, hash, &mu);
  bool hit = false;
  pthread_mutex_lock(mu);
  for (uint32_t w = 0; w < c->neg_ways; w++) {
    if (set[w].until && CRYPTO_memcmp(set[w].hash, hash, STORE_KEY_HASH_LEN) == 0) {
      hit = now < set[w].until;
      break;
    }
  }
  pthread_mutex_unlock(mu);
  return hit;
}

void keycache_neg_add(keycache_t *c, const unsigned char hash[STORE_KEY_HASH_LEN], int64_t now,
                      int64_t until) {
  pthread_mutex_t *mu;
  neg_entry_t *set = neg_set(c, hash, &mu);
  pthread_mutex_lock(mu);
  neg_entry_t *victim = &set[0];
  for (uint32_t w = 0; w < c->neg_ways; w++) {
    neg_entry_t *n = &set[w];
    if (n->until && CRYPTO_memcmp(n->hash, hash, STORE_KEY_HASH_LEN) == 0) {
      victim = n;
      break;
    }
    /* Prefer an empty or expired way, else the one expiring first. */
    bool n_free = n->until == 0 || n->until <= now;
    bool v_free = victim->until == 0 || victim->until <= now;
    if ((n_free && !v_free) || (n_free == v_free && !v_free && n->until < victim->until)) victim = n;
  }
  memcpy(victim->hash, hash, STORE_KEY_HASH_LEN);
  victim->until = until;
  pthread_mutex_unlock(mu);
}

static void neg_remove(keycache_t *c, const unsigned char *hash) {
  pthread_mutex_t *mu;
  neg_entry_t *set = neg_set(c, hash, &mu);
  pthread_mutex_lock(mu);
  for (uint32_t w = 0; w < c->neg_ways; w++) {
    if (set[w].until && CRYPTO_memcmp(set[w].hash, hash, STORE_KEY_HASH_LEN) == 0) {
      memset(&set[w], 0, sizeof set[w]);
    }
  }
  pthread_mutex_unlock(mu);
}

/* --- invalidation ---------------------------------------------------------- */

bool keycache_remove(keycache_t *c, const unsigned char hash[STORE_KEY_HASH_LEN]) {
  keycache_shard_t *sh = keycache_lock(c, hash);
  uint32_t idx;
  bool found = find_idx(sh, hash, &idx);
  if (found) entry_remove(c, sh, idx);
  sh->gen++;
  keycache_unlock(sh);
  neg_remove(c, hash);
  return found;
}

void keycache_clear(keycache_t *c) {
  for (uint32_t i = 0; i < c->nshards; i++) {
    keycache_shard_t *sh = &c->shards[i];
    pthread_mutex_lock(&sh->mu);
    while (sh->n) entry_remove(c, sh, sh->n - 1);
    sh->hand = 0;
    sh->gen++;
    pthread_mutex_unlock(&sh->mu);
  }
  for (uint32_t s = 0; s < c->nsets; s++) {
    pthread_mutex_t *mu = &c->stripes[s & (NEG_STRIPES - 1)].mu;
    pthread_mutex_lock(mu);
    memset(&c->neg[(size_t)s * c->neg_ways], 0, c->neg_ways * sizeof *c->neg);
    pthread_mutex_unlock(mu);
  }
}

/* --- usage ----------------------------------------------------------------- */

int keycache_take_usage(keycache_t *c, store_key_usage_t **out, size_t *n_out) {
  store_key_usage_t *v = NULL;
  size_t n = 0, cap = 0;

  /* Evicted first: take the whole list. */
  pthread_mutex_lock(&c->usage_mu);
  v = c->usage;
  n = c->usage_n;
  cap = c->usage_cap;
  c->usage = NULL;
  c->usage_n = c->usage_cap = 0;
  pthread_mutex_unlock(&c->usage_mu);
  bytes_sub(c, cap * sizeof *v);

  for (uint32_t i = 0; i < c->nshards; i++) {
    keycache_shard_t *sh = &c->shards[i];
    pthread_mutex_lock(&sh->mu);
    if (sh->dirty) {
      for (uint32_t k = 0; k < sh->n; k++) {
        keycache_entry_t *e = E(sh, k);
        if (!e->uses) continue;
        if (n == cap) {
          size_t nc = cap ? cap * 2 : 64;
          store_key_usage_t *p = realloc(v, nc * sizeof *p);
          if (!p) {
            /* Leave the rest counted in their entries for next time. */
            pthread_mutex_unlock(&sh->mu);
            goto done;
          }
          v = p;
          cap = nc;
        }
        entry_usage(c, e, &v[n++]);
        e->uses = 0;
      }
      sh->dirty = 0;
    }
    pthread_mutex_unlock(&sh->mu);
  }
done:
  if (n == 0) {
    free(v);
    v = NULL;
  }
  *out = v;
  *n_out = n;
  return CUSTOS_OK;
}

size_t keycache_entries(const keycache_t *c) {
  return c ? atomic_load_explicit(&c->entries, memory_order_relaxed) : 0;
}

size_t keycache_bytes(const keycache_t *c) {
  return c ? atomic_load_explicit(&c->bytes, memory_order_relaxed) : 0;
}
