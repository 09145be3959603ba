// The Open Ledger profile (docs/profiles/openledger.md) over real HTTP, on
// SQLite and (when CUSTOS_TEST_PG_URL is set; required with
// CUSTOS_REQUIRE_PG=1) PostgreSQL: the seed's requests as written, tokens
// checked by npm `jose` against custos's JWKS, every error body exactly,
// lifetime clamping, entity rules through /v1/check, and the doc's curl
// examples run as written.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader, decodeJwt, SignJWT, generateKeyPair } from 'jose';
import { startCustos, run, tempDir, adminInit, freshPgDatabase, SOURCE_DIR } from './lib/custos.mjs';

const PG_URL = process.env.CUSTOS_TEST_PG_URL;
const requirePg = process.env.CUSTOS_REQUIRE_PG === '1';
if (requirePg && !PG_URL) throw new Error('CUSTOS_REQUIRE_PG=1 but CUSTOS_TEST_PG_URL is not set');
const pgSkip = PG_URL ? false : 'no PostgreSQL (set CUSTOS_TEST_PG_URL)';

const DOC = readFileSync(join(SOURCE_DIR, 'docs/profiles/openledger.md'), 'utf8');
const POLICY = /```yaml\n([\s\S]*?)```/.exec(DOC)[1];
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const JWT = /^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const ERR = {
  noHeader: { status: 401, body: '{"error":{"code":"AUTHENTICATION_ERROR","message":"Authorization header is required"}}' },
  badToken: { status: 401, body: '{"error":{"code":"AUTHENTICATION_ERROR","message":"Invalid authentication token"}}' },
  badKey: { status: 401, body: '{"error":{"code":"INVALID_API_KEY","message":"API key is invalid or expired"}}' },
  entityOnDev: { status: 403, body: '{"error":{"code":"AUTHORIZATION_ERROR","message":"Entity tokens cannot access developer routes"}}' },
  entityMismatch: { status: 403, body: '{"error":{"code":"AUTHORIZATION_ERROR","message":"Entity tokens can only access their own entity"}}' },
  entityDenied: { status: 403, body: '{"error":{"code":"AUTHORIZATION_ERROR","message":"This token does not have access to the requested entity"}}' },
  entityRequired: { status: 400, body: '{"error":{"code":"VALIDATION_ERROR","message":"entityId query parameter is required"}}' },
  scope: { status: 403, body: '{"error":{"code":"AUTHORIZATION_ERROR","message":"Token does not have the required scope"}}' },
  keyNotDev: { status: 403, body: '{"error":{"code":"AUTHORIZATION_ERROR","message":"API key does not belong to this developer"}}' },
  keyNotEntity: { status: 403, body: '{"error":{"code":"AUTHORIZATION_ERROR","message":"API key does not have access to this entity"}}' },
};

function suite(kind) {
  const skip = kind === 'postgres' ? pgSkip : false;
  describe(`openledger on ${kind}`, { skip }, () => {
    let dir, store, c, admin, dev, other, key, otherKey, foreignKey, foreignEntity, JWKS, shortToken, shortAt;

    async function api(method, path, body) {
      const h = { Authorization: `Bearer ${admin}` };
      if (body !== undefined) h['Content-Type'] = 'application/json';
      const r = await fetch(`${c.url}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, text, json: text ? JSON.parse(text) : null };
    }
    async function post(path, body, { raw, headers = {} } = {}) {
      const r = await fetch(`${c.url}${path}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
        body: raw !== undefined ? raw : JSON.stringify(body),
      });
      return { status: r.status, headers: r.headers, text: await r.text() };
    }
    // The gateway check for `method uri` with these headers (nginx style).
    async function check(method, uri, token, extra = {}) {
      const headers = { 'X-Original-Method': method, 'X-Original-URI': uri, ...extra };
      if (token !== undefined) headers.Authorization = token.startsWith('Bearer') || token === '' ? token : `Bearer ${token}`;
      const r = await fetch(`${c.url}/v1/check`, { headers });
      return { status: r.status, headers: r.headers, text: await r.text() };
    }
    const same = (r, e, what = '') => { assert.equal(r.status, e.status, `${what} ${r.text}`); assert.equal(r.text, e.body, what); };
    async function devToken(body = {}) {
      const r = await post('/v1/auth/tokens', { apiKey: key, id: dev, userType: 'developer', ...body });
      assert.equal(r.status, 200, r.text);
      return JSON.parse(r.text);
    }
    async function entToken(id, k = key) {
      const r = await post('/v1/entities/auth/generate-token', { apiKey: k, id, userType: 'entity' });
      assert.equal(r.status, 200, r.text);
      return JSON.parse(r.text).access_token;
    }

    before(async () => {
      dir = tempDir('custos-ol-');
      store = kind === 'sqlite' ? `sqlite:${dir}/custos.db` : freshPgDatabase(PG_URL);
      const init = adminInit({ store, dir, name: 'tests' });
      assert.equal(init.status, 0, init.stderr);
      admin = init.token;
      writeFileSync(join(dir, 'policy.yaml'), POLICY +
        '  - match: GET /v1/scoped\n    profile: openledger\n    class: developer\n    scopes:\n      - LEDGER_ADMIN\n' +
        '  - match: GET /v1/core\n    profile: openledger\n    scopes:\n      - CORE_ACCESS\n');
      // A 2 s leeway (default 30 s) so the expiry test below waits seconds, not half a minute.
      c = await startCustos({ dir, store, args: ['--set', `policy.file=${join(dir, 'policy.yaml')}`, '--set', 'openledger.leeway=2s'] });
      JWKS = createRemoteJWKSet(new URL(`${c.url}/.well-known/jwks.json`));

      // Developer A with an Open Ledger app and key, entity_12345 (the
      // seed's id) and one generated id; developer B likewise; and an
      // app of another profile under A.
      let r = await api('POST', '/admin/v1/accounts', { name: 'Developer A' });
      dev = r.json.id;
      r = await api('POST', '/admin/v1/apps', { account_id: dev, name: 'ledger', profile: 'openledger' });
      assert.equal(r.status, 201, r.text);
      r = await api('POST', `/admin/v1/apps/${r.json.id}/keys`, { scopes: ['CORE_ACCESS'] });
      assert.equal(r.status, 201, r.text);
      key = r.json.key;
      assert.match(key, /^ol_/);
      r = await api('POST', `/admin/v1/accounts/${dev}/entities`, { name: 'Seed entity', id: 'entity_12345' });
      assert.equal(r.status, 201, r.text);
      r = await api('POST', '/admin/v1/accounts', { name: 'Developer B' });
      other = r.json.id;
      r = await api('POST', '/admin/v1/apps', { account_id: other, name: 'ledger b', profile: 'openledger' });
      r = await api('POST', `/admin/v1/apps/${r.json.id}/keys`, {});
      otherKey = r.json.key;
      r = await api('POST', `/admin/v1/accounts/${other}/entities`, { name: 'B entity' });
      assert.equal(r.status, 201, r.text);
      foreignEntity = r.json.id;
      r = await api('POST', '/admin/v1/apps', { account_id: dev, name: 'shop', profile: 'assetpay' });
      r = await api('POST', `/admin/v1/apps/${r.json.id}/keys`, {});
      foreignKey = r.json.key;

      // A 1-second token, checked last (after exp + the 2 s leeway).
      shortToken = (await devToken({ expiresIn: 1 })).access_token;
      shortAt = Date.now();
    });
    after(async () => {
      if (!c) return;
      const ex = await c.stop();
      assert.equal(ex.code, 0, `custos exited with ${ex.code}; log:\n${c.lines.slice(-30).join('\n')}`);
      assert.ok(!c.lines.some((l) => l.includes(key)), 'API key reached the log');
      c.cleanup();
    });

    test('entities through the admin API: create, get, list, conflicts, audit', async () => {
      let r = await api('POST', `/admin/v1/accounts/${dev}/entities`, { name: 'Generated' });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(Object.keys(r.json).sort(), ['account_id', 'created_at', 'id', 'name']);
      assert.match(r.json.id, /^ent_[0-9A-Za-z]{22}$/);
      assert.equal(r.json.account_id, dev);
      const gen = r.json;
      r = await api('GET', `/admin/v1/entities/${gen.id}`);
      assert.deepEqual(r.json, gen);
      r = await api('GET', '/admin/v1/entities/entity_12345');
      assert.equal(r.status, 200);
      assert.equal(r.json.account_id, dev);
      r = await api('GET', `/admin/v1/accounts/${dev}/entities`);
      assert.deepEqual(r.json.data.map((e) => e.id).sort(), [gen.id, 'entity_12345'].sort());
      assert.equal(r.json.next, null);
      r = await api('GET', `/admin/v1/accounts/${dev}/entities?limit=1`);
      assert.equal(r.json.data.length, 1);
      assert.ok(r.json.next);
      // same name in the same account, same id anywhere: 409; same name elsewhere: fine
      r = await api('POST', `/admin/v1/accounts/${dev}/entities`, { name: 'Generated' });
      assert.equal(r.status, 409);
      r = await api('POST', `/admin/v1/accounts/${other}/entities`, { name: 'x', id: 'entity_12345' });
      assert.equal(r.status, 409);
      r = await api('POST', `/admin/v1/accounts/${other}/entities`, { name: 'Generated' });
      assert.equal(r.status, 201);
      r = await api('POST', `/admin/v1/accounts/${dev}/entities`, { name: 'bad', id: 'has space' });
      assert.equal(r.status, 400);
      assert.equal(r.json.error.field, 'id');
      r = await api('POST', `/admin/v1/accounts/${dev}/entities`, { name: 'x', extra: 1 });
      assert.equal(r.status, 400);
      r = await api('POST', '/admin/v1/accounts/acct_nope/entities', { name: 'x' });
      assert.equal(r.status, 404);
      r = await api('GET', '/admin/v1/entities/nope');
      assert.equal(r.status, 404);
      // long external ids page like any other
      const acc = (await api('POST', '/admin/v1/accounts', { name: 'Long ids' })).json.id;
      const longIds = ['L'.repeat(64), `${'L'.repeat(63)}M`, 'a:b.c-d_e'];
      for (const [i, id] of longIds.entries()) assert.equal((await api('POST', `/admin/v1/accounts/${acc}/entities`, { name: `n${i}`, id })).status, 201);
      const seen = [];
      let after = '';
      for (;;) {
        r = await api('GET', `/admin/v1/accounts/${acc}/entities?limit=1${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        assert.equal(r.status, 200, r.text);
        seen.push(...r.json.data.map((e) => e.id));
        if (!r.json.next) break;
        after = r.json.next;
      }
      assert.deepEqual(seen, [...longIds].sort());
      r = await api('GET', `/admin/v1/accounts/${acc}/entities?after=${'x'.repeat(65)}`);
      assert.equal(r.status, 400);
      r = await api('GET', `/admin/v1/audit?action=entity.create&target=${gen.id}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.data.length, 1);
      assert.deepEqual(JSON.parse(JSON.stringify(r.json.data[0].detail)), { account_id: dev, name: 'Generated' });
    });

    test('the CLI creates, lists and gets entities', () => {
      const env = { CUSTOS_ADMIN_TOKEN: admin, CUSTOS_URL: c.url };
      let r = run(['entity', 'create', dev, 'From CLI', '--id', 'cli.entity-1', '--json'], { env });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).id, 'cli.entity-1');
      r = run(['entity', 'list', dev], { env });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /cli\.entity-1\s+From CLI/);
      r = run(['entity', 'get', 'cli.entity-1', '--json'], { env });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).account_id, dev);
      r = run(['entity', 'create', dev], { env });
      assert.equal(r.status, 2);
    });

    test('the seed\'s developer token request as written: 200, RS256 JWT npm jose verifies with every claim', async () => {
      const raw = `{\n "apiKey": "${key}",\n "id": "${dev}",\n "userType": "developer"\n}`;
      const r = await post('/v1/auth/tokens', null, { raw });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      const body = JSON.parse(r.text);
      assert.deepEqual(Object.keys(body), ['access_token', 'token_type', 'expires_in']);
      assert.match(body.access_token, JWT);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      assert.ok(body.access_token.startsWith('eyJhbGciOiJSUzI1NiIsInR5cCI6'), 'header starts as the seed shows');
      const { payload, protectedHeader } = await jwtVerify(body.access_token, JWKS, { issuer: 'custos', audience: 'openledger', algorithms: ['RS256'] });
      assert.equal(protectedHeader.alg, 'RS256');
      assert.ok(protectedHeader.kid);
      assert.equal(payload.sub, dev);
      assert.equal(payload.user_type, 'developer');
      assert.equal(payload.developer_id, dev);
      assert.match(payload.jti, /^tok_[0-9A-Za-z]{22}$/);
      assert.match(payload.app_id, /^app_/);
      assert.equal(payload.scope, 'CORE_ACCESS');
      assert.equal(payload.exp - payload.iat, 3600);
      assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60);
      assert.equal(payload.entity_id, undefined);
      const again = await devToken();
      assert.notEqual(decodeJwt(again.access_token).jti, payload.jti);
    });

    test('the seed\'s entity token request as written: sub is the entity, the developer travels along', async () => {
      const raw = `{\n "apiKey": "${key}",\n "id": "entity_12345",\n "userType": "entity"\n}`;
      const r = await post('/v1/entities/auth/generate-token', null, { raw });
      assert.equal(r.status, 200, r.text);
      const body = JSON.parse(r.text);
      assert.deepEqual(Object.keys(body), ['access_token', 'token_type', 'expires_in']);
      const { payload } = await jwtVerify(body.access_token, JWKS, { issuer: 'custos', audience: 'openledger', algorithms: ['RS256'] });
      assert.equal(payload.sub, 'entity_12345');
      assert.equal(payload.entity_id, 'entity_12345');
      assert.equal(payload.developer_id, dev);
      assert.equal(payload.user_type, 'entity');
      same(await post('/v1/entities/auth/generate-token', { apiKey: key, id: foreignEntity, userType: 'entity' }), ERR.keyNotEntity, 'foreign entity');
      same(await post('/v1/entities/auth/generate-token', { apiKey: key, id: 'ent_unknown', userType: 'entity' }), ERR.keyNotEntity, 'unknown entity');
    });

    test('lifetimes: requested, clamped to the default, to the account maximum, and the seed\'s 100 years', async () => {
      assert.equal((await devToken({ expiresIn: 60 })).expires_in, 60);
      assert.equal((await devToken({ expires_in: 120 })).expires_in, 120);
      const hundredYears = 100 * 365 * 24 * 3600;
      let t = await devToken({ expiresIn: hundredYears });
      assert.equal(t.expires_in, 3600);
      let p = decodeJwt(t.access_token);
      assert.equal(p.exp - p.iat, 3600);
      let r = await api('GET', `/admin/v1/accounts/${dev}/token-lifetime`);
      assert.deepEqual(r.json, { account_id: dev, token_max_lifetime: null, effective: 3600 });
      r = await api('PUT', `/admin/v1/accounts/${dev}/token-lifetime`, { token_max_lifetime: hundredYears });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { account_id: dev, token_max_lifetime: hundredYears, effective: hundredYears });
      t = await devToken({ expiresIn: hundredYears });
      assert.equal(t.expires_in, hundredYears);
      await jwtVerify(t.access_token, JWKS, { issuer: 'custos', audience: 'openledger' });
      assert.equal((await devToken()).expires_in, 3600, 'no request: the default 3600, under the maximum');
      r = await api('PUT', `/admin/v1/accounts/${dev}/token-lifetime`, { token_max_lifetime: 600 });
      assert.equal(r.status, 200);
      assert.equal((await devToken()).expires_in, 600);
      assert.equal((await devToken({ expiresIn: 9999 })).expires_in, 600);
      r = await api('PUT', `/admin/v1/accounts/${dev}/token-lifetime`, { token_max_lifetime: 0 });
      assert.equal(r.status, 400);
      r = await api('PUT', `/admin/v1/accounts/${dev}/token-lifetime`, { token_max_lifetime: null });
      assert.deepEqual(r.json, { account_id: dev, token_max_lifetime: null, effective: 3600 });
      r = await api('GET', `/admin/v1/audit?action=account.token_lifetime&target=${dev}`);
      assert.equal(r.json.data.length, 3);
      for (const bad of [0, -5, 1.5, '60', null]) {
        const x = await post('/v1/auth/tokens', { apiKey: key, id: dev, userType: 'developer', expiresIn: bad });
        same(x, { status: 400, body: '{"error":{"code":"VALIDATION_ERROR","message":"expiresIn must be a positive integer (seconds)"}}' }, `expiresIn ${bad}`);
      }
    });

    test('token request errors, each with its exact body', async () => {
      same(await post('/v1/auth/tokens', { apiKey: 'your-api-key', id: dev, userType: 'developer' }), ERR.badKey, 'unknown key');
      same(await post('/v1/auth/tokens', { apiKey: `${key.slice(0, -1)}x`, id: dev, userType: 'developer' }), ERR.badKey, 'bad checksum');
      same(await post('/v1/auth/tokens', { apiKey: foreignKey, id: dev, userType: 'developer' }), ERR.badKey, 'key of an assetpay app');
      same(await post('/v1/auth/tokens', { apiKey: otherKey, id: dev, userType: 'developer' }), ERR.keyNotDev, 'key of another developer');
      const v = (m) => ({ status: 400, body: `{"error":{"code":"VALIDATION_ERROR","message":${JSON.stringify(m)}}}` });
      same(await post('/v1/auth/tokens', { id: dev, userType: 'developer' }), v('apiKey is required'));
      same(await post('/v1/auth/tokens', { apiKey: key, userType: 'developer' }), v('id is required'));
      same(await post('/v1/auth/tokens', { apiKey: key, id: dev }), v('userType is required'));
      same(await post('/v1/auth/tokens', { apiKey: 5, id: dev, userType: 'developer' }), v('apiKey must be a non-empty string'));
      same(await post('/v1/auth/tokens', { apiKey: key, id: '', userType: 'developer' }), v('id must be a non-empty string'));
      same(await post('/v1/auth/tokens', { apiKey: key, id: dev, userType: 'entity' }), v('userType must be "developer"'));
      same(await post('/v1/entities/auth/generate-token', { apiKey: key, id: 'entity_12345', userType: 'developer' }), v('userType must be "entity"'));
      let r = await post('/v1/auth/tokens', null, { raw: '{"apiKey": ' });
      assert.equal(r.status, 400);
      assert.match(r.text, /^\{"error":\{"code":"VALIDATION_ERROR","message":"malformed JSON[^"]*"\}\}$/);
      r = await post('/v1/auth/tokens', null, { raw: '[1,2]' });
      assert.equal(r.status, 400);
      assert.match(r.text, /^\{"error":\{"code":"VALIDATION_ERROR","message":"[^"]+"\}\}$/);
      r = await post('/v1/auth/tokens', null, { raw: '' });
      assert.equal(r.status, 400);
      assert.match(r.text, /^\{"error":\{"code":"VALIDATION_ERROR","message":"[^"]+"\}\}$/);
      r = await post('/v1/auth/tokens', null, { raw: JSON.stringify({ apiKey: key, id: dev, userType: 'developer', pad: 'x'.repeat(70000) }) });
      same(r, { status: 413, body: '{"error":{"code":"PAYLOAD_TOO_LARGE","message":"request body too large"}}' }, 'oversize body');
      r = await fetch(`${c.url}/v1/auth/tokens`);
      assert.equal(r.status, 405);
      assert.equal(r.headers.get('allow'), 'POST');
      assert.equal(await r.text(), '{"error":{"code":"METHOD_NOT_ALLOWED","message":"method not allowed"}}');
      // a revoked key stops minting
      const ka = await api('POST', '/admin/v1/accounts', { name: 'Revoked dev' });
      const app = await api('POST', '/admin/v1/apps', { account_id: ka.json.id, name: 'l', profile: 'openledger' });
      const k = await api('POST', `/admin/v1/apps/${app.json.id}/keys`, {});
      assert.equal((await post('/v1/auth/tokens', { apiKey: k.json.key, id: ka.json.id, userType: 'developer' })).status, 200);
      await api('POST', `/admin/v1/keys/${k.json.id}/revoke`, {});
      same(await post('/v1/auth/tokens', { apiKey: k.json.key, id: ka.json.id, userType: 'developer' }), ERR.badKey, 'revoked key');
    });

    test('protected routes through /v1/check: identity headers and the seed\'s errors', async () => {
      const t = (await devToken()).access_token;
      const p = decodeJwt(t);
      let r = await check('GET', '/v1/transactions', t);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('x-custos-account'), dev);
      assert.equal(r.headers.get('x-custos-subject'), dev);
      assert.equal(r.headers.get('x-custos-app'), p.app_id);
      assert.equal(r.headers.get('x-custos-token-id'), p.jti);
      assert.equal(r.headers.get('x-custos-scopes'), 'CORE_ACCESS');
      assert.equal(r.headers.get('x-custos-user-type'), 'developer');
      assert.equal(r.headers.get('x-custos-entity'), null);
      same(await check('GET', '/v1/transactions'), ERR.noHeader, 'no header');
      same(await check('GET', '/v1/transactions', ''), ERR.noHeader, 'empty header');
      same(await check('GET', '/v1/transactions', 'Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6...'), ERR.badToken, 'the seed\'s elided token');
      same(await check('GET', '/v1/transactions', `Basic ${t}`), ERR.badToken, 'not Bearer');
      same(await check('GET', '/v1/transactions', key), ERR.badToken, 'an API key is not a token');
      const [h, pl, s] = t.split('.');
      const flip = s[5] === 'A' ? 'B' : 'A';
      same(await check('GET', '/v1/transactions', `${h}.${pl}.${s.slice(0, 5)}${flip}${s.slice(6)}`), ERR.badToken, 'bad signature');
      // alg none, and a token signed by a key custos never published
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${pl}.`;
      same(await check('GET', '/v1/transactions', none), ERR.badToken, 'alg none');
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT(p).setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(t).kid }).sign(privateKey);
      same(await check('GET', '/v1/transactions', forged), ERR.badToken, 'foreign key');
      const hs = await new SignJWT(p).setProtectedHeader({ alg: 'HS256', kid: decodeProtectedHeader(t).kid }).sign(new TextEncoder().encode('x'.repeat(32)));
      same(await check('GET', '/v1/transactions', hs), ERR.badToken, 'HS256');
      // scopes named by the policy must be in the token
      r = await check('GET', '/v1/core', t);
      assert.equal(r.status, 200, r.text);
      same(await check('GET', '/v1/scoped', t), ERR.scope, 'missing scope');
      // a route no policy names is refused
      r = await check('GET', '/v1/unlisted', t);
      assert.equal(r.status, 403);
    });

    test('entity rules through /v1/check', async () => {
      const t = (await devToken()).access_token;
      const et = await entToken('entity_12345');
      // developer token: any entity of the developer, never another's
      let r = await check('GET', '/v1/entity/balances?entityId=entity_12345', t);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('x-custos-entity'), 'entity_12345');
      r = await check('GET', '/v1/transactions?entityId=entity_12345', t);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('x-custos-entity'), 'entity_12345');
      same(await check('GET', `/v1/entity/balances?entityId=${foreignEntity}`, t), ERR.entityDenied, 'foreign entity');
      same(await check('GET', '/v1/entity/balances?entityId=ent_nope', t), ERR.entityDenied, 'unknown entity');
      same(await check('GET', '/v1/transactions?entityId=', t), ERR.entityDenied, 'empty entityId');
      r = await check('GET', '/v1/entity/x?a=1&entityId=entity%5F12345&b=2', t);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('x-custos-entity'), 'entity_12345');
      same(await check('GET', `/v1/entity/x?entityId=${'e'.repeat(300)}`, t), ERR.entityDenied, 'over-long entityId');
      same(await check('GET', '/v1/entity/x?entityId=%ZZ', t), ERR.entityDenied, 'malformed entityId');
      for (let i = 0; i < 3; i++) { // repeated: the remembered owner answers the same
        r = await check('GET', '/v1/entity/x?entityId=entity_12345', t);
        assert.equal(r.status, 200, r.text);
        same(await check('GET', `/v1/entity/x?entityId=${foreignEntity}`, t), ERR.entityDenied, 'foreign, again');
      }
      same(await check('GET', '/v1/entity/balances', t), ERR.entityRequired, 'no entityId');
      // entity token: only its own entity, never a developer route
      r = await check('POST', '/v1/entity/payments', et);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('x-custos-entity'), 'entity_12345');
      assert.equal(r.headers.get('x-custos-subject'), dev);
      assert.equal(r.headers.get('x-custos-user-type'), 'entity');
      r = await check('GET', '/v1/entity/x?entityId=entity_12345', et);
      assert.equal(r.status, 200, r.text);
      same(await check('GET', `/v1/entity/x?entityId=${foreignEntity}`, et), ERR.entityMismatch, 'entity token, other entity');
      same(await check('GET', '/v1/transactions', et), ERR.entityOnDev, 'entity token on a developer route');
      same(await check('GET', '/v1/transactions?entityId=entity_12345', et), ERR.entityOnDev, 'even with its own entityId');
      // developer B's token reaches B's entity, not A's
      const tb = JSON.parse((await post('/v1/auth/tokens', { apiKey: otherKey, id: other, userType: 'developer' })).text).access_token;
      r = await check('GET', `/v1/entity/x?entityId=${foreignEntity}`, tb);
      assert.equal(r.status, 200, r.text);
      same(await check('GET', '/v1/entity/x?entityId=entity_12345', tb), ERR.entityDenied, 'B on A\'s entity');
    });

    test('tokens of another issuer or audience are refused (a second node on the same store)', async () => {
      const d2 = tempDir('custos-ol2-');
      const mk = readFileSync(join(dir, 'master.key'));
      writeFileSync(join(d2, 'master.key'), mk, { mode: 0o600 });
      const c2 = await startCustos({ dir: d2, store, args: ['--set', 'openledger.issuer=https://elsewhere.example', '--set', 'openledger.audience=other'] });
      try {
        const r = await fetch(`${c2.url}/v1/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ apiKey: key, id: dev, userType: 'developer' }) });
        assert.equal(r.status, 200);
        const t2 = (await r.json()).access_token;
        const p2 = decodeJwt(t2);
        assert.equal(p2.iss, 'https://elsewhere.example');
        await jwtVerify(t2, JWKS, { issuer: 'https://elsewhere.example', audience: 'other' }); // same keys
        same(await check('GET', '/v1/transactions', t2), ERR.badToken, 'other iss/aud');
      } finally {
        await c2.stop();
        c2.cleanup();
      }
    });

    test('the doc\'s curl examples give the documented answers', async () => {
      const et = await entToken('entity_12345');
      const env = { ...process.env, CUSTOS_URL: c.url, OL_API_KEY: key, OL_DEVELOPER_ID: dev, OL_TOKEN: (await devToken()).access_token, OL_ENTITY_TOKEN: et };
      const pairs = [...DOC.matchAll(/```sh\n([\s\S]*?)```\s*```response\n([\s\S]*?)```/g)];
      assert.ok(pairs.length >= 10, `found ${pairs.length} examples`);
      const pattern = (s) => new RegExp('^' + s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/…/g, '.*') + '$', 's');
      for (const [, script, expected] of pairs) {
        const sh = script.replace(/\bcurl -s /g, "curl -s -w '\\n%{http_code}\\n' ");
        const r = spawnSync('bash', ['-euo', 'pipefail', '-c', sh], { env, encoding: 'utf8', timeout: 30000 });
        assert.equal(r.status, 0, `${script}\n${r.stderr}`);
        const got = r.stdout.split('\n').filter((l) => l !== '');
        const want = expected.trim().split('\n');
        // curl prints the body then the status: reorder to the doc's status-first form
        const norm = [];
        for (let i = 0; i < got.length; i++) {
          if (/^\d{3}$/.test(got[i])) norm.push(got[i]);
          else { norm.push(got[i + 1]); norm.push(got[i]); i++; }
        }
        assert.equal(norm.length, want.length, `${script}\ngot:\n${r.stdout}`);
        for (let i = 0; i < want.length; i++) assert.match(norm[i], pattern(want[i]), `${script}\nline ${i}`);
      }
    });

    test('an expired token is refused (exp + the configured 2 s leeway)', { timeout: 60000 }, async () => {
      // exp = iat + 1 with iat in whole seconds: valid until at least
      // shortAt + 2 s (inside the leeway), refused from shortAt + 4 s.
      const waited = Date.now() - shortAt;
      if (waited < 1500) {
        await sleep(1500 - waited);
        const r = await check('GET', '/v1/transactions', shortToken);
        assert.equal(r.status, 200, `past exp but inside the leeway: ${r.text}`);
      }
      await sleep(Math.max(0, 4200 - (Date.now() - shortAt)));
      same(await check('GET', '/v1/transactions', shortToken), ERR.badToken, 'expired');
    });
  });
}

suite('sqlite');
suite('postgres');
