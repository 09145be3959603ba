/*
 * rand.h — random bytes and identifiers from OpenSSL's CSPRNG.
 */
#ifndef CUSTOS_CORE_RAND_H
#define CUSTOS_CORE_RAND_H

#include <stddef.h>

/* Fills `p` with `n` CSPRNG bytes. Returns CUSTOS_OK or CUSTOS_ECRYPTO. */
int rand_bytes(void *p, size_t n) __attribute__((warn_unused_result));

/* Writes `n` random base62 characters and a NUL into `out` (size >= n+1),
 * without modulo bias. Returns CUSTOS_OK or CUSTOS_ECRYPTO. */
int rand_base62(char *out, size_t n) __attribute__((warn_unused_result));

/* Writes "<prefix>_<22 base62 chars>" into `out` (size >= RAND_ID_MAX):
 * ~131 bits, enough for identifiers that are not secrets. */
#define RAND_ID_MAX 48
int rand_id(char *out, const char *prefix) __attribute__((warn_unused_result));

#endif
