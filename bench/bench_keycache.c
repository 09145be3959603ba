/*
 * bench_keycache — memory and hit cost of the API-key cache.
 *
 *   bench_keycache [--entries N] [--threads T] [--seconds S] [--verify-keys K]
 *
 * 1. Inserts N (default 1,000,000) synthetic keys straight into a keycache
 *    sized like keycheck's default, as the store would return them (four
 *    rand_id-shaped ids, kind "api_key", one of 16 scope strings), and
 *    prints the cache's own byte count and the process RSS growth.
 * 2. Hits those entries from T threads (default 8) for S seconds (default
 *    2): lock shard, find, count the use — what a cached check costs in the
 *    cache itself.
 * 3. Runs the whole keycheck_verify() path (shape, checksum, SHA-256, cache,
 *    rate limit, result copy) on K (default 1000) real keys in an in-memory
 *    SQLite store, from T threads, after warming the cache.
 *
 * Output: one "name value" pair per line, for bench/keys.sh.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/apikey.h"
#include "auth/keycache.h"
#include "auth/keycheck.h"
#include "custos.h"
#include "store/store.h"

#define NOW 1700000000LL

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* The synthetic hash of key number i: any well-mixed 32 bytes do. */
static void synth_hash(uint64_t i, unsigned char h[STORE_KEY_HASH_LEN]) {
  uint64_t x = i * 4 + 1;
  for (int k = 0; k < 4; k++) {
    uint64_t v = splitmix(&x);
    memcpy(h + 8 * k, &v, 8);
  }
}

static void synth_id(uint64_t *x, const char *prefix, char out[RAND_ID_MAX]) {
  size_t pl = strlen(prefix);
  memcpy(out, prefix, pl);
  out[pl] = '_';
  for (int i = 0; i < 22; i++) out[pl + 1 + i] = B62[splitmix(x) % 62];
  out[pl + 23] = '\0';
}

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  }
  fclose(f);
  return kb < 0 ? -1 : kb * 1024;
}

/* --- cache hits ------------------------------------------------------------ */

typedef struct hit_arg {
  keycache_t *c;
  uint64_t n;      /* entries to pick from */
  double seconds;
  int id;
  uint64_t ops;    /* out */
  uint64_t missed; /* out: must stay 0 */
} hit_arg_t;

static atomic_int g_go;

static void *hit_run(void *p) {
  hit_arg_t *a = p;
  uint64_t x = (uint64_t)a->id * 7919 + 3, ops = 0;
  unsigned char h[STORE_KEY_HASH_LEN];
  while (!atomic_load(&g_go)) {
  }
  double end = mono_s() + a->seconds;
  while (mono_s() < end) {
    for (int k = 0; k < 1024; k++) {
      synth_hash(splitmix(&x) % a->n, h);
      keycache_shard_t *sh = keycache_lock(a->c, h);
      keycache_entry_t *e = keycache_find(sh, h);
      if (e) keycache_count_use(sh, e, NOW);
      else a->missed++;
      keycache_unlock(sh);
    }
    ops += 1024;
  }
  a->ops = ops;
  return NULL;
}

/* The cost of synth_hash + splitmix alone, subtracted from the above. */
static double synth_cost_ns(uint64_t n) {
  uint64_t x = 1;
  unsigned char h[STORE_KEY_HASH_LEN];
  volatile unsigned char sink = 0;
  int iters = 2000000;
  double t0 = mono_s();
  for (int i = 0; i < iters; i++) {
    synth_hash(splitmix(&x) % n, h);
    sink ^= h[5];
  }
  (void)sink;
  return (mono_s() - t0) * 1e9 / iters;
}

/* --- full verify ----------------------------------------------------------- */

typedef struct verify_arg {
  keycheck_t *kc;
  char (*keys)[APIKEY_TEXT_MAX];
  int nkeys;
  double seconds;
  int id;
  uint64_t ops, failed; /* out */
} verify_arg_t;

static void *verify_run(void *p) {
  verify_arg_t *a = p;
  uint64_t x = (uint64_t)a->id * 104729 + 11, ops = 0;
  while (!atomic_load(&g_go)) {
  }
  double end = mono_s() + a->seconds;
  while (mono_s() < end) {
    for (int k = 0; k < 256; k++) {
      const char *key = a->keys[splitmix(&x) % (uint64_t)a->nkeys];
      keycheck_result_t r;
      if (keycheck_verify(a->kc, key, strlen(key), NOW, &r) != CUSTOS_OK) a->failed++;
    }
    ops += 256;
  }
  a->ops = ops;
  return NULL;
}

static int bench_verify(int nkeys, int threads, double seconds) {
  store_t *s = NULL;
  char err[256];
  int applied = 0, n = 0, rc = 1;
  store_account_t acct;
  store_app_t app;
  store_environment_t envs[4];
  keycheck_t *kc = NULL;
  char (*keys)[APIKEY_TEXT_MAX] = calloc((size_t)nkeys, APIKEY_TEXT_MAX);
  if (!keys) return 1;
  if (store_open("sqlite::memory:", NULL, &s, err, sizeof err) != CUSTOS_OK ||
      store_migrate(s, &applied) != CUSTOS_OK ||
      store_account_create(s, "bench", &acct) != CUSTOS_OK ||
      store_app_create(s, acct.id, "bench", "assetpay", &app) != CUSTOS_OK ||
      store_environment_list(s, acct.id, NULL, 4, envs, &n) != CUSTOS_OK || n == 0) {
    fprintf(stderr, "bench_keycache: store setup failed: %s\n", err);
    goto out;
  }
  for (int i = 0; i < nkeys; i++) {
    store_api_key_t k;
    memset(&k, 0, sizeof k);
    if (apikey_generate("ap_", keys[i]) != CUSTOS_OK) goto out;
    memcpy(k.app_id, app.id, sizeof k.app_id);
    memcpy(k.environment_id, envs[0].id, sizeof k.environment_id);
    memcpy(k.kind, "api_key", 8);
    snprintf(k.scopes, sizeof k.scopes, "CORE_ACCESS READ_ONLY");
    apikey_hash(keys[i], strlen(keys[i]), k.hash);
    apikey_start(keys[i], strlen(keys[i]), k.start);
    if (store_api_key_create(s, &k) != CUSTOS_OK) goto out;
  }
  keycheck_opts_t o = {.rate_per_s = 1e9, .burst = 1e9};
  kc = keycheck_new(s, &o);
  if (!kc) goto out;
  for (int i = 0; i < nkeys; i++) {
    keycheck_result_t r;
    if (keycheck_verify(kc, keys[i], strlen(keys[i]), NOW, &r) != CUSTOS_OK) goto out;
  }
  uint64_t lookups = keycheck_store_lookups(kc);

  for (int pass = 0; pass < 2; pass++) {
    int t = pass == 0 ? 1 : threads;
    verify_arg_t *args = calloc((size_t)t, sizeof *args);
    pthread_t *th = calloc((size_t)t, sizeof *th);
    if (!args || !th) {
      free(args);
      free(th);
      goto out;
    }
    atomic_store(&g_go, 0);
    for (int i = 0; i < t; i++) {
      args[i] = (verify_arg_t){.kc = kc, .keys = keys, .nkeys = nkeys, .seconds = seconds, .id = i};
      pthread_create(&th[i], NULL, verify_run, &args[i]);
    }
    double t0 = mono_s();
    atomic_store(&g_go, 1);
    uint64_t ops = 0, failed = 0;
    for (int i = 0; i < t; i++) {
      pthread_join(th[i], NULL);
      ops += args[i].ops;
      failed += args[i].failed;
    }
    double wall = mono_s() - t0;
    printf("verify_threads %d\n", t);
    printf("verify_hits_per_s %.0f\n", (double)ops / wall);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int busy = (long)t < ncpu ? t : (int)ncpu;
    printf("verify_ns_per_hit %.1f\n", wall * 1e9 * busy / (double)ops); /* CPU time per hit */
    if (failed) printf("verify_failed %llu\n", (unsigned long long)failed);
    free(args);
    free(th);
    if (failed) goto out;
  }
  printf("verify_store_lookups_during_hits %llu\n",
         (unsigned long long)(keycheck_store_lookups(kc) - lookups));
  rc = 0;
out:
  keycheck_free(kc);
  store_close(s);
  free(keys);
  return rc;
}

int main(int argc, char **argv) {
  uint64_t entries = 1000000;
  int threads = 8, verify_keys = 1000;
  double seconds = 2;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc) entries = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = atof(argv[++i]);
    else if (strcmp(argv[i], "--verify-keys") == 0 && i + 1 < argc) verify_keys = atoi(argv[++i]);
    else {
      fprintf(stderr,
              "usage: bench_keycache [--entries N] [--threads T] [--seconds S] [--verify-keys K]\n");
      return 2;
    }
  }
  if (entries == 0 || threads < 1 || seconds <= 0 || verify_keys < 1) return 2;

  static const char *SCOPES[16] = {
      "CORE_ACCESS", "READ_ONLY", "CORE_ACCESS READ_ONLY", "payments:read", "payments:write",
      "ledger:read", "ledger:read ledger:write", "assets:read", "assets:transfer", "users:read",
      "webhooks", "admin", "CORE_ACCESS payments:read", "READ_ONLY ledger:read", "", "trade"};

  long rss0 = rss_bytes();
  keycache_t *c = keycache_new(1048576 > entries ? 1048576 : entries, 65536);
  if (!c) return 1;
  size_t bytes0 = keycache_bytes(c);
  double t0 = mono_s();
  uint64_t x = 42;
  store_api_key_t k;
  memset(&k, 0, sizeof k);
  memcpy(k.kind, "api_key", 8);
  for (uint64_t i = 0; i < entries; i++) {
    synth_hash(i, k.hash);
    synth_id(&x, "key", k.id);
    synth_id(&x, "app", k.app_id);
    synth_id(&x, "acct", k.account_id);
    synth_id(&x, "env", k.environment_id);
    snprintf(k.scopes, sizeof k.scopes, "%s", SCOPES[i % 16]);
    k.expires_at = (i % 3) ? 0 : NOW + 86400;
    keycache_entry_t *e;
    keycache_shard_t *sh = keycache_lock(c, k.hash);
    int rc = keycache_put(c, sh, &k, NOW, &e);
    keycache_unlock(sh);
    if (rc != CUSTOS_OK) {
      fprintf(stderr, "bench_keycache: put failed at %llu: %s\n", (unsigned long long)i,
              custos_strerror(rc));
      return 1;
    }
  }
  double fill_s = mono_s() - t0;
  long rss1 = rss_bytes();
  size_t n = keycache_entries(c), bytes = keycache_bytes(c);
  printf("entries %zu\n", n);
  printf("entry_struct_bytes %zu\n", sizeof(keycache_entry_t));
  printf("cache_bytes %zu\n", bytes);
  printf("cache_bytes_per_entry %.1f\n", (double)(bytes - bytes0) / (double)n);
  printf("rss_bytes %ld\n", rss1);
  printf("rss_growth_bytes %ld\n", rss1 - rss0);
  printf("rss_growth_per_entry %.1f\n", (double)(rss1 - rss0) / (double)n);
  printf("fill_ns_per_entry %.0f\n", fill_s * 1e9 / (double)n);

  hit_arg_t *args = calloc((size_t)threads, sizeof *args);
  pthread_t *th = calloc((size_t)threads, sizeof *th);
  if (!args || !th) return 1;
  atomic_store(&g_go, 0);
  for (int i = 0; i < threads; i++) {
    args[i] = (hit_arg_t){.c = c, .n = entries, .seconds = seconds, .id = i};
    pthread_create(&th[i], NULL, hit_run, &args[i]);
  }
  t0 = mono_s();
  atomic_store(&g_go, 1);
  uint64_t ops = 0, missed = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    ops += args[i].ops;
    missed += args[i].missed;
  }
  double wall = mono_s() - t0;
  double synth = synth_cost_ns(entries);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int busy = (long)threads < ncpu ? threads : (int)ncpu;
  printf("cache_hit_threads %d\n", threads);
  printf("cache_hits_per_s %.0f\n", (double)ops / wall);
  /* CPU time per hit: wall time × busy cores / hits, minus the synthetic
   * hash generation the loop also does. */
  printf("cache_ns_per_hit %.1f\n", wall * 1e9 * busy / (double)ops - synth);
  printf("cache_hit_missed %llu\n", (unsigned long long)missed);
  free(args);
  free(th);
  keycache_free(c);

  return bench_verify(verify_keys, threads, seconds) || missed ? 1 : 0;
}
