/*
 * log.h — one JSON object per line on stderr (or a chosen fd).
 *
 * Lines are written with a single write() so concurrent threads never
 * interleave. Secrets never reach the log: header values named by
 * log_header_is_secret() are replaced by "[redacted]", and request bodies
 * are never logged.
 */
#ifndef CUSTOS_CORE_LOG_H
#define CUSTOS_CORE_LOG_H

#include <stdbool.h>

#include "core/buf.h"

typedef enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

void log_set_level(log_level_t lvl);
void log_set_fd(int fd);
/* Parses "debug|info|warn|error"; returns -1 for anything else. */
int log_level_parse(const char *s);

/* Writes {"ts":…,"level":…,"msg":<formatted>} when lvl passes the level. */
void log_msg(log_level_t lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Starts a line in `b`: `{"ts":"…","level":"…"` — append `,"k":v` members
 * and finish with log_end(), which adds `}\n` and writes the line. */
int log_begin(buf_t *b, log_level_t lvl) __attribute__((warn_unused_result));
void log_end(buf_t *b);
bool log_enabled(log_level_t lvl);

/* True for header names that carry credentials (case-insensitive):
 * Authorization, api-key, x-api-key, x-api-secret, x-api-ott, Token1,
 * Token2, appsecret, didtoken, Cookie, Proxy-Authorization. */
bool log_header_is_secret(const char *name);

#endif
