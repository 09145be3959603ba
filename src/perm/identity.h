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

#endif
