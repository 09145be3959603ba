/*
 * cmd_audit.c — `custos audit list [--action A] [--target T] [--actor X]
 * [--since WHEN]`: the audit trail over the admin API (cli/remote.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/remote.h"

static void usage(FILE *out) {
  fputs("usage: custos audit list [--action A] [--target T] [--actor X] [--since WHEN]\n"
        "                         [--limit N] [--after ID] [--all]\n"
        "--action: an exact action, or a prefix ending in '.' (key.)\n"
        "--since:  unix seconds, or a duration back from now (30m, 24h, 7d)\n"
        REMOTE_USAGE_GLOBAL,
        out);
}

static const remote_col_t COLS[] = {
    {"ID", "id", REMOTE_TEXT},         {"AT", "at", REMOTE_TIME},
    {"ACTOR", "actor", REMOTE_TEXT},   {"ACTION", "action", REMOTE_TEXT},
    {"TARGET", "target", REMOTE_TEXT}, {"OUTCOME", "outcome", REMOTE_TEXT},
    {"REMOTE", "remote", REMOTE_TEXT},
};

/* --since: all digits = unix seconds as given; else a duration ago. */
static int since_value(const char *text, char *out, size_t cap) {
  size_t n = strspn(text, "0123456789");
  if (n > 0 && text[n] == '\0' && n <= 18) {
    snprintf(out, cap, "%s", text);
    return 0;
  }
  int64_t ago;
  if (duration_parse(text, &ago) != 0) return -1;
  snprintf(out, cap, "%lld", (long long)((int64_t)time(NULL) - ago));
  return 0;
}

static int list(remote_t *r, const remote_args_t *a) {
  static const char *const FILTERS[][2] = {
      {"action", "action"}, {"target", "target"}, {"actor", "actor"}};
  char path[CLIENT_MAX_URL] = "/admin/v1/audit", since[32];
  for (size_t i = 0; i < sizeof FILTERS / sizeof *FILTERS; i++) {
    const char *v = remote_opt(a, FILTERS[i][0]);
    if (v != NULL && remote_query(path, sizeof path, FILTERS[i][1], v) != 0) {
      fprintf(stderr, "%s: --%s is too long\n", r->prog, FILTERS[i][0]);
      return 2;
    }
  }
  const char *s = remote_opt(a, "since");
  if (s != NULL) {
    if (since_value(s, since, sizeof since) != 0) {
      fprintf(stderr, "%s: --since \"%s\" is neither unix seconds nor a duration (24h)\n",
              r->prog, s);
      return 2;
    }
    if (remote_query(path, sizeof path, "since", since) != 0) return 2;
  }
  return remote_list(r, path, COLS, sizeof COLS / sizeof *COLS, NULL, NULL);
}

static const char *const LIST_OPTS[] = {"action", "target", "actor", "since", NULL};

static const remote_verb_t VERBS[] = {
    {"list", 0, 0, LIST_OPTS, true, list},
};

int cmd_audit(int argc, char **argv) {
  return remote_main(argc, argv, LIST_OPTS, VERBS, sizeof VERBS / sizeof *VERBS, usage);
}
