// The Layer profile (docs/profiles/thelayer.md) through the gateway check:
// the doc's curl examples run as written, every error is provoked with its
// exact body through nginx-, Traefik- and Envoy-style requests (same
// verdicts), on SQLite and (when CUSTOS_TEST_PG_URL is set) PostgreSQL.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, startCustos, tempDir, adminInit, freshPgDatabase, SOURCE_DIR } from './lib/custos.mjs';
import { startPrivatePg } from './lib/pg.mjs';
import { THELAYER_ERRORS, thelayerBody } from './lib/creds.mjs';

const PG_URL = process.env.CUSTOS_TEST_PG_URL;
const requirePg = process.env.CUSTOS_REQUIRE_PG === '1';
if (requirePg && !PG_URL) throw new Error('CUSTOS_REQUIRE_PG=1 but CUSTOS_TEST_PG_URL is not set');
const pgSkip = PG_URL ? false : 'no PostgreSQL (set CUSTOS_TEST_PG_URL)';
const POLICY = join(SOURCE_DIR, 'examples/policy.yaml');
const DOC = join(SOURCE_DIR, 'docs/profiles/thelayer.md');
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

const E = THELAYER_ERRORS;
const body = thelayerBody;

// The original request as each gateway describes it to /v1/check.
const STYLES = {
  nginx: (url, method, uri, h) => fetch(`${url}/v1/check`, { headers: { 'X-Original-Method': method, 'X-Original-URI': uri, ...h } }),
  traefik: (url, method, uri, h) => fetch(`${url}/v1/check`, { headers: { 'X-Forwarded-Method': method, 'X-Forwarded-Uri': uri, ...h } }),
  envoy: (url, method, uri, h) => fetch(`${url}/v1/check${uri}`, { method, headers: h }),
};

// Asks all three ways; asserts they agree and returns {status, text, headers}.
async function check(url, method, uri, headers = {}) {
  const out = [];
  for (const [name, f] of Object.entries(STYLES)) {
    const r = await f(url, method, uri, headers);
    out.push({ name, status: r.status, text: await r.text(), headers: r.headers });
  }
  for (const o of out.slice(1)) {
    assert.equal(o.status, out[0].status, `${o.name} vs ${out[0].name} on ${method} ${uri}`);
    assert.equal(o.text, out[0].text, `${o.name} vs ${out[0].name} on ${method} ${uri}`);
  }
  return out[0];
}

async function expectError(url, method, uri, headers, code) {
  const r = await check(url, method, uri, headers);
  assert.equal(r.status, E[code][0], `${code}: ${r.text}`);
  assert.equal(r.text, body(code));
  assert.match(r.headers.get('content-type'), /^application\/json/);
}

function admin(url, token) {
  return async (method, path, json) => {
    const r = await fetch(`${url}${path}`, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  };
}

// Splits the doc into sh blocks, each with the output block that follows it (or null).
function docExamples() {
  const md = readFileSync(DOC, 'utf8');
  const re = /```(sh|output)\n([\s\S]*?)```/g;
  const blocks = [];
  let m;
  while ((m = re.exec(md))) {
    if (m[1] === 'sh') blocks.push({ sh: m[2], want: null });
    else blocks[blocks.length - 1].want = m[2];
  }
  return blocks;
}

function suite(kind) {
  describe(`thelayer on ${kind}`, { skip: kind === 'postgres' ? pgSkip : false }, () => {
    let dir, store, c, api, init;
    const T = {}; // tokens and ids

    async function newApp(name, profile = 'thelayer') {
      const acct = (await api('POST', '/admin/v1/accounts', { name })).json.id;
      const app = await api('POST', '/admin/v1/apps', { account_id: acct, name, profile });
      assert.equal(app.status, 201);
      return app.json.id;
    }
    async function newKey(app, extra = {}) {
      const r = await api('POST', `/admin/v1/apps/${app}/keys`, extra);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return r.json;
    }
    async function newUserToken(app, level, extra = {}, ext = `u${Math.random()}`) {
      const u = await api('POST', `/admin/v1/apps/${app}/users`, { external_id: ext });
      assert.equal(u.status, 201, JSON.stringify(u.json));
      const t = await api('POST', `/admin/v1/apps/${app}/users/${u.json.id}/tokens`, { access_level: level, ...extra });
      assert.equal(t.status, 201, JSON.stringify(t.json));
      return t.json;
    }
    const both = (t1, t2) => ({ Token1: t1, Token2: t2 });

    before(async () => {
      dir = tempDir('custos-thelayer-');
      store = kind === 'sqlite' ? `sqlite:${dir}/custos.db` : freshPgDatabase(PG_URL);
      init = adminInit({ store, dir });
      assert.equal(init.status, 0, init.stderr);
      c = await startCustos({ dir, store, args: ['--set', `policy.file=${POLICY}`] });
      api = admin(c.url, init.token);
      T.appA = await newApp('A');
      T.appB = await newApp('B');
      T.k1A = await newKey(T.appA);
      T.k1B = await newKey(T.appB);
      T.read = await newUserToken(T.appA, 'read');
      T.write = await newUserToken(T.appA, 'write');
      T.adminA = await newUserToken(T.appA, 'admin');
      T.writeB = await newUserToken(T.appB, 'write');
    });
    after(async () => {
      if (c) {
        const ex = await c.stop();
        assert.equal(ex.code, 0, c.lines.slice(-20).join('\n'));
        c.cleanup();
      }
    });

    test('the doc examples run as written', () => {
      const blocks = docExamples();
      assert.ok(blocks.length >= 5);
      let script = 'set -e\n';
      blocks.forEach((b, i) => { script += `echo "@@block ${i}"\n${b.sh}\n`; });
      const bin = join(dir, 'bin'); // `custos` on the PATH, as after `make install`
      mkdirSync(bin, { recursive: true });
      symlinkSync(BIN, join(bin, 'custos'));
      const r = spawnSync('bash', ['-c', script], {
        encoding: 'utf8', timeout: 60000,
        env: { ...process.env, CUSTOS: c.url, CUSTOS_ADMIN_TOKEN: init.token, PATH: `${bin}:${process.env.PATH}` },
      });
      assert.equal(r.status, 0, r.stderr);
      const outs = r.stdout.split(/^@@block \d+\n/m).slice(1);
      assert.equal(outs.length, blocks.length);
      blocks.forEach((b, i) => { if (b.want !== null) assert.equal(outs[i], b.want, `block ${i}:\n${b.sh}`); });
    });

    test('creating a thelayer app yields its Token1 once; other profiles get none', async () => {
      const acct = (await api('POST', '/admin/v1/accounts', { name: 'T1' })).json.id;
      const r = await api('POST', '/admin/v1/apps', { account_id: acct, name: 'with token1', profile: 'thelayer' });
      assert.equal(r.status, 201);
      const t1 = r.json.token1;
      assert.match(t1.key, /^tl_[0-9A-Za-z]+$/);
      assert.equal(t1.kind, 'app_token');
      assert.equal(t1.app_id, r.json.id);
      assert.deepEqual(t1.scopes, ['CORE_ACCESS']);
      assert.equal((await api('GET', `/admin/v1/keys/${t1.id}`)).json.key, undefined);
      assert.equal((await api('GET', `/admin/v1/apps/${r.json.id}`)).json.token1, undefined);
      // it is a working Token1
      const t2 = await newUserToken(r.json.id, 'read');
      assert.equal((await check(c.url, 'GET', '/api/x', both(t1.key, t2.token))).status, 200);
      const audit = await api('GET', `/admin/v1/audit?target=${t1.id}`);
      assert.deepEqual(audit.json.data.map((e) => e.action), ['key.create']);
      const plain = await api('POST', '/admin/v1/apps', { account_id: acct, name: 'plain', profile: 'custos' });
      assert.equal(plain.json.token1, undefined);
    });

    test('admin API: GET a user and a user\'s tokens (every state, paginated, never the text)', async () => {
      const u = (await api('POST', `/admin/v1/apps/${T.appA}/users`, { external_id: 'lister' })).json;
      assert.deepEqual((await api('GET', `/admin/v1/users/${u.id}`)).json, u);
      assert.equal((await api('GET', '/admin/v1/users/usr_nope')).status, 404);
      const made = [];
      for (const level of ['read', 'write', 'admin'])
        made.push((await api('POST', `/admin/v1/apps/${T.appA}/users/${u.id}/tokens`, { access_level: level })).json);
      await api('POST', `/admin/v1/user-tokens/${made[0].id}/revoke`);
      let r = await api('GET', `/admin/v1/users/${u.id}/tokens?limit=2`);
      assert.equal(r.status, 200);
      assert.equal(r.json.data.length, 2);
      assert.equal(r.json.next, r.json.data[1].id);
      const rest = await api('GET', `/admin/v1/users/${u.id}/tokens?limit=2&after=${r.json.next}`);
      assert.equal(rest.json.next, null);
      const all = [...r.json.data, ...rest.json.data];
      assert.deepEqual(all.map((t) => t.id).sort(), made.map((t) => t.id).sort());
      assert.ok(all.every((t) => t.token === undefined && t.user_id === u.id));
      assert.equal(all.find((t) => t.id === made[0].id).status, 'revoked');
      assert.equal((await api('GET', '/admin/v1/users/usr_nope/tokens')).status, 404);
      assert.equal((await api('GET', `/admin/v1/users/${u.id}/tokens?limit=0`)).status, 400);
    });

    test('Token1 keys of a thelayer app are app_token keys with the tl_ prefix', () => {
      assert.match(T.k1A.key, /^tl_/);
      assert.equal(T.k1A.kind, 'app_token');
      assert.match(T.read.token, /^tlu_/);
      assert.equal(T.read.access_level, 'read');
    });

    test('valid tokens pass with identity headers, the same through every gateway', async () => {
      const r = await check(c.url, 'GET', '/api/items?page=2', both(T.k1A.key, T.read.token));
      assert.equal(r.status, 200);
      assert.equal(r.text, '');
      assert.equal(r.headers.get('x-custos-app'), T.appA);
      assert.equal(r.headers.get('x-custos-account'), T.k1A.account_id);
      assert.equal(r.headers.get('x-custos-subject'), T.read.user_id);
      assert.equal(r.headers.get('x-custos-token-id'), T.read.id);
      assert.equal(r.headers.get('x-custos-scopes'), 'CORE_ACCESS');
      assert.equal(r.headers.get('x-custos-access-level'), 'read');
      assert.equal(r.headers.get('x-custos-app-token-id'), T.k1A.id);
      assert.equal(r.headers.get('x-custos-entity'), null);
    });

    test('access levels: read < write < admin by the route class', async () => {
      const h = (t) => both(T.k1A.key, t.token);
      assert.equal((await check(c.url, 'GET', '/api/x', h(T.read))).status, 200);
      await expectError(c.url, 'POST', '/api/x', h(T.read), 'INSUFFICIENT_ACCESS');
      assert.equal((await check(c.url, 'POST', '/api/x', h(T.write))).status, 200);
      await expectError(c.url, 'GET', '/api/admin/x', h(T.write), 'INSUFFICIENT_ACCESS');
      assert.equal((await check(c.url, 'DELETE', '/api/admin/x', h(T.adminA))).status, 200);
    });

    test('missing, malformed and unknown tokens', async () => {
      await expectError(c.url, 'GET', '/api/x', {}, 'TOKEN1_MISSING');
      await expectError(c.url, 'GET', '/api/x', { Token2: T.read.token }, 'TOKEN1_MISSING');
      await expectError(c.url, 'GET', '/api/x', { Token1: T.k1A.key }, 'TOKEN2_MISSING');
      await expectError(c.url, 'GET', '/api/x', both('nonsense', T.read.token), 'TOKEN1_INVALID');
      await expectError(c.url, 'GET', '/api/x', both(T.k1A.key, 'nonsense'), 'TOKEN2_INVALID');
      // Swapped: a user token is no Token1, an app key no Token2.
      await expectError(c.url, 'GET', '/api/x', both(T.read.token, T.k1A.key), 'TOKEN1_INVALID');
      await expectError(c.url, 'GET', '/api/x', both(T.k1A.key, T.k1A.key), 'TOKEN2_INVALID');
      // Both missing names Token1 first.
      await expectError(c.url, 'GET', '/api/x', { Token1: '', Token2: '' }, 'TOKEN1_MISSING');
    });

    test('a key of an app with another profile is not a Token1', async () => {
      const other = await newApp('C', 'custos');
      const k = await newKey(other, { prefix: 'tl_' });
      assert.equal(k.kind, 'api_key');
      await expectError(c.url, 'GET', '/api/x', both(k.key, T.read.token), 'TOKEN1_INVALID');
    });

    test('Token2 of app A with Token1 of app B is TOKEN_MISMATCH', async () => {
      await expectError(c.url, 'GET', '/api/x', both(T.k1B.key, T.read.token), 'TOKEN_MISMATCH');
      await expectError(c.url, 'GET', '/api/x', both(T.k1A.key, T.writeB.token), 'TOKEN_MISMATCH');
      assert.equal((await check(c.url, 'GET', '/api/x', both(T.k1B.key, T.writeB.token))).status, 200);
    });

    test('Token2 rotation: grace keeps the old one working, then it expires', async () => {
      const t = await newUserToken(T.appA, 'write');
      const h = (x) => both(T.k1A.key, x);
      let r = await api('POST', `/admin/v1/user-tokens/${t.id}/rotate`, { grace_seconds: 3600 });
      assert.equal(r.status, 201);
      const nt = r.json.token;
      assert.equal(r.json.previous.status, 'rotated');
      assert.equal(nt.access_level, 'write');
      assert.equal((await check(c.url, 'POST', '/api/x', h(t.token))).status, 200);
      assert.equal((await check(c.url, 'POST', '/api/x', h(nt.token))).status, 200);
      // No grace: the replaced token is expired at once.
      r = await api('POST', `/admin/v1/user-tokens/${nt.id}/rotate`, { grace_seconds: 0 });
      assert.equal(r.status, 201);
      await expectError(c.url, 'GET', '/api/x', h(nt.token), 'TOKEN2_EXPIRED');
      assert.equal((await check(c.url, 'GET', '/api/x', h(r.json.token.token))).status, 200);
      // A rotated token cannot be rotated again.
      assert.equal((await api('POST', `/admin/v1/user-tokens/${t.id}/rotate`, {})).status, 409);
    });

    test('Token1 rotation and revocation', async () => {
      const k = await newKey(T.appA);
      const h = (x) => both(x, T.read.token);
      let r = await api('POST', `/admin/v1/keys/${k.id}/rotate`, { grace_seconds: 3600 });
      assert.equal(r.status, 201);
      const nk = r.json.key;
      assert.match(nk.key, /^tl_/);
      assert.equal(nk.kind, 'app_token');
      assert.equal((await check(c.url, 'GET', '/api/x', h(k.key))).status, 200);
      assert.equal((await check(c.url, 'GET', '/api/x', h(nk.key))).status, 200);
      r = await api('POST', `/admin/v1/keys/${nk.id}/rotate`, { grace_seconds: 0 });
      await expectError(c.url, 'GET', '/api/x', h(nk.key), 'TOKEN1_EXPIRED');
      r = await api('POST', `/admin/v1/keys/${k.id}/revoke`);
      assert.equal(r.status, 200);
      await expectError(c.url, 'GET', '/api/x', h(k.key), 'TOKEN1_INVALID');
    });

    test('Token2 revocation takes effect at once, even when cached', async () => {
      const t = await newUserToken(T.appA, 'read');
      const h = both(T.k1A.key, t.token);
      assert.equal((await check(c.url, 'GET', '/api/x', h)).status, 200); // now cached
      const r = await api('POST', `/admin/v1/user-tokens/${t.id}/revoke`);
      assert.equal(r.status, 200);
      assert.equal(r.json.status, 'revoked');
      await expectError(c.url, 'GET', '/api/x', h, 'TOKEN2_INVALID');
      assert.equal((await api('POST', `/admin/v1/user-tokens/${t.id}/revoke`)).status, 200); // idempotent
    });

    test('expires_at: both tokens expire', async () => {
      const soon = Math.floor(Date.now() / 1000) + 2;
      const t = await newUserToken(T.appA, 'read', { expires_at: soon });
      const k = await newKey(T.appA, { expires_at: soon });
      assert.equal((await check(c.url, 'GET', '/api/x', both(k.key, t.token))).status, 200);
      while (Date.now() / 1000 < soon + 0.2) await sleep(100);
      await expectError(c.url, 'GET', '/api/x', both(k.key, T.read.token), 'TOKEN1_EXPIRED');
      await expectError(c.url, 'GET', '/api/x', both(T.k1A.key, t.token), 'TOKEN2_EXPIRED');
    });

    test('admin API: users and tokens, validation, audit', async () => {
      let r = await api('POST', `/admin/v1/apps/${T.appA}/users`, { external_id: 'dup' });
      assert.equal(r.status, 201);
      assert.match(r.json.id, /^usr_[0-9A-Za-z]{22}$/);
      assert.equal((await api('POST', `/admin/v1/apps/${T.appA}/users`, { external_id: 'dup' })).status, 409);
      assert.equal((await api('POST', `/admin/v1/apps/${T.appA}/users`, { external_id: '' })).status, 400);
      assert.equal((await api('POST', `/admin/v1/apps/${T.appA}/users`, { external_id: 'x', extra: 1 })).status, 400);
      assert.equal((await api('POST', '/admin/v1/apps/app_nope/users', { external_id: 'x' })).status, 404);
      const uid = r.json.id;
      assert.equal((await api('POST', `/admin/v1/apps/${T.appA}/users/${uid}/tokens`, { access_level: 'root' })).status, 400);
      assert.equal((await api('POST', `/admin/v1/apps/${T.appA}/users/${uid}/tokens`, { access_level: 'read', expires_at: 5 })).status, 400);
      assert.equal((await api('POST', `/admin/v1/apps/${T.appB}/users/${uid}/tokens`, { access_level: 'read' })).status, 404);
      r = await api('GET', `/admin/v1/apps/${T.appA}/users?limit=2`);
      assert.equal(r.status, 200);
      assert.equal(r.json.data.length, 2);
      assert.ok(r.json.next);
      r = await api('GET', `/admin/v1/user-tokens/${T.read.id}`);
      assert.equal(r.status, 200);
      assert.equal(r.json.token, undefined);
      assert.equal(r.json.status, 'active');
      r = await api('GET', '/admin/v1/audit?action=user_token.');
      const actions = new Set(r.json.data.map((e) => e.action));
      for (const a of ['user_token.create', 'user_token.rotate', 'user_token.revoke']) assert.ok(actions.has(a), a);
      r = await api('GET', '/admin/v1/audit?action=user.create');
      assert.ok(r.json.data.length > 0);
    });
  });
}

suite('sqlite');
suite('postgres');

describe('thelayer rate limit', () => {
  test('429 with Retry-After once a token spends its burst', async () => {
    const dir = tempDir('custos-thelayer-rl-');
    const store = `sqlite:${dir}/custos.db`;
    const init = adminInit({ store, dir });
    const c = await startCustos({ dir, store, args: ['--set', `policy.file=${POLICY}`, '--set', 'keys.burst=2', '--set', 'keys.rate_per_second=1'] });
    try {
      const api = admin(c.url, init.token);
      const acct = (await api('POST', '/admin/v1/accounts', { name: 'rl' })).json.id;
      const app = (await api('POST', '/admin/v1/apps', { account_id: acct, name: 'rl', profile: 'thelayer' })).json.id;
      const k = (await api('POST', `/admin/v1/apps/${app}/keys`, {})).json.key;
      const u = (await api('POST', `/admin/v1/apps/${app}/users`, { external_id: 'u' })).json.id;
      const t = (await api('POST', `/admin/v1/apps/${app}/users/${u}/tokens`, { access_level: 'read' })).json.token;
      let last;
      for (let i = 0; i < 4; i++) last = await STYLES.nginx(c.url, 'GET', '/api/x', { Token1: k, Token2: t });
      assert.equal(last.status, 429);
      assert.ok(Number(last.headers.get('retry-after')) >= 1);
      assert.equal(await last.text(), body('RATE_LIMITED'));
    } finally {
      await c.stop();
      c.cleanup();
    }
  });
});

describe('thelayer while PostgreSQL is down', { skip: pgSkip }, () => {
  test('503 SERVICE_UNAVAILABLE with Retry-After for tokens not cached yet; cached ones still pass; recovery', async () => {
    const pg = startPrivatePg();
    const dir = tempDir('custos-thelayer-503-');
    let c;
    try {
      const init = adminInit({ store: pg.url, dir });
      assert.equal(init.status, 0, init.stderr);
      c = await startCustos({ dir, store: pg.url, args: ['--set', `policy.file=${POLICY}`] });
      const api = admin(c.url, init.token);
      const acct = (await api('POST', '/admin/v1/accounts', { name: 'down' })).json.id;
      const app = (await api('POST', '/admin/v1/apps', { account_id: acct, name: 'down', profile: 'thelayer' })).json;
      const k = app.token1.key;
      const u = (await api('POST', `/admin/v1/apps/${app.id}/users`, { external_id: 'u' })).json.id;
      const tok = async () => (await api('POST', `/admin/v1/apps/${app.id}/users/${u}/tokens`, { access_level: 'read' })).json.token;
      const warm = await tok();
      const cold = await tok(); // never checked: in no cache
      const ask = (t2) => fetch(`${c.url}/v1/check`, {
        headers: { 'X-Original-Method': 'GET', 'X-Original-URI': '/api/x', Token1: k, Token2: t2 },
        signal: AbortSignal.timeout(10000),
      });
      assert.equal((await ask(warm)).status, 200);
      pg.stop();
      try {
        const r = await ask(cold);
        assert.equal(r.status, 503);
        assert.equal(r.headers.get('retry-after'), '1');
        assert.match(r.headers.get('content-type'), /^application\/json/);
        assert.equal(await r.text(), '{"error":{"code":"SERVICE_UNAVAILABLE","message":"Authentication is temporarily unavailable"}}');
        assert.equal((await ask(warm)).status, 200, 'a cached pair needs no store');
      } finally {
        pg.start(); // restore what the test broke, whatever happened above
      }
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        const r = await ask(cold);
        status = r.status;
        await r.arrayBuffer();
        if (status !== 200) { assert.equal(status, 503); await sleep(100); }
      }
      assert.equal(status, 200, 'custos did not recover once PostgreSQL was back');
    } finally {
      if (c) { await c.stop(); c.cleanup(); }
      pg.destroy();
    }
  });
});
