/*
 * fuzz_apikey — apikey_well_formed and keycheck_verify on arbitrary bytes,
 * over an in-memory SQLite store holding one known key. Checks:
 *  - text that is not well-formed is refused with CUSTOS_EINVAL and costs
 *    no store lookup;
 *  - well-formed text is accepted exactly when it is the known key (and
 *    then the result names that key), else refused as unknown;
 *  - a well-formed key's visible start is its prefix plus 4 characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/apikey.h"
#include "auth/keycheck.h"
#include "custos.h"
#include "store/store.h"

#define CHECK(x) \
  do {           \
    if (!(x)) abort(); \
  } while (0)

#define NOW 1700000000LL

static const char KNOWN[] = "ap_0123456789ABCDEFGHIJabcdefghij01234567894aHsFl";

static store_t *g_store;
static keycheck_t *g_kc;
static char g_known_id[RAND_ID_MAX];

static void setup(void) {
  char err[256];
  store_account_t acct;
  store_app_t app;
  store_environment_t envs[4];
  int n = 0, applied = 0;
  CHECK(store_open("sqlite::memory:", NULL, &g_store, err, sizeof err) == CUSTOS_OK);
  CHECK(store_migrate(g_store, &applied) == CUSTOS_OK);
  CHECK(store_account_create(g_store, "fuzz", &acct) == CUSTOS_OK);
  CHECK(store_app_create(g_store, acct.id, "app", "assetpay", &app) == CUSTOS_OK);
  CHECK(store_environment_list(g_store, acct.id, NULL, 4, envs, &n) == CUSTOS_OK && n > 0);

  store_api_key_t k;
  memset(&k, 0, sizeof k);
  memcpy(k.app_id, app.id, sizeof k.app_id);
  memcpy(k.environment_id, envs[0].id, sizeof k.environment_id);
  memcpy(k.kind, "api_key", 8);
  memcpy(k.scopes, "CORE_ACCESS", 12);
  apikey_hash(KNOWN, strlen(KNOWN), k.hash);
  apikey_start(KNOWN, strlen(KNOWN), k.start);
  CHECK(store_api_key_create(g_store, &k) == CUSTOS_OK);
  memcpy(g_known_id, k.id, sizeof g_known_id);

  /* No rate limit in the way; a small cache so eviction paths run too. */
  keycheck_opts_t o = {.rate_per_s = 1e9, .burst = 1e9, .cache_max = 8, .negative_max = 16};
  g_kc = keycheck_new(g_store, &o);
  CHECK(g_kc != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_kc) setup();
  const char *text = (const char *)data;
  bool wf = apikey_well_formed(text, size);

  uint64_t before = keycheck_store_lookups(g_kc);
  keycheck_result_t r;
  memset(&r, 0, sizeof r);
  int rc = keycheck_verify(g_kc, text, size, NOW, &r);
  if (!wf) {
    CHECK(rc == CUSTOS_EINVAL);
    CHECK(keycheck_store_lookups(g_kc) == before);
    CHECK(r.key_id[0] == '\0');
    return 0;
  }

  bool known = size == strlen(KNOWN) && memcmp(text, KNOWN, size) == 0;
  if (known) {
    CHECK(rc == CUSTOS_OK);
    CHECK(strcmp(r.key_id, g_known_id) == 0);
    CHECK(strcmp(r.scopes, "CORE_ACCESS") == 0);
  } else {
    CHECK(rc == CUSTOS_ENOTFOUND);
  }

  char start[STORE_KEY_START_MAX];
  apikey_start(text, size, start);
  size_t plen = strchr(start, '_') ? (size_t)(strchr(start, '_') - start) + 1 : 0;
  CHECK(plen >= 2 && strlen(start) == plen + APIKEY_START_RANDOM);
  CHECK(memcmp(start, text, strlen(start)) == 0);
  return 0;
}
