/*
 * identity.c — the identity as the headers a gateway forwards (identity.h).
 */
#include "perm/identity.h"

int identity_each_header(const identity_t *id, identity_header_fn fn, void *ctx) {
  static const char *const NAMES[] = {"X-Custos-Account", "X-Custos-App",    "X-Custos-Subject",
                                      "X-Custos-Entity",  "X-Custos-Scopes", "X-Custos-Token-Id"};
  const char *const values[] = {id->account_id, id->app_id, id->subject, id->entity, id->scopes, id->token_id};
  for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++) {
    if (!values[i][0]) continue;
    int rc = fn(ctx, NAMES[i], values[i]);
    if (rc != 0) return rc;
  }
  for (int i = 0; i < id->nextra && i < IDENTITY_EXTRA_MAX; i++) {
    if (!id->extra[i].value[0]) continue;
    int rc = fn(ctx, id->extra[i].name, id->extra[i].value);
    if (rc != 0) return rc;
  }
  return 0;
}
