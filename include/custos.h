/*
 * custos.h — the libcustos public API.
 *
 * libcustos lets a C service check custos credentials in-process, without a
 * gateway: verify custos tokens (custos_verifier_t), or take the same
 * decision `custos serve` answers on /v1/check for any request, with every
 * profile (custos_checker_t). Every declaration below states what it
 * returns, who owns what, and the state after failure. Calls are
 * thread-safe unless said otherwise; the verifier keeps no global mutable
 * state (a checker sets the process-wide log level, see below).
 *
 * Fail closed: a verify or check call grants only when it returns
 * CUSTOS_OK. Any other value, internal faults included, means deny.
 */
#ifndef CUSTOS_H
#define CUSTOS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CUSTOS_API __attribute__((visibility("default")))
#define CUSTOS_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define CUSTOS_API
#define CUSTOS_WARN_UNUSED
#endif

/*
 * One result type for the whole library. CUSTOS_OK is 0, failures are
 * negative. New codes are appended; none is ever renumbered or removed.
 */
typedef enum custos_err {
  CUSTOS_OK = 0,
  CUSTOS_ENOMEM = -1,      /* allocation failed */
  CUSTOS_EINVAL = -2,      /* malformed input or bad argument */
  CUSTOS_ETOOBIG = -3,     /* input over a documented limit */
  CUSTOS_ENOTFOUND = -4,   /* no such object */
  CUSTOS_EEXISTS = -5,     /* object already exists (unique constraint) */
  CUSTOS_ESTORE = -6,      /* the store failed or is unreachable */
  CUSTOS_EVERSION = -7,    /* store schema newer than this binary */
  CUSTOS_ECRYPTO = -8,     /* a cryptographic operation failed */
  CUSTOS_EEXPIRED = -9,    /* credential expired */
  CUSTOS_EDENIED = -10,    /* credential valid but not allowed */
  CUSTOS_EIO = -11,        /* file or network I/O failed */
  CUSTOS_EBADSIG = -12,    /* signature does not verify */
  CUSTOS_ENOTYET = -13,    /* credential not yet valid (nbf/iat in future) */
  CUSTOS_EALG = -14,       /* algorithm not allowed for this key */
  CUSTOS_EKEY = -15,       /* no key matches (unknown kid, wrong key type) */
  CUSTOS_ECLAIM = -16,     /* a required claim (iss, aud, typ) mismatched */
  CUSTOS_ECRIT = -17,      /* unknown critical header */
  CUSTOS_EDEPTH = -18,     /* JSON nested deeper than allowed */
  CUSTOS_EDUP = -19,       /* duplicate JSON member name */
  CUSTOS_ELIMIT = -20,     /* rate limit exceeded; retry later */
  CUSTOS_EREVOKED = -21,   /* credential was revoked */
} custos_err_t;

/* Returns a static, NUL-terminated English description of `err`; never NULL
 * (unknown values give "unknown error"). */
CUSTOS_API const char *custos_strerror(int err);

/* Returns the library version as "MAJOR.MINOR.PATCH"; static storage. */
CUSTOS_API const char *custos_version(void);

/* Returns the enumerator's name as a static string ("CUSTOS_EEXPIRED"),
 * or "CUSTOS_E?" for unknown values; never NULL. Meant for logs and tools
 * that must print a stable, greppable cause. */
CUSTOS_API const char *custos_err_name(int err);

/* Frees memory the library handed to the caller (custos_claims_get_json's
 * string). NULL does nothing. */
CUSTOS_API void custos_free(void *p);

/* ==== Token verification ==================================================
 *
 * A custos_verifier_t holds a set of keys (from a JWKS document, a JWKS URL
 * or one HMAC secret) and a policy, and checks compact JWS tokens against
 * them strictly (RFC 7519, RFC 8725): an explicit algorithm allowlist per
 * key, never "none", key type must fit the algorithm, "crit" refused,
 * "exp"/"nbf"/"iat" with a small leeway, "iss"/"aud"/"typ" when asked, size
 * limits before any parsing.
 *
 *   custos_verifier_t *v;
 *   if (custos_verifier_new_jwks_url("https://auth.example/jwks.json", NULL, &v)) die();
 *   custos_claims_t *c;
 *   int rc = custos_verify(v, token, strlen(token), &c);
 *   if (rc != CUSTOS_OK) deny(custos_err_name(rc));   // fail closed
 *
 * A verifier is immutable to its users: after a successful _new, any number
 * of threads may call custos_verify on it at once (its JWKS refresh, token
 * cache and HMAC contexts are synchronised inside). Only custos_verifier_free
 * needs all other calls on that verifier to have returned.
 */

typedef struct custos_verifier custos_verifier_t; /* opaque */
typedef struct custos_claims custos_claims_t;     /* opaque */

#define CUSTOS_MAX_TOKEN_LEN 8192           /* default cap on a token, bytes */
#define CUSTOS_MAX_TOKEN_LEN_LIMIT 1048576  /* largest max_token_bytes accepted */
#define CUSTOS_DEFAULT_LEEWAY 30            /* seconds of clock skew for exp/nbf/iat */
#define CUSTOS_MAX_JWKS_BYTES 262144        /* default and largest JWKS body, bytes */
#define CUSTOS_DEFAULT_JWKS_REFETCH 30      /* seconds between unknown-kid refetches */
#define CUSTOS_DEFAULT_JWKS_MAX_AGE 300     /* seconds before a JWKS is refreshed */
#define CUSTOS_DEFAULT_JWKS_TIMEOUT_MS 5000 /* whole JWKS request, milliseconds */
#define CUSTOS_DEFAULT_JWKS_CONNECT_MS 2000 /* TCP + TLS connect, milliseconds */
#define CUSTOS_MAX_CACHE_ENTRIES 1048576    /* largest token cache accepted */
#define CUSTOS_MAX_SECRET_LEN 1024          /* largest HMAC secret, bytes */

/* JWS algorithms, as bits so an allowlist is one OR'd value. "none" has no
 * bit and can never be allowed. */
typedef enum custos_alg {
  CUSTOS_ALG_HS256 = 1u << 0,
  CUSTOS_ALG_HS384 = 1u << 1,
  CUSTOS_ALG_HS512 = 1u << 2,
  CUSTOS_ALG_RS256 = 1u << 3,
  CUSTOS_ALG_RS384 = 1u << 4,
  CUSTOS_ALG_RS512 = 1u << 5,
  CUSTOS_ALG_PS256 = 1u << 6,
  CUSTOS_ALG_PS384 = 1u << 7,
  CUSTOS_ALG_PS512 = 1u << 8,
  CUSTOS_ALG_ES256 = 1u << 9,
  CUSTOS_ALG_ES384 = 1u << 10,
  CUSTOS_ALG_EDDSA = 1u << 11,
} custos_alg_t;

/*
 * What a verifier accepts and how it gets its keys. Fill it with
 * custos_verify_opts_init, then set what you need; the constructors copy
 * everything (strings included), so the struct may be freed or reused once
 * they return. Passing NULL for the options means the defaults.
 *
 * Later versions may append fields; the library's soname changes when they
 * do, so a program built against this header always passes a struct of
 * the size the library expects.
 */
typedef struct custos_verify_opts {
  unsigned algs;              /* CUSTOS_ALG_* bits allowed, 0 = see below */
  int64_t leeway;             /* clock skew for exp/nbf/iat, seconds, 0..86400 */
  const char *iss;            /* required "iss" (exact), NULL = not checked */
  const char *aud;            /* required audience ("aud" string or array
                                 member), NULL = not checked */
  const char *typ;            /* required header "typ" (case-insensitive,
                                 "application/" optional), NULL = not checked */
  int require_exp;            /* nonzero: a token without "exp" fails
                                 (CUSTOS_ECLAIM); default 1 */
  size_t max_token_bytes;     /* 0 = CUSTOS_MAX_TOKEN_LEN; at most
                                 CUSTOS_MAX_TOKEN_LEN_LIMIT */

  /* Optional cache of verified tokens (keyed by SHA-256 of the token
   * text). A hit skips the signature check and returns the same claims.
   * An entry lives until min("exp", insertion + cache_ttl) with no leeway,
   * and is dropped when the key set changes (JWKS refresh). */
  size_t cache_entries;       /* capacity, 0 = no cache; at most
                                 CUSTOS_MAX_CACHE_ENTRIES */
  int64_t cache_ttl;          /* seconds an entry may live, >= 1 when the
                                 cache is on; default 60 */

  /* JWKS URL only (ignored by the other constructors). */
  int64_t jwks_refetch_interval; /* min seconds between fetches caused by an
                                    unknown kid or by age; default 30 */
  int64_t jwks_max_age;       /* seconds after which the set is refreshed
                                 (by one verifying thread, others keep using
                                 the old set); 0 = only on unknown kid;
                                 default 300 */
  size_t jwks_max_bytes;      /* body cap, 0 = CUSTOS_MAX_JWKS_BYTES (also
                                 the largest value accepted) */
  long jwks_timeout_ms;       /* whole request, 0 = default 5000 */
  long jwks_connect_timeout_ms; /* connect, 0 = default 2000 */
  int jwks_allow_http;        /* nonzero: plain http to any host; by default
                                 http is allowed only to loopback
                                 (localhost, 127.0.0.0/8, [::1]) */
  const char *jwks_ca_file;   /* PEM CA bundle for https, NULL = system */
} custos_verify_opts_t;

/*
 * Which algorithms a verifier allows (RFC 8725 §3.1): a JWK's own "alg"
 * and opts->algs both narrow, and at least one must exist. With algs = 0,
 * a JWKS key allows exactly its "alg" member, and a key without "alg"
 * allows nothing (so a JWKS whose keys lack "alg" needs opts->algs). An
 * HMAC verifier allows its one algorithm; algs, if set, must include it.
 */

/* Sets the defaults: algs 0, leeway CUSTOS_DEFAULT_LEEWAY, no iss/aud/typ,
 * require_exp 1, no token cache (ttl 60 when enabled), JWKS refetch 30 s,
 * max age 300 s, body cap CUSTOS_MAX_JWKS_BYTES, timeouts 5000/2000 ms,
 * http to loopback only, system CAs. Cannot fail. */
CUSTOS_API void custos_verify_opts_init(custos_verify_opts_t *opts);

/*
 * Creates a verifier from `len` bytes of JWKS text ({"keys":[...]}, need
 * not be NUL-terminated). Keys custos cannot use (other kty/crv, "use"
 * other than "sig", encryption algs) are skipped; any other problem fails
 * the whole set. The text is not kept.
 *
 * Returns CUSTOS_OK with *out a new verifier (free with
 * custos_verifier_free), or leaves *out untouched and returns:
 *   CUSTOS_EINVAL   NULL argument, bad option, malformed JSON or JWK
 *   CUSTOS_ETOOBIG  text over CUSTOS_MAX_JWKS_BYTES or too many keys
 *   CUSTOS_EDEPTH / CUSTOS_EDUP  JSON too deep / duplicate member
 *   CUSTOS_EKEY     a key refused (weak RSA, point not on curve, ...) or
 *                   no usable key at all
 *   CUSTOS_EALG     a key's "alg" does not fit its type
 *   CUSTOS_EEXISTS  two keys share a kid
 *   CUSTOS_ENOMEM
 * Thread-safe.
 */
CUSTOS_API int custos_verifier_new_jwks(const char *jwks, size_t len,
                                        const custos_verify_opts_t *opts,
                                        custos_verifier_t **out) CUSTOS_WARN_UNUSED;

/*
 * Creates a verifier whose keys come from `url` (NUL-terminated; https, or
 * http as opts->jwks_allow_http permits; no redirects are followed; the
 * response must be 200 with a body of at most opts->jwks_max_bytes). The
 * set is fetched once here, synchronously; afterwards custos_verify
 * refetches it when a token names an unknown kid or the set is older than
 * jwks_max_age, at most once per jwks_refetch_interval. A failed refetch
 * keeps the keys already held, so a JWKS server outage does not stop
 * verification with known keys.
 *
 * Returns CUSTOS_OK with *out a new verifier, or leaves *out untouched and
 * returns custos_verifier_new_jwks's codes for the body, or:
 *   CUSTOS_EINVAL   not an http(s) URL, or http to a non-loopback host
 *                   without jwks_allow_http
 *   CUSTOS_EIO      connection failed, timed out, or status not 200
 *   CUSTOS_ETOOBIG  body over jwks_max_bytes (refused while reading)
 * Thread-safe if libcurl is (libcurl >= 7.84 built thread-safe, as
 * Debian's is); with an older libcurl call curl_global_init before
 * starting threads.
 */
CUSTOS_API int custos_verifier_new_jwks_url(const char *url, const custos_verify_opts_t *opts,
                                            custos_verifier_t **out) CUSTOS_WARN_UNUSED;

/*
 * Creates a verifier for tokens MACed with one shared secret (`len` bytes,
 * copied, at least the hash size: 32 for HS256, 48 for HS384, 64 for
 * HS512, at most CUSTOS_MAX_SECRET_LEN) under `alg`, one of
 * CUSTOS_ALG_HS256/384/512. Tokens may carry any kid or none. The copy of
 * the secret is wiped when the verifier is freed; the caller's is its own.
 *
 * Returns CUSTOS_OK with *out a new verifier, or leaves *out untouched and
 * returns CUSTOS_EINVAL (NULL argument, bad option, `alg` not a single HS
 * bit, opts->algs set without `alg`), CUSTOS_EKEY (secret too short or too
 * long), CUSTOS_ENOMEM, CUSTOS_ECRYPTO. Thread-safe.
 */
CUSTOS_API int custos_verifier_new_hmac(const void *secret, size_t len, custos_alg_t alg,
                                        const custos_verify_opts_t *opts,
                                        custos_verifier_t **out) CUSTOS_WARN_UNUSED;

/* Frees the verifier, its keys (secrets wiped) and its cache. NULL does
 * nothing. No other call on `v` may be running or follow; claims objects
 * it returned stay valid (they own their data). */
CUSTOS_API void custos_verifier_free(custos_verifier_t *v);

/*
 * Verifies compact JWS `token` (`len` bytes, need not be NUL-terminated).
 * Grants only on CUSTOS_OK; every other value means deny (fail closed).
 *
 * On CUSTOS_OK, if `out` is non-NULL, *out gets a claims object of the
 * caller's own to free with custos_claims_free (a token cache hit may hand
 * out another reference to the same read-only object). On failure *out is
 * untouched. Causes, each with its own code, roughly in the order
 * checked:
 *   CUSTOS_ETOOBIG  len over max_token_bytes (before any decoding)
 *   CUSTOS_EINVAL   NULL v/token; not three base64url parts; header not a
 *                   JSON object; "alg"/"kid" of the wrong type; payload not
 *                   a JSON object; exp/nbf/iat not numbers; iss/aud of the
 *                   wrong type
 *   CUSTOS_EDEPTH / CUSTOS_EDUP  header or payload JSON too deep /
 *                   duplicate member
 *   CUSTOS_EALG     "alg" none or unknown, or not allowed for the key
 *   CUSTOS_ECRIT    a "crit" header (custos understands no extension)
 *   CUSTOS_EKEY     the kid names no key (after a rate-limited JWKS
 *                   refetch, for URL verifiers), or without a kid no
 *                   single key fits the alg
 *   CUSTOS_EBADSIG  the signature does not verify
 *   CUSTOS_ECLAIM   "typ", "iss" or "aud" differ from the options, or no
 *                   "exp" while require_exp
 *   CUSTOS_EEXPIRED now - leeway >= exp
 *   CUSTOS_ENOTYET  now + leeway < nbf, or iat > now + leeway
 *   CUSTOS_ENOMEM / CUSTOS_ECRYPTO  internal faults (still a deny)
 * Thread-safe: any number of threads may verify on one verifier. May block
 * for up to the JWKS timeout when a URL verifier refetches its keys.
 */
CUSTOS_API int custos_verify(const custos_verifier_t *v, const char *token, size_t len,
                             custos_claims_t **out) CUSTOS_WARN_UNUSED;

/*
 * Reads string claim `name` (a top-level member of the payload). On
 * CUSTOS_OK *out points to the NUL-terminated value, borrowed: valid until
 * custos_claims_free(c). Returns CUSTOS_ENOTFOUND when absent,
 * CUSTOS_EINVAL when not a string (or a NULL argument); *out untouched on
 * failure. Thread-safe (a claims object is read-only).
 */
CUSTOS_API int custos_claims_get_string(const custos_claims_t *c, const char *name,
                                        const char **out) CUSTOS_WARN_UNUSED;

/*
 * Reads integer claim `name` into *out. A JSON number with a fraction
 * (1.5) or outside int64_t is CUSTOS_EINVAL; integral reals (1e3) are
 * accepted. Returns CUSTOS_OK, CUSTOS_ENOTFOUND, CUSTOS_EINVAL; *out
 * untouched on failure. Thread-safe.
 */
CUSTOS_API int custos_claims_get_int(const custos_claims_t *c, const char *name,
                                     int64_t *out) CUSTOS_WARN_UNUSED;

/*
 * Serializes claim `name` (any JSON type), or the whole payload when `name`
 * is NULL, as compact JSON into *out: a new NUL-terminated string the
 * caller frees with custos_free. Returns CUSTOS_OK, CUSTOS_ENOTFOUND,
 * CUSTOS_EINVAL (NULL c or out), CUSTOS_ENOMEM; *out untouched on failure.
 * Thread-safe.
 */
CUSTOS_API int custos_claims_get_json(const custos_claims_t *c, const char *name,
                                      char **out) CUSTOS_WARN_UNUSED;

/* Frees a claims object (and invalidates strings borrowed from it). NULL
 * does nothing. */
CUSTOS_API void custos_claims_free(custos_claims_t *c);

/* ==== Gateway decisions in-process ========================================
 *
 * A custos_checker_t is a custos node without the HTTP server: it reads
 * the same configuration as `custos serve` (YAML file, CUSTOS_* variables),
 * opens the same store with the same master key, loads the same route
 * policies (policy.file), and answers, for any request, exactly what
 * /v1/check would: the status, the X-Custos-* identity headers, or the
 * profile's refusal body byte for byte.
 *
 *   custos_checker_t *c;
 *   if (custos_checker_new("/etc/custos.yaml", &c)) die();   // once
 *   custos_decision_t *d;
 *   int rc = custos_check(c, "GET", "/api/items?page=2", my_header, req, NULL, &d);
 *   if (rc != CUSTOS_OK) send(custos_decision_status(d), body…);  // fail closed
 *   else use(custos_decision_get(d, "X-Custos-App"));
 *   custos_decision_free(d);
 *
 * Caches stay coherent like a serve node's: on PostgreSQL the checker
 * LISTENs for the invalidations every node sends (a revocation through any
 * node's admin API reaches it within a second); on SQLite, where other
 * processes cannot notify it, a cached API key or user token is re-read
 * after at most 300 s, an AssetPay merchant secret after 60 s, signing
 * keys within a second. See docs/libcustos.md.
 */

typedef struct custos_checker custos_checker_t;   /* opaque */
typedef struct custos_decision custos_decision_t; /* opaque */

/* Reads request header `name` (case-insensitive; custos asks with the
 * spelling its profiles document, e.g. "Authorization", "api-key",
 * "Token1") from the caller's request `ctx`. Returns the value, NUL-
 * terminated, or NULL when absent; it must stay valid until custos_check
 * returns. Called on the thread that called custos_check, any number of
 * times, only during that call. */
typedef const char *(*custos_header_fn)(void *ctx, const char *name);

/*
 * Starts a checker. The configuration is built as `custos serve` builds
 * it: defaults < the YAML file < CUSTOS_* environment variables (read now)
 * — the file is `config_path` if non-NULL, else $CUSTOS_CONFIG, else
 * ./custos.yaml when it exists. What it uses: store.url and store.pool,
 * the master key (CUSTOS_MASTER_KEY or secrets.master_key_file), mode,
 * policy.file (none: every route is refused, 403 no_policy), keys.*,
 * signing.*, assetpay.*, openledger.*, log.level; server.* is ignored.
 * Exactly like serve, in development mode it creates a missing master key
 * file and applies store migrations; in production mode it does neither.
 *
 * It starts the background threads a node runs (usage batching, and on
 * PostgreSQL one LISTEN connection per cache) with the caller's signal
 * mask, sets custos's process-wide log level to log.level, and logs (one
 * JSON object per line on stderr) what a node logs, including why it
 * failed to start.
 *
 * Returns CUSTOS_OK with *out a new checker (free with
 * custos_checker_free), or leaves *out untouched and returns:
 *   CUSTOS_EINVAL   NULL out; a config or policy file problem (each is
 *                   printed to stderr with its line); a bad master key
 *   CUSTOS_EIO      a config, policy or master key file cannot be read
 *   CUSTOS_ETOOBIG  a config or policy file over 1 MiB
 *   CUSTOS_ESTORE   the store cannot be opened or needs migrations
 *   CUSTOS_EVERSION the store's schema is newer than this library
 *   CUSTOS_ENOMEM, CUSTOS_ECRYPTO, CUSTOS_EKEY  (signing keys unusable)
 * Nothing is left running after a failure.
 */
CUSTOS_API int custos_checker_new(const char *config_path, custos_checker_t **out) CUSTOS_WARN_UNUSED;

/* Stops the checker's threads (flushing pending usage counts to the
 * store), closes the store, wipes the master key and frees everything.
 * NULL does nothing. No custos_check on `c` may be running or follow;
 * decisions it returned stay valid (they own their data). */
CUSTOS_API void custos_checker_free(custos_checker_t *c);

/*
 * Decides request `method` `uri` as /v1/check decides the original request
 * a gateway describes: `uri` is the request target as received,
 * "/path?query", still percent-encoded (NUL-terminated; the path is decoded
 * once, as custos does); `headers(ctx, name)` gives its headers (NULL =
 * the request has none). `request_id` (may be NULL) is written into
 * refusal bodies whose shape carries one (custos's "request_id",
 * AssetPay's "requestId") when it is 1..64 characters of [A-Za-z0-9._:-],
 * the ids `custos serve` echoes from X-Request-Id; otherwise the custos
 * shape leaves it out and AssetPay's is "" (serve would make one up).
 *
 * Grants only on CUSTOS_OK. On every return except CUSTOS_EINVAL and
 * CUSTOS_ENOMEM, *out is a new decision (free with custos_decision_free)
 * that a caller can send as the HTTP answer as it is; otherwise *out is
 * set to NULL (when out is non-NULL) and the caller answers by itself,
 * e.g. 500.
 *   CUSTOS_OK       allowed: status 200, the identity headers, empty body
 *   CUSTOS_EDENIED  refused, status 4xx other than 429: a credential
 *                   missing, invalid, expired, revoked or short of scope;
 *                   403 no_policy (no route policy matches: fail closed);
 *                   400 for a malformed method or target ("..", bad
 *                   %-escape, NUL, over 2047 bytes of path or 4095 of query)
 *   CUSTOS_ELIMIT   refused, 429: rate limited; a Retry-After header
 *   CUSTOS_ESTORE   refused, 5xx: 503 when the store failed (Retry-After
 *                   when known), 500 for an internal fault
 *   CUSTOS_EINVAL   NULL c, method, uri or out (no decision)
 *   CUSTOS_ENOMEM   (no decision)
 * Thread-safe: any number of threads may check on one checker. It reads
 * the store only when a cache misses.
 */
CUSTOS_API int custos_check(custos_checker_t *c, const char *method, const char *uri, custos_header_fn headers,
                            void *ctx, const char *request_id, custos_decision_t **out) CUSTOS_WARN_UNUSED;

/* The decision's HTTP status: 200 when allowed, else the refusal's (400,
 * 401, 403, 429, 500, 503 …). 0 for NULL. */
CUSTOS_API int custos_decision_status(const custos_decision_t *d);

/* The refusal's stable machine code as its body shows it ("TOKEN1_MISSING",
 * "INVALID_API_KEY", "AUTHENTICATION_ERROR", "no_policy", "bad_request" …;
 * for logs and metrics, not for parsing bodies), or NULL when allowed or
 * d is NULL. Borrowed: static storage. */
CUSTOS_API const char *custos_decision_code(const custos_decision_t *d);

/* How many response headers the decision carries: when allowed, the
 * identity headers /v1/check answers with (X-Custos-Account, -App,
 * -Subject, -Entity, -Scopes, -Token-Id when not empty, then the
 * profile's own, e.g. X-Custos-Risk-Limit), in that order; when refused,
 * Retry-After if set, else none. Content-Type is custos_decision_content_type.
 * 0 for NULL. */
CUSTOS_API size_t custos_decision_header_count(const custos_decision_t *d);

/* Header `i` (0 <= i < custos_decision_header_count(d)): *name and *value
 * are borrowed, NUL-terminated, valid until custos_decision_free(d).
 * Returns CUSTOS_OK, or CUSTOS_EINVAL (NULL argument, i out of range) with
 * *name and *value untouched. */
CUSTOS_API int custos_decision_header(const custos_decision_t *d, size_t i, const char **name,
                                      const char **value) CUSTOS_WARN_UNUSED;

/* The value of the decision's header `name` (case-insensitive), e.g.
 * custos_decision_get(d, "X-Custos-App"); NULL when absent (an empty
 * identity field has no header) or for NULL arguments. Borrowed until
 * custos_decision_free(d). */
CUSTOS_API const char *custos_decision_get(const custos_decision_t *d, const char *name);

/* The response body: for a refusal the exact bytes /v1/check sends (the
 * profile's JSON error shape; UTF-8, NUL-terminated), "" when allowed.
 * Its length goes to *len when len is non-NULL. Borrowed until
 * custos_decision_free(d). NULL d gives "" and 0. */
CUSTOS_API const char *custos_decision_body(const custos_decision_t *d, size_t *len);

/* "application/json" for a refusal, NULL when allowed (no body) or for
 * NULL d. Static storage. */
CUSTOS_API const char *custos_decision_content_type(const custos_decision_t *d);

/* Seconds the caller should wait before retrying (the Retry-After header
 * of a 429 or 503), 0 when none or for NULL d. */
CUSTOS_API int custos_decision_retry_after(const custos_decision_t *d);

/* Frees a decision. NULL does nothing. */
CUSTOS_API void custos_decision_free(custos_decision_t *d);

#ifdef __cplusplus
}
#endif
#endif /* CUSTOS_H */
