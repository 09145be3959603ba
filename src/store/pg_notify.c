/*
 * pg_notify.c — PostgreSQL NOTIFY (listeners are in pg_listen.c).
 */
#include "store/pg.h"

enum { PS_NOTIFY, PS_COUNT };

static const pg_query_t Q[PS_COUNT] = {
    [PS_NOTIFY] = {"SELECT pg_notify($1, $2)", 2, false},
};
static const pg_table_t T = {PG_T_NOTIFY, Q, PS_COUNT};

int pg__notify(void *impl, const char *channel, const char *payload) {
  const char *const params[] = {channel, payload};
  return pg__write(impl, &T, PS_NOTIFY, params);
}
