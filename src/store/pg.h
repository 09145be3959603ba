/*
 * pg.h — PostgreSQL backend internals shared by postgres.c (pool and
 * statements) and pg_listen.c (LISTEN connections and their threads).
 */
#ifndef CUSTOS_STORE_PG_H
#define CUSTOS_STORE_PG_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/backend.h"

typedef struct pconn {
  PGconn *c;          /* NULL until first checkout or after a failure */
  uint64_t prepared;  /* bit n: statement n is prepared on c */
  uint32_t fprepared; /* bit m: audit-find variant m is prepared on c */
  bool busy;          /* checked out; guarded by pg_t.mu */
} pconn_t;

struct pg;

typedef struct pg_listener {
  struct pg *g;                            /* the backend it belongs to */
  char channel[STORE_CHANNEL_LEN_MAX + 1]; /* [a-z_]{1,63}, NUL-terminated */
  store_notify_fn fn;                      /* called on the listener thread */
  void *ctx;                               /* fn's first argument */
  _Atomic uint64_t *errors; /* the store's failure counter */
  PGconn *c;                /* owned by the thread once started; NULL while reconnecting */
  pthread_t thread;         /* joined by pg__listeners_stop */
} pg_listener_t;

typedef struct pg {
  char *conninfo; /* the URL, owned; never logged */
  pthread_mutex_t mu;
  pthread_cond_t cv; /* signalled when a connection is returned */
  pconn_t *conns;
  int n;
  pthread_mutex_t lmu; /* guards listeners/nlisteners (registration) */
  pg_listener_t *listeners[STORE_LISTENERS_MAX];
  int nlisteners;
  int stop_rd, stop_wr; /* self-pipe: readable once store_close() begins */
} pg_t;

/* libpq notice processor that drops notices. */
void pg__quiet_notice(void *arg, const char *msg);
/* Copies libpq's message into err with `prefix`, newlines folded. */
void pg__message(char *err, size_t errlen, const char *prefix, const char *msg);
/* True for a successful command or query result. */
bool pg__result_ok(const PGresult *r);

/* store_ops_t.listen. */
int pg__listen(void *impl, const char *channel, store_notify_fn fn, void *ctx,
               _Atomic uint64_t *errors);
/* Wakes every listener, joins its thread, closes its connection, frees it,
 * and closes the stop pipe. For pg_close. */
void pg__listeners_stop(pg_t *g);

#endif
