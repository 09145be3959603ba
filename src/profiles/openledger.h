/*
 * openledger.h — Open Ledger (seed: openledger-authentication.txt):
 * API key + id → RS256 Bearer JWT for a developer or one of its entities,
 * `?entityId=` selects the entity. docs/profiles/openledger.md.
 *
 * Model: the developer is a custos account; the `id` of a developer token
 * request is the account id (acct_…). An API key (`ol_…`) of an app whose
 * profile is openledger belongs to that app's account, i.e. to the
 * developer. Entities belong to one account (store_entity_*).
 */
#ifndef CUSTOS_PROFILES_OPENLEDGER_H
#define CUSTOS_PROFILES_OPENLEDGER_H

#include "profiles/profile.h"

#define OPENLEDGER_PROFILE "openledger"
#define OPENLEDGER_DEFAULT_LIFETIME 3600       /* seconds, when the request names none */
#define OPENLEDGER_TOKEN_MAX_BYTES 4096        /* longer bearer tokens are refused unread */
#define OPENLEDGER_TOKEN_CACHE_ENTRIES 16384   /* verified bearer tokens remembered (app_t.bearer_cache) */
#define OPENLEDGER_TOKEN_CACHE_TTL 60          /* seconds one is remembered at most (and never past exp) */
#define OPENLEDGER_CLASS_DEVELOPER "developer" /* route class: developer tokens only (default) */
#define OPENLEDGER_CLASS_ENTITY "entity"       /* route class: developer or entity tokens, with an entity */

/* Error codes, as the seed prints them (and ours where it is silent). */
#define OL_AUTHENTICATION_ERROR "AUTHENTICATION_ERROR"
#define OL_AUTHORIZATION_ERROR "AUTHORIZATION_ERROR"
#define OL_INVALID_API_KEY "INVALID_API_KEY"
#define OL_VALIDATION_ERROR "VALIDATION_ERROR"

extern const profile_t profile_openledger;

#endif
