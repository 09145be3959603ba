/*
 * custos.h — the libcustos public API.
 *
 * libcustos lets a C service verify custos credentials in-process, without a
 * gateway. Every declaration below states what it returns, who owns what,
 * and the state after failure. Calls are thread-safe unless said otherwise;
 * the library keeps no global mutable state.
 *
 * Fail closed: a verify call grants only when it returns CUSTOS_OK. Any
 * other value, internal faults included, means deny.
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

#ifdef __cplusplus
}
#endif
#endif /* CUSTOS_H */
