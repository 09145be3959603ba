/*
 * migrations.c — schema versions. Append new versions at the end of
 * MIGRATIONS; never edit one that has shipped (databases already ran it).
 */
#include "store/migrations.h"

#include <stddef.h>

typedef struct migration {
  const char *common; /* used by both dialects when non-NULL */
  const char *sqlite; /* dialect variants, used when common is NULL */
  const char *pg;
} migration_t;

/*
 * Version 1: accounts, environments, apps, audit events.
 * The variants exist because the dialects differ on three points:
 *  - audit_event.id: SQLite INTEGER PRIMARY KEY AUTOINCREMENT (never reused)
 *    vs PostgreSQL GENERATED ALWAYS AS IDENTITY;
 *  - PostgreSQL text ids are COLLATE "C" so keyset pagination orders bytes,
 *    as SQLite's BINARY does, whatever the cluster's locale;
 *  - the triggers that make audit_event append-only.
 */
static const char V1_SQLITE[] =
    "CREATE TABLE account ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " created_at BIGINT NOT NULL);"
    "CREATE TABLE environment ("
    " id TEXT PRIMARY KEY,"
    " account_id TEXT NOT NULL REFERENCES account(id),"
    " name TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " UNIQUE (account_id, name));"
    "CREATE INDEX environment_account ON environment(account_id, id);"
    "CREATE TABLE app ("
    " id TEXT PRIMARY KEY,"
    " account_id TEXT NOT NULL REFERENCES account(id),"
    " name TEXT NOT NULL,"
    " profile TEXT NOT NULL,"
    " created_at BIGINT NOT NULL);"
    "CREATE INDEX app_account ON app(account_id, id);"
    "CREATE TABLE audit_event ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " at BIGINT NOT NULL,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " target TEXT NOT NULL,"
    " outcome TEXT NOT NULL,"
    " remote TEXT NOT NULL,"
    " request_id TEXT NOT NULL,"
    " detail_json TEXT);"
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event"
    " BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;"
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event"
    " BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;";

static const char V1_PG[] =
    "CREATE TABLE account ("
    " id TEXT COLLATE \"C\" PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " created_at BIGINT NOT NULL);"
    "CREATE TABLE environment ("
    " id TEXT COLLATE \"C\" PRIMARY KEY,"
    " account_id TEXT COLLATE \"C\" NOT NULL REFERENCES account(id),"
    " name TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " UNIQUE (account_id, name));"
    "CREATE INDEX environment_account ON environment(account_id, id);"
    "CREATE TABLE app ("
    " id TEXT COLLATE \"C\" PRIMARY KEY,"
    " account_id TEXT COLLATE \"C\" NOT NULL REFERENCES account(id),"
    " name TEXT NOT NULL,"
    " profile TEXT NOT NULL,"
    " created_at BIGINT NOT NULL);"
    "CREATE INDEX app_account ON app(account_id, id);"
    "CREATE TABLE audit_event ("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " at BIGINT NOT NULL,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " target TEXT NOT NULL,"
    " outcome TEXT NOT NULL,"
    " remote TEXT NOT NULL,"
    " request_id TEXT NOT NULL,"
    " detail_json TEXT);"
    "CREATE FUNCTION audit_event_append_only() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN"
    " RAISE EXCEPTION 'audit_event is append-only'; END $$;"
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event"
    " FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();";

/*
 * Version 2: API keys, admin tokens, and indexes for audit queries.
 *  - Key and token hashes are SHA-256 as 64 lowercase hex characters (TEXT
 *    in both dialects: one encoding, readable in psql/sqlite3, and the
 *    PostgreSQL text protocol needs no bytea escaping), unique.
 *  - replaced_by is "" (not NULL) when the key was not rotated, as the
 *    struct says; it is not a foreign key for that reason.
 *  - audit_event gets (target, id), (actor, id) and (action, id) indexes
 *    for store_audit_find(); on PostgreSQL the action index is COLLATE "C"
 *    so a prefix filter ("key.") is a byte range the index can serve.
 */
#define V2_KEY_COLUMNS(ID)                                                              \
  " kind TEXT NOT NULL,"                                                                \
  " name TEXT NOT NULL,"                                                                \
  " start TEXT NOT NULL,"                                                               \
  " hash TEXT " ID " NOT NULL CHECK (length(hash) = 64),"                               \
  " scopes TEXT NOT NULL,"                                                              \
  " created_at BIGINT NOT NULL,"                                                        \
  " expires_at BIGINT NOT NULL DEFAULT 0,"                                              \
  " revoked_at BIGINT NOT NULL DEFAULT 0,"                                              \
  " grace_until BIGINT NOT NULL DEFAULT 0,"                                             \
  " replaced_by TEXT " ID " NOT NULL DEFAULT '',"                                       \
  " last_used_at BIGINT NOT NULL DEFAULT 0,"                                            \
  " use_count BIGINT NOT NULL DEFAULT 0);"                                              \
  "CREATE UNIQUE INDEX api_key_hash ON api_key(hash);"                                  \
  "CREATE INDEX api_key_app ON api_key(app_id, id);"                                    \
  "CREATE TABLE admin_token ("                                                          \
  " id TEXT " ID " PRIMARY KEY,"                                                        \
  " name TEXT NOT NULL,"                                                                \
  " hash TEXT " ID " NOT NULL CHECK (length(hash) = 64),"                               \
  " created_at BIGINT NOT NULL,"                                                        \
  " revoked_at BIGINT NOT NULL DEFAULT 0);"                                             \
  "CREATE UNIQUE INDEX admin_token_hash ON admin_token(hash);"                          \
  "CREATE INDEX audit_event_target ON audit_event(target, id);"                         \
  "CREATE INDEX audit_event_actor ON audit_event(actor, id);"

static const char V2_SQLITE[] =
    "CREATE TABLE api_key ("
    " id TEXT PRIMARY KEY,"
    " app_id TEXT NOT NULL REFERENCES app(id),"
    " account_id TEXT NOT NULL REFERENCES account(id),"
    " environment_id TEXT NOT NULL REFERENCES environment(id),"
    V2_KEY_COLUMNS("")
    "CREATE INDEX audit_event_action ON audit_event(action, id);";

static const char V2_PG[] =
    "CREATE TABLE api_key ("
    " id TEXT COLLATE \"C\" PRIMARY KEY,"
    " app_id TEXT COLLATE \"C\" NOT NULL REFERENCES app(id),"
    " account_id TEXT COLLATE \"C\" NOT NULL REFERENCES account(id),"
    " environment_id TEXT COLLATE \"C\" NOT NULL REFERENCES environment(id),"
    V2_KEY_COLUMNS("COLLATE \"C\"")
    "CREATE INDEX audit_event_action ON audit_event((action COLLATE \"C\"), id);";

/*
 * Version 3: signing keys (src/jose/signer.h).
 *  - sealed is the private JWK sealed under the master key (base64url);
 *    public_jwk is plain JSON, readable without the key.
 *  - At most one "active" and one "next" key per alg: a partial unique
 *    index, so two nodes bootstrapping at once cannot both succeed.
 *  - Timestamps are 0 for "not yet", like api_key's.
 */
#define V3_SIGNING_KEY(ID)                                                              \
  "CREATE TABLE signing_key ("                                                          \
  " kid TEXT " ID " PRIMARY KEY,"                                                       \
  " alg TEXT NOT NULL,"                                                                 \
  " state TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired')),"                \
  " sealed TEXT NOT NULL,"                                                              \
  " public_jwk TEXT NOT NULL,"                                                          \
  " created_at BIGINT NOT NULL,"                                                        \
  " activated_at BIGINT NOT NULL DEFAULT 0,"                                            \
  " retired_at BIGINT NOT NULL DEFAULT 0);"                                             \
  "CREATE UNIQUE INDEX signing_key_live ON signing_key(alg, state)"                     \
  " WHERE state <> 'retired';"                                                          \
  "CREATE INDEX signing_key_state ON signing_key(state, created_at);"

static const char V3_SQLITE[] = V3_SIGNING_KEY("");
static const char V3_PG[] = V3_SIGNING_KEY("COLLATE \"C\"");

/*
 * Version 4: end users of an app, and their tokens (The Layer's Token2).
 *  - app_user, not "user" (reserved in PostgreSQL). A user belongs to one
 *    app (and its account); external_id is the platform's own name for the
 *    user, unique per app.
 *  - user_token mirrors api_key where it can (hash as 64 lowercase hex,
 *    unique; start; expiry; revocation; rotation grace with replaced_by ""
 *    when not rotated; batched usage), so the same key-check machinery
 *    serves both. access_level is read | write | admin.
 */
#define V4_USERS(ID)                                                                    \
  "CREATE TABLE app_user ("                                                             \
  " id TEXT " ID " PRIMARY KEY,"                                                        \
  " account_id TEXT " ID " NOT NULL REFERENCES account(id),"                            \
  " app_id TEXT " ID " NOT NULL REFERENCES app(id),"                                    \
  " external_id TEXT NOT NULL,"                                                         \
  " created_at BIGINT NOT NULL,"                                                        \
  " UNIQUE (app_id, external_id));"                                                     \
  "CREATE INDEX app_user_app ON app_user(app_id, id);"                                  \
  "CREATE TABLE user_token ("                                                           \
  " id TEXT " ID " PRIMARY KEY,"                                                        \
  " app_id TEXT " ID " NOT NULL REFERENCES app(id),"                                    \
  " account_id TEXT " ID " NOT NULL REFERENCES account(id),"                            \
  " user_id TEXT " ID " NOT NULL REFERENCES app_user(id),"                              \
  " start TEXT NOT NULL,"                                                               \
  " hash TEXT " ID " NOT NULL CHECK (length(hash) = 64),"                               \
  " access_level TEXT NOT NULL CHECK (access_level IN ('read', 'write', 'admin')),"     \
  " created_at BIGINT NOT NULL,"                                                        \
  " expires_at BIGINT NOT NULL DEFAULT 0,"                                              \
  " revoked_at BIGINT NOT NULL DEFAULT 0,"                                              \
  " grace_until BIGINT NOT NULL DEFAULT 0,"                                             \
  " replaced_by TEXT " ID " NOT NULL DEFAULT '',"                                       \
  " last_used_at BIGINT NOT NULL DEFAULT 0,"                                            \
  " use_count BIGINT NOT NULL DEFAULT 0);"                                              \
  "CREATE UNIQUE INDEX user_token_hash ON user_token(hash);"                            \
  "CREATE INDEX user_token_user ON user_token(user_id, id);"

static const char V4_SQLITE[] = V4_USERS("");
static const char V4_PG[] = V4_USERS("COLLATE \"C\"");

/*
 * Version 5: AssetPay merchants and clients.
 *  - merchant: one row per app with profile assetpay; merchant_id is the
 *    numeric "userId" of its client tokens (unique, > 0, chosen as max + 1
 *    by the store). Secrets are sealed under the master key (base64url
 *    text, "" = none); the previous secret stays valid for verification
 *    until prev_valid_until after a rotation.
 *  - assetpay_client: one row per (merchant app, Steam ID), replaced on
 *    every authentication; client_data is the JSON text as
 *    JSON.stringify writes it (NULL = not given).
 */
#define V5_TABLES(ID)                                                                   \
  "CREATE TABLE merchant ("                                                             \
  " app_id TEXT " ID " PRIMARY KEY REFERENCES app(id),"                                 \
  " merchant_id BIGINT NOT NULL UNIQUE CHECK (merchant_id > 0),"                        \
  " secret_sealed TEXT NOT NULL DEFAULT '',"                                            \
  " secret_created_at BIGINT NOT NULL DEFAULT 0,"                                       \
  " secret_rotated_at BIGINT NOT NULL DEFAULT 0,"                                       \
  " prev_sealed TEXT NOT NULL DEFAULT '',"                                              \
  " prev_valid_until BIGINT NOT NULL DEFAULT 0,"                                        \
  " created_at BIGINT NOT NULL);"                                                       \
  "CREATE TABLE assetpay_client ("                                                      \
  " app_id TEXT " ID " NOT NULL REFERENCES app(id),"                                    \
  " steam_id TEXT " ID " NOT NULL CHECK (length(steam_id) = 17),"                       \
  " trade_url TEXT NOT NULL,"                                                           \
  " partner_match INTEGER NOT NULL,"                                                    \
  " client_id TEXT NOT NULL DEFAULT '',"                                                \
  " client_data TEXT,"                                                                  \
  " risk_limit BIGINT NOT NULL,"                                                        \
  " risk_tier INTEGER NOT NULL,"                                                        \
  " created_at BIGINT NOT NULL,"                                                        \
  " updated_at BIGINT NOT NULL,"                                                        \
  " auth_count BIGINT NOT NULL DEFAULT 1,"                                              \
  " PRIMARY KEY (app_id, steam_id));"

static const char V5_SQLITE[] = V5_TABLES("");
static const char V5_PG[] = V5_TABLES("COLLATE \"C\"");

/*
 * Version 6: Open Ledger entities and per-account token lifetimes
 * (docs/profiles/openledger.md).
 *  - entity.id is "ent_<22 base62>" or an operator-chosen external id
 *    ([A-Za-z0-9_.:-]{1,64}), unique across the store; its name is unique
 *    within the owning account (the developer).
 *  - account.token_max_lifetime caps the lifetime of tokens minted for the
 *    account, in seconds; 0 = the configured default
 *    (openledger.max_token_lifetime).
 */
#define V6_ENTITY(ID)                                                                   \
  "CREATE TABLE entity ("                                                               \
  " id TEXT " ID " PRIMARY KEY,"                                                        \
  " account_id TEXT " ID " NOT NULL REFERENCES account(id),"                            \
  " name TEXT NOT NULL,"                                                                \
  " created_at BIGINT NOT NULL,"                                                        \
  " UNIQUE (account_id, name));"                                                        \
  "CREATE INDEX entity_account ON entity(account_id, id);"                              \
  "ALTER TABLE account ADD COLUMN token_max_lifetime BIGINT NOT NULL DEFAULT 0;"

static const char V6_SQLITE[] = V6_ENTITY("");
static const char V6_PG[] = V6_ENTITY("COLLATE \"C\"");

/*
 * Version 7: purged signing keys (src/jose/signer.h). Once a retired key
 * has left the JWKS its sealed private key is erased (sealed = '') and
 * purged_at set; the row stays as a tombstone (kid, alg, times, public
 * JWK) for `custos keys list` and for telling a purged kid from an unknown
 * one. ADD COLUMN with a constant default is the same in both dialects.
 */
static const char V7_COMMON[] =
    "ALTER TABLE signing_key ADD COLUMN purged_at BIGINT NOT NULL DEFAULT 0;";

static const migration_t MIGRATIONS[] = {
    {NULL, V1_SQLITE, V1_PG},
    {NULL, V2_SQLITE, V2_PG},
    {NULL, V3_SQLITE, V3_PG},
    {NULL, V4_SQLITE, V4_PG},
    {NULL, V5_SQLITE, V5_PG},
    {NULL, V6_SQLITE, V6_PG},
    {V7_COMMON, NULL, NULL},
};

int migrations_count(void) { return (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]); }

const char *migrations_sql(int version, store_dialect_t dialect) {
  if (version < 1 || version > migrations_count()) return NULL;
  const migration_t *m = &MIGRATIONS[version - 1];
  if (m->common) return m->common;
  return dialect == STORE_DIALECT_PG ? m->pg : m->sqlite;
}
