/*
 * fuzz_config.c — config_load_buffer() on arbitrary bytes: the YAML subset
 * parser, the schema and the problem list must never crash, leak or read
 * out of bounds, and a success must leave a config that passes the same
 * range checks again (written out and reloaded).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "custos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  config_t c;
  config_problems_t p;
  config_defaults(&c);
  config_problems_init(&p);
  int rc = config_load_buffer(&c, (const char *)data, size, "fuzz", &p);
  if (rc != CUSTOS_OK && p.count == 0 && p.dropped == 0)
    abort(); /* a failure must always say why */
  if (rc == CUSTOS_OK) {
    /* Round trip: what loaded must write out and load back unchanged. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
      return 0;
    if (config_write_yaml(&c, f) != 0)
      abort();
    fclose(f);
    /* A redacted store URL can grow past its field, so only URLs without
     * credentials must reload. */
    bool redacted = strchr(c.store_url, '@') || strstr(c.store_url, "password=");
    config_t back;
    config_defaults(&back);
    config_problems_init(&p);
    int brc = config_load_buffer(&back, text, len, "roundtrip", &p);
    if (brc != CUSTOS_OK && !redacted)
      abort();
    if (brc == CUSTOS_OK &&
        (back.threads != c.threads || back.max_body_bytes != c.max_body_bytes ||
         back.connection_timeout_s != c.connection_timeout_s ||
         back.shutdown_grace_ms != c.shutdown_grace_ms || strcmp(back.listen, c.listen) != 0 ||
         strcmp(back.master_key_file, c.master_key_file) != 0 ||
         strcmp(back.mode, c.mode) != 0 || back.access_log != c.access_log))
      abort();
    free(text);
  }
  FILE *devnull = fopen("/dev/null", "w");
  if (devnull) {
    config_problems_print(&p, NULL, devnull);
    fclose(devnull);
  }
  return 0;
}
