/*
 * pg_listen.c — store_listen() on PostgreSQL.
 *
 * Each listener has its own connection (outside the pool) and thread. The
 * thread waits in poll() on the connection's socket and on the store's
 * self-pipe, which pg__listeners_stop() makes readable to stop every
 * listener at once; the poll timeout (LISTEN_POLL_MS) bounds how long a
 * wakeup can be missed. On connection loss it reconnects without blocking
 * (PQconnectStartParams + PQconnectPoll under the same poll, so close never
 * waits on a connect), with backoff, LISTENs again and tells the callback
 * "*": notifications sent meanwhile are lost.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/pg.h"

#define LISTEN_POLL_MS 1000 /* a listener re-checks for shutdown this often */

enum { IO_READY = 1, IO_TIMEOUT = 0, IO_STOP = -1 };

/* Waits up to `ms` for `events` on `fd` (ignored when < 0) or for the stop
 * pipe. EINTR counts as a timeout (callers loop). */
static int wait_io(pg_t *g, int fd, short events, int ms) {
  struct pollfd p[2] = {{g->stop_rd, POLLIN, 0}, {fd, events, 0}};
  int r = poll(p, 2, ms);
  if (r < 0) return IO_TIMEOUT;
  if (p[0].revents) return IO_STOP;
  return r > 0 ? IO_READY : IO_TIMEOUT;
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens a connection for `l` without blocking past the stop pipe or
 * STORE_PG_CONNECT_TIMEOUT_S (which libpq does not enforce for
 * PQconnectPoll), then LISTENs. On CUSTOS_OK l->c is set. */
static int listener_open(pg_listener_t *l, char *err, size_t errlen) {
  pg_t *g = l->g;
  /* Keepalives let a silently dead peer (no FIN) surface as an error
   * within about a minute instead of never. URL values still win. */
  const char *const kw[] = {"fallback_application_name", "client_encoding", "keepalives_idle",
                            "keepalives_interval", "keepalives_count", "dbname", NULL};
  const char *const val[] = {"custos-listen", "UTF8", "30", "10", "3", g->conninfo, NULL};
  char sql[STORE_CHANNEL_LEN_MAX + 16];
  long long deadline = mono_ms() + STORE_PG_CONNECT_TIMEOUT_S * 1000LL;
  PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
  int rc = CUSTOS_ESTORE;

  PGconn *c = PQconnectStartParams(kw, val, 1);
  if (!c) {
    pg__message(err, errlen, "postgres: listen: ", "out of memory");
    return CUSTOS_ENOMEM;
  }
  if (PQstatus(c) == CONNECTION_BAD) ps = PGRES_POLLING_FAILED;
  while (ps != PGRES_POLLING_OK) {
    long long left = deadline - mono_ms();
    if (ps == PGRES_POLLING_FAILED) {
      pg__message(err, errlen, "postgres: listen: cannot connect: ", PQerrorMessage(c));
      store__scrub_url_secrets(err, errlen, g->conninfo);
      goto fail;
    }
    if (left <= 0) {
      pg__message(err, errlen, "postgres: listen: ", "connect timed out");
      goto fail;
    }
    int w = wait_io(g, PQsocket(c), ps == PGRES_POLLING_READING ? POLLIN : POLLOUT, (int)left);
    if (w == IO_STOP) {
      pg__message(err, errlen, "postgres: listen: ", "store closing");
      goto fail;
    }
    if (w == IO_READY) ps = PQconnectPoll(c);
  }
  PQsetNoticeProcessor(c, pg__quiet_notice, NULL);
  /* The channel is [a-z_]{1,63} (checked by store.c): safe as a quoted
   * identifier, and equal to the name pg_notify() is given. */
  snprintf(sql, sizeof sql, "LISTEN \"%s\"", l->channel);
  PGresult *r = PQexec(c, sql);
  if (!pg__result_ok(r)) {
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    pg__message(err, errlen, "postgres: LISTEN failed: ", m ? m : PQerrorMessage(c));
    PQclear(r);
    goto fail;
  }
  PQclear(r);
  l->c = c;
  return CUSTOS_OK;

fail:
  PQfinish(c);
  return rc;
}

/* Delivers every notification libpq has parsed. */
static void listener_drain(pg_listener_t *l) {
  PGnotify *n;
  while ((n = PQnotifies(l->c))) {
    if (strcmp(n->relname, l->channel) == 0) l->fn(l->ctx, l->channel, n->extra);
    PQfreemem(n);
  }
}

static void *listener_main(void *arg) {
  pg_listener_t *l = arg;
  pg_t *g = l->g;
  char err[512];
  int backoff = STORE_LISTEN_BACKOFF_MIN_MS;

  for (;;) {
    if (!l->c) {
      if (wait_io(g, -1, 0, backoff) == IO_STOP) break;
      if (listener_open(l, err, sizeof err) != CUSTOS_OK) {
        if (wait_io(g, -1, 0, 0) == IO_STOP) break;
        atomic_fetch_add(l->errors, 1);
        log_msg(LOG_ERROR, "store: %s (channel %s; retrying)", err, l->channel);
        backoff = backoff * 2 > STORE_LISTEN_BACKOFF_MAX_MS ? STORE_LISTEN_BACKOFF_MAX_MS
                                                            : backoff * 2;
        continue;
      }
      backoff = STORE_LISTEN_BACKOFF_MIN_MS;
      log_msg(LOG_INFO, "store: postgres: listening on %s again", l->channel);
      /* Anything sent while we were away is lost: say so. */
      l->fn(l->ctx, l->channel, "*");
      continue;
    }
    int w = wait_io(g, PQsocket(l->c), POLLIN, LISTEN_POLL_MS);
    if (w == IO_STOP) break;
    if (w == IO_TIMEOUT && PQstatus(l->c) == CONNECTION_OK) continue;
    int ok = PQconsumeInput(l->c);
    listener_drain(l); /* what arrived before a failure still counts */
    if (!ok || PQstatus(l->c) != CONNECTION_OK) {
      char msg[256];
      pg__message(msg, sizeof msg, "", PQerrorMessage(l->c));
      atomic_fetch_add(l->errors, 1);
      log_msg(LOG_ERROR, "store: postgres: listen connection for %s lost: %s", l->channel, msg);
      PQfinish(l->c);
      l->c = NULL;
    }
  }
  return NULL;
}

int pg__listen(void *impl, const char *channel, store_notify_fn fn, void *ctx,
                     _Atomic uint64_t *errors) {
  pg_t *g = impl;
  pg_listener_t *l = NULL;
  char err[512];
  int rc;

  /* Held across the connect: registrations are rare (start-up) and this
   * keeps the count exact without a reservation protocol. */
  pthread_mutex_lock(&g->lmu);
  if (g->nlisteners == STORE_LISTENERS_MAX) {
    rc = CUSTOS_ETOOBIG;
    goto out;
  }
  if (!(l = calloc(1, sizeof *l))) {
    rc = CUSTOS_ENOMEM;
    goto out;
  }
  l->g = g;
  snprintf(l->channel, sizeof l->channel, "%s", channel);
  l->fn = fn;
  l->ctx = ctx;
  l->errors = errors;
  /* LISTEN before returning, so nothing sent after this call is missed. */
  if ((rc = listener_open(l, err, sizeof err))) {
    log_msg(LOG_ERROR, "store: %s", err);
    goto out;
  }
  if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
    log_msg(LOG_ERROR, "store: postgres: cannot start listener thread");
    rc = CUSTOS_ENOMEM;
    goto out;
  }
  g->listeners[g->nlisteners++] = l;
  l = NULL;
out:
  pthread_mutex_unlock(&g->lmu);
  if (l) {
    if (l->c) PQfinish(l->c);
    free(l);
  }
  return rc;
}

void pg__listeners_stop(pg_t *g) {
  /* The byte is never read, so the pipe stays readable for every thread. */
  if (g->stop_wr >= 0) {
    ssize_t w;
    do w = write(g->stop_wr, "x", 1);
    while (w < 0 && errno == EINTR);
  }
  for (int i = 0; i < g->nlisteners; i++) {
    pg_listener_t *l = g->listeners[i];
    pthread_join(l->thread, NULL); /* waits for a callback in progress */
    if (l->c) PQfinish(l->c);
    free(l);
  }
  g->nlisteners = 0;
  if (g->stop_rd >= 0) close(g->stop_rd);
  if (g->stop_wr >= 0) close(g->stop_wr);
  g->stop_rd = g->stop_wr = -1;
}
