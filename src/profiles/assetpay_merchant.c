#include "profiles/assetpay_merchant.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64url.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/seal.h"

typedef struct entry {
  ap_merchant_t m;      /* holds the references */
  int64_t loaded_at;    /* unix seconds */
  bool used;
} entry_t;

struct ap_merchants {
  store_t *store;
  unsigned char master_key[MASTERKEY_LEN];
  uint64_t serial;               /* id in the listener registry */
  pthread_mutex_t mu;            /* guards entries */
  entry_t *entries;              /* AP_MERCHANT_CACHE_MAX, one slot per mid hash */
  struct app_slot {
    char app_id[RAND_ID_MAX];
    bool merchant;
    int64_t loaded_at;
  } *apps;                       /* AP_MERCHANT_CACHE_MAX, one slot per app id hash */
};

/* --- listener registry (as in auth/keycheck.c): store_listen() cannot be
 * undone, so callbacks find the service by serial under a lock that
 * ap_merchants_free() also takes. ------------------------------------------ */

static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { uint64_t serial; ap_merchants_t *m; } g_reg[64];
static size_t g_reg_n;
static uint64_t g_reg_serial;

static void drop_all(ap_merchants_t *m);
static void drop_mid(ap_merchants_t *m, int64_t mid);

static void on_notify(void *ctx, const char *channel, const char *payload) {
  uint64_t serial = (uint64_t)(uintptr_t)ctx;
  if (!channel || strcmp(channel, AP_MERCHANT_CHANNEL) != 0) return;
  pthread_mutex_lock(&g_reg_mu);
  for (size_t i = 0; i < g_reg_n; i++) {
    if (g_reg[i].serial != serial) continue;
    char *end = NULL;
    long long mid = payload ? strtoll(payload, &end, 10) : 0;
    if (payload && end && *end == '\0' && mid > 0)
      drop_mid(g_reg[i].m, mid);
    else
      drop_all(g_reg[i].m);
  }
  pthread_mutex_unlock(&g_reg_mu);
}

/* --- secrets ---------------------------------------------------------------- */

int ap_secret_generate(char out[AP_SECRET_TEXT_MAX]) {
  char r[AP_SECRET_RANDOM + 1];
  if (rand_base62(r, AP_SECRET_RANDOM) != CUSTOS_OK) return CUSTOS_ECRYPTO;
  snprintf(out, AP_SECRET_TEXT_MAX, "%s%s", AP_SECRET_PREFIX, r);
  OPENSSL_cleanse(r, sizeof r);
  return CUSTOS_OK;
}

void ap_secret_context(const char *app_id, char out[RAND_ID_MAX + 16]) {
  snprintf(out, RAND_ID_MAX + 16, "app_secret:%s", app_id);
}

/* An HS256 oct key set over the secret's bytes: exactly what jose uses for
 * `new TextEncoder().encode(secret)`. */
static int keyset_of(const unsigned char *secret, size_t len, jose_jwks_t **out) {
  size_t elen = b64url_encoded_len(len);
  char *k = malloc(elen + 1);
  json_t *obj = NULL, *kstr = NULL;
  jose_jwk_t *key = NULL;
  jose_jwks_t *set = NULL;
  int rc = CUSTOS_ENOMEM;
  if (!k) return rc;
  b64url_encode(secret, len, k);
  k[elen] = '\0';
  if (!(kstr = json_stringn_nocheck(k, elen))) goto out;
  if (!(obj = json_pack("{s:s, s:O, s:s}", "kty", "oct", "k", kstr, "alg", "HS256"))) goto out;
  if ((rc = jose_jwk_from_json(obj, &key)) != CUSTOS_OK) goto out;
  if (!(set = jose_jwks_new())) {
    rc = CUSTOS_ENOMEM;
    goto out;
  }
  if ((rc = jose_jwks_add(set, key)) != CUSTOS_OK) goto out;
  *out = set;
  set = NULL;
out:
  /* The JSON string holds the encoded secret: wipe it before jansson frees it. */
  if (kstr) OPENSSL_cleanse((char *)json_string_value(kstr), elen);
  json_decref(obj);
  json_decref(kstr);
  OPENSSL_cleanse(k, elen);
  free(k);
  jose_jwk_free(key);
  jose_jwks_free(set);
  return rc;
}

int ap_secret_keyset(const unsigned char master_key[MASTERKEY_LEN], const char *app_id,
                     const char *sealed, jose_jwks_t **out) {
  char ctx[RAND_ID_MAX + 16];
  buf_t pt;
  buf_init(&pt, 0);
  ap_secret_context(app_id, ctx);
  int rc = unseal_text(master_key, ctx, sealed, strlen(sealed), &pt);
  if (rc == CUSTOS_OK) rc = keyset_of((const unsigned char *)pt.data, pt.len, out);
  buf_cleanup_secure(&pt);
  return rc;
}

/* --- merchants -------------------------------------------------------------- */

void ap_merchant_release(ap_merchant_t *x) {
  if (!x) return;
  jose_jwks_free(x->current);
  jose_jwks_free(x->previous);
  x->current = x->previous = NULL;
}

/* Builds *out from a store row and the app's account. */
static int load(ap_merchants_t *m, const store_merchant_t *row, ap_merchant_t *out) {
  store_app_t app;
  ap_merchant_t x;
  memset(&x, 0, sizeof x);
  int rc = store_app_get(m->store, row->app_id, &app);
  if (rc != CUSTOS_OK) return rc;
  if (strcmp(app.profile, "assetpay") != 0) return CUSTOS_ENOTFOUND;
  snprintf(x.app_id, sizeof x.app_id, "%s", app.id);
  snprintf(x.account_id, sizeof x.account_id, "%s", app.account_id);
  x.merchant_id = row->merchant_id;
  if (row->secret_sealed[0] &&
      (rc = ap_secret_keyset(m->master_key, row->app_id, row->secret_sealed, &x.current)) != CUSTOS_OK)
    goto fail;
  if (row->prev_sealed[0] &&
      (rc = ap_secret_keyset(m->master_key, row->app_id, row->prev_sealed, &x.previous)) != CUSTOS_OK)
    goto fail;
  x.previous_until = row->prev_valid_until;
  *out = x;
  return CUSTOS_OK;
fail:
  if (rc == CUSTOS_ECRYPTO)
    log_msg(LOG_ERROR, "assetpay: the API secret of %s does not unseal (wrong master key?)", row->app_id);
  ap_merchant_release(&x);
  return rc;
}

static void copy_ref(const ap_merchant_t *from, ap_merchant_t *to) {
  *to = *from;
  /* jose_jwks_t has no ref count of its own: share by building a set over
   * the same (ref-counted) key. */
  to->current = to->previous = NULL;
  for (int i = 0; i < 2; i++) {
    const jose_jwks_t *src = i ? from->previous : from->current;
    if (!src) continue;
    jose_jwks_t *set = jose_jwks_new();
    jose_jwk_t *k = (jose_jwk_t *)jose_jwks_at(src, 0);
    if (set && k && jose_jwks_add(set, k) != CUSTOS_OK) {
      jose_jwks_free(set);
      set = NULL;
    }
    if (i) to->previous = set;
    else to->current = set;
  }
}

static size_t slot_of(int64_t mid) { return (size_t)((uint64_t)mid * 11400714819323198485ull >> 52) % AP_MERCHANT_CACHE_MAX; }

/* Caller holds m->mu. */
static void drop_slot(entry_t *e) {
  ap_merchant_release(&e->m);
  memset(e, 0, sizeof *e);
}

static void drop_mid(ap_merchants_t *m, int64_t mid) {
  pthread_mutex_lock(&m->mu);
  entry_t *e = &m->entries[slot_of(mid)];
  if (e->used && e->m.merchant_id == mid) drop_slot(e);
  pthread_mutex_unlock(&m->mu);
}

static void drop_all(ap_merchants_t *m) {
  pthread_mutex_lock(&m->mu);
  for (size_t i = 0; i < AP_MERCHANT_CACHE_MAX; i++)
    if (m->entries[i].used) drop_slot(&m->entries[i]);
  pthread_mutex_unlock(&m->mu);
}

ap_merchants_t *ap_merchants_new(store_t *s, const unsigned char master_key[MASTERKEY_LEN]) {
  ap_merchants_t *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->entries = calloc(AP_MERCHANT_CACHE_MAX, sizeof *m->entries);
  m->apps = calloc(AP_MERCHANT_CACHE_MAX, sizeof *m->apps);
  if (!m->entries || !m->apps) {
    free(m->entries);
    free(m->apps);
    free(m);
    return NULL;
  }
  m->store = s;
  memcpy(m->master_key, master_key, MASTERKEY_LEN);
  pthread_mutex_init(&m->mu, NULL);
  pthread_mutex_lock(&g_reg_mu);
  bool full = g_reg_n == sizeof g_reg / sizeof g_reg[0];
  if (!full) {
    m->serial = ++g_reg_serial;
    g_reg[g_reg_n].serial = m->serial;
    g_reg[g_reg_n++].m = m;
  }
  pthread_mutex_unlock(&g_reg_mu);
  /* The context is the registry serial, not a pointer (see on_notify). */
  void *serial = (void *)(uintptr_t)m->serial; // NOLINT(performance-no-int-to-ptr): a serial, never dereferenced
  if (full || store_listen(s, AP_MERCHANT_CHANNEL, on_notify, serial) != CUSTOS_OK) {
    log_msg(LOG_ERROR, "assetpay: cannot listen on %s", AP_MERCHANT_CHANNEL);
    ap_merchants_free(m);
    return NULL;
  }
  return m;
}

void ap_merchants_free(ap_merchants_t *m) {
  if (!m) return;
  pthread_mutex_lock(&g_reg_mu);
  for (size_t i = 0; i < g_reg_n; i++)
    if (g_reg[i].m == m) {
      g_reg[i] = g_reg[--g_reg_n];
      break;
    }
  pthread_mutex_unlock(&g_reg_mu);
  drop_all(m);
  pthread_mutex_destroy(&m->mu);
  OPENSSL_cleanse(m->master_key, sizeof m->master_key);
  free(m->entries);
  free(m->apps);
  free(m);
}

int ap_merchant_by_mid(ap_merchants_t *m, int64_t mid, ap_merchant_t *out) {
  if (mid <= 0) return CUSTOS_ENOTFOUND;
  int64_t now = (int64_t)time(NULL);
  size_t slot = slot_of(mid);
  pthread_mutex_lock(&m->mu);
  entry_t *e = &m->entries[slot];
  if (e->used && e->m.merchant_id == mid && now - e->loaded_at < AP_MERCHANT_TTL) {
    copy_ref(&e->m, out);
    pthread_mutex_unlock(&m->mu);
    return (e->m.current && !out->current) ? CUSTOS_ENOMEM : CUSTOS_OK;
  }
  pthread_mutex_unlock(&m->mu);

  store_merchant_t row;
  ap_merchant_t x;
  int rc = store_merchant_get_by_mid(m->store, mid, &row);
  if (rc == CUSTOS_OK) rc = load(m, &row, &x);
  OPENSSL_cleanse(&row, sizeof row);
  if (rc != CUSTOS_OK) return rc;
  pthread_mutex_lock(&m->mu);
  e = &m->entries[slot];
  if (e->used) drop_slot(e);
  copy_ref(&x, &e->m);
  e->loaded_at = now;
  e->used = true;
  pthread_mutex_unlock(&m->mu);
  *out = x;
  return CUSTOS_OK;
}

int ap_merchant_by_app(ap_merchants_t *m, const char *app_id, ap_merchant_t *out) {
  store_merchant_t row;
  int rc = store_merchant_get(m->store, app_id, &row);
  if (rc == CUSTOS_OK) rc = load(m, &row, out);
  OPENSSL_cleanse(&row, sizeof row);
  return rc;
}

void ap_merchants_changed(ap_merchants_t *m, int64_t mid) {
  char p[24];
  drop_mid(m, mid);
  snprintf(p, sizeof p, "%lld", (long long)mid);
  if (store_notify(m->store, AP_MERCHANT_CHANNEL, p) != CUSTOS_OK)
    log_msg(LOG_ERROR, "assetpay: merchant %lld changed but other nodes could not be told", (long long)mid);
}

int ap_app_is_merchant(ap_merchants_t *m, const char *app_id, bool *yes) {
  /* FNV-1a over the id picks the slot. */
  uint64_t h = 14695981039346656037ull;
  for (const char *p = app_id; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  struct app_slot *sl = &m->apps[h % AP_MERCHANT_CACHE_MAX];
  int64_t now = (int64_t)time(NULL);
  pthread_mutex_lock(&m->mu);
  if (strcmp(sl->app_id, app_id) == 0 && now - sl->loaded_at < AP_MERCHANT_TTL) {
    *yes = sl->merchant;
    pthread_mutex_unlock(&m->mu);
    return CUSTOS_OK;
  }
  pthread_mutex_unlock(&m->mu);
  store_app_t app;
  int rc = store_app_get(m->store, app_id, &app);
  if (rc != CUSTOS_OK && rc != CUSTOS_ENOTFOUND) return rc;
  bool is = rc == CUSTOS_OK && strcmp(app.profile, "assetpay") == 0;
  pthread_mutex_lock(&m->mu);
  snprintf(sl->app_id, sizeof sl->app_id, "%s", app_id);
  sl->merchant = is;
  sl->loaded_at = now;
  pthread_mutex_unlock(&m->mu);
  *yes = is;
  return CUSTOS_OK;
}
