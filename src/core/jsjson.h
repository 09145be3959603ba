/*
 * jsjson.h — serialising JSON exactly as JavaScript's JSON.stringify does
 * for a value that came out of JSON.parse.
 *
 * Why: tokens that merchants mint themselves with npm `jose` and tokens
 * custos mints must be byte for byte the same (the AssetPay seed says so),
 * and jose signs JSON.stringify's output. jansson's json_dumps differs in
 * member order, number formatting and escaping.
 *
 * What JSON.stringify does, and this module with it:
 *  - member order: "array index" names (canonical decimal integers
 *    0..2^32-2) first in ascending numeric order, then the other names in
 *    insertion order (ECMA-262 OrdinaryOwnPropertyKeys);
 *  - numbers: every JSON number is an IEEE double in JavaScript, printed by
 *    Number::toString: the shortest digit string that reads back to the
 *    same double (closest one on ties), plain decimal when the decimal
 *    exponent is in -7 < n <= 21, otherwise "d.ddde+N"/"de-N"; -0 is "0";
 *    integers beyond 2^53 come out as their nearest double (9007199254740993
 *    prints as 9007199254740992, 1e21 as "1e+21");
 *  - strings: only '"', '\\' and the C0 controls are escaped (\b \t \n \f
 *    \r, others as lowercase \u00xx); '/', DEL, U+2028/2029 and all other
 *    non-ASCII characters are written as raw UTF-8.
 *
 * Input: a jansson value from a parser that rejects NUL and lone
 * surrogates (jbody_parse does), ideally decoded with every number as a
 * double (JSON_DECODE_INT_AS_REAL: json_integer values are converted,
 * which for |n| > 2^53 was already rounded by jansson's int64 parse, so
 * parse numbers as reals to match JavaScript exactly).
 *
 * Thread-safe; no shared state.
 */
#ifndef CUSTOS_CORE_JSJSON_H
#define CUSTOS_CORE_JSJSON_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"

#define JSJSON_NUMBER_MAX 32   /* longest Number::toString output + NUL ("-1.2345678901234567e-308") */
#define JSJSON_MAX_DEPTH 64    /* deeper values are refused (CUSTOS_EDEPTH) */

/*
 * Writes Number::toString(x) into out (NUL-terminated) and returns its
 * length. Non-finite values give "null", as JSON.stringify writes them.
 * Cannot fail.
 */
size_t jsjson_number(double x, char out[JSJSON_NUMBER_MAX]);

/* Appends JSON.stringify(s) for `n` bytes of UTF-8 `s` (quotes included). */
int jsjson_string(buf_t *out, const char *s, size_t n) __attribute__((warn_unused_result));

/*
 * Appends JSON.stringify(v) to `out`. Returns CUSTOS_OK, CUSTOS_EDEPTH
 * (nested deeper than JSJSON_MAX_DEPTH), CUSTOS_ETOOBIG (out's cap) or
 * CUSTOS_ENOMEM; on failure `out` is unchanged.
 */
int jsjson_dump(buf_t *out, const json_t *v) __attribute__((warn_unused_result));

#endif
