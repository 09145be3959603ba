// The assetpay profile over real HTTP, on SQLite and (when
// CUSTOS_TEST_PG_URL is set) PostgreSQL: the seed's example request,
// byte-identical client tokens against npm jose's SignJWT, every error,
// secret rotation, the gateway check, and docs/profiles/assetpay.md's curl
// examples run as written.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, jwtVerify, decodeProtectedHeader } from 'jose';
import { BIN, startCustos, tempDir, adminInit, freshPgDatabase, SOURCE_DIR } from './lib/custos.mjs';
import { startPrivatePg } from './lib/pg.mjs';

const PG_URL = process.env.CUSTOS_TEST_PG_URL;
const requirePg = process.env.CUSTOS_REQUIRE_PG === '1';
if (requirePg && !PG_URL) throw new Error('CUSTOS_REQUIRE_PG=1 but CUSTOS_TEST_PG_URL is not set');
const pgSkip = PG_URL ? false : 'no PostgreSQL (set CUSTOS_TEST_PG_URL)';

const SEED_BODY = `{
  "clientSteamId": "76561198012345678",
  "clientTradeUrl": "https://steamcommunity.com/tradeoffer/new/?partner=12345678&token=AbCdEfGh",
  "clientId": "user-123",
  "clientData": {
    "totalWager": 5000,
    "kycLevel": 2,
    "fiatDeposits": true,
    "cryptoDeposits": false
  }
}`;
const SID = '76561198012345678';
const URL_OK = 'https://steamcommunity.com/tradeoffer/new/?partner=12345678&token=AbCdEfGh';
const enc = (s) => new TextEncoder().encode(s);
const b64json = (seg) => JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));

// What the seed's Option 2 makes from the same (JSON.parse'd) body and iat.
async function joseToken(body, mid, secret, iat) {
  const client = { steamID: body.clientSteamId, tradeUrl: body.clientTradeUrl };
  if (body.clientId !== undefined) client.clientId = body.clientId;
  if (body.clientData !== undefined) client.clientData = body.clientData;
  return new SignJWT({ client })
    .setProtectedHeader({ alg: 'HS256', userId: mid })
    .setIssuedAt(iat)
    .setExpirationTime(iat + 86400)
    .sign(enc(secret));
}

// Request bodies as raw JSON text, so numbers reach custos exactly as written.
const BODIES = [
  SEED_BODY,
  `{"clientSteamId":"${SID}","clientTradeUrl":"${URL_OK}"}`,
  `{"clientSteamId":"${SID}","clientTradeUrl":"${URL_OK}","clientId":""}`,
  `{"clientSteamId":"${SID}","clientTradeUrl":"${URL_OK}","clientData":{}}`,
  `{"clientSteamId":"${SID}","clientTradeUrl":"${URL_OK}","clientData":{"a":0.1,"b":0.2,"c":0.30000000000000004,"d":1e21,"e":1e-7,"f":123456789012345678901234567890,"g":-0,"h":9007199254740993,"i":1.5e300,"j":5e-324,"k":100,"l":1E2,"m":-1.25e-10,"n":0.000001,"o":1e400e0}}`.replace(',"o":1e400e0', ''),
  `{"clientSteamId":"${SID}","clientTradeUrl":"${URL_OK}","clientId":"Zoë 👋 «ünïcødé» 中文","clientData":{"q":"\\"quoted\\" back\\\\slash /slash","ctl":"\\u0001\\u001f\\b\\f\\n\\r\\t\\u007f","ls":"\\u2028\\u2029","emoji":"\\ud83d\\ude00🎉","nbsp":"\\u00a0"}}`,
  `{"clientSteamId":"${SID}","clientTradeUrl":"${URL_OK}","clientData":{"b":1,"a":2,"10":3,"2":4,"01":5,"-1":6,"4294967294":7,"4294967295":8,"":9,"__proto__":{"x":1}}}`,
  `{"clientSteamId":"${SID}","clientTradeUrl":"${URL_OK}","clientData":{"nested":{"deep":{"arr":[1,"two",null,true,false,[],{},[0.5,{"z":[]}]]}},"nil":null}}`,
  `{"clientSteamId":"${SID}","clientTradeUrl":"${URL_OK}","clientData":{"totalWager":"5000","kycLevel":"3","fiatDeposits":"yes"},"ignored":[1,2]}`,
  `{ "clientData" : { "z" : 1 , "y" : [ ] } , "clientTradeUrl" : "${URL_OK}" , "clientSteamId" : "${SID}" }`,
];

function suite(kind) {
  const skip = kind === 'postgres' ? pgSkip : false;
  describe(`assetpay on ${kind}`, { skip }, () => {
    let dir, store, c, admin, appId, acctId, key, roKey, secret, mid, policyFile;
    const api = async (method, path, body, headers = {}) => {
      const h = { ...headers };
      let payload;
      if (body !== undefined) { payload = typeof body === 'string' ? body : JSON.stringify(body); h['Content-Type'] = 'application/json'; }
      const r = await fetch(`${c.url}${path}`, { method, headers: h, body: payload });
      const text = await r.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: r.status, headers: r.headers, text, json };
    };
    const adm = (method, path, body) => api(method, path, body, { Authorization: `Bearer ${admin}` });
    const auth = (body, k = key, extra = {}) => api('POST', '/auth/authenticate-client', body, { 'api-key': k, ...extra });
    const check = (path, headers, method = 'GET') =>
      api('GET', '/v1/check', undefined, { 'X-Original-Method': method, 'X-Original-URI': path, ...headers });

    before(async () => {
      dir = tempDir('custos-assetpay-');
      store = kind === 'sqlite' ? `sqlite:${dir}/custos.db` : freshPgDatabase(PG_URL);
      const init = adminInit({ store, dir });
      assert.equal(init.status, 0, init.stderr);
      admin = init.token;
      policyFile = join(dir, 'policy.yaml');
      writeFileSync(policyFile, [
        'routes:',
        '  - match: "* /client/**"',
        '    profile: assetpay',
        '    class: client',
        '  - match: "* /secure/**"',
        '    profile: assetpay',
        '    class: secure',
        '    scopes: [CORE_ACCESS]',
        '',
      ].join('\n'));
      c = await startCustos({ dir, store, args: ['--set', `policy.file=${policyFile}`] });
      acctId = (await adm('POST', '/admin/v1/accounts', { name: 'merchant' })).json.id;
      const app = await adm('POST', '/admin/v1/apps', { account_id: acctId, name: 'shop', profile: 'assetpay' });
      assert.equal(app.status, 201, app.text);
      appId = app.json.id;
      key = (await adm('POST', `/admin/v1/apps/${appId}/keys`, {})).json.key;
      roKey = (await adm('POST', `/admin/v1/apps/${appId}/keys`, { scopes: ['READ_ONLY'] })).json.key;
      assert.match(key, /^ap_/);
    });
    after(async () => {
      if (!c) return;
      const ex = await c.stop();
      assert.equal(ex.code, 0, `custos exited with ${ex.code}; log:\n${c.lines.slice(-30).join('\n')}`);
      if (secret) assert.ok(!c.lines.some((l) => l.includes(secret)), 'the API secret reached the log');
      c.cleanup();
    });

    test('no secret yet: 403 MERCHANT_NOT_CONFIGURED; GET merchant assigns the id', async () => {
      const r = await auth(SEED_BODY);
      assert.equal(r.status, 403, r.text);
      assert.equal(r.json.error.code, 'MERCHANT_NOT_CONFIGURED');
      const m = await adm('GET', `/admin/v1/apps/${appId}/merchant`);
      assert.equal(m.status, 200, m.text);
      assert.ok(Number.isInteger(m.json.merchant_id) && m.json.merchant_id > 0);
      assert.equal(m.json.has_secret, false);
      assert.equal(m.json.secret, undefined);
    });

    test('POST secret: shown once, merchant id stable, other profiles refused', async () => {
      const r = await adm('POST', `/admin/v1/apps/${appId}/secret`);
      assert.equal(r.status, 201, r.text);
      secret = r.json.secret;
      mid = r.json.merchant_id;
      assert.match(secret, /^aps_[0-9A-Za-z]{48}$/);
      const g = await adm('GET', `/admin/v1/apps/${appId}/merchant`);
      assert.equal(g.json.merchant_id, mid);
      assert.equal(g.json.has_secret, true);
      assert.ok(!g.text.includes(secret));
      const other = await adm('POST', '/admin/v1/apps', { account_id: acctId, name: 'x', profile: 'custos' });
      assert.equal((await adm('POST', `/admin/v1/apps/${other.json.id}/secret`)).status, 409);
      // A second assetpay app gets another merchant id.
      const app2 = await adm('POST', '/admin/v1/apps', { account_id: acctId, name: 'shop2', profile: 'assetpay' });
      const m2 = await adm('GET', `/admin/v1/apps/${app2.json.id}/merchant`);
      assert.notEqual(m2.json.merchant_id, mid);
      const audit = await adm('GET', `/admin/v1/audit?action=merchant.`);
      assert.ok(audit.json.data.some((e) => e.action === 'merchant.secret.create' && e.target === appId), audit.text);
      if (kind === 'sqlite') {
        const q = spawnSync('sqlite3', [join(dir, 'custos.db'), 'SELECT secret_sealed FROM merchant'], { encoding: 'utf8' });
        assert.ok(!q.stdout.includes(secret) && q.stdout.length > 50, 'the secret is stored sealed');
      }
    });

    test("the seed's example request, sent exactly as written", async () => {
      const r = await auth(SEED_BODY, key, { 'X-Request-Id': 'seed-req-1' });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.json), ['requestId', 'success', 'data']);
      assert.equal(r.json.requestId, 'seed-req-1');
      assert.equal(r.json.success, true);
      const token = r.json.data.token;
      assert.ok(token.startsWith('eyJhbGciOiJIUzI1NiIs'));
      assert.equal(Buffer.from(token.split('.')[0], 'base64url').toString(), `{"alg":"HS256","userId":${mid}}`);
      const { payload } = await jwtVerify(token, enc(secret), { algorithms: ['HS256'] });
      assert.equal(payload.exp - payload.iat, 86400);
      assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 5);
      assert.equal(token, await joseToken(JSON.parse(SEED_BODY), mid, secret, payload.iat));
    });

    test('tokens are byte-identical to jose SignJWT for many inputs', async () => {
      for (const text of BODIES) {
        const r = await auth(text);
        assert.equal(r.status, 200, `${text}\n${r.text}`);
        const token = r.json.data.token;
        const iat = b64json(token.split('.')[1]).iat;
        const expected = await joseToken(JSON.parse(text), mid, secret, iat);
        assert.equal(token, expected, `body ${text}\ncustos ${Buffer.from(token.split('.')[1], 'base64url')}\njose   ${Buffer.from(expected.split('.')[1], 'base64url')}`);
      }
      // Random clientData: numbers of every magnitude, unicode strings, nesting.
      let seed = 12345;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      const chars = ['a', 'Z', '"', '\\', '/', '\n', '\u0001', '\u007f', 'é', '中', '😀', '\u2028', ' ', '0'];
      const str = () => Array.from({ length: Math.floor(rnd() * 6) }, () => chars[Math.floor(rnd() * chars.length)]).join('');
      const val = (d) => {
        const k = Math.floor(rnd() * (d > 2 ? 4 : 6));
        if (k === 0) return (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
        if (k === 1) return str();
        if (k === 2) return [true, false, null][Math.floor(rnd() * 3)];
        if (k === 3) return Math.floor(rnd() * 2 ** 60);
        if (k === 4) return Array.from({ length: Math.floor(rnd() * 4) }, () => val(d + 1));
        const o = {};
        for (let i = 0; i < rnd() * 4; i++) o[rnd() < 0.2 ? String(Math.floor(rnd() * 20)) : str()] = val(d + 1);
        return o;
      };
      for (let i = 0; i < 60; i++) {
        const body = { clientSteamId: SID, clientTradeUrl: URL_OK, clientId: str(), clientData: { x: val(0), y: val(0) } };
        const text = JSON.stringify(body);
        const r = await auth(text);
        assert.equal(r.status, 200, `${text}\n${r.text}`);
        const token = r.json.data.token;
        const iat = b64json(token.split('.')[1]).iat;
        assert.equal(token, await joseToken(JSON.parse(text), mid, secret, iat), text);
      }
    });

    test('the client is upserted and clientData replaced on every call', async () => {
      const sid = '76561198000000042';
      const url = 'https://steamcommunity.com/tradeoffer/new/?partner=39734314&token=tok';
      assert.equal((await auth({ clientSteamId: sid, clientTradeUrl: url, clientId: 'u1', clientData: { totalWager: 1 } })).status, 200);
      assert.equal((await auth({ clientSteamId: sid, clientTradeUrl: url, clientData: { kycLevel: 3 } })).status, 200);
      const sql = `SELECT client_id, client_data, auth_count, partner_match, risk_limit FROM assetpay_client WHERE steam_id = '${sid}'`;
      const q = kind === 'sqlite'
        ? spawnSync('sqlite3', ['-separator', '|', join(dir, 'custos.db'), sql], { encoding: 'utf8' })
        : spawnSync('psql', [store, '-qAt', '-c', sql], { encoding: 'utf8' });
      assert.equal(q.stdout.trim(), '|{"kycLevel":3}|2|1|125', q.stderr);
    });

    test('admin API: the clients, paginated by Steam ID, clientData as stored, no secret', async () => {
      const sid = '76561198000000077';
      const url = 'https://steamcommunity.com/tradeoffer/new/?partner=39734314&token=tok';
      const cd = '{"totalWager":5000,"fee":0.1,"big":100000000000000000000,"kycLevel":2,"nested":{"a":[1,"é"]}}';
      const r0 = await auth(`{"clientSteamId":"${sid}","clientTradeUrl":"${url}","clientId":"cd-1","clientData":${cd}}`);
      assert.equal(r0.status, 200, r0.text);
      let r = await adm('GET', `/admin/v1/apps/${appId}/clients/${sid}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.json), ['app_id', 'steam_id', 'trade_url', 'partner_match', 'client_id', 'client_data',
        'risk_limit', 'risk_tier', 'created_at', 'updated_at', 'auth_count']);
      assert.equal(r.json.app_id, appId);
      assert.equal(r.json.client_id, 'cd-1');
      assert.equal(r.json.partner_match, false);
      // Exactly what the client token carries: JSON.stringify of the parsed clientData.
      assert.equal(r.json.client_data, JSON.stringify(JSON.parse(cd)));
      assert.deepEqual(b64json(r0.json.data.token.split('.')[1]).client.clientData, JSON.parse(r.json.client_data));
      assert.equal(r.json.risk_limit, 400);
      assert.equal(r.json.risk_tier, 2);
      assert.equal(r.json.auth_count, 1);
      assert.ok(!r.text.includes(secret), 'no secret in a client');
      // The whole list, page by page, in Steam ID order.
      const seen = [];
      let after = null;
      for (let i = 0; i < 50; i++) {
        r = await adm('GET', `/admin/v1/apps/${appId}/clients?limit=2${after ? `&after=${after}` : ''}`);
        assert.equal(r.status, 200, r.text);
        assert.ok(r.json.data.length <= 2);
        seen.push(...r.json.data.map((x) => x.steam_id));
        if (!r.json.next) break;
        assert.equal(r.json.next, r.json.data.at(-1).steam_id);
        after = r.json.next;
      }
      assert.ok(seen.length >= 3, seen.join());
      assert.deepEqual(seen, [...seen].sort());
      assert.equal(new Set(seen).size, seen.length);
      assert.ok(seen.includes(sid) && seen.includes(SID));
      // Errors: unknown and malformed Steam IDs, a bad cursor, an app that is no merchant.
      for (const s of ['76561198999999999', '123', 'x'.repeat(17)]) {
        r = await adm('GET', `/admin/v1/apps/${appId}/clients/${s}`);
        assert.equal(r.status, 404, r.text);
        assert.deepEqual(r.json.error.code, 'not_found');
        assert.equal(r.json.error.message, 'no such client');
      }
      r = await adm('GET', `/admin/v1/apps/${appId}/clients?after=abc`);
      assert.equal(r.status, 400);
      assert.equal(r.json.error.message, "query parameter 'after' must be a Steam ID (17 digits)");
      const other = await adm('POST', '/admin/v1/apps', { account_id: acctId, name: 'not-a-merchant', profile: 'custos' });
      r = await adm('GET', `/admin/v1/apps/${other.json.id}/clients`);
      assert.equal(r.status, 409);
      assert.equal(r.json.error.message, `app ${other.json.id} has profile custos; merchants are apps with profile assetpay`);
      assert.equal((await adm('GET', '/admin/v1/apps/app_nope/clients')).status, 404);
    });

    test('errors: status, code and message in the AssetPay envelope', async () => {
      const cases = [
        [() => api('POST', '/auth/authenticate-client', SEED_BODY), 401, 'MISSING_API_KEY', 'API key is required in the api-key header'],
        [() => auth(SEED_BODY, 'ap_bogus'), 401, 'INVALID_API_KEY', 'API key is invalid or expired'],
        [() => auth(SEED_BODY, roKey), 403, 'INSUFFICIENT_SCOPE', 'READ_ONLY API keys may only make GET and HEAD requests'],
        [() => auth('{"clientSteamId":'), 400, 'INVALID_JSON', null],
        [() => auth('[]'), 400, 'INVALID_JSON', 'request body must be a JSON object'],
        [() => auth({}), 400, 'VALIDATION_ERROR', "field 'clientSteamId' is required"],
        [() => auth({ clientSteamId: 76561198012345678 }), 400, 'VALIDATION_ERROR', "field 'clientSteamId' must be a string"],
        [() => auth({ clientSteamId: '7656119801234567' }), 400, 'VALIDATION_ERROR', "field 'clientSteamId' must be a Steam ID 64: 17 digits starting with 76561"],
        [() => auth({ clientSteamId: '86561198012345678' }), 400, 'VALIDATION_ERROR', "field 'clientSteamId' must be a Steam ID 64: 17 digits starting with 76561"],
        [() => auth({ clientSteamId: SID }), 400, 'VALIDATION_ERROR', "field 'clientTradeUrl' is required"],
        ...['http://steamcommunity.com/tradeoffer/new/?partner=1&token=a', 'https://steamcommunity.com/tradeoffer/new/?partner=&token=a',
          'https://steamcommunity.com/tradeoffer/new/?partner=12&token=', 'https://evil.com/tradeoffer/new/?partner=1&token=a',
          'https://steamcommunity.com/tradeoffer/new/?partner=99999999999&token=a', 'https://steamcommunity.com/tradeoffer/new/?partner=1&token=a b']
          .map((u) => [() => auth({ clientSteamId: SID, clientTradeUrl: u }), 400, 'VALIDATION_ERROR',
            "field 'clientTradeUrl' must be a Steam trade URL: https://steamcommunity.com/tradeoffer/new/?partner=<number>&token=<token>"]),
        [() => auth({ clientSteamId: SID, clientTradeUrl: URL_OK, clientId: 'x'.repeat(129) }), 400, 'VALIDATION_ERROR', "field 'clientId' must be at most 128 characters"],
        [() => auth({ clientSteamId: SID, clientTradeUrl: URL_OK, clientId: '😀'.repeat(65) }), 400, 'VALIDATION_ERROR', "field 'clientId' must be at most 128 characters"],
        [() => auth({ clientSteamId: SID, clientTradeUrl: URL_OK, clientId: 7 }), 400, 'VALIDATION_ERROR', "field 'clientId' must be a string"],
        [() => auth({ clientSteamId: SID, clientTradeUrl: URL_OK, clientData: [1] }), 400, 'VALIDATION_ERROR', "field 'clientData' must be an object"],
        [() => auth({ clientSteamId: SID, clientTradeUrl: URL_OK, clientData: null }), 400, 'VALIDATION_ERROR', "field 'clientData' must be an object"],
        [() => api('GET', '/auth/authenticate-client'), 405, 'METHOD_NOT_ALLOWED', null],
        // over server.limits.max_body_bytes (64 KiB by default), though valid JSON
        [() => auth(JSON.stringify({ clientSteamId: SID, clientTradeUrl: URL_OK, clientData: { pad: 'x'.repeat(70000) } })),
          413, 'PAYLOAD_TOO_LARGE', null],
      ];
      for (const [call, status, code, message] of cases) {
        const r = await call();
        assert.equal(r.status, status, r.text);
        assert.deepEqual(Object.keys(r.json), ['requestId', 'success', 'error'], r.text);
        assert.equal(r.json.success, false);
        assert.equal(r.json.requestId, r.headers.get('x-request-id'));
        assert.equal(r.json.error.code, code, r.text);
        if (message) assert.equal(r.json.error.message, message);
        assert.deepEqual(Object.keys(r.json.error), ['code', 'message']);
      }
      // exactly 128 characters is fine
      assert.equal((await auth({ clientSteamId: SID, clientTradeUrl: URL_OK, clientId: '😀'.repeat(64) })).status, 200);
      // a key of another profile's app is not an AssetPay key
      const other = await adm('POST', '/admin/v1/apps', { account_id: acctId, name: 'plain', profile: 'custos' });
      const k2 = (await adm('POST', `/admin/v1/apps/${other.json.id}/keys`, {})).json.key;
      assert.equal((await auth(SEED_BODY, k2)).json.error.code, 'INVALID_API_KEY');
      // a revoked key
      const k3 = await adm('POST', `/admin/v1/apps/${appId}/keys`, {});
      await adm('POST', `/admin/v1/keys/${k3.json.id}/revoke`);
      assert.equal((await auth(SEED_BODY, k3.json.key)).status, 401);
    });

    test('/v1/check class client: custos tokens, locally minted jose tokens, identity headers', async () => {
      const r = await auth(SEED_BODY);
      const ok = await check('/client/inventory', { Authorization: r.json.data.token });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.headers.get('x-custos-app'), appId);
      assert.equal(ok.headers.get('x-custos-account'), acctId);
      assert.equal(ok.headers.get('x-custos-subject'), SID);
      assert.equal(ok.headers.get('x-custos-risk-limit'), '625');
      assert.equal(ok.headers.get('x-custos-risk-tier'), '3');
      assert.equal(ok.headers.get('x-custos-merchant-id'), String(mid));
      assert.equal(ok.headers.get('x-custos-client-id'), 'user-123');
      // Exactly the seed's Option 2 code, run by the merchant.
      const local = await new SignJWT({ client: { steamID: '76561198012345679', tradeUrl: URL_OK, clientData: { totalWager: 1e9, kycLevel: 3, fiatDeposits: true, cryptoDeposits: true } } })
        .setProtectedHeader({ alg: 'HS256', userId: mid }).setIssuedAt().setExpirationTime('24h').sign(enc(secret));
      const l = await check('/client/trade', { Authorization: local }, 'POST');
      assert.equal(l.status, 200, l.text);
      assert.equal(l.headers.get('x-custos-subject'), '76561198012345679');
      assert.equal(l.headers.get('x-custos-risk-limit'), '2575');
      assert.equal(l.headers.get('x-custos-risk-tier'), '5');
      const deny = async (headers, status, code) => {
        const d = await check('/client/x', headers);
        assert.equal(d.status, status, d.text);
        assert.equal(d.json.error.code, code, d.text);
        assert.equal(d.json.success, false);
      };
      await deny({}, 401, 'MISSING_CLIENT_TOKEN');
      await deny({ Authorization: 'garbage' }, 401, 'INVALID_CLIENT_TOKEN');
      const wrong = await new SignJWT({ client: { steamID: SID, tradeUrl: URL_OK } }).setProtectedHeader({ alg: 'HS256', userId: mid })
        .setIssuedAt().setExpirationTime('1h').sign(enc('aps_' + 'x'.repeat(48)));
      await deny({ Authorization: wrong }, 401, 'INVALID_CLIENT_TOKEN');
      const unknown = await new SignJWT({ client: { steamID: SID, tradeUrl: URL_OK } }).setProtectedHeader({ alg: 'HS256', userId: 999999 })
        .setIssuedAt().setExpirationTime('1h').sign(enc(secret));
      await deny({ Authorization: unknown }, 401, 'INVALID_CLIENT_TOKEN');
      const hs512 = await new SignJWT({ client: { steamID: SID, tradeUrl: URL_OK } }).setProtectedHeader({ alg: 'HS512', userId: mid })
        .setIssuedAt().setExpirationTime('1h').sign(enc(secret + 'x'.repeat(20)));
      await deny({ Authorization: hs512 }, 401, 'INVALID_CLIENT_TOKEN');
      const noExp = await new SignJWT({ client: { steamID: SID, tradeUrl: URL_OK } }).setProtectedHeader({ alg: 'HS256', userId: mid })
        .setIssuedAt().sign(enc(secret));
      await deny({ Authorization: noExp }, 401, 'INVALID_CLIENT_TOKEN');
      const expired = await new SignJWT({ client: { steamID: SID, tradeUrl: URL_OK } }).setProtectedHeader({ alg: 'HS256', userId: mid })
        .setIssuedAt(1000).setExpirationTime(2000).sign(enc(secret));
      await deny({ Authorization: expired }, 401, 'CLIENT_TOKEN_EXPIRED');
      const noClient = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256', userId: mid })
        .setIssuedAt().setExpirationTime('1h').sign(enc(secret));
      await deny({ Authorization: noClient }, 401, 'INVALID_CLIENT_TOKEN');
      const nopol = await check('/other', { Authorization: r.json.data.token });
      assert.equal(nopol.status, 403);
    });

    test('/v1/check class secure: scopes, READ_ONLY only on GET/HEAD', async () => {
      const ok = await check('/secure/prices', { 'api-key': key }, 'POST');
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.headers.get('x-custos-app'), appId);
      assert.equal(ok.headers.get('x-custos-scopes'), 'CORE_ACCESS');
      assert.equal((await check('/secure/prices', { 'api-key': roKey }, 'GET')).status, 200);
      assert.equal((await check('/secure/prices', { 'api-key': roKey }, 'HEAD')).status, 200);
      for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const d = await check('/secure/prices', { 'api-key': roKey }, m);
        assert.equal(d.status, 403, d.text);
        assert.equal(d.json.error.code, 'INSUFFICIENT_SCOPE');
      }
      const none = await adm('POST', `/admin/v1/apps/${appId}/keys`, { scopes: ['OTHER'] });
      const d = await check('/secure/prices', { 'api-key': none.json.key });
      assert.equal(d.status, 403);
      assert.equal(d.json.error.message, 'API key lacks the CORE_ACCESS scope');
      assert.equal((await check('/secure/prices', {})).json.error.code, 'MISSING_API_KEY');
      assert.equal((await check('/secure/prices', { 'api-key': 'ap_nope' })).json.error.code, 'INVALID_API_KEY');
    });

    test('secret rotation: the previous secret verifies during its grace, then not', async () => {
      const before = (await auth(SEED_BODY)).json.data.token;
      const rot = await adm('POST', `/admin/v1/apps/${appId}/secret`, { grace_seconds: 3600 });
      assert.equal(rot.status, 200, rot.text);
      assert.equal(rot.json.merchant_id, mid);
      assert.notEqual(rot.json.secret, secret);
      assert.ok(rot.json.previous_valid_until > Date.now() / 1000);
      const old = secret;
      secret = rot.json.secret;
      assert.equal((await check('/client/a', { Authorization: before })).status, 200, 'old token within grace');
      const after = (await auth(SEED_BODY)).json.data.token;
      await jwtVerify(after, enc(secret));
      assert.equal((await check('/client/a', { Authorization: after })).status, 200);
      // Rotate again without grace: tokens of the first secret stop working.
      const rot2 = await adm('POST', `/admin/v1/apps/${appId}/secret`, { grace_seconds: 0 });
      assert.equal(rot2.status, 200);
      secret = rot2.json.secret;
      assert.equal((await check('/client/a', { Authorization: before })).status, 401);
      assert.equal((await check('/client/a', { Authorization: after })).status, 401);
      const fresh = (await auth(SEED_BODY)).json.data.token;
      assert.equal((await check('/client/a', { Authorization: fresh })).status, 200);
      assert.equal((await adm('POST', `/admin/v1/apps/${appId}/secret`, { grace_seconds: -1 })).status, 400);
      assert.ok(old);
    });

    test('docs/profiles/assetpay.md: every sh block gives the documented answer', async () => {
      const md = readFileSync(join(SOURCE_DIR, 'docs/profiles/assetpay.md'), 'utf8');
      const i = md.indexOf('## Examples (run by the tests)');
      assert.ok(i > 0);
      const blocks = [...md.slice(i).matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
      const token = (await auth(SEED_BODY)).json.data.token;
      const bin = join(dir, 'bin'); // `custos` on the PATH, as after `make install`
      mkdirSync(bin, { recursive: true });
      try { symlinkSync(BIN, join(bin, 'custos')); } catch (e) { if (e.code !== 'EEXIST') throw e; }
      let ran = 0;
      for (let b = 0; b < blocks.length; b++) {
        if (blocks[b].lang !== 'sh') continue;
        const expect = blocks[b + 1];
        assert.ok(expect && expect.lang !== 'sh', 'each sh block is followed by its answer');
        const r = spawnSync('bash', ['-euo', 'pipefail', '-c', blocks[b].text], {
          encoding: 'utf8', env: { ...process.env, CUSTOS: c.url, API_KEY: key, READ_ONLY_KEY: roKey, TOKEN: token,
            APP: appId, CUSTOS_URL: c.url, CUSTOS_ADMIN_TOKEN: admin, PATH: `${bin}:${process.env.PATH}` },
        });
        assert.equal(r.status, 0, r.stderr);
        const norm = (s) => s.trim().replace(/"(requestId|token)":"[^"]*"/g, '"$1":"…"');
        assert.equal(norm(r.stdout), norm(expect.text), blocks[b].text);
        ran++;
      }
      assert.ok(ran >= 6, `ran ${ran} examples`);
    });
  });
}

suite('sqlite');
suite('postgres');

describe('assetpay.reject_partner_mismatch', () => {
  test('on: a partner that is not the Steam ID is refused; a matching one passes', async () => {
    const dir = tempDir('custos-assetpay-strict-');
    const store = `sqlite:${dir}/custos.db`;
    const init = adminInit({ store, dir });
    const c = await startCustos({ dir, store, args: ['--set', 'assetpay.reject_partner_mismatch=true'] });
    try {
      const H = { Authorization: `Bearer ${init.token}`, 'Content-Type': 'application/json' };
      const post = async (p, b, h = H) => (await fetch(`${c.url}${p}`, { method: 'POST', headers: h, body: JSON.stringify(b) })).json();
      const acct = await post('/admin/v1/accounts', { name: 'a' });
      const app = await post('/admin/v1/apps', { account_id: acct.id, name: 's', profile: 'assetpay' });
      const k = (await post(`/admin/v1/apps/${app.id}/keys`, {})).key;
      await post(`/admin/v1/apps/${app.id}/secret`, {});
      const h = { 'api-key': k, 'Content-Type': 'application/json' };
      const bad = await fetch(`${c.url}/auth/authenticate-client`, { method: 'POST', headers: h, body: SEED_BODY });
      assert.equal(bad.status, 400);
      const j = await bad.json();
      assert.equal(j.error.code, 'TRADE_URL_MISMATCH');
      assert.equal(j.error.message, "field 'clientTradeUrl' belongs to another Steam account: partner must be 52079950 for clientSteamId 76561198012345678");
      const good = await fetch(`${c.url}/auth/authenticate-client`, { method: 'POST', headers: h,
        body: JSON.stringify({ clientSteamId: SID, clientTradeUrl: 'https://steamcommunity.com/tradeoffer/new/?partner=52079950&token=AbCdEfGh' }) });
      assert.equal(good.status, 200, await good.text());
    } finally {
      await c.stop();
      c.cleanup();
    }
  });
});

describe('assetpay rate limit', () => {
  test('429 RATE_LIMITED with Retry-After once a key spends its burst', async () => {
    const dir = tempDir('custos-assetpay-rl-');
    const store = `sqlite:${dir}/custos.db`;
    const init = adminInit({ store, dir });
    const c = await startCustos({ dir, store, args: ['--set', 'keys.burst=2', '--set', 'keys.rate_per_second=1'] });
    try {
      const H = { Authorization: `Bearer ${init.token}`, 'Content-Type': 'application/json' };
      const post = async (p, b) => (await fetch(`${c.url}${p}`, { method: 'POST', headers: H, body: JSON.stringify(b) })).json();
      const acct = await post('/admin/v1/accounts', { name: 'rl' });
      const app = await post('/admin/v1/apps', { account_id: acct.id, name: 'rl', profile: 'assetpay' });
      const k = (await post(`/admin/v1/apps/${app.id}/keys`, {})).key;
      await post(`/admin/v1/apps/${app.id}/secret`, {});
      const statuses = [];
      let last;
      for (let i = 0; i < 4; i++) {
        last = await fetch(`${c.url}/auth/authenticate-client`, { method: 'POST', headers: { 'api-key': k, 'Content-Type': 'application/json' }, body: SEED_BODY });
        statuses.push(last.status);
        if (i < 3) await last.arrayBuffer();
      }
      assert.deepEqual(statuses.slice(0, 2), [200, 200]);
      assert.equal(last.status, 429);
      assert.ok(Number(last.headers.get('retry-after')) >= 1, last.headers.get('retry-after'));
      const j = await last.json();
      assert.deepEqual(j, { requestId: last.headers.get('x-request-id'), success: false,
        error: { code: 'RATE_LIMITED', message: 'Too many requests; retry later' } });
    } finally {
      await c.stop();
      c.cleanup();
    }
  });
});

describe('assetpay while PostgreSQL is down', { skip: pgSkip }, () => {
  test('503 SERVICE_UNAVAILABLE with Retry-After for a key not cached yet; back to 200 when it returns', async () => {
    const pg = startPrivatePg();
    const dir = tempDir('custos-assetpay-503-');
    let c;
    try {
      const init = adminInit({ store: pg.url, dir });
      assert.equal(init.status, 0, init.stderr);
      c = await startCustos({ dir, store: pg.url });
      const H = { Authorization: `Bearer ${init.token}`, 'Content-Type': 'application/json' };
      const post = async (p, b) => (await fetch(`${c.url}${p}`, { method: 'POST', headers: H, body: JSON.stringify(b) })).json();
      const acct = await post('/admin/v1/accounts', { name: 'down' });
      const app = await post('/admin/v1/apps', { account_id: acct.id, name: 'down', profile: 'assetpay' });
      const k = (await post(`/admin/v1/apps/${app.id}/keys`, {})).key; // never used: not in any cache
      await post(`/admin/v1/apps/${app.id}/secret`, {});
      const authenticate = () => fetch(`${c.url}/auth/authenticate-client`, {
        method: 'POST', headers: { 'api-key': k, 'Content-Type': 'application/json' }, body: SEED_BODY,
        signal: AbortSignal.timeout(10000),
      });
      pg.stop();
      try {
        const t0 = Date.now();
        const r = await authenticate();
        assert.equal(r.status, 503);
        assert.equal(r.headers.get('retry-after'), '1');
        assert.match(r.headers.get('content-type'), /^application\/json/);
        assert.equal(await r.text(), JSON.stringify({ requestId: r.headers.get('x-request-id'), success: false,
          error: { code: 'SERVICE_UNAVAILABLE', message: 'Authentication is temporarily unavailable' } }));
        assert.ok(Date.now() - t0 < 8000, `503 took ${Date.now() - t0} ms`);
      } finally {
        pg.start(); // restore what the test broke, whatever happened above
      }
      let ok = null;
      for (let i = 0; i < 100 && ok === null; i++) {
        const r = await authenticate();
        if (r.status === 200) ok = await r.json();
        else { assert.equal(r.status, 503, await r.text()); await new Promise((res) => setTimeout(res, 100)); }
      }
      assert.ok(ok && ok.success, 'custos did not recover once PostgreSQL was back');
    } finally {
      if (c) { await c.stop(); c.cleanup(); }
      pg.destroy();
    }
  });
});
