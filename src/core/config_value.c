/*
 * config_value.c — the value types of config keys: integers, sizes,
 * durations, booleans, enums, listen addresses, store URLs. Each parser is
 * strict (decimal digits only, no spaces, no guessing of units) because a
 * config value that means something other than what the operator thought
 * is worse than one that is refused.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/config_schema.h"

/* Decimal digits only: no sign, no 0x, no exponent, no spaces. Sets *end to
 * the first non-digit. Returns false on no digits or overflow. */
static bool parse_digits(const char *s, unsigned long long *out, const char **end) {
  unsigned long long v = 0;
  const char *q = s;
  for (; *q >= '0' && *q <= '9'; q++) {
    unsigned d = (unsigned)(*q - '0');
    if (v > (ULLONG_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  *end = q;
  return q != s;
}

static bool mul_ok(unsigned long long a, unsigned long long b, unsigned long long *out) {
  if (b && a > ULLONG_MAX / b)
    return false;
  *out = a * b;
  return true;
}

/* Sizes: 65536, 512B, 64KiB, 1MiB, 1GiB. KB/MB are refused because they
 * are ambiguous (1000 or 1024). */
static int parse_size(const char *s, unsigned long long *out, const char **why) {
  static const struct { const char *unit; unsigned long long mul; } units[] = {
      {"", 1}, {"B", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024ULL * 1024 * 1024}};
  const char *end;
  unsigned long long v;
  *why = "must be a size such as 65536, 64KiB or 1MiB";
  if (!parse_digits(s, &v, &end))
    return -1;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].unit) == 0)
      return mul_ok(v, units[i].mul, out) ? 0 : -1;
  if (!strcasecmp(end, "k") || !strcasecmp(end, "kb") || !strcasecmp(end, "m") ||
      !strcasecmp(end, "mb") || !strcasecmp(end, "g") || !strcasecmp(end, "gb"))
    *why = "must use KiB, MiB or GiB (powers of 1024), not K/KB/M/MB";
  return -1;
}

/* Durations in milliseconds: 500ms, 10s, 2m, 1h, or a bare integer counted
 * in `bare_ms` milliseconds (the field's own unit). */
static int parse_duration_ms(const char *s, unsigned long long bare_ms, unsigned long long *out) {
  static const struct { const char *unit; unsigned long long mul; } units[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
  const char *end;
  unsigned long long v;
  if (!parse_digits(s, &v, &end))
    return -1;
  if (*end == '\0')
    return mul_ok(v, bare_ms, out) ? 0 : -1;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].unit) == 0)
      return mul_ok(v, units[i].mul, out) ? 0 : -1;
  return -1;
}

static bool valid_hostname(const char *h, size_t n) {
  if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.')
    return false;
  for (size_t i = 0; i < n; i++) {
    char ch = h[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '-' || ch == '.'))
      return false;
  }
  return true;
}

/* host:port with host an IPv4 address, a hostname or a bracketed IPv6
 * address; port 0..65535. Sets *why on failure. */
static int check_listen(const char *s, const char **why) {
  char host[128];
  const char *colon;
  size_t hlen;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':') {
      *why = "must be \"[IPv6]:port\", e.g. \"[::1]:8080\"";
      return -1;
    }
    hlen = (size_t)(close - s - 1);
    unsigned char addr[16];
    if (hlen == 0 || hlen >= sizeof host) {
      *why = "has an invalid IPv6 address";
      return -1;
    }
    memcpy(host, s + 1, hlen);
    host[hlen] = '\0';
    if (inet_pton(AF_INET6, host, addr) != 1) {
      *why = "has an invalid IPv6 address";
      return -1;
    }
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) {
      *why = "must be host:port, e.g. 127.0.0.1:8080";
      return -1;
    }
    hlen = (size_t)(colon - s);
    if (memchr(s, ':', hlen)) {
      *why = "IPv6 addresses go in brackets: \"[::1]:8080\"";
      return -1;
    }
    if (hlen == 0) {
      *why = "has no host; write 0.0.0.0:PORT to listen on all interfaces";
      return -1;
    }
    if (hlen >= sizeof host || !valid_hostname(s, hlen)) {
      *why = "has an invalid host";
      return -1;
    }
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    /* All digits and dots means an IPv4 address, so 300.1.1.1 is refused
     * rather than resolved as a name. */
    if (strspn(host, "0123456789.") == hlen) {
      unsigned char addr[4];
      if (inet_pton(AF_INET, host, addr) != 1) {
        *why = "has an invalid IPv4 address";
        return -1;
      }
    }
  }
  unsigned long long port;
  const char *end;
  if (!parse_digits(colon + 1, &port, &end) || *end || port > 65535 || end - (colon + 1) > 5) {
    *why = "has an invalid port (0..65535)";
    return -1;
  }
  return 0;
}

bool config__is_hex64(const char *s) {
  size_t n = 0;
  for (; s[n]; n++)
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f') ||
          (s[n] >= 'A' && s[n] <= 'F')))
      return false;
  return n == 64;
}

static int set_string(char *dst, size_t size, const char *v, char *why, size_t whylen) {
  size_t n = strlen(v);
  if (n >= size) {
    snprintf(why, whylen, "is %zu bytes; the limit is %zu", n, size - 1);
    return -1;
  }
  memcpy(dst, v, n + 1);
  return 0;
}

/*
 * Parses `v` for key `k` and stores it in `c`. On failure writes a reason
 * (starting with a verb: "must be …") into `why` and leaves `c` unchanged.
 */
int config__set_value(config_t *c, const cfgkey_t *k, const char *v, char *why, size_t whylen) {
  char *field = (char *)c + k->off;
  const char *reason = NULL;
  unsigned long long u;
  const char *end;

  switch (k->type) {
  case K_ENUM:
    for (const char *const *ch = k->choices; *ch; ch++)
      if (strcmp(*ch, v) == 0)
        return set_string(field, k->size, v, why, whylen);
    {
      /* "must be one of a, b, c (got "x")" */
      size_t j = (size_t)snprintf(why, whylen, "must be one of ");
      for (const char *const *ch = k->choices; *ch && j < whylen; ch++)
        j += (size_t)snprintf(why + j, whylen - j, "%s%s", *ch, ch[1] ? ", " : "");
      if (j < whylen)
        snprintf(why + j, whylen - j, " (got \"%.32s\")", v);
    }
    return -1;
  case K_LISTEN:
    if (check_listen(v, &reason) != 0) {
      snprintf(why, whylen, "%s (got \"%.64s\")", reason, v);
      return -1;
    }
    return set_string(field, k->size, v, why, whylen);
  case K_URL:
    /* The URL may hold a password, so it is never echoed. */
    if (!((strncmp(v, "sqlite:", 7) == 0 && v[7]) ||
          (strncmp(v, "postgres://", 11) == 0 && v[11]) ||
          (strncmp(v, "postgresql://", 13) == 0 && v[13]))) {
      snprintf(why, whylen, "must be sqlite:PATH or postgres://…");
      return -1;
    }
    return set_string(field, k->size, v, why, whylen);
  case K_PATH:
    return set_string(field, k->size, v, why, whylen);
  case K_INT:
    if (!parse_digits(v, &u, &end) || *end || u < (unsigned long long)k->min ||
        u > (unsigned long long)k->max) {
      snprintf(why, whylen, "must be an integer from %lld to %lld (got \"%.32s\")", k->min, k->max,
               v);
      return -1;
    }
    *(int *)(void *)field = (int)u;
    return 0;
  case K_SIZE:
    if (parse_size(v, &u, &reason) != 0) {
      snprintf(why, whylen, "%s (got \"%.32s\")", reason, v);
      return -1;
    }
    if (u < (unsigned long long)k->min || u > (unsigned long long)k->max) {
      snprintf(why, whylen, "must be from %lld to %lld bytes (got \"%.32s\")", k->min, k->max, v);
      return -1;
    }
    *(size_t *)(void *)field = (size_t)u;
    return 0;
  case K_SECONDS:
  case K_MILLIS: {
    unsigned long long unit = k->type == K_SECONDS ? 1000 : 1;
    if (parse_duration_ms(v, unit, &u) != 0) {
      snprintf(why, whylen, "must be a duration such as 30s, 500ms or 2m, or a number of %s "
               "(got \"%.32s\")", k->type == K_SECONDS ? "seconds" : "milliseconds", v);
      return -1;
    }
    if (u % unit != 0) {
      snprintf(why, whylen, "must be a whole number of seconds (got \"%.32s\")", v);
      return -1;
    }
    u /= unit;
    if (u < (unsigned long long)k->min || u > (unsigned long long)k->max) {
      snprintf(why, whylen, "must be from %lld%s to %lld%s (got \"%.32s\")", k->min,
               k->type == K_SECONDS ? "s" : "ms", k->max, k->type == K_SECONDS ? "s" : "ms", v);
      return -1;
    }
    *(int *)(void *)field = (int)u;
    return 0;
  }
  case K_BOOL:
    if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE") || !strcmp(v, "1")) {
      *(bool *)(void *)field = true;
      return 0;
    }
    if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE") || !strcmp(v, "0")) {
      *(bool *)(void *)field = false;
      return 0;
    }
    snprintf(why, whylen, "must be true or false (got \"%.32s\")", v);
    return -1;
  }
  snprintf(why, whylen, "has an unsupported type");
  return -1;
}

