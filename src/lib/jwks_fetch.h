/*
 * jwks_fetch.h — getting a JWKS document over HTTP(S) with libcurl.
 *
 * One blocking GET per call, on a fresh easy handle (so calls share
 * nothing and may run in any thread), bounded in time and size: the body
 * is refused as soon as it passes the cap (from Content-Length when sent,
 * else while reading), redirects are not followed, only http and https
 * are spoken, and http only to loopback unless allowed. Signals are not
 * used (CURLOPT_NOSIGNAL), so threads are safe.
 */
#ifndef CUSTOS_LIB_JWKS_FETCH_H
#define CUSTOS_LIB_JWKS_FETCH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct jwks_fetch_opts {
  size_t max_bytes;      /* body cap, bytes, > 0 */
  long timeout_ms;       /* whole request, > 0 */
  long connect_ms;       /* connect phase, > 0 */
  bool allow_http;       /* plain http to non-loopback hosts */
  const char *ca_file;   /* PEM bundle, NULL = system default */
} jwks_fetch_opts_t;

/* Checks that `url` is an http(s) URL with a host, and that http is
 * allowed for it (loopback host: "localhost", 127.0.0.0/8, [::1]; any
 * host with allow_http). Returns CUSTOS_OK or CUSTOS_EINVAL; CUSTOS_ENOMEM. */
int jwks_url_check(const char *url, bool allow_http) __attribute__((warn_unused_result));

/* Fetches `url` into *body (malloc'd, NUL-terminated, free() it) and its
 * length into *len. Returns CUSTOS_OK; CUSTOS_EINVAL (jwks_url_check);
 * CUSTOS_ETOOBIG (over max_bytes); CUSTOS_EIO (resolve/connect/TLS
 * failure, timeout, status other than 200); CUSTOS_ENOMEM. Outputs are
 * untouched on failure. */
int jwks_fetch(const char *url, const jwks_fetch_opts_t *o, char **body, size_t *len)
    __attribute__((warn_unused_result));

#endif
