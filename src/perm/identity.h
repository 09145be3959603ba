/*
 * identity.h — the answer to "who is calling, on whose behalf": what a
 * profile's check produces and what the gateway forwards upstream as
 * X-Custos-* headers.
 */
#ifndef CUSTOS_PERM_IDENTITY_H
#define CUSTOS_PERM_IDENTITY_H

#include "core/rand.h"
#include "store/store.h"

#define IDENTITY_FIELD_MAX 256   /* subject, entity, token id buffers */
#define IDENTITY_EXTRA_MAX 4     /* profile-specific identity headers */

typedef struct identity {
  char profile[STORE_PROFILE_MAX];        /* which profile decided */
  char account_id[RAND_ID_MAX];           /* X-Custos-Account */
  char app_id[RAND_ID_MAX];               /* X-Custos-App */
  char subject[IDENTITY_FIELD_MAX];       /* X-Custos-Subject: developer, user, client… "" if none */
  char entity[IDENTITY_FIELD_MAX];        /* X-Custos-Entity: the entity acted for, "" if none */
  char scopes[STORE_SCOPES_MAX];          /* X-Custos-Scopes: space-separated */
  char token_id[IDENTITY_FIELD_MAX];      /* X-Custos-Token-Id: key id, jti… */
  int nextra;                             /* entries used in extra */
  struct {
    char name[48];                        /* e.g. "X-Custos-Risk-Limit" */
    char value[IDENTITY_FIELD_MAX];
  } extra[IDENTITY_EXTRA_MAX];
} identity_t;

#define IDENTITY_HEADERS_MAX (6 + IDENTITY_EXTRA_MAX) /* most headers identity_each_header gives */

typedef int (*identity_header_fn)(void *ctx, const char *name, const char *value);

/*
 * Calls fn(ctx, name, value) for each identity header a gateway forwards,
 * in this order: X-Custos-Account, -App, -Subject, -Entity, -Scopes,
 * -Token-Id, then the profile's extra headers; fields that are "" are
 * skipped. name and value point into *id or static storage. Stops at, and
 * returns, the first nonzero fn result; 0 when all were given. The one
 * place the header names are written (/v1/check and libcustos use it).
 */
int identity_each_header(const identity_t *id, identity_header_fn fn, void *ctx);

#endif
