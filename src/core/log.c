#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static _Atomic int g_level = LOG_INFO;
static _Atomic int g_fd = 2;

static const char *const LEVEL_NAMES[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level_t lvl) { atomic_store(&g_level, (int)lvl); }
void log_set_fd(int fd) { atomic_store(&g_fd, fd); }
bool log_enabled(log_level_t lvl) { return (int)lvl >= atomic_load(&g_level); }

int log_level_parse(const char *s) {
  for (int i = 0; i < 4; i++)
    if (strcmp(s, LEVEL_NAMES[i]) == 0) return i;
  return -1;
}

int log_begin(buf_t *b, log_level_t lvl) {
  struct timespec ts;
  struct tm tm;
  char when[40];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf_printf(b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\"", when,
                    ts.tv_nsec / 1000000, LEVEL_NAMES[lvl]);
}

void log_end(buf_t *b) {
  if (buf_append(b, "}\n", 2) != 0) return;
  const char *p = b->data;
  size_t left = b->len;
  int fd = atomic_load(&g_fd);
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= (size_t)n;
  }
}

void log_msg(log_level_t lvl, const char *fmt, ...) {
  if (!log_enabled(lvl)) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  buf_t b;
  buf_init(&b, 8192);
  if (log_begin(&b, lvl) == 0 && buf_puts(&b, ",\"msg\":\"") == 0 &&
      buf_json_escape(&b, msg, strlen(msg)) == 0 && buf_puts(&b, "\"") == 0)
    log_end(&b);
  buf_cleanup(&b);
}

bool log_header_is_secret(const char *name) {
  static const char *const SECRET[] = {
      "authorization", "proxy-authorization", "cookie", "set-cookie",
      "api-key", "x-api-key", "x-api-secret", "x-api-ott", "token1",
      "token2", "appsecret", "didtoken", "x-custos-admin-token"};
  for (size_t i = 0; i < sizeof SECRET / sizeof *SECRET; i++)
    if (strcasecmp(name, SECRET[i]) == 0) return true;
  return false;
}
