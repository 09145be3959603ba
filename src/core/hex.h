/*
 * hex.h — the value of one hexadecimal digit, for the several decoders
 * that meet them (percent-escapes, chunk sizes, \u escapes, key files).
 */
#ifndef CUSTOS_CORE_HEX_H
#define CUSTOS_CORE_HEX_H

/* 0..15 for [0-9a-fA-F], else -1. */
static inline int hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

#endif
