/*
 * utf8.h — strict UTF-8 (RFC 3629) checks for untrusted text.
 *
 * Strict means: no overlong forms, no UTF-16 surrogates (U+D800..DFFF),
 * nothing above U+10FFFF, no truncated sequence. Request bodies are checked
 * with it before parsing, and error bodies are made valid with it before
 * they are sent.
 */
#ifndef CUSTOS_CORE_UTF8_H
#define CUSTOS_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Returns the length (1-4) of the valid UTF-8 character starting at s[0],
 * looking at no more than n bytes, or 0 if none starts there (including
 * n == 0). */
size_t utf8_char_len(const unsigned char *s, size_t n);

/* Returns true when all n bytes of s are strict UTF-8. */
bool utf8_valid(const unsigned char *s, size_t n);

#endif
