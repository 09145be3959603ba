/*
 * fuzz_b64url — strict decoding means canonical text: whatever decodes
 * must re-encode to exactly the input, and encoding any bytes must decode
 * back to them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64url.h"
#include "custos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t max = b64url_decoded_max(size);
  unsigned char *dec = malloc(max + 1);
  char *enc = malloc(b64url_encoded_len(size) + 1);
  size_t declen = 0;
  if (!dec || !enc) abort();

  if (b64url_decode((const char *)data, size, dec, &declen) == CUSTOS_OK) {
    if (declen > max || b64url_encode(dec, declen, enc) != size) abort();
    if (size && memcmp(enc, data, size) != 0) abort();
  }

  size_t elen = b64url_encode(data, size, enc);
  if (elen != b64url_encoded_len(size)) abort();
  unsigned char *back = malloc(size + 1);
  if (!back) abort();
  if (b64url_decode(enc, elen, back, &declen) != CUSTOS_OK || declen != size) abort();
  if (size && memcmp(back, data, size) != 0) abort();

  free(back);
  free(enc);
  free(dec);
  return 0;
}
