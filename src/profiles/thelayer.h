/*
 * thelayer.h — The Layer (seed: thelayer-authenticating-requests.txt):
 * `Token1` (an API key of an app with profile thelayer) and `Token2` (a
 * token of one of that app's users) on every request. docs/profiles/thelayer.md.
 */
#ifndef CUSTOS_PROFILES_THELAYER_H
#define CUSTOS_PROFILES_THELAYER_H

#include "profiles/profile.h"

#define THELAYER_TOKEN1_PREFIX "tl_"    /* Token1: an API key of the app */
#define THELAYER_TOKEN2_PREFIX "tlu_"   /* Token2: a user token */
#define THELAYER_TOKEN1_KIND "app_token" /* api_key.kind of keys made for thelayer apps */
#define THELAYER_USER_TOKEN_KIND "user_token"

/* Access levels, ordered: a token reaches routes of its level and below. */
enum thelayer_level { THELAYER_LEVEL_NONE = 0, THELAYER_LEVEL_READ, THELAYER_LEVEL_WRITE, THELAYER_LEVEL_ADMIN };

/* "read" | "write" | "admin" → its level; anything else THELAYER_LEVEL_NONE. */
int thelayer_level(const char *name);

extern const profile_t profile_thelayer;

#endif
