// The admin API (/admin/v1), `custos admin init` and GET /v1/whoami over real
// HTTP, on SQLite and (when CUSTOS_TEST_PG_URL is set) PostgreSQL.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCustos, run, tempDir, adminInit, freshPgDatabase } from './lib/custos.mjs';
import { startPrivatePg } from './lib/pg.mjs';

const PG_URL = process.env.CUSTOS_TEST_PG_URL;
const requirePg = process.env.CUSTOS_REQUIRE_PG === '1';
if (requirePg && !PG_URL) throw new Error('CUSTOS_REQUIRE_PG=1 but CUSTOS_TEST_PG_URL is not set');
const pgSkip = PG_URL ? false : 'no PostgreSQL (set CUSTOS_TEST_PG_URL)';

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const ID = { acct: /^acct_[0-9A-Za-z]{22}$/, env: /^env_[0-9A-Za-z]{22}$/, app: /^app_[0-9A-Za-z]{22}$/, key: /^key_[0-9A-Za-z]{22}$/ };
const KEY_FIELDS = ['id', 'app_id', 'account_id', 'environment_id', 'kind', 'name', 'start', 'scopes', 'status',
  'created_at', 'expires_at', 'revoked_at', 'grace_until', 'replaced_by', 'last_used_at', 'use_count'].sort();

// One HTTP client per server: remembers every response body so the test can
// check that a key's text never shows up after the response that created it.
function client(c, token) {
  const seen = [];
  async function call(method, path, { body, raw, headers = {}, auth = token } = {}) {
    const h = { ...headers };
    if (auth) h.Authorization = `Bearer ${auth}`;
    let payload;
    if (raw !== undefined) payload = raw;
    else if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
    const r = await fetch(`${c.url}${path}`, { method, headers: h, body: payload });
    const text = await r.text();
    seen.push(text);
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, headers: r.headers, text, json };
  }
  return { call, seen };
}

async function whoami(c, key, header = 'authorization') {
  const headers = header === 'authorization' ? { Authorization: `Bearer ${key}` } : { [header]: key };
  const r = await fetch(`${c.url}/v1/whoami`, { headers });
  return { status: r.status, headers: r.headers, json: await r.json() };
}

// Keeps asking until fn() is true or ms pass.
async function until(fn, ms) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > ms) return -1;
    await sleep(25);
  }
}

function suite(kind) {
  const skip = kind === 'postgres' ? pgSkip : false;
  describe(`admin API on ${kind}`, { skip }, () => {
    let dir, store, c, adm, init, api;
    const secrets = [];         // every key text handed out
    const created = new Set();  // response bodies allowed to hold a secret

    before(async () => {
      dir = tempDir('custos-admin-');
      store = kind === 'sqlite' ? `sqlite:${dir}/custos.db` : freshPgDatabase(PG_URL);
      init = adminInit({ store, dir, name: 'tests' });
      assert.equal(init.status, 0, init.stderr);
      assert.match(init.token, /^cadm_[0-9A-Za-z]+$/);
      assert.match(init.id, /^adm_/);
      c = await startCustos({ dir, store });
      adm = client(c, init.token);
      api = adm.call;
    });
    after(async () => {
      if (c) {
        const ex = await c.stop();
        assert.equal(ex.code, 0, `custos exited with ${ex.code} ${ex.signal}; log:\n${c.lines.slice(-30).join('\n')}`);
        // A generated key never appears in a later response or a log line.
        for (const s of secrets) {
          for (const body of adm.seen) if (!created.has(body)) assert.ok(!body.includes(s), `key text leaked in ${body}`);
          assert.ok(!c.lines.some((l) => l.includes(s)), 'key text reached the log');
        }
        assert.ok(!c.lines.some((l) => l.includes(init.token)), 'admin token reached the log');
        c.cleanup();
      }
    });

    async function newKey(appId, body = {}) {
      const r = await api('POST', `/admin/v1/apps/${appId}/keys`, { body });
      assert.equal(r.status, 201, r.text);
      secrets.push(r.json.key);
      created.add(r.text);
      return r.json;
    }

    test('admin init prints once, then refuses while a token is active', () => {
      const again = adminInit({ store, dir });
      assert.equal(again.status, 1);
      assert.equal(again.stdout, '');
      assert.match(again.stderr, /active admin token/);
    });

    test('admin routes need a valid admin token', async () => {
      const other = tempDir('custos-admin-other-');
      const foreign = adminInit({ store: `sqlite:${other}/custos.db`, dir: other });
      assert.equal(foreign.status, 0, foreign.stderr);
      const bad = init.token.slice(0, -1) + (init.token.endsWith('A') ? 'B' : 'A');
      for (const [what, headers] of [
        ['none', {}], ['basic', { Authorization: 'Basic YWRtaW46YWRtaW4=' }], ['empty bearer', { Authorization: 'Bearer ' }],
        ['bad checksum', { Authorization: `Bearer ${bad}` }], ['garbage', { Authorization: 'Bearer x'.repeat(300) }],
        ['unknown', { Authorization: `Bearer ${foreign.token}` }],
      ]) {
        const r = await fetch(`${c.url}/admin/v1/accounts`, { headers: { ...headers, 'X-Request-Id': 'rid-401' } });
        assert.equal(r.status, 401, what);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="custos-admin"', what);
        assert.equal(await r.text(), '{"error":{"code":"unauthorized","message":"admin token required"},"request_id":"rid-401"}', what);
      }
      const r = await fetch(`${c.url}/admin/v1/keys/key_x/revoke`, { method: 'POST' });
      assert.equal(r.status, 401);
    });

    test('openapi.json is public, OpenAPI 3.1, and lists exactly the admin routes', async () => {
      const r = await fetch(`${c.url}/admin/v1/openapi.json`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      const doc = await r.json();
      assert.equal(doc.openapi, '3.1.0');
      assert.equal(typeof doc.info.title, 'string');
      const documented = new Set();
      for (const [path, item] of Object.entries(doc.paths))
        for (const m of Object.keys(item)) if (['get', 'post', 'put', 'patch', 'delete'].includes(m)) documented.add(`${m.toUpperCase()} ${path}`);
      const routes = run(['routes']);
      assert.equal(routes.status, 0, routes.stderr);
      const served = new Set(routes.stdout.trim().split('\n').filter((l) => / \/admin\//.test(l)));
      assert.deepEqual([...documented].sort(), [...served].sort());
      // every $ref resolves
      const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) || [];
      for (const ref of refs) {
        const parts = ref.slice(8, -1).replace(/^#\//, '').split('/');
        let o = doc;
        for (const p of parts) o = o?.[p];
        assert.ok(o, `unresolved ${ref}`);
      }
    });

    test('account, environment, app and key lifecycle with exact bodies', async () => {
      let r = await api('POST', '/admin/v1/accounts', { body: { name: 'Acme Ünïcode' } });
      assert.equal(r.status, 201, r.text);
      const acct = r.json;
      assert.deepEqual(Object.keys(acct).sort(), ['created_at', 'id', 'name']);
      assert.match(acct.id, ID.acct);
      assert.equal(acct.name, 'Acme Ünïcode');
      assert.ok(Math.abs(acct.created_at - Date.now() / 1000) < 60);
      r = await api('GET', `/admin/v1/accounts/${acct.id}`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, acct);

      r = await api('GET', `/admin/v1/accounts/${acct.id}/environments`);
      assert.equal(r.status, 200);
      assert.equal(r.json.next, null);
      assert.deepEqual(r.json.data.map((e) => e.name).sort(), ['development', 'production']);
      for (const e of r.json.data) {
        assert.deepEqual(Object.keys(e).sort(), ['account_id', 'created_at', 'id', 'name']);
        assert.equal(e.account_id, acct.id);
        assert.match(e.id, ID.env);
      }
      const prodEnv = r.json.data.find((e) => e.name === 'production');
      r = await api('POST', `/admin/v1/accounts/${acct.id}/environments`, { body: { name: 'staging' } });
      assert.equal(r.status, 201, r.text);
      const staging = r.json;
      assert.deepEqual({ ...staging, id: 'x', created_at: 0 }, { id: 'x', account_id: acct.id, name: 'staging', created_at: 0 });
      r = await api('POST', `/admin/v1/accounts/${acct.id}/environments`, { body: { name: 'staging' } });
      assert.equal(r.status, 409);
      assert.equal(r.json.error.code, 'conflict');

      r = await api('POST', '/admin/v1/apps', { body: { account_id: acct.id, name: 'shop' } });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(Object.keys(r.json).sort(), ['account_id', 'created_at', 'id', 'name', 'profile']);
      assert.equal(r.json.profile, 'custos');
      const plain = r.json;
      r = await api('POST', '/admin/v1/apps', { body: { account_id: acct.id, name: 'pay', profile: 'assetpay' } });
      assert.equal(r.status, 201, r.text);
      const app = r.json;
      assert.match(app.id, ID.app);
      r = await api('GET', `/admin/v1/apps/${app.id}`);
      assert.deepEqual(r.json, app);
      r = await api('GET', `/admin/v1/apps?account_id=${acct.id}`);
      assert.deepEqual(r.json.data.map((a) => a.id).sort(), [plain.id, app.id].sort());

      // Key with defaults: assetpay → ap_, production, CORE_ACCESS.
      const k = await newKey(app.id);
      assert.deepEqual(Object.keys(k).sort(), [...KEY_FIELDS, 'key'].sort());
      assert.match(k.key, /^ap_[0-9A-Za-z]{46}$/);
      assert.equal(k.start, k.key.slice(0, 7));
      assert.match(k.id, ID.key);
      assert.deepEqual({ ...k, id: 0, key: 0, start: 0, created_at: 0 }, {
        id: 0, key: 0, start: 0, created_at: 0, app_id: app.id, account_id: acct.id, environment_id: prodEnv.id,
        kind: 'api_key', name: '', scopes: ['CORE_ACCESS'], status: 'active', expires_at: null, revoked_at: null,
        grace_until: null, replaced_by: null, last_used_at: null, use_count: 0 });
      r = await api('GET', `/admin/v1/keys/${k.id}`);
      assert.equal(r.status, 200);
      assert.equal(r.json.key, undefined);
      assert.deepEqual(Object.keys(r.json).sort(), KEY_FIELDS);

      // Plain profile → ck_; environment by name and by id; custom prefix.
      const k2 = await newKey(plain.id, { environment: 'staging', name: 'ci', scopes: ['READ_ONLY', 'orders:read'], expires_at: Math.floor(Date.now() / 1000) + 3600 });
      assert.match(k2.key, /^ck_/);
      assert.equal(k2.environment_id, staging.id);
      assert.deepEqual(k2.scopes, ['READ_ONLY', 'orders:read']);
      assert.equal(k2.name, 'ci');
      const k3 = await newKey(plain.id, { environment: staging.id, prefix: 'xx1_', scopes: [] });
      assert.match(k3.key, /^xx1_/);
      assert.deepEqual(k3.scopes, []);

      // whoami through each header.
      for (const h of ['authorization', 'api-key', 'x-api-key']) {
        const w = await whoami(c, k.key, h);
        assert.equal(w.status, 200, h);
        assert.deepEqual(w.json, { key_id: k.id, app_id: app.id, account_id: acct.id, environment_id: prodEnv.id, scopes: ['CORE_ACCESS'] });
      }
      let w = await fetch(`${c.url}/v1/whoami`);
      assert.equal(w.status, 401);
      assert.equal((await w.json()).error.code, 'missing_api_key');

      // Scopes change → seen by whoami at once.
      r = await api('PATCH', `/admin/v1/keys/${k.id}`, { body: { scopes: ['READ_ONLY'] } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.scopes, ['READ_ONLY']);
      assert.equal(r.json.key, undefined);
      assert.deepEqual((await whoami(c, k.key)).json.scopes, ['READ_ONLY']);

      r = await api('GET', `/admin/v1/apps/${app.id}/keys`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.data.map((x) => x.id), [k.id]);

      // Revoke → 401 with the one message; idempotent.
      r = await api('POST', `/admin/v1/keys/${k.id}/revoke`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.status, 'revoked');
      assert.equal(typeof r.json.revoked_at, 'number');
      const revokedAt = r.json.revoked_at;
      w = await whoami(c, k.key);
      assert.equal(w.status, 401);
      assert.deepEqual(w.json.error, { code: 'invalid_api_key', message: 'API key is invalid or expired' });
      r = await api('POST', `/admin/v1/keys/${k.id}/revoke`, { body: {} });
      assert.equal(r.status, 200);
      assert.equal(r.json.revoked_at, revokedAt);
      r = await api('POST', `/admin/v1/keys/${k.id}/rotate`, { body: {} });
      assert.equal(r.status, 409);

      // Audit: each change, by this admin token, with address and request id.
      r = await api('GET', `/admin/v1/audit?target=${k.id}`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.data.map((e) => e.action), ['key.create', 'key.scopes', 'key.revoke']);
      for (const e of r.json.data) {
        assert.deepEqual(Object.keys(e).sort(), ['action', 'actor', 'at', 'detail', 'id', 'outcome', 'remote', 'request_id', 'target']);
        assert.equal(e.actor, init.id);
        assert.equal(e.outcome, 'ok');
        assert.equal(e.remote, '127.0.0.1');
        assert.match(e.request_id, /^[A-Za-z0-9]{20}$/);
      }
      assert.deepEqual(r.json.data[1].detail, { scopes: ['READ_ONLY'], previous: ['CORE_ACCESS'] });
      await api('POST', '/admin/v1/accounts', { body: { name: 'traced' }, headers: { 'X-Request-Id': 'trace-acct-1' } });
      r = await api('GET', '/admin/v1/audit?action=account.create');
      const ev = r.json.data.find((e) => e.request_id === 'trace-acct-1');
      assert.ok(ev, 'audit event carries the request id');
      assert.deepEqual(ev.detail, { name: 'traced' });
      r = await api('GET', `/admin/v1/audit?action=key.&actor=${init.id}&since=${revokedAt - 3600}`);
      assert.ok(r.json.data.length >= 5);
      assert.ok(r.json.data.every((e) => e.action.startsWith('key.')));
      r = await api('GET', '/admin/v1/audit?actor=nobody');
      assert.deepEqual(r.json, { data: [], next: null });
    });

    test('rotation: new key works, old works inside grace and fails after it', async () => {
      let r = await api('POST', '/admin/v1/accounts', { body: { name: 'rot' } });
      const acct = r.json;
      r = await api('POST', '/admin/v1/apps', { body: { account_id: acct.id, name: 'ol', profile: 'openledger' } });
      const app = r.json;
      const k = await newKey(app.id, { scopes: ['CORE_ACCESS', 'x.y'] });
      assert.match(k.key, /^ol_/);
      assert.equal((await whoami(c, k.key)).status, 200); // now cached
      r = await api('POST', `/admin/v1/keys/${k.id}/rotate`, { body: { grace_seconds: 1 } });
      assert.equal(r.status, 201, r.text);
      secrets.push(r.json.key.key);
      created.add(r.text);
      const { key: nk, previous } = r.json;
      assert.deepEqual(Object.keys(r.json).sort(), ['key', 'previous']);
      assert.match(nk.key, /^ol_/);
      assert.notEqual(nk.key, k.key);
      assert.deepEqual(nk.scopes, ['CORE_ACCESS', 'x.y']);
      assert.equal(nk.status, 'active');
      assert.equal(previous.id, k.id);
      assert.equal(previous.replaced_by, nk.id);
      assert.equal(previous.key, undefined);
      assert.ok(previous.grace_until >= Math.floor(Date.now() / 1000));
      assert.equal((await whoami(c, nk.key)).json.key_id, nk.id);
      await sleep(2100);
      const w = await whoami(c, k.key);
      assert.equal(w.status, 401);
      assert.equal(w.json.error.code, 'invalid_api_key');
      assert.equal((await whoami(c, nk.key)).status, 200);
      r = await api('GET', `/admin/v1/keys/${k.id}`);
      assert.equal(r.json.status, 'expired');

      // Default grace: old and new both work; old shows as rotated.
      r = await api('POST', `/admin/v1/keys/${nk.id}/rotate`);
      assert.equal(r.status, 201, r.text);
      secrets.push(r.json.key.key);
      created.add(r.text);
      assert.ok(Math.abs(r.json.previous.grace_until - (Date.now() / 1000 + 86400)) < 60);
      assert.equal(r.json.previous.status, 'rotated');
      assert.equal((await whoami(c, nk.key)).status, 200);
      assert.equal((await whoami(c, r.json.key.key)).status, 200);
      // A rotated key cannot be rotated again.
      const again = await api('POST', `/admin/v1/keys/${nk.id}/rotate`, { body: { grace_seconds: 0 } });
      assert.equal(again.status, 409);
      assert.equal(again.json.error.code, 'conflict');
    });

    test('whoami: one answer for every invalid key', async () => {
      let r = await api('POST', '/admin/v1/accounts', { body: { name: 'w' } });
      r = await api('POST', '/admin/v1/apps', { body: { account_id: r.json.id, name: 'w' } });
      const k = await newKey(r.json.id);
      const flipped = k.key.slice(0, -1) + (k.key.endsWith('0') ? '1' : '0');
      const expired = await newKey(r.json.id, { expires_at: Math.floor(Date.now() / 1000) + 1 });
      await sleep(2100);
      const lookups = async () => Number(/^custos_keycheck_store_lookups_total (\d+)$/m.exec(await (await fetch(`${c.url}/metrics`)).text())[1]);
      const l0 = await lookups();
      for (const bad of [flipped, 'ck_short', 'x'.repeat(500), `${k.key}x`, 'Bearer', '']) {
        const w = await whoami(c, bad, 'x-api-key');
        assert.equal(w.status, 401, bad);
        assert.equal(w.json.error.code, bad ? 'invalid_api_key' : 'missing_api_key');
      }
      assert.equal(await lookups(), l0, 'a malformed key reached the store');
      for (const bad of [flipped, 'ck_short', 'x'.repeat(500), expired.key, `${k.key}x`]) {
        const w = await whoami(c, bad);
        assert.equal(w.status, 401, bad);
        assert.deepEqual(w.json.error, { code: 'invalid_api_key', message: 'API key is invalid or expired' });
      }
      r = await api('GET', `/admin/v1/keys/${expired.id}`);
      assert.equal(r.json.status, 'expired');
    });

    test('pagination walks every account once', async () => {
      const names = [];
      for (let i = 0; i < 5; i++) {
        const r = await api('POST', '/admin/v1/accounts', { body: { name: `page-${i}` } });
        assert.equal(r.status, 201);
        names.push(r.json.id);
      }
      const all = (await api('GET', '/admin/v1/accounts?limit=100')).json;
      assert.equal(all.next, null);
      const ids = [];
      let after = '';
      for (let pages = 0; ; pages++) {
        assert.ok(pages < 100);
        const r = await api('GET', `/admin/v1/accounts?limit=2${after ? `&after=${after}` : ''}`);
        assert.equal(r.status, 200);
        assert.ok(r.json.data.length <= 2);
        ids.push(...r.json.data.map((a) => a.id));
        if (r.json.next === null) break;
        assert.equal(r.json.next, r.json.data.at(-1).id);
        after = r.json.next;
      }
      assert.deepEqual(ids, all.data.map((a) => a.id));
      assert.deepEqual([...ids].sort(), ids);
      for (const id of names) assert.ok(ids.includes(id));
      const d = (await api('GET', '/admin/v1/accounts')).json.data;
      assert.equal(d.length, Math.min(20, ids.length));
      // audit pages too
      const p1 = (await api('GET', '/admin/v1/audit?limit=3')).json;
      assert.equal(p1.data.length, 3);
      assert.match(p1.next, /^\d+$/);
      const p2 = (await api('GET', `/admin/v1/audit?limit=3&after=${p1.next}`)).json;
      assert.ok(Number(p2.data[0].id) > Number(p1.next));
      for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'limit=1.5', `after=${'a'.repeat(100)}`]) {
        const r = await api('GET', `/admin/v1/accounts?${q}`);
        assert.equal(r.status, 400, q);
        assert.equal(r.json.error.code, 'invalid_field');
        assert.equal(r.json.error.field, q.split('=')[0]);
      }
      for (const q of ['after=abc', 'since=yesterday']) {
        const r = await api('GET', `/admin/v1/audit?${q}`);
        assert.equal(r.status, 400, q);
        assert.equal(r.json.error.field, q.split('=')[0]);
      }
    });

    test('unknown ids are 404 not_found', async () => {
      for (const [m, p] of [['GET', '/admin/v1/accounts/acct_0000000000000000000000'], ['GET', '/admin/v1/accounts/nope/environments'],
        ['POST', '/admin/v1/accounts/nope/environments'], ['GET', '/admin/v1/apps/app_x'], ['GET', '/admin/v1/apps/app_x/keys'],
        ['POST', '/admin/v1/apps/app_x/keys'], ['GET', '/admin/v1/keys/key_x'], ['PATCH', '/admin/v1/keys/key_x'],
        ['POST', '/admin/v1/keys/key_x/rotate'], ['POST', '/admin/v1/keys/key_x/revoke'],
        ['GET', `/admin/v1/keys/${'k'.repeat(200)}`]]) {
        const r = await api(m, p, { body: m === 'GET' ? undefined : { scopes: [] } });
        assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
        assert.equal(r.json.error.code, 'not_found');
      }
      const r = await api('POST', '/admin/v1/apps', { body: { account_id: 'acct_nope', name: 'x' } });
      assert.equal(r.status, 404);
      assert.equal(r.json.error.field, 'account_id');
      const m = await api('DELETE', '/admin/v1/accounts');
      assert.equal(m.status, 405);
    });

    test('bad input is a 4xx naming the field, and stores nothing', async () => {
      let r = await api('POST', '/admin/v1/accounts', { body: { name: 'bad-input' } });
      const acct = r.json;
      r = await api('POST', '/admin/v1/apps', { body: { account_id: acct.id, name: 'bad' } });
      const app = r.json;
      const k = await newKey(app.id);
      const count = async () => ({
        accounts: (await api('GET', '/admin/v1/accounts?limit=100')).json.data.length,
        apps: (await api('GET', `/admin/v1/apps?account_id=${acct.id}`)).json.data.length,
        envs: (await api('GET', `/admin/v1/accounts/${acct.id}/environments`)).json.data.length,
        keys: (await api('GET', `/admin/v1/apps/${app.id}/keys`)).json.data.length,
        key: (await api('GET', `/admin/v1/keys/${k.id}`)).text,
        audit: (await api('GET', '/admin/v1/audit?limit=100&action=key.')).json.data.length
          + (await api('GET', '/admin/v1/audit?limit=100&action=app.create')).json.data.length,
      });
      const before0 = await count();
      const deep = '{"name":' + '['.repeat(40) + ']'.repeat(40) + '}';
      const cases = [
        // [method, path, raw body, status, code, field]
        ['POST', '/admin/v1/accounts', '{"name":', 400, 'invalid_json'],
        ['POST', '/admin/v1/accounts', '', 400, 'invalid_json'],
        ['POST', '/admin/v1/accounts', '[1]', 400, 'invalid_json'],
        ['POST', '/admin/v1/accounts', Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 400, 'invalid_json'],
        ['POST', '/admin/v1/accounts', '{"name":"a","name":"b"}', 400, 'invalid_json', 'name'],
        ['POST', '/admin/v1/accounts', deep, 400, 'invalid_json'],
        ['POST', '/admin/v1/accounts', '{}', 400, 'missing_field', 'name'],
        ['POST', '/admin/v1/accounts', '{"name":5}', 400, 'invalid_field', 'name'],
        ['POST', '/admin/v1/accounts', '{"name":null}', 400, 'invalid_field', 'name'],
        ['POST', '/admin/v1/accounts', '{"name":""}', 400, 'invalid_field', 'name'],
        ['POST', '/admin/v1/accounts', JSON.stringify({ name: 'x'.repeat(201) }), 400, 'invalid_field', 'name'],
        ['POST', '/admin/v1/accounts', '{"name":"a","admin":true}', 400, 'invalid_field', 'admin'],
        ['POST', '/admin/v1/accounts', JSON.stringify({ name: 'x'.repeat(70000) }), 413, 'body_too_large'],
        ['POST', `/admin/v1/accounts/${acct.id}/environments`, '{"name":[]}', 400, 'invalid_field', 'name'],
        ['POST', '/admin/v1/apps', JSON.stringify({ name: 'x' }), 400, 'missing_field', 'account_id'],
        ['POST', '/admin/v1/apps', JSON.stringify({ account_id: acct.id }), 400, 'missing_field', 'name'],
        ['POST', '/admin/v1/apps', JSON.stringify({ account_id: acct.id, name: 'x', profile: 'stripe' }), 400, 'invalid_field', 'profile'],
        ['POST', '/admin/v1/apps', JSON.stringify({ account_id: acct.id, name: 'x', profile: 1 }), 400, 'invalid_field', 'profile'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"scopes":"CORE_ACCESS"}', 400, 'invalid_field', 'scopes'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"scopes":["ok",1]}', 400, 'invalid_field', 'scopes[1]'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"scopes":["has space"]}', 400, 'invalid_field', 'scopes[0]'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, JSON.stringify({ scopes: ['a'.repeat(65)] }), 400, 'invalid_field', 'scopes[0]'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"scopes":["a","b","a"]}', 400, 'invalid_field', 'scopes[2]'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, JSON.stringify({ scopes: Array.from({ length: 33 }, (_, i) => `s${i}`) }), 400, 'invalid_field', 'scopes'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"scopes":[""]}', 400, 'invalid_field', 'scopes[0]'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"expires_at":"tomorrow"}', 400, 'invalid_field', 'expires_at'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"expires_at":1.5}', 400, 'invalid_field', 'expires_at'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"expires_at":1000}', 400, 'invalid_field', 'expires_at'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"prefix":"AP_"}', 400, 'invalid_field', 'prefix'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"prefix":"ap"}', 400, 'invalid_field', 'prefix'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"prefix":"cadm_"}', 400, 'invalid_field', 'prefix'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"environment":"moon"}', 404, 'not_found', 'environment'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"environment":7}', 400, 'invalid_field', 'environment'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"kind":"admin"}', 400, 'invalid_field', 'kind'],
        ['POST', `/admin/v1/apps/${app.id}/keys`, '{"name":{}}', 400, 'invalid_field', 'name'],
        ['PATCH', `/admin/v1/keys/${k.id}`, '{}', 400, 'missing_field', 'scopes'],
        ['PATCH', `/admin/v1/keys/${k.id}`, '{"scopes":null}', 400, 'invalid_field', 'scopes'],
        ['PATCH', `/admin/v1/keys/${k.id}`, '{"scopes":["ok"],"status":"active"}', 400, 'invalid_field', 'status'],
        ['PATCH', `/admin/v1/keys/${k.id}`, '{"scopes":["x\\u0000"]}', 400, 'invalid_json'],
        ['POST', `/admin/v1/keys/${k.id}/rotate`, '{"grace_seconds":-1}', 400, 'invalid_field', 'grace_seconds'],
        ['POST', `/admin/v1/keys/${k.id}/rotate`, '{"grace_seconds":2592001}', 400, 'invalid_field', 'grace_seconds'],
        ['POST', `/admin/v1/keys/${k.id}/rotate`, '{"grace_seconds":"1"}', 400, 'invalid_field', 'grace_seconds'],
        ['POST', `/admin/v1/keys/${k.id}/rotate`, '{"grace":1}', 400, 'invalid_field', 'grace'],
        ['POST', `/admin/v1/keys/${k.id}/rotate`, '{"grace_seconds":1e400}', 400, 'invalid_json'],
        ['POST', `/admin/v1/keys/${k.id}/revoke`, '{"reason":"x"}', 400, 'invalid_field', 'reason'],
        ['POST', `/admin/v1/keys/${k.id}/revoke`, 'yes', 400, 'invalid_json'],
      ];
      for (const [m, p, raw, status, code, field] of cases) {
        const res = await api(m, p, { raw, headers: { 'Content-Type': 'application/json' } });
        const what = `${m} ${p} ${String(raw).slice(0, 60)}`;
        assert.equal(res.status, status, `${what}: ${res.text}`);
        assert.equal(res.json.error.code, code, what);
        if (field) assert.equal(res.json.error.field, field, what);
        assert.equal(typeof res.json.error.message, 'string');
      }
      assert.deepEqual(await count(), before0, 'a failed request changed the store');
      assert.equal((await whoami(c, k.key)).status, 200, 'key untouched');
    });

    test('429 with Retry-After once the key bucket is empty', async () => {
      // A second node on the same store: it needs the same master key (the
      // store's signing keys are sealed under it).
      const d = await startCustos({ dir: tempDir('custos-admin-rl-'), store, args: ['--set', 'keys.rate_per_second=1', '--set', 'keys.burst=3', '--master-key-file', `${dir}/master.key`] });
      try {
        let r = await api('POST', '/admin/v1/accounts', { body: { name: 'rl' } });
        r = await api('POST', '/admin/v1/apps', { body: { account_id: r.json.id, name: 'rl' } });
        const k = await newKey(r.json.id);
        const statuses = [];
        let limited;
        for (let i = 0; i < 6; i++) {
          const w = await fetch(`${d.url}/v1/whoami`, { headers: { 'x-api-key': k.key } });
          statuses.push(w.status);
          if (w.status === 429) limited = { ra: w.headers.get('retry-after'), body: await w.json() };
          else await w.arrayBuffer();
        }
        assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
        assert.ok(statuses.includes(429), statuses.join(','));
        assert.match(limited.ra, /^[1-9]\d*$/);
        assert.equal(limited.body.error.code, 'rate_limited');
        await sleep(Number(limited.ra) * 1000 + 100);
        const w = await fetch(`${d.url}/v1/whoami`, { headers: { 'x-api-key': k.key } });
        assert.equal(w.status, 200);
        for (const s of secrets) assert.ok(!d.lines.some((l) => l.includes(s)), 'key text reached the log');
      } finally {
        const ex = await d.stop();
        assert.equal(ex.code, 0);
      }
    });
  });
}

suite('sqlite');
suite('postgres');

describe('admin API across PostgreSQL nodes', { skip: pgSkip }, () => {
  test('revoke through node A is refused by node B within 1 s', async () => {
    const dir = tempDir('custos-admin-2n-');
    const store = freshPgDatabase(PG_URL);
    const init = adminInit({ store, dir });
    assert.equal(init.status, 0, init.stderr);
    const a = await startCustos({ dir, store });
    const b = await startCustos({ dir: tempDir('custos-admin-2nb-'), store, args: ['--master-key-file', `${dir}/master.key`] });
    try {
      const { call } = client(a, init.token);
      let r = await call('POST', '/admin/v1/accounts', { body: { name: 'two' } });
      r = await call('POST', '/admin/v1/apps', { body: { account_id: r.json.id, name: 'two' } });
      r = await call('POST', `/admin/v1/apps/${r.json.id}/keys`, { body: {} });
      const key = r.json.key;
      assert.equal((await whoami(b, key)).status, 200); // cached on B
      assert.equal((await whoami(b, key)).status, 200);
      // B's admin API sees A's objects.
      const { call: callB } = client(b, init.token);
      assert.equal((await callB('GET', `/admin/v1/keys/${r.json.id}`)).status, 200);
      r = await call('POST', `/admin/v1/keys/${r.json.id}/revoke`);
      assert.equal(r.status, 200);
      const ms = await until(async () => (await whoami(b, key)).status === 401, 1000);
      assert.ok(ms >= 0, 'node B still accepted the revoked key after 1 s');
    } finally {
      assert.equal((await a.stop()).code, 0);
      assert.equal((await b.stop()).code, 0);
      a.cleanup();
      b.cleanup();
    }
  });

  test('malformed credentials are refused without touching the store', async () => {
    const pg = startPrivatePg();
    const dir = tempDir('custos-admin-down-');
    const init = adminInit({ store: pg.url, dir });
    assert.equal(init.status, 0, init.stderr);
    const c = await startCustos({ dir, store: pg.url });
    try {
      const { call } = client(c, init.token);
      let r = await call('POST', '/admin/v1/accounts', { body: { name: 'down' } });
      r = await call('POST', '/admin/v1/apps', { body: { account_id: r.json.id, name: 'down' } });
      r = await call('POST', `/admin/v1/apps/${r.json.id}/keys`, { body: {} });
      const key = r.json.key;
      pg.stop();
      // Bad checksum: 401 at once, no store lookup (the store is down, so a
      // lookup would have been a 503).
      const bad = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
      const w = await whoami(c, bad);
      assert.equal(w.status, 401);
      assert.equal(w.json.error.code, 'invalid_api_key');
      const badAdmin = init.token.slice(0, -1) + (init.token.endsWith('0') ? '1' : '0');
      r = await call('GET', '/admin/v1/accounts', { auth: badAdmin });
      assert.equal(r.status, 401);
      // A well-formed admin token needs the store: 503 unavailable.
      r = await call('GET', '/admin/v1/accounts');
      assert.equal(r.status, 503);
      assert.equal(r.json.error.code, 'unavailable');
      const m = await (await fetch(`${c.url}/metrics`)).text();
      assert.match(m, /^custos_store_errors_total [1-9]\d*$/m);
    } finally {
      await c.stop();
      c.cleanup();
      pg.destroy();
    }
  });
});
