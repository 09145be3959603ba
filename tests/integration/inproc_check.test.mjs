// libcustos's in-process gateway decision (custos_checker_t, custos_check)
// against `custos serve`'s /v1/check on the same store, configuration and
// policy: for a table of requests — allowed, each profile's refusals,
// no_policy, malformed original requests, rate limits — the in-process
// decision must equal /v1/check's answer exactly (status, body bytes,
// Content-Type, identity headers, Retry-After; the same request id is
// given to both). On PostgreSQL, also: a revocation through serve's admin
// API is refused in-process within 1 s (LISTEN/NOTIFY, as between nodes).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startCustos, tempDir, adminInit, freshPgDatabase, SOURCE_DIR } from './lib/custos.mjs';
import { admin, thelayerApp, thelayerUser, assetpayMerchant, openledgerDeveloper, ASSETPAY_SEED } from './lib/creds.mjs';
import { checkerConfig, startChecker } from './lib/checker.mjs';

const POLICY = join(SOURCE_DIR, 'examples/platform/policy.yaml');
const PG_URL = process.env.CUSTOS_TEST_PG_URL;
if (!PG_URL && process.env.CUSTOS_REQUIRE_PG === '1') throw new Error('CUSTOS_REQUIRE_PG=1 but CUSTOS_TEST_PG_URL is unset');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// serve (with an admin token) and a checker on the same store and policy.
async function stack({ store, keys = '' } = {}) {
  const dir = tempDir('custos-inproc-');
  store = store || `sqlite:${dir}/custos.db`;
  const args = ['--set', `policy.file=${POLICY}`];
  if (keys) args.push('--set', 'keys.burst=2', '--set', 'keys.rate_per_second=1');
  // serve first: in development mode it creates the master key and migrates.
  const c = await startCustos({ dir, store, args });
  const init = adminInit({ store, dir });
  assert.equal(init.status, 0, init.stderr);
  let k;
  try {
    k = await startChecker(checkerConfig(dir, { store, policy: POLICY, extra: keys }));
  } catch (e) {
    await c.stop();
    throw e;
  }
  return {
    c, k, api: admin(c.url, init.token),
    async stop() {
      const ke = await k.stop();
      assert.deepEqual(ke, { code: 0, signal: null }, k.stderr());
      const ce = await c.stop();
      assert.equal(ce.code, 0, c.lines.slice(-20).join('\n'));
      c.cleanup();
    },
  };
}

const RC = (status) => (status === 200 ? 'CUSTOS_OK' : status === 429 ? 'CUSTOS_ELIMIT' : status >= 500 ? 'CUSTOS_ESTORE' : 'CUSTOS_EDENIED');
let seq = 0;

// What /v1/check answers about METHOD URI (nginx's way of describing it)
// and what the checker decides: they must be the same, byte for byte.
async function same(s, method, uri, headers = {}, want = {}) {
  const rid = `inproc-${process.pid}-${++seq}`;
  const r = await fetch(`${s.c.url}/v1/check`, {
    headers: { ...headers, 'X-Original-Method': method, 'X-Original-URI': uri, 'X-Request-Id': rid },
  });
  const body = await r.text();
  const d = await s.k.check(method, uri, headers, rid);
  const label = `${method} ${uri.slice(0, 80)} ${JSON.stringify(headers).slice(0, 120)}`;
  assert.equal(d.status, r.status, `${label}: serve said ${body}, in-process ${d.body}`);
  assert.equal(d.body, body, label);
  assert.equal(d.content_type, r.headers.get('content-type'), label);
  const served = [...r.headers.entries()].filter(([n]) => n.startsWith('x-custos-') || n === 'retry-after');
  const mine = d.headers.map(([n, v]) => [n.toLowerCase(), v]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual(mine, served, label);
  assert.equal(d.rc, RC(r.status), label);
  assert.equal(d.retry_after, Number(r.headers.get('retry-after') || 0), label);
  if (want.status !== undefined) assert.equal(d.status, want.status, `${label}: ${d.body}`);
  if (want.code !== undefined) assert.equal(d.code, want.code, label);
  if (d.status !== 200) assert.equal(d.code !== null, true, label);
  return d;
}

// Credentials of every profile on `s`, and a table of [method, uri,
// headers, {status, code}] that covers allowed requests and each refusal.
async function table(s) {
  const A = await thelayerApp(s.api, 'Layer Corp');
  const B = await thelayerApp(s.api, 'Other Corp');
  const wA = await thelayerUser(s.api, A.app, 'write');
  const rA = await thelayerUser(s.api, A.app, 'read');
  const wB = await thelayerUser(s.api, B.app, 'write');
  // Never checked before they change, so no cache holds the old state.
  const rot = (await s.api('POST', `/admin/v1/apps/${A.app}/keys`, {})).json;
  assert.equal((await s.api('POST', `/admin/v1/keys/${rot.id}/rotate`, { grace_seconds: 0 })).status, 201);
  const rotU = await thelayerUser(s.api, A.app, 'read');
  assert.equal((await s.api('POST', `/admin/v1/user-tokens/${rotU.id}/rotate`, { grace_seconds: 0 })).status, 201);
  const revU = await thelayerUser(s.api, A.app, 'read');
  assert.equal((await s.api('POST', `/admin/v1/user-tokens/${revU.id}/revoke`)).status, 200);

  const M = await assetpayMerchant(s.api, s.c.url);
  const now = Math.floor(Date.now() / 1000);
  const expired = await new SignJWT({ client: { steamID: ASSETPAY_SEED.clientSteamId, tradeUrl: ASSETPAY_SEED.clientTradeUrl } })
    .setProtectedHeader({ alg: 'HS256', userId: M.merchantId }).setIssuedAt(now - 90000).setExpirationTime(now - 3600)
    .sign(new TextEncoder().encode(M.secret));
  const D = await openledgerDeveloper(s.api, s.c.url);

  const tl = (t1, t2) => ({ Token1: t1, Token2: t2 });
  const u = '/api/your-endpoint';
  return [
    // The Layer
    ['GET', `${u}?page=2`, tl(A.token1, wA.token2), { status: 200 }],
    ['POST', u, tl(A.token1, wA.token2), { status: 200 }],
    ['GET', u, { Token2: wA.token2 }, { status: 401, code: 'TOKEN1_MISSING' }],
    ['GET', u, { Token1: A.token1 }, { status: 401, code: 'TOKEN2_MISSING' }],
    ['GET', u, tl('tl_nope', wA.token2), { status: 401, code: 'TOKEN1_INVALID' }],
    ['GET', u, tl(A.token1, 'tlu_nope'), { status: 401, code: 'TOKEN2_INVALID' }],
    ['GET', u, tl(A.token1, wB.token2), { status: 401, code: 'TOKEN_MISMATCH' }],
    ['POST', u, tl(A.token1, rA.token2), { status: 403, code: 'INSUFFICIENT_ACCESS' }],
    ['DELETE', '/api/admin/users/7', tl(A.token1, wA.token2), { status: 403, code: 'INSUFFICIENT_ACCESS' }],
    ['GET', u, tl(rot.key, wA.token2), { status: 401, code: 'TOKEN1_EXPIRED' }],
    ['GET', u, tl(A.token1, rotU.token2), { status: 401, code: 'TOKEN2_EXPIRED' }],
    ['GET', u, tl(A.token1, revU.token2), { status: 401, code: 'TOKEN2_INVALID' }],
    // AssetPay
    ['GET', '/client/inventory', { Authorization: M.token }, { status: 200 }],
    ['GET', '/secure/prices', { 'api-key': M.key.key }, { status: 200 }],
    ['GET', '/secure/prices', { 'api-key': M.ro.key }, { status: 200 }],
    ['GET', '/client/inventory', {}, { status: 401, code: 'MISSING_CLIENT_TOKEN' }],
    ['GET', '/client/inventory', { Authorization: 'not.a.token' }, { status: 401, code: 'INVALID_CLIENT_TOKEN' }],
    ['GET', '/client/inventory', { Authorization: `${M.token.slice(0, -2)}xx` }, { status: 401, code: 'INVALID_CLIENT_TOKEN' }],
    ['GET', '/client/inventory', { Authorization: expired }, { status: 401, code: 'CLIENT_TOKEN_EXPIRED' }],
    ['GET', '/secure/prices', {}, { status: 401, code: 'MISSING_API_KEY' }],
    ['GET', '/secure/prices', { 'api-key': 'ap_not_a_real_key' }, { status: 401, code: 'INVALID_API_KEY' }],
    ['POST', '/secure/prices', { 'api-key': M.ro.key }, { status: 403, code: 'INSUFFICIENT_SCOPE' }],
    // Open Ledger
    ['GET', '/v1/transactions', { Authorization: `Bearer ${D.dev}` }, { status: 200 }],
    ['GET', '/v1/transactions', {}, { status: 401, code: 'AUTHENTICATION_ERROR' }],
    ['GET', '/v1/transactions', { Authorization: 'Bearer not.a.token' }, { status: 401, code: 'AUTHENTICATION_ERROR' }],
    ['GET', '/v1/transactions', { Authorization: `Bearer ${D.entity}` }, { status: 403, code: 'AUTHORIZATION_ERROR' }],
    ['GET', '/v1/transactions?entityId=entity_nope', { Authorization: `Bearer ${D.dev}` }, { status: 403, code: 'AUTHORIZATION_ERROR' }],
    // No policy: fail closed.
    ['GET', '/unlisted', {}, { status: 403, code: 'no_policy' }],
    ['PUT', '/', { Token1: A.token1 }, { status: 403, code: 'no_policy' }],
    ['GET', '/api%252Fx', tl(A.token1, wA.token2), { status: 403, code: 'no_policy' }],
    // Malformed original requests: 400 in custos's shape, before any policy.
    ...['/api/a%00b', '/api/%zz', '/api/%4', '/api/../admin', '/api/%2e%2e/admin', '/api/./x',
      `/api/${'a'.repeat(2100)}`, `/api/x?${'q'.repeat(4100)}`, 'api/x']
      .map((uri) => ['GET', uri, tl(A.token1, wA.token2), { status: 400, code: 'bad_request' }]),
    ['G3T', u, tl(A.token1, wA.token2), { status: 400, code: 'bad_request' }],
    // Decoded once, as serve does: %2F is a slash.
    ['GET', '/api%2Fx', tl(A.token1, wA.token2), { status: 200 }],
  ];
}

describe('in-process decisions equal /v1/check (SQLite)', () => {
  let s;
  before(async () => { s = await stack(); });
  after(async () => { if (s) await s.stop(); });

  test('every profile: allowed, each refusal, no_policy, malformed', async () => {
    const rows = await table(s);
    for (const [method, uri, headers, want] of rows) await same(s, method, uri, headers, want);
    // The identity a platform would see, for one of them.
    const A = await thelayerApp(s.api, 'Identity Corp');
    const w = await thelayerUser(s.api, A.app, 'write');
    const d = await same(s, 'GET', '/api/x', { Token1: A.token1, Token2: w.token2 }, { status: 200 });
    assert.deepEqual(Object.fromEntries(d.headers), {
      'X-Custos-Account': A.account, 'X-Custos-App': A.app, 'X-Custos-Subject': w.user, 'X-Custos-Scopes': 'CORE_ACCESS',
      'X-Custos-Token-Id': w.id, 'X-Custos-Access-Level': 'write', 'X-Custos-App-Token-Id': A.token1Id,
    });
    assert.equal(d.body, '');
    assert.equal(d.content_type, null);
  });

  test('no request id: custos\'s shape leaves it out', async () => {
    const d = await s.k.check('GET', '/unlisted', {});
    assert.equal(d.rc, 'CUSTOS_EDENIED');
    assert.equal(d.body, '{"error":{"code":"no_policy","message":"no route policy matches GET /unlisted"}}');
    const bad = await s.k.check('GET', '/unlisted', {}, 'has space');
    assert.equal(bad.body, d.body, 'an id serve would not echo is left out');
  });
});

describe('in-process rate limits equal /v1/check\'s (SQLite)', () => {
  let s;
  before(async () => { s = await stack({ keys: 'keys:\n  burst: 2\n  rate_per_second: 1' }); });
  after(async () => { if (s) await s.stop(); });

  test('429 with Retry-After, byte for byte', async () => {
    const A = await thelayerApp(s.api, 'Busy Corp');
    const w = await thelayerUser(s.api, A.app, 'read');
    const h = { Token1: A.token1, Token2: w.token2 };
    // Each has its own bucket (its own process): empty both, then compare.
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${s.c.url}/v1/check/api/x`, { headers: h });
      await r.text();
      const d = await s.k.check('GET', '/api/x', h);
      if (r.status === 429 && d.status === 429) break;
    }
    const d = await same(s, 'GET', '/api/x', h, { status: 429, code: 'RATE_LIMITED' });
    assert.equal(d.rc, 'CUSTOS_ELIMIT');
    assert.ok(d.retry_after >= 1);
  });
});

describe('in-process decisions on PostgreSQL', { skip: PG_URL ? false : 'no PostgreSQL (set CUSTOS_TEST_PG_URL)' }, () => {
  let s;
  before(async () => { s = await stack({ store: freshPgDatabase(PG_URL, 'custos_inproc') }); });
  after(async () => { if (s) await s.stop(); });

  test('every profile: allowed, each refusal, no_policy, malformed', async () => {
    for (const [method, uri, headers, want] of await table(s)) await same(s, method, uri, headers, want);
  });

  // Until f() resolves true, at most `ms`; returns the time it took.
  async function within(ms, f) {
    const t0 = Date.now();
    while (!(await f())) {
      assert.ok(Date.now() - t0 < ms, `not within ${ms} ms`);
      await sleep(20);
    }
    return Date.now() - t0;
  }

  test('a revocation through serve\'s admin API is refused in-process within 1 s', async () => {
    const A = await thelayerApp(s.api, 'Revoked Corp');
    const w = await thelayerUser(s.api, A.app, 'write');
    const w2 = await thelayerUser(s.api, A.app, 'write');
    const M = await assetpayMerchant(s.api, s.c.url, 'Revoked');
    const tl = { Token1: A.token1, Token2: w.token2 };
    const tl2 = { Token1: A.token1, Token2: w2.token2 };
    const ap = { 'api-key': M.key.key };
    // Cached in the checker: allowed, and no store read needed next time.
    for (let i = 0; i < 2; i++) {
      for (const [uri, h] of [['/api/x', tl], ['/api/x', tl2], ['/secure/prices', ap]])
        assert.equal((await s.k.check('GET', uri, h)).status, 200);
    }
    // A user token (Token2), an API key as Token1, an AssetPay api-key.
    for (const [path, uri, h, code] of [
      [`/admin/v1/user-tokens/${w.id}/revoke`, '/api/x', tl, 'TOKEN2_INVALID'],
      [`/admin/v1/keys/${A.token1Id}/revoke`, '/api/x', tl2, 'TOKEN1_INVALID'],
      [`/admin/v1/keys/${M.key.id}/revoke`, '/secure/prices', ap, 'INVALID_API_KEY'],
    ]) {
      assert.equal((await s.api('POST', path)).status, 200, path);
      await within(1000, async () => (await s.k.check('GET', uri, h)).status === 401);
      await same(s, 'GET', uri, h, { status: 401, code });
    }
  });
});
