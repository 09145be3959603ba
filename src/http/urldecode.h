/*
 * urldecode.h — decoding a request target's path and query (RFC 3986
 * percent-encoding; '+' as a space in query arguments, as HTML forms
 * encode them). Pure functions over caller memory, fuzzed alone
 * (tests/fuzz/fuzz_urldecode.c).
 */
#ifndef CUSTOS_HTTP_URLDECODE_H
#define CUSTOS_HTTP_URLDECODE_H

#include <stdbool.h>
#include <stddef.h>

/* Percent-decodes s[0..n) into out (room for n + 1 bytes), '+' as a space
 * when plus_space. A '%' not followed by two hex digits stays as it is. A
 * decoded NUL ends the result (as libmicrohttpd's decoding did, so routing
 * never sees one). Returns the decoded length; out is NUL-terminated. */
size_t url_pct_decode(const char *s, size_t n, char *out, bool plus_space);

/* Bytes url_query_decode needs for a query of n bytes. */
#define URL_QUERY_DECODED_MAX(n) (4 * (n) + 8)
/* Decodes a raw query string ("a=1&b=x+y", no '?') into out as records
 * "name\0" F "value\0", F being '=' (has a value) or '-' (a name without
 * '='), ended by an empty name. Pairs whose name decodes to "" are
 * skipped. out must hold URL_QUERY_DECODED_MAX(n) bytes. */
void url_query_decode(const char *q, size_t n, char *out);
/* The value of the first pair named `name` in url_query_decode's output;
 * NULL when absent or when the name had no '='. */
const char *url_query_find(const char *decoded, const char *name);

#endif
