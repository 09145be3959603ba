/*
 * custos serve — load configuration, bring the node up (app_open, shared
 * with libcustos's in-process checker), serve HTTP until SIGTERM/SIGINT,
 * then drain in-flight requests and tear down (app_close).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/log.h"
#include "perm/authreq.h"
#include "server/app.h"

extern char **environ;

static void usage(FILE *out) {
  fprintf(out, "usage: custos serve [flags]\n\n");
  config_flags_usage(out);
}

int cmd_serve(int argc, char **argv) {
  app_t *a = calloc(1, sizeof *a);
  if (!a) return 1;
  int code = 1;
  config_problems_t probs;
  config_problems_init(&probs);
  int argi = 0;
  int rc = config_from_args(&a->cfg, argc, argv, environ, &probs, &argi);
  if (rc == CONFIG_HELP) {
    usage(stdout);
    code = 0;
    goto out;
  }
  if (rc != 0) {
    config_problems_print(&probs, probs.file, stderr);
    code = 2;
    goto out;
  }
  if (argi < argc) {
    fprintf(stderr, "custos serve: unexpected argument '%s'\n", argv[argi]);
    code = 2;
    goto out;
  }
  log_set_level((log_level_t)log_level_parse(a->cfg.log_level));

  /* Signals are taken by sigwait() below; block them before any thread
   * starts so the HTTP server's threads inherit the mask. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  if (app_open(a) != CUSTOS_OK) goto out;
  a->metrics = metrics_new();
  if (!a->metrics || app_routes(a) != 0) {
    log_msg(LOG_ERROR, "cannot set up routes");
    goto out;
  }
  http_server_opts_t ho = {
      .listen = a->cfg.listen,
      .threads = a->cfg.threads,
      .max_body_bytes = a->cfg.max_body_bytes,
      .max_header_bytes = a->cfg.max_header_bytes,
      .max_headers = a->cfg.max_headers,
      .connection_timeout_s = a->cfg.connection_timeout_s,
      .access_log = a->cfg.access_log,
      .raw_uri_prefix = AUTHREQ_CHECK_PATH "/",
  };
  char err[512];
  a->http = http_server_start(&ho, &a->router, a->metrics, a, err, sizeof err);
  if (!a->http) {
    log_msg(LOG_ERROR, "%s", err);
    goto out;
  }
  char shown[1024];
  store_url_redact(a->cfg.store_url, shown, sizeof shown);
  const char *colon = strrchr(a->cfg.listen, ':');
  int hostlen = colon ? (int)(colon - a->cfg.listen) : 0;
  log_msg(LOG_INFO, "custos %s listening on %.*s:%u (mode %s, store %s)", custos_version(), hostlen,
          a->cfg.listen, http_server_port(a->http), a->cfg.mode, shown);

  int sig = 0;
  sigwait(&set, &sig);
  log_msg(LOG_INFO, "received %s: draining (grace %d ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
          a->cfg.shutdown_grace_ms);
  int64_t left = http_server_drain(a->http, a->cfg.shutdown_grace_ms);
  if (left > 0) log_msg(LOG_WARN, "%lld request(s) still in flight after the grace period", (long long)left);
  http_server_stop(a->http);
  a->http = NULL;
  code = 0;
  log_msg(LOG_INFO, "stopped");
out:
  app_close(a);
  return code;
}
