#include "lib/token_cache.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"
#include "lib/claims.h"

#define NIL UINT32_MAX  /* end of a hash chain, or a free ring slot */

typedef struct entry {
  unsigned char key[TOKEN_CACHE_KEY_LEN];
  uint64_t gen;          /* key-set generation */
  int64_t expires;       /* Unix seconds; valid while now < expires */
  custos_claims_t *claims; /* owned reference; NULL = slot empty */
  uint32_t next;         /* next entry in the same bucket, or NIL */
} entry_t;

typedef struct shard {
  pthread_mutex_t lock;
  uint32_t cap;          /* entries in ring */
  uint32_t head;         /* next ring slot to (re)use: the oldest entry */
  uint32_t count;        /* occupied ring slots */
  uint32_t nbuckets;     /* power of two, >= cap */
  uint32_t *buckets;     /* first entry index per bucket, or NIL */
  entry_t *ring;         /* cap entries */
} shard_t;

struct token_cache {
  const EVP_MD *sha256;  /* fetched once; EVP_MD is shareable */
  int64_t ttl;           /* seconds */
  size_t nshards;
  shard_t shards[TOKEN_CACHE_MAX_SHARDS];
};

static uint32_t pow2_at_least(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

/* The digest is uniformly distributed: its bytes can index directly. */
static uint32_t bytes_u32(const unsigned char *k) {
  return (uint32_t)k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24;
}

token_cache_t *token_cache_new(size_t capacity, int64_t ttl) {
  if (capacity == 0 || capacity > UINT32_MAX / 4 || ttl < 1) return NULL;
  token_cache_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->ttl = ttl;
  c->nshards = capacity >= 256 ? TOKEN_CACHE_MAX_SHARDS : 1;
  for (size_t i = 0; i < c->nshards; i++) {
    shard_t *s = &c->shards[i];
    s->cap = (uint32_t)((capacity + c->nshards - 1 - i) / c->nshards); /* sums to capacity */
    s->nbuckets = pow2_at_least(s->cap);
    s->buckets = malloc(s->nbuckets * sizeof *s->buckets);
    s->ring = calloc(s->cap, sizeof *s->ring);
    if (!s->buckets || !s->ring || pthread_mutex_init(&s->lock, NULL) != 0) {
      free(s->buckets);
      free(s->ring);
      s->buckets = NULL;
      s->ring = NULL;
      c->nshards = i;
      token_cache_free(c);
      return NULL;
    }
    memset(s->buckets, 0xff, s->nbuckets * sizeof *s->buckets);
  }
  if (!(c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL))) {
    ERR_clear_error();
    token_cache_free(c);
    return NULL;
  }
  return c;
}

void token_cache_free(token_cache_t *c) {
  if (!c) return;
  for (size_t i = 0; i < c->nshards; i++) {
    shard_t *s = &c->shards[i];
    for (uint32_t j = 0; j < s->cap; j++) custos_claims_free(s->ring[j].claims);
    free(s->ring);
    free(s->buckets);
    pthread_mutex_destroy(&s->lock);
  }
  EVP_MD_free((EVP_MD *)c->sha256);
  free(c);
}

int token_cache_key(const token_cache_t *c, const char *token, size_t len,
                    unsigned char key[TOKEN_CACHE_KEY_LEN]) {
  unsigned int n = 0;
  if (EVP_Digest(token, len, key, &n, c->sha256, NULL) != 1 || n != TOKEN_CACHE_KEY_LEN) {
    ERR_clear_error();
    return CUSTOS_ECRYPTO;
  }
  return CUSTOS_OK;
}

static shard_t *shard_of(token_cache_t *c, const unsigned char *key) {
  return &c->shards[key[4] % c->nshards];
}

/* Index of the entry for `key` in `s`, NIL if none; *prevp gets the link
 * that points at it (for unlinking). Caller holds the lock. */
static uint32_t find(shard_t *s, const unsigned char *key, uint32_t **prevp) {
  uint32_t *link = &s->buckets[bytes_u32(key) & (s->nbuckets - 1)];
  while (*link != NIL) {
    entry_t *e = &s->ring[*link];
    if (memcmp(e->key, key, TOKEN_CACHE_KEY_LEN) == 0) {
      if (prevp) *prevp = link;
      return *link;
    }
    link = &e->next;
  }
  return NIL;
}

/* Removes entry `i` from its chain and empties it. Caller holds the lock. */
static void drop(shard_t *s, uint32_t i) {
  entry_t *e = &s->ring[i];
  uint32_t *link = NULL;
  if (!e->claims) return;
  uint32_t j = find(s, e->key, &link);
  if (j != NIL && j == i) *link = e->next; /* find set link: it found the entry */
  custos_claims_free(e->claims);
  e->claims = NULL;
  e->next = NIL;
  s->count--;
}

custos_claims_t *token_cache_get(token_cache_t *c, const unsigned char key[TOKEN_CACHE_KEY_LEN],
                        uint64_t gen, int64_t now) {
  shard_t *s = shard_of(c, key);
  custos_claims_t *out = NULL;
  pthread_mutex_lock(&s->lock);
  uint32_t i = find(s, key, NULL);
  if (i != NIL) {
    entry_t *e = &s->ring[i];
    if (now < e->expires && e->gen == gen)
      out = claims_ref(e->claims);
    else
      drop(s, i);
  }
  pthread_mutex_unlock(&s->lock);
  return out;
}

void token_cache_put(token_cache_t *c, const unsigned char key[TOKEN_CACHE_KEY_LEN],
                     uint64_t gen, int64_t now, bool has_exp, double exp,
                     custos_claims_t *claims) {
  int64_t expires = now + c->ttl;
  if (has_exp) {
    /* Entry valid while now < expires: truncating a fractional exp (which
     * is positive here, so truncation is floor) stays at or before it. */
    if (!(exp > (double)now)) return; /* also refuses NaN */
    if (exp < (double)expires) expires = (int64_t)exp;
  }
  if (expires <= now) return;
  shard_t *s = shard_of(c, key);
  pthread_mutex_lock(&s->lock);
  uint32_t i = find(s, key, NULL);
  if (i != NIL) { /* same token again (two threads raced): refresh in place */
    entry_t *e = &s->ring[i];
    custos_claims_free(e->claims);
    e->claims = claims_ref(claims);
    e->gen = gen;
    e->expires = expires;
    pthread_mutex_unlock(&s->lock);
    return;
  }
  /* FIFO: reuse the oldest slot; it is empty or the oldest entry. */
  i = s->head;
  drop(s, i);
  entry_t *e = &s->ring[i];
  memcpy(e->key, key, TOKEN_CACHE_KEY_LEN);
  e->gen = gen;
  e->expires = expires;
  e->claims = claims_ref(claims);
  uint32_t *b = &s->buckets[bytes_u32(key) & (s->nbuckets - 1)];
  e->next = *b;
  *b = i;
  s->count++;
  s->head = (s->head + 1) % s->cap;
  pthread_mutex_unlock(&s->lock);
}

size_t token_cache_size(token_cache_t *c) {
  size_t n = 0;
  for (size_t i = 0; i < c->nshards; i++) {
    pthread_mutex_lock(&c->shards[i].lock);
    n += c->shards[i].count;
    pthread_mutex_unlock(&c->shards[i].lock);
  }
  return n;
}
