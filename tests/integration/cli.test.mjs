// The admin CLI (custos account|env|app|key|audit) driving a real
// `custos serve` over HTTP: the whole key lifecycle through the CLI only,
// checked from the outside with GET /v1/whoami; output formats, errors and
// exit codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { BIN, SOURCE_DIR, startCustos, run, freshPgDatabase } from './lib/custos.mjs';

// cli_postgres.test.mjs runs this same file with the server on PostgreSQL.
const onPg = process.env.CUSTOS_CLI_STORE === 'postgres';

let c;      // the server
let token;  // admin token from `custos admin init`

// `custos ARGS…` against c with the admin token, unless env says otherwise.
function cli(args, env = {}) {
  return run(args, { env: { CUSTOS_URL: c.url, CUSTOS_ADMIN_TOKEN: token, ...env } });
}

// `custos ARGS… --json`, expecting success; returns the parsed stdout.
function cliJson(args) {
  const r = cli([...args, '--json']);
  assert.equal(r.status, 0, `custos ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// The value of "field: value" in a human key: value block.
function field(stdout, name) {
  const m = new RegExp(`^${name}:\\s+(\\S.*)$`, 'm').exec(stdout);
  assert.ok(m, `no "${name}:" line in:\n${stdout}`);
  return m[1];
}

async function whoami(key) {
  const r = await fetch(`${c.url}/v1/whoami`, { headers: { 'api-key': key } });
  return { status: r.status, body: await r.json() };
}

// What the admin API itself answers, for comparing error messages.
async function adminGet(path) {
  const r = await fetch(`${c.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// A loopback port nothing listens on.
async function closedPort() {
  const s = net.createServer();
  await new Promise((res) => s.listen(0, '127.0.0.1', res));
  const { port } = s.address();
  await new Promise((res) => s.close(res));
  return port;
}

// Like run(), but without blocking the event loop (for in-process servers).
function runAsync(args, env) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: { ...process.env, ...env } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

before(async () => {
  const store = onPg ? freshPgDatabase(process.env.CUSTOS_TEST_PG_URL, 'custos_cli') : undefined;
  // The policy lets the thelayer test ask /v1/check about the tokens the CLI made.
  c = await startCustos({ store, args: ['--set', `policy.file=${join(SOURCE_DIR, 'examples/policy.yaml')}`] });
  const r = run(['admin', 'init', '--store', store || `sqlite:${c.dir}/custos.db`,
    '--master-key-file', `${c.dir}/master.key`]);
  assert.equal(r.status, 0, `admin init failed: ${r.stderr}`);
  token = r.stdout.trim();
  assert.ok(token.length > 20, `no token in: ${r.stdout}`);
});
after(async () => { await c.stop(); c.cleanup(); });

test('lifecycle: account, environments, app, key, whoami, scopes, revoke', async () => {
  // account (human output), then show/list as JSON
  let r = cli(['account', 'create', 'Acme Ledger']);
  assert.equal(r.status, 0, r.stderr);
  const accountId = field(r.stdout, 'id');
  assert.match(accountId, /^acct_/);
  assert.equal(field(r.stdout, 'name'), 'Acme Ledger');
  assert.match(field(r.stdout, 'created_at'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const acct = cliJson(['account', 'show', accountId]);
  assert.equal(acct.id, accountId);
  assert.equal(acct.name, 'Acme Ledger');
  assert.equal(typeof acct.created_at, 'number');
  assert.ok(cliJson(['account', 'list', '--all']).data.some((a) => a.id === accountId));

  // environments: the two defaults, plus one of ours; a duplicate is refused
  let envs = cliJson(['env', 'list', accountId]).data.map((e) => e.name).sort();
  assert.deepEqual(envs, ['development', 'production']);
  const staging = cliJson(['env', 'create', accountId, 'staging']);
  assert.equal(staging.account_id, accountId);
  assert.equal(staging.name, 'staging');
  envs = cliJson(['env', 'list', accountId]).data.map((e) => e.name).sort();
  assert.deepEqual(envs, ['development', 'production', 'staging']);
  r = cli(['env', 'create', accountId, 'staging']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /HTTP 409 conflict/);

  // app: options before or after the verb
  const app = cliJson(['app', '--account', accountId, 'create', '--name', 'payments', '--profile', 'assetpay']);
  assert.match(app.id, /^app_/);
  assert.equal(app.account_id, accountId);
  assert.equal(app.profile, 'assetpay');
  assert.deepEqual(cliJson(['app', 'show', app.id]), app);
  const apps = cliJson(['app', 'list', '--account', accountId]).data;
  assert.deepEqual(apps.map((a) => a.id), [app.id]);

  // key: human output with the secret once, then JSON views without it
  r = cli(['key', 'create', '--app', app.id, '--env', 'development', '--name', 'ci',
    '--scope', 'CORE_ACCESS', '--scope', 'payments:read', '--expires-in', '7d']);
  assert.equal(r.status, 0, r.stderr);
  const secret = field(r.stdout, 'secret');
  const keyId = field(r.stdout, 'id');
  assert.match(secret, /^ap_[0-9A-Za-z]+$/, 'assetpay keys start with ap_');
  assert.match(r.stdout, /will not be shown again/);
  assert.equal(r.stdout.split(secret).length, 2, 'the secret is printed exactly once');
  assert.equal(field(r.stdout, 'status'), 'active');
  assert.equal(field(r.stdout, 'scopes'), 'CORE_ACCESS,payments:read');

  const key = cliJson(['key', 'show', keyId]);
  assert.equal(key.id, keyId);
  assert.equal(key.app_id, app.id);
  assert.equal(key.account_id, accountId);
  assert.equal(key.name, 'ci');
  assert.equal(key.status, 'active');
  assert.ok(secret.startsWith(key.start));
  assert.deepEqual(key.scopes, ['CORE_ACCESS', 'payments:read']);
  const inWeek = Date.now() / 1000 + 7 * 86400;
  assert.ok(Math.abs(key.expires_at - inWeek) < 120, `expires_at ${key.expires_at}`);
  assert.equal(key.key, undefined, 'no secret after creation');
  const devEnv = cliJson(['env', 'list', accountId]).data.find((e) => e.name === 'development');
  assert.equal(key.environment_id, devEnv.id);

  // the key works
  let w = await whoami(secret);
  assert.equal(w.status, 200, JSON.stringify(w.body));
  assert.equal(w.body.key_id, keyId);
  assert.equal(w.body.app_id, app.id);
  assert.equal(w.body.account_id, accountId);
  assert.equal(w.body.environment_id, devEnv.id);
  assert.deepEqual(w.body.scopes, ['CORE_ACCESS', 'payments:read']);

  // list, human: the key's columns, the environment by name, no secret
  r = cli(['key', 'list', '--app', app.id]);
  assert.equal(r.status, 0, r.stderr);
  const [head, ...rows] = r.stdout.trimEnd().split('\n');
  assert.match(head, /^ID\s+NAME\s+START\s+STATUS\s+SCOPES\s+ENV\s+EXPIRES\s+LAST USED$/);
  assert.equal(rows.length, 1);
  assert.match(rows[0], new RegExp(`^${keyId}\\s+ci\\s+${key.start}\\s+active\\s+CORE_ACCESS,payments:read\\s+development\\s`));
  assert.ok(!r.stdout.includes(secret));
  const listed = cliJson(['key', 'list', '--app', app.id]).data;
  assert.deepEqual(listed.map((k) => k.id), [keyId]);
  assert.ok(listed.every((k) => k.key === undefined));

  // scopes replaced
  const rescoped = cliJson(['key', 'scopes', keyId, 'CORE_ACCESS', 'ledger:write']);
  assert.deepEqual(rescoped.scopes, ['CORE_ACCESS', 'ledger:write']);
  assert.deepEqual(cliJson(['key', 'show', keyId]).scopes, ['CORE_ACCESS', 'ledger:write']);

  // revoke: the key stops working
  r = cli(['key', 'revoke', keyId]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(field(r.stdout, 'status'), 'revoked');
  w = await whoami(secret);
  assert.equal(w.status, 401);
  assert.equal(w.body.error.code, 'invalid_api_key');
  assert.equal(cliJson(['key', 'show', keyId]).status, 'revoked');

  // and the audit trail has it, filtered by the CLI
  const events = cliJson(['audit', 'list', '--target', keyId, '--all']).data;
  assert.ok(events.length >= 2, JSON.stringify(events));
  assert.ok(events.every((e) => e.target === keyId));
  assert.ok(events.some((e) => /revoke/.test(e.action)), JSON.stringify(events.map((e) => e.action)));
  r = cli(['audit', 'list', '--target', keyId]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.split('\n')[0], /^ID\s+AT\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME/);
});

test('rotate with --grace 2s: old key works, then stops; new key works', async () => {
  const acct = cliJson(['account', 'create', 'rotating']);
  const app = cliJson(['app', 'create', '--account', acct.id, '--name', 'svc']);
  let r = cli(['key', 'create', '--app', app.id]);
  assert.equal(r.status, 0, r.stderr);
  const oldSecret = field(r.stdout, 'secret');
  const oldId = field(r.stdout, 'id');
  assert.match(oldSecret, /^ck_/, 'custos-profile keys start with ck_');
  assert.equal((await whoami(oldSecret)).status, 200);

  r = cli(['key', 'rotate', oldId, '--grace', '2s']);
  assert.equal(r.status, 0, r.stderr);
  const newSecret = field(r.stdout, 'secret');
  const newId = field(r.stdout, 'id');
  assert.notEqual(newId, oldId);
  assert.notEqual(newSecret, oldSecret);
  assert.match(r.stdout, /will not be shown again/);
  assert.match(r.stdout, new RegExp(`previous key ${oldId} keeps working until \\d{4}-`));

  assert.equal((await whoami(oldSecret)).status, 200, 'old key inside its grace period');
  const w = await whoami(newSecret);
  assert.equal(w.status, 200);
  assert.equal(w.body.key_id, newId);
  const old = cliJson(['key', 'show', oldId]);
  assert.equal(old.status, 'rotated');
  assert.equal(old.replaced_by, newId);

  await sleep(3200);
  assert.equal((await whoami(oldSecret)).status, 401, 'old key after its grace period');
  assert.equal((await whoami(newSecret)).status, 200);
  assert.equal(cliJson(['key', 'show', oldId]).status, 'expired');

  // rotate --json: both objects, the secret only in the new one
  const out = cliJson(['key', 'rotate', newId, '--grace', '0s']);
  assert.match(out.key.key, /^ck_/);
  assert.equal(out.previous.id, newId);
  assert.equal(out.previous.key, undefined);
});

// The Layer: `app create --profile thelayer` prints Token1 once; users and
// their tokens (Token2) through `custos user`; checked with /v1/check.
async function layerCheck(t1, t2, method = 'GET') {
  const r = await fetch(`${c.url}/v1/check`, { headers: { 'X-Original-Method': method, 'X-Original-URI': '/api/x', Token1: t1, Token2: t2 } });
  return { status: r.status, text: await r.text() };
}

test('thelayer: app create prints Token1; user create/list/show; token issue/list/show/rotate/revoke', async () => {
  const acct = cliJson(['account', 'create', 'Layer Corp']);
  let r = cli(['app', 'create', '--account', acct.id, '--name', 'Inventory sync', '--profile', 'thelayer']);
  assert.equal(r.status, 0, r.stderr);
  const appId = field(r.stdout, 'id');
  assert.equal(field(r.stdout, 'profile'), 'thelayer');
  const token1 = field(r.stdout, 'secret');
  const token1Id = field(r.stdout, 'token1');
  assert.match(token1, /^tl_[0-9A-Za-z]+$/);
  assert.match(r.stdout, /will not be shown again/);
  assert.equal(r.stdout.split(token1).length, 2, 'Token1 is printed exactly once');
  const k = cliJson(['key', 'show', token1Id]);
  assert.equal(k.app_id, appId);
  assert.equal(k.kind, 'app_token');
  assert.ok(token1.startsWith(k.start));
  // --json: the app with its Token1 under token1, the text only there
  const j = cliJson(['app', 'create', '--account', acct.id, '--name', 'second', '--profile', 'thelayer']);
  assert.match(j.token1.key, /^tl_/);
  assert.equal(j.token1.kind, 'app_token');
  assert.equal(j.token1.app_id, j.id);
  assert.equal(cliJson(['app', 'show', j.id]).token1, undefined, 'Token1 is shown only at creation');
  // other profiles get no Token1
  assert.equal(cliJson(['app', 'create', '--account', acct.id, '--name', 'plain']).token1, undefined);

  // users
  r = cli(['user', 'create', '--app', appId, '--external-id', 'player-42']);
  assert.equal(r.status, 0, r.stderr);
  const userId = field(r.stdout, 'id');
  assert.match(userId, /^usr_/);
  assert.equal(field(r.stdout, 'external_id'), 'player-42');
  assert.equal(field(r.stdout, 'app_id'), appId);
  const u2 = cliJson(['user', 'create', '--app', appId, '--external-id', 'player-43']);
  r = cli(['user', 'list', '--app', appId]);
  assert.equal(r.status, 0, r.stderr);
  const [head, ...rows] = r.stdout.trimEnd().split('\n');
  assert.match(head, /^ID\s+EXTERNAL ID\s+CREATED$/);
  assert.deepEqual(rows.map((l) => l.split(/\s+/)[0]).sort(), [userId, u2.id].sort());
  assert.deepEqual(cliJson(['user', 'show', userId]), { ...cliJson(['user', 'list', '--app', appId]).data.find((x) => x.id === userId) });

  // Token2: issued (secret once), works with Token1 through /v1/check
  r = cli(['user', 'token', 'issue', userId, '--level', 'write', '--expires-in', '7d']);
  assert.equal(r.status, 0, r.stderr);
  const t2 = field(r.stdout, 'secret');
  const t2Id = field(r.stdout, 'id');
  assert.match(t2, /^tlu_/);
  assert.equal(field(r.stdout, 'access_level'), 'write');
  assert.equal(field(r.stdout, 'user_id'), userId);
  assert.equal(r.stdout.split(t2).length, 2, 'Token2 is printed exactly once');
  assert.equal((await layerCheck(token1, t2, 'POST')).status, 200);
  const shown = cliJson(['user', 'token', 'show', t2Id]);
  assert.equal(shown.status, 'active');
  assert.equal(shown.token, undefined, 'no secret after issue');
  assert.ok(Math.abs(shown.expires_at - (Date.now() / 1000 + 7 * 86400)) < 120);
  r = cli(['user', 'token', 'list', userId]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.split('\n')[0], /^ID\s+START\s+LEVEL\s+STATUS\s+EXPIRES\s+LAST USED$/);
  assert.match(r.stdout, new RegExp(`^${t2Id}\\s+${shown.start}\\s+write\\s+active\\s`, 'm'));
  assert.ok(!r.stdout.includes(t2));

  // rotate: the new one works, the old one until its grace ends
  r = cli(['user', 'token', 'rotate', t2Id, '--grace', '1h']);
  assert.equal(r.status, 0, r.stderr);
  const t2b = field(r.stdout, 'secret');
  const t2bId = field(r.stdout, 'id');
  assert.notEqual(t2b, t2);
  assert.match(r.stdout, new RegExp(`previous token ${t2Id} keeps working until \\d{4}-`));
  assert.equal((await layerCheck(token1, t2)).status, 200);
  assert.equal((await layerCheck(token1, t2b)).status, 200);
  const listed = cliJson(['user', 'token', 'list', userId, '--all']).data;
  assert.deepEqual(listed.map((x) => x.id).sort(), [t2Id, t2bId].sort());
  assert.equal(listed.find((x) => x.id === t2Id).status, 'rotated');
  assert.ok(listed.every((x) => x.token === undefined));

  // revoke: refused at once
  r = cli(['user', 'token', 'revoke', t2bId]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(field(r.stdout, 'status'), 'revoked');
  const denied = await layerCheck(token1, t2b);
  assert.equal(denied.status, 401);
  assert.equal(denied.text, '{"error":{"code":"TOKEN2_INVALID","message":"Token2 is invalid or has been revoked"}}');
});

test('thelayer: bad input to custos user is refused with the server\'s message', async () => {
  const acct = cliJson(['account', 'create', 'Layer errors']);
  const app = cliJson(['app', 'create', '--account', acct.id, '--name', 'e', '--profile', 'thelayer']);
  const user = cliJson(['user', 'create', '--app', app.id, '--external-id', 'dup']);
  let r = cli(['user', 'create', '--app', app.id, '--external-id', 'dup']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^custos user create: the app already has a user with this external_id \(field "external_id"; HTTP 409 conflict\)/);
  r = cli(['user', 'token', 'issue', user.id, '--level', 'root']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /field 'access_level' must be one of read, write, admin \(field "access_level"; HTTP 400 invalid_field\)/);
  assert.equal(r.stdout, '');
  r = cli(['user', 'show', 'usr_doesnotexist0000000000']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^custos user show: no such user \(HTTP 404 not_found\)/);
  r = cli(['user', 'token', 'issue', 'usr_doesnotexist0000000000', '--level', 'read']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no such user/);
  r = cli(['user', 'token', 'rotate', 'utk_doesnotexist0000000000']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^custos user token rotate: no such user token \(HTTP 404 not_found\)/);
  r = cli(['user', 'list', '--app', 'app_doesnotexist0000000000']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no such app/);
  // nothing was stored by the refusals
  assert.deepEqual(cliJson(['user', 'list', '--app', app.id]).data.map((x) => x.id), [user.id]);
  assert.deepEqual(cliJson(['user', 'token', 'list', user.id]).data, []);
});

// AssetPay: the merchant's API secret and the clients it authenticated.
test('assetpay: merchant show/secret (once, rotation with grace); clients list and one', async () => {
  const acct = cliJson(['account', 'create', 'Merchant']);
  const app = cliJson(['app', 'create', '--account', acct.id, '--name', 'shop', '--profile', 'assetpay']);
  let r = cli(['merchant', 'show', app.id]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(field(r.stdout, 'has_secret'), 'false');
  const mid = Number(field(r.stdout, 'merchant_id'));
  assert.ok(mid > 0);
  r = cli(['merchant', 'secret', app.id]);
  assert.equal(r.status, 0, r.stderr);
  const secret = field(r.stdout, 'secret');
  assert.match(secret, /^aps_[0-9A-Za-z]{48}$/);
  assert.equal(r.stdout.split(secret).length, 2, 'the secret is printed exactly once');
  assert.equal(field(r.stdout, 'has_secret'), 'true');
  const shown = cliJson(['merchant', 'show', app.id]);
  assert.equal(shown.merchant_id, mid);
  assert.equal(shown.has_secret, true);
  assert.equal(shown.secret, undefined);

  // a client authenticates with an API key; the token is signed with that secret
  const key = cliJson(['key', 'create', '--app', app.id]).key;
  const sid = '76561198012345678';
  const body = `{"clientSteamId":"${sid}","clientTradeUrl":"https://steamcommunity.com/tradeoffer/new/?partner=12345678&token=AbCdEfGh","clientId":"user-123","clientData":{"totalWager":5000,"kycLevel":2,"fiatDeposits":true,"cryptoDeposits":false}}`;
  const auth = await fetch(`${c.url}/auth/authenticate-client`, { method: 'POST', headers: { 'api-key': key, 'Content-Type': 'application/json' }, body });
  assert.equal(auth.status, 200);
  const token = (await auth.json()).data.token;
  const hmac = (await import('node:crypto')).createHmac('sha256', secret).update(token.split('.').slice(0, 2).join('.')).digest('base64url');
  assert.equal(token.split('.')[2], hmac, 'the client token is signed with the secret the CLI printed');

  r = cli(['merchant', 'clients', app.id]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^STEAM ID\s+CLIENT ID\s+RISK LIMIT\s+TIER\s+AUTHS\s+LAST AUTH$/);
  assert.match(lines[1], new RegExp(`^${sid}\\s+user-123\\s+625\\s+3\\s+1\\s+\\d{4}-`));
  assert.equal(lines.length, 2);
  r = cli(['merchant', 'client', app.id, sid]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(field(r.stdout, 'client_data'), '{"totalWager":5000,"kycLevel":2,"fiatDeposits":true,"cryptoDeposits":false}');
  assert.equal(field(r.stdout, 'risk_limit'), '625');
  assert.ok(!r.stdout.includes(secret));
  const one = cliJson(['merchant', 'client', app.id, sid]);
  assert.equal(one.client_id, 'user-123');
  assert.deepEqual(cliJson(['merchant', 'clients', app.id, '--all']).data, [one]);

  // rotation: a new secret, the old one verifies until the grace ends
  r = cli(['merchant', 'secret', app.id, '--grace', '1h']);
  assert.equal(r.status, 0, r.stderr);
  const secret2 = field(r.stdout, 'secret');
  assert.notEqual(secret2, secret);
  assert.match(field(r.stdout, 'previous_valid_until'), /^\d{4}-\d\d-\d\dT/);
  const until = cliJson(['merchant', 'show', app.id]).previous_valid_until;
  assert.ok(Math.abs(until - (Date.now() / 1000 + 3600)) < 120, `previous_valid_until ${until}`);
});

test('assetpay: bad input to custos merchant is refused with the server\'s message', () => {
  const acct = cliJson(['account', 'create', 'Merchant errors']);
  const plain = cliJson(['app', 'create', '--account', acct.id, '--name', 'plain']);
  const shop = cliJson(['app', 'create', '--account', acct.id, '--name', 'shop', '--profile', 'assetpay']);
  let r = cli(['merchant', 'secret', plain.id]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `custos merchant secret: app ${plain.id} has profile custos; merchants are apps with profile assetpay (HTTP 409 conflict)\n`);
  assert.equal(r.stdout, '');
  r = cli(['merchant', 'client', shop.id, '123']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'custos merchant client: no such client (HTTP 404 not_found)\n');
  r = cli(['merchant', 'clients', shop.id, '--after', 'abc']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /query parameter 'after' must be a Steam ID \(17 digits\) \(field "after"; HTTP 400 invalid_field\)/);
  r = cli(['merchant', 'show', 'app_doesnotexist0000000000']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no such app \(HTTP 404 not_found\)/);
  // the refused secret left nothing behind
  assert.equal(cliJson(['merchant', 'show', shop.id]).has_secret, false);
});

test('--limit/--after page through lists; --all follows next', () => {
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(cliJson(['account', 'create', `page-${i}`]).id);
  const first = cliJson(['account', 'list', '--limit', '1']);
  assert.equal(first.data.length, 1);
  assert.equal(typeof first.next, 'string');
  const second = cliJson(['account', 'list', '--limit', '1', '--after', first.next]);
  assert.equal(second.data.length, 1);
  assert.notEqual(second.data[0].id, first.data[0].id);

  const all = cliJson(['account', 'list', '--limit', '2', '--all']);
  assert.equal(all.next, null);
  const allIds = all.data.map((a) => a.id);
  assert.equal(new Set(allIds).size, allIds.length, 'no account twice');
  for (const id of ids) assert.ok(allIds.includes(id));

  // human, one page: a table and a hint on stderr
  const r = cli(['account', 'list', '--limit', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ID\s+NAME\s+CREATED\n\S+/);
  assert.equal(r.stdout.trimEnd().split('\n').length, 2);
  assert.match(r.stderr, /--after \S+/);
  const h = cli(['account', 'list', '--all']);
  assert.equal(h.stdout.trimEnd().split('\n').length, allIds.length + 1);
});

test('server errors: the message and field on stderr, exit 1', async () => {
  let r = cli(['account', 'show', 'acct_doesnotexist000000000']);
  assert.equal(r.status, 1);
  const direct = await adminGet('/admin/v1/accounts/acct_doesnotexist000000000');
  assert.equal(direct.status, 404);
  assert.ok(r.stderr.includes(direct.body.error.message), r.stderr);
  assert.match(r.stderr, /^custos account show: .*HTTP 404 not_found/);
  assert.equal(r.stdout, '');

  const acct = cliJson(['account', 'create', 'errors']);
  const app = cliJson(['app', 'create', '--account', acct.id, '--name', 'e']);
  r = cli(['key', 'create', '--app', app.id, '--scope', 'no spaces allowed']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /field "scopes\[0\]"; HTTP 400 invalid_field/);
  assert.match(r.stderr, /scopes\[0\]' must be/);

  r = cli(['app', 'create', '--account', acct.id, '--name', 'x', '--profile', 'nope']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /field "profile"/);

  r = cli(['account', 'list'], { CUSTOS_ADMIN_TOKEN: 'adm_not_a_real_token' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /HTTP 401 unauthorized/);
  assert.match(r.stderr, /CUSTOS_ADMIN_TOKEN/);
});

test('no admin token: exit 2 with a clear message, nothing sent', () => {
  const r = cli(['account', 'list'], { CUSTOS_ADMIN_TOKEN: '' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no admin token: set \$CUSTOS_ADMIN_TOKEN/);
  const t = cli(['account', 'list', '--token', token]);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /there is no --token/);
});

test('unreachable URL: exit 1 naming the URL', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  let r = cli(['account', 'list', '--url', url]);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(`cannot reach ${url}`), r.stderr);
  r = cli(['account', 'list'], { CUSTOS_URL: url }); // from the environment too
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(url), r.stderr);
  r = cli(['account', 'list', '--url', url.replace('//', '//ops:hunter2@')]);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes('cannot reach http://***@127.0.0.1:'), r.stderr);
  assert.ok(!r.stderr.includes('hunter2'), 'a URL password reached stderr');
});

test('usage errors exit 2 with the command usage', () => {
  const cases = [
    ['key', 'create'],                               // --app missing
    ['key', 'rotate', 'key_x', '--grace', '5x'],     // bad duration
    ['key', 'show'],                                 // id missing
    ['key', 'show', 'a', 'b'],                       // one too many
    ['key', 'revoke', 'key_x', '--grace', '1s'],     // option of another verb
    ['key', 'show', 'key_x', '--limit', '5'],        // paging on a non-list
    ['account', 'list', '--limit', '0'],
    ['account', 'list', '--limit', '101'],
    ['account', 'frobnicate'],
    ['account'],
    ['audit', 'list', '--since', 'yesterday'],
    ['app', 'create', '--name', 'x'],               // --account missing
    ['env', 'list'],
    ['account', 'show', '..'],
    ['account', 'list', '--url', 'ftp://example.com'],
    ['user', 'create', '--app', 'app_x'],               // --external-id missing
    ['user', 'list'],                                   // --app missing
    ['user', 'token', 'issue', 'usr_x'],                // --level missing
    ['user', 'token', 'issue', 'usr_x', '--level', 'read', '--expires-in', '0s'],
    ['user', 'token', 'rotate', 'utk_x', '--grace', 'soon'],
    ['user', 'token', 'revoke'],
    ['user', 'token', 'frobnicate', 'x'],
    ['user', 'token'],
    ['user', 'show', 'usr_x', '--level', 'read'],       // option of another verb
    ['merchant', 'secret', 'app_x', '--grace', '5x'],
    ['merchant', 'client', 'app_x'],                    // Steam ID missing
    ['merchant', 'show', 'app_x', '--limit', '5'],      // paging on a non-list
  ];
  for (const args of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `custos ${args.join(' ')}: ${r.status} ${r.stderr}`);
    assert.ok(r.stderr.length > 0, `custos ${args.join(' ')}: silent`);
    if (args[0] !== 'account' || args[1] !== 'list' || !args.includes('--url'))
      assert.match(r.stderr, new RegExp(`usage: custos ${args[0]}`), `custos ${args.join(' ')}`);
  }
  for (const g of [['user'], ['user', 'token'], ['merchant']]) {
    const u = cli([...g, '--help'], { CUSTOS_ADMIN_TOKEN: '' });
    assert.equal(u.status, 0);
    assert.match(u.stdout, new RegExp(`^usage: custos ${g[0]} `));
  }
  const h = cli(['key', '--help'], { CUSTOS_ADMIN_TOKEN: '' });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /usage: custos key create --app ID/);
});

test('requests carry User-Agent custos-cli/VERSION and the bearer token; non-JSON answers fail', async () => {
  const version = /custos (\S+)/.exec(run(['version']).stdout)[1];
  const seen = [];
  const srv = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    if (req.url.startsWith('/admin/v1/accounts?')) {
      const page = req.url.includes('after=acct_1')
        ? { data: [{ id: 'acct_2', name: '東京 café', created_at: 0 }], next: null }
        : { data: [{ id: 'acct_1', name: 'one', created_at: null }], next: 'acct_1' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(page));
    } else {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    }
  });
  await new Promise((res) => srv.listen(0, '127.0.0.1', res));
  const url = `http://127.0.0.1:${srv.address().port}/`;
  try {
    const env = { CUSTOS_URL: url, CUSTOS_ADMIN_TOKEN: 'adm_headercheck' };
    let r = await runAsync(['account', 'list', '--all', '--limit', '1'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(seen.length, 2);
    assert.equal(seen[0].url, '/admin/v1/accounts?limit=1');
    assert.equal(seen[1].url, '/admin/v1/accounts?limit=1&after=acct_1');
    for (const s of seen) {
      assert.equal(s.headers['user-agent'], `custos-cli/${version}`);
      assert.equal(s.headers.authorization, 'Bearer adm_headercheck');
      assert.equal(s.headers.accept, 'application/json');
    }
    assert.equal(r.stdout,
      'ID      NAME       CREATED\n' +
      'acct_1  one        -\n' +
      'acct_2  東京 café  1970-01-01T00:00:00Z\n');

    r = await runAsync(['account', 'show', 'acct_1'], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /HTTP 502 from http:\/\/127\.0\.0\.1:\d+, without a custos error message/);
    assert.equal(seen.at(-1).url, '/admin/v1/accounts/acct_1');
  } finally {
    srv.close();
  }
});
