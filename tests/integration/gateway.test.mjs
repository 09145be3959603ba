// End to end through real gateways: client → nginx (auth_request) or Caddy
// (forward_auth) → custos /v1/check → the sample platform API
// (examples/platform). For each profile: obtain a credential the way its
// seed says, call a protected route, check the platform saw the identity
// custos answered (and none a client forged), and check each documented
// error reaches the client byte for byte (status, Content-Type, body).
// nginx and Caddy must be installed (scripts/deps.sh test); nothing skips.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { SignJWT } from 'jose';
import { startCustos, tempDir, adminInit, SOURCE_DIR } from './lib/custos.mjs';
import { startGateway, startPlatform, requireBinary, freePort } from './lib/gateway.mjs';
import { admin, thelayerApp, thelayerUser, thelayerBody, assetpayMerchant, ASSETPAY_SEED, openledgerDeveloper } from './lib/creds.mjs';

const POLICY = join(SOURCE_DIR, 'examples/platform/policy.yaml');
const GATEWAYS = ['nginx', 'caddy'];
for (const g of GATEWAYS) requireBinary(g);

const custosHeaders = (h) => Object.fromEntries([...h.entries()].filter(([k]) => k.startsWith('x-custos-')));

// A custos with the sample platform's policy, the platform, and every
// gateway in front of them.
async function stack(extraArgs = []) {
  const dir = tempDir('custos-gw-');
  const store = `sqlite:${dir}/custos.db`;
  const init = adminInit({ store, dir });
  assert.equal(init.status, 0, init.stderr);
  const c = await startCustos({ dir, store, args: ['--set', `policy.file=${POLICY}`, ...extraArgs] });
  const gw = {};
  let p;
  try {
    p = await startPlatform();
    for (const g of GATEWAYS) gw[g] = await startGateway(g, { dir, custos: `127.0.0.1:${c.port}`, platform: p.addr });
  } catch (e) {
    // Stop what did start, so a failure is reported, not a hang.
    for (const x of Object.values(gw)) await x.stop();
    if (p) await p.stop();
    await c.stop();
    throw e;
  }
  return {
    c, p, gw, api: admin(c.url, init.token),
    async stop() {
      for (const g of Object.values(gw)) await g.stop();
      await p.stop();
      const ex = await c.stop();
      assert.equal(ex.code, 0, c.lines.slice(-20).join('\n'));
      c.cleanup();
    },
  };
}

// What custos itself answers to /v1/check about METHOD URI with headers.
async function direct(c, method, uri, headers) {
  const r = await fetch(`${c.url}/v1/check`, { headers: { 'X-Original-Method': method, 'X-Original-URI': uri, ...headers } });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// custos's /v1/check answers so far, by status. custos counts a request
// once it has sent the answer, which may be just after the gateway passed
// it on: wait until no other request is in flight (the gauge is rendered
// after the counters), then read the counters once more.
async function checks(c) {
  const metrics = async () => (await fetch(`${c.url}/metrics`)).text();
  for (let i = 0; i < 200 && !/^custos_http_in_flight 1$/m.test(await metrics()); i++) await sleep(10);
  const m = await metrics();
  const by = {};
  let total = 0;
  for (const [, st, n] of m.matchAll(/^custos_http_requests_total\{route="\/v1\/check",status="(\d+)"\} (\d+)$/gm)) {
    by[st] = Number(n);
    total += Number(n);
  }
  return { total, by };
}

// Through gateway g, a refusal must be custos's answer, unchanged, and
// cost custos exactly one check.
async function expectRefusal(s, g, method, uri, headers, status, body) {
  const want = await direct(s.c, method, uri, headers);
  assert.equal(want.status, status, `custos itself: ${want.text}`);
  if (body !== undefined) assert.equal(want.text, body);
  const before = await checks(s.c);
  const r = await fetch(`${s.gw[g].url}${uri}`, { method, headers });
  const text = await r.text();
  const after = await checks(s.c);
  assert.equal(after.total - before.total, 1, `${g} ${method} ${uri}: checks at custos`);
  assert.equal((after.by[status] || 0) - (before.by[status] || 0), 1, `${g} ${method} ${uri}: a ${status} check`);
  assert.equal(r.status, want.status, `${g} ${method} ${uri}: ${text}`);
  // custos's own envelope carries a request_id, different for each answer.
  const rid = (t) => t.replace(/"(request_id|requestId)":"[^"]*"/, '"$1":"…"');
  assert.equal(rid(text), rid(want.text), `${g} ${method} ${uri}`);
  assert.match(r.headers.get('content-type') || '', /^application\/json/, `${g} content-type`);
  // Retry-After only when custos sent one.
  assert.equal(r.headers.get('retry-after'), want.headers.get('retry-after'), `${g} retry-after`);
  // The copy nginx answers from is for nginx, never for the client.
  assert.equal(r.headers.get('x-custos-error-body'), null);
  assert.equal(r.headers.get('x-custos-status'), null);
  r.text = text;
  return r;
}

// The Layer (docs/profiles/thelayer.md): Token1 + Token2 on every request.
const tlBody = thelayerBody;

describe('through real gateways', () => {
  let s;
  before(async () => { s = await stack(); });
  after(async () => { if (s) await s.stop(); });

  describe('thelayer', () => {
    let A, B, wA, rA, wB;
    before(async () => {
      A = await thelayerApp(s.api, 'Layer Corp');
      B = await thelayerApp(s.api, 'Other Corp');
      wA = await thelayerUser(s.api, A.app, 'write');
      rA = await thelayerUser(s.api, A.app, 'read');
      wB = await thelayerUser(s.api, B.app, 'write');
    });

    for (const g of GATEWAYS) {
      test(`${g}: the seed's request passes, the platform sees custos's identity and no forged one`, async () => {
        const h = { Token1: A.token1, Token2: wA.token2 };
        const want = await direct(s.c, 'GET', '/api/your-endpoint', h);
        assert.equal(want.status, 200);
        const ids = custosHeaders(want.headers);
        assert.equal(ids['x-custos-app'], A.app);
        assert.equal(ids['x-custos-account'], A.account);
        assert.equal(ids['x-custos-subject'], wA.user);
        assert.equal(ids['x-custos-token-id'], wA.id);
        assert.equal(ids['x-custos-access-level'], 'write');
        assert.equal(ids['x-custos-app-token-id'], A.token1Id);
        const r = await fetch(`${s.gw[g].url}/api/your-endpoint?page=2`, {
          headers: { ...h, 'X-Custos-Entity': 'forged', 'X-Custos-App': 'app_forged', 'X-Custos-Risk-Limit': '999999' },
        });
        assert.equal(r.status, 200);
        const j = await r.json();
        assert.equal(j.route, 'GET /api/your-endpoint');
        assert.deepEqual(j.identity, ids);
      });

      test(`${g}: a write token may POST (with a body), a read token may not`, async () => {
        let r = await fetch(`${s.gw[g].url}/api/your-endpoint`, {
          method: 'POST', headers: { Token1: A.token1, Token2: wA.token2, 'Content-Type': 'application/json' }, body: '{"name":"sword"}',
        });
        assert.equal(r.status, 200);
        assert.equal((await r.json()).identity['x-custos-access-level'], 'write');
        await expectRefusal(s, g, 'POST', '/api/your-endpoint', { Token1: A.token1, Token2: rA.token2 }, 403, tlBody('INSUFFICIENT_ACCESS'));
      });

      test(`${g}: every documented refusal arrives byte for byte`, async () => {
        const u = '/api/your-endpoint';
        await expectRefusal(s, g, 'GET', u, { Token2: wA.token2 }, 401, tlBody('TOKEN1_MISSING'));
        await expectRefusal(s, g, 'GET', u, { Token1: A.token1 }, 401, tlBody('TOKEN2_MISSING'));
        await expectRefusal(s, g, 'GET', u, { Token1: 'tl_nope', Token2: wA.token2 }, 401, tlBody('TOKEN1_INVALID'));
        await expectRefusal(s, g, 'GET', u, { Token1: A.token1, Token2: 'tlu_nope' }, 401, tlBody('TOKEN2_INVALID'));
        await expectRefusal(s, g, 'GET', u, { Token1: A.token1, Token2: wB.token2 }, 401, tlBody('TOKEN_MISMATCH'));
        await expectRefusal(s, g, 'DELETE', '/api/admin/users/7', { Token1: A.token1, Token2: wA.token2 }, 403, tlBody('INSUFFICIENT_ACCESS'));
        // Rotated out with no grace: expired.
        const k = (await s.api('POST', `/admin/v1/apps/${A.app}/keys`, {})).json;
        const nk = await s.api('POST', `/admin/v1/keys/${k.id}/rotate`, { grace_seconds: 0 });
        assert.equal(nk.status, 201, JSON.stringify(nk.json));
        await expectRefusal(s, g, 'GET', u, { Token1: k.key, Token2: wA.token2 }, 401, tlBody('TOKEN1_EXPIRED'));
        const t = await thelayerUser(s.api, A.app, 'read');
        assert.equal((await s.api('POST', `/admin/v1/user-tokens/${t.id}/rotate`, { grace_seconds: 0 })).status, 201);
        await expectRefusal(s, g, 'GET', u, { Token1: A.token1, Token2: t.token2 }, 401, tlBody('TOKEN2_EXPIRED'));
        // Revoked after use.
        const v = await thelayerUser(s.api, A.app, 'read');
        assert.equal((await fetch(`${s.gw[g].url}${u}`, { headers: { Token1: A.token1, Token2: v.token2 } })).status, 200);
        assert.equal((await s.api('POST', `/admin/v1/user-tokens/${v.id}/revoke`)).status, 200);
        await expectRefusal(s, g, 'GET', u, { Token1: A.token1, Token2: v.token2 }, 401, tlBody('TOKEN2_INVALID'));
      });
    }

    // auth_request reads no body: had custos sent its refusal's body, nginx
    // would close its connection to custos after every refusal (a flood of
    // bad credentials would churn one TCP connection per request).
    test('nginx: refusals keep the keep-alive connection to custos', async () => {
      const port = new URL(s.c.url).port;
      const closed = () => spawnSync('ss', ['-Htan', 'state', 'time-wait', `( dport = :${port} or sport = :${port} )`], { encoding: 'utf8' })
        .stdout.split('\n').filter((l) => l.trim() !== '').length;
      const before = closed();
      for (let i = 0; i < 30; i++) {
        const r = await fetch(`${s.gw.nginx.url}/api/your-endpoint`, { headers: { Token2: wA.token2 } });
        assert.equal(r.status, 401);
        assert.equal(await r.text(), tlBody('TOKEN1_MISSING'));
      }
      const after = closed();
      assert.ok(after - before < 5, `${after - before} connections to custos closed for 30 refusals`);
    });
  });

  // AssetPay (docs/profiles/assetpay.md): the merchant's backend trades its
  // api-key for a client token (POST /auth/authenticate-client, straight to
  // custos, as the seed's merchant backend does); the browser presents the
  // token on /client/*; the backend's key reaches /secure/*.
  describe('assetpay', () => {
    const SEED = ASSETPAY_SEED;
    const SID = SEED.clientSteamId;
    let M; // merchant
    before(async () => { M = await assetpayMerchant(s.api, s.c.url); });
    const apErr = (code) => (t) => { const j = JSON.parse(t); assert.equal(j.success, false); assert.equal(j.error.code, code); };

    for (const g of GATEWAYS) {
      test(`${g}: a client token reaches /client/inventory with the client's identity and risk limit`, async () => {
        const h = { Authorization: M.token };
        const want = await direct(s.c, 'GET', '/client/inventory', h);
        assert.equal(want.status, 200);
        const ids = custosHeaders(want.headers);
        assert.equal(ids['x-custos-subject'], SID);
        assert.equal(ids['x-custos-app'], M.app);
        assert.equal(ids['x-custos-risk-limit'], '625');
        assert.equal(ids['x-custos-merchant-id'], String(M.merchantId));
        assert.equal(ids['x-custos-client-id'], 'user-123');
        const r = await fetch(`${s.gw[g].url}/client/inventory`, { headers: { ...h, 'X-Custos-Risk-Limit': '1000000', 'X-Custos-Scopes': 'CORE_ACCESS' } });
        assert.equal(r.status, 200);
        const j = await r.json();
        assert.equal(j.route, 'GET /client/inventory');
        assert.deepEqual(j.identity, ids);
      });

      test(`${g}: the merchant's api-key reaches /secure/prices; READ_ONLY only on GET`, async () => {
        for (const k of [M.key, M.ro]) {
          const want = await direct(s.c, 'GET', '/secure/prices', { 'api-key': k.key });
          assert.equal(want.status, 200);
          const r = await fetch(`${s.gw[g].url}/secure/prices`, { headers: { 'api-key': k.key } });
          assert.equal(r.status, 200);
          const j = await r.json();
          assert.equal(j.route, 'GET /secure/prices');
          assert.deepEqual(j.identity, custosHeaders(want.headers));
          assert.equal(j.identity['x-custos-token-id'], k.id);
        }
        const r = await expectRefusal(s, g, 'POST', '/secure/prices', { 'api-key': M.ro.key }, 403);
        assert.ok(r);
      });

      test(`${g}: every documented check refusal arrives byte for byte (requestId aside)`, async () => {
        const mint = (payload, header, exp) => new SignJWT(payload).setProtectedHeader(header).setIssuedAt(exp - 86400)
          .setExpirationTime(exp).sign(new TextEncoder().encode(M.secret));
        const now = Math.floor(Date.now() / 1000);
        const client = { steamID: SID, tradeUrl: SEED.clientTradeUrl };
        const cases = [
          ['/client/inventory', {}, 401, 'MISSING_CLIENT_TOKEN'],
          ['/client/inventory', { Authorization: 'not.a.token' }, 401, 'INVALID_CLIENT_TOKEN'],
          ['/client/inventory', { Authorization: `${M.token.slice(0, -2)}xx` }, 401, 'INVALID_CLIENT_TOKEN'],
          ['/client/inventory', { Authorization: await mint({ client }, { alg: 'HS256', userId: M.merchantId }, now - 3600) }, 401, 'CLIENT_TOKEN_EXPIRED'],
          ['/secure/prices', {}, 401, 'MISSING_API_KEY'],
          ['/secure/prices', { 'api-key': 'ap_not_a_real_key' }, 401, 'INVALID_API_KEY'],
        ];
        for (const [path, h, status, code] of cases) {
          const want = await direct(s.c, 'GET', path, h);
          apErr(code)(want.text);
          await expectRefusal(s, g, 'GET', path, h, status);
        }
        const r = await direct(s.c, 'POST', '/secure/prices', { 'api-key': M.ro.key });
        apErr('INSUFFICIENT_SCOPE')(r.text);
      });
    }
  });

  // Open Ledger (docs/profiles/openledger.md): API key + developer id →
  // RS256 Bearer token (POST /v1/auth/tokens, straight to custos), then
  // GET /v1/transactions through the gateway. Runs once the sample
  // platform's policy has Open Ledger routes (the profile is in the build).
  const hasOpenLedger = /profile: openledger/.test(readFileSync(POLICY, 'utf8'));
  describe('openledger', { skip: hasOpenLedger ? false : 'examples/platform/policy.yaml has no openledger route' }, () => {
    let D;
    const olBody = (status, code, message) => [status, JSON.stringify({ error: { code, message } })];
    before(async () => { D = await openledgerDeveloper(s.api, s.c.url); });

    for (const g of GATEWAYS) {
      test(`${g}: a developer token reaches GET /v1/transactions as that developer`, async () => {
        const h = { Authorization: `Bearer ${D.dev}` };
        const want = await direct(s.c, 'GET', '/v1/transactions', h);
        assert.equal(want.status, 200, want.text);
        const ids = custosHeaders(want.headers);
        assert.equal(ids['x-custos-account'], D.acct);
        assert.equal(ids['x-custos-app'], D.app);
        assert.equal(ids['x-custos-user-type'], 'developer');
        assert.equal(ids['x-custos-entity'], undefined);
        const r = await fetch(`${s.gw[g].url}/v1/transactions`, { headers: { ...h, 'X-Custos-Entity': 'entity_12345', 'X-Custos-User-Type': 'entity' } });
        assert.equal(r.status, 200);
        const j = await r.json();
        assert.equal(j.route, 'GET /v1/transactions');
        assert.deepEqual(j.identity, ids);
      });

      test(`${g}: the seed's errors arrive byte for byte`, async () => {
        const u = '/v1/transactions';
        for (const [h, uri, [status, body]] of [
          [{}, u, olBody(401, 'AUTHENTICATION_ERROR', 'Authorization header is required')],
          [{ Authorization: 'Bearer not.a.token' }, u, olBody(401, 'AUTHENTICATION_ERROR', 'Invalid authentication token')],
          [{ Authorization: `Bearer ${D.entity}` }, u, olBody(403, 'AUTHORIZATION_ERROR', 'Entity tokens cannot access developer routes')],
          [{ Authorization: `Bearer ${D.dev}` }, `${u}?entityId=entity_nope`, olBody(403, 'AUTHORIZATION_ERROR', 'This token does not have access to the requested entity')],
        ]) await expectRefusal(s, g, 'GET', uri, h, status, body);
      });
    }
  });

  for (const g of GATEWAYS) {
    test(`${g}: custos's own refusals (no_policy, bad_request) arrive unchanged`, async () => {
      const r = await expectRefusal(s, g, 'GET', '/unlisted', {}, 403);
      const j = JSON.parse(await (await fetch(`${s.c.url}/v1/check`, { headers: { 'X-Original-Method': 'GET', 'X-Original-URI': '/unlisted' } })).text());
      assert.equal(j.error.code, 'no_policy');
      // The body and the X-Request-Id header are of the same (the one) answer.
      assert.equal(JSON.parse(r.text).request_id, r.headers.get('x-request-id'));
      // A path nginx would type by its extension is still answered as JSON.
      await expectRefusal(s, g, 'GET', '/unlisted.html', {}, 403);
      // Bytes a header can hold only as obs-text (UTF-8) arrive as they
      // are; control bytes and DEL arrive escaped; so does the longest
      // message custos makes.
      for (const [uri, piece] of [['/%C3%BCnlisted-%E2%82%AC', '/ünlisted-€'], ['/x%7Fy%01', '/x\\u007fy\\u0001'],
        [`/${'%01'.repeat(200)}`, `/${'\\u0001'.repeat(20)}`]]) {
        const b = await expectRefusal(s, g, 'GET', uri, {}, 403);
        assert.ok(b.text.includes(`"no route policy matches GET ${piece}`), b.text);
      }
      const bad = await expectRefusal(s, g, 'GET', `/api/your-endpoint?${'q'.repeat(4100)}`, {}, 400);
      assert.equal(JSON.parse(bad.text).error.code, 'bad_request');
      // A client cannot slip another gateway's description of the request in.
      const f = await fetch(`${s.gw[g].url}/api/your-endpoint`, {
        headers: { 'X-Original-URI': '/public', 'X-Original-Method': 'GET', 'X-Forwarded-Uri': '/public', 'X-Forwarded-Method': 'GET' },
      });
      assert.equal(f.status, 401);
      assert.equal(await f.text(), tlBody('TOKEN1_MISSING'));
    });

    test(`${g}: the platform's own errors pass through untouched`, async () => {
      const A = await thelayerApp(s.api, `broken-${g}`);
      const u = await thelayerUser(s.api, A.app, 'read');
      const r = await fetch(`${s.gw[g].url}/api/broken`, { headers: { Token1: A.token1, Token2: u.token2 } });
      assert.equal(r.status, 500);
      assert.equal(await r.text(), '{"error":"platform_error","message":"broken"}');
      const n = await fetch(`${s.gw[g].url}/api/nothing-here`, { headers: { Token1: A.token1, Token2: u.token2 } });
      assert.equal(n.status, 404);
      assert.equal((await n.json()).error, 'not_found');
    });
  }
});

describe('rate limits through real gateways', () => {
  let s;
  before(async () => { s = await stack(['--set', 'keys.burst=2', '--set', 'keys.rate_per_second=1']); });
  after(async () => { if (s) await s.stop(); });

  for (const g of GATEWAYS) {
    test(`${g}: 429 RATE_LIMITED with Retry-After reaches the client`, async () => {
      const A = await thelayerApp(s.api, `rl-${g}`);
      const u = await thelayerUser(s.api, A.app, 'read');
      const h = { Token1: A.token1, Token2: u.token2 };
      let last;
      for (let i = 0; i < 6; i++) {
        last = await fetch(`${s.gw[g].url}/api/your-endpoint`, { headers: h });
        if (last.status === 429) break;
        await last.text();
      }
      assert.equal(last.status, 429);
      assert.equal(await last.text(), tlBody('RATE_LIMITED'));
      assert.match(last.headers.get('retry-after') || '', /^\d+$/);
      // One check per 429; nginx does not log custos's answers as errors.
      await expectRefusal(s, g, 'GET', '/api/your-endpoint', h, 429, tlBody('RATE_LIMITED'));
      if (g === 'nginx') assert.doesNotMatch(s.gw[g].log(), /auth request unexpected status/);
    });

    test(`${g}: a refusal takes one rate-limit token, not two`, async () => {
      // burst 2: a refused request that got as far as the keys (403: a
      // read token on a write route) takes one token, so one more request
      // passes before 429; two checks per refusal would leave none.
      const A = await thelayerApp(s.api, `rl1-${g}`);
      const u = await thelayerUser(s.api, A.app, 'read');
      const h = { Token1: A.token1, Token2: u.token2 };
      const r = await fetch(`${s.gw[g].url}/api/your-endpoint`, { method: 'POST', headers: h });
      assert.equal(r.status, 403);
      assert.equal(await r.text(), tlBody('INSUFFICIENT_ACCESS'));
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        const x = await fetch(`${s.gw[g].url}/api/your-endpoint`, { headers: h });
        await x.text();
        statuses.push(x.status);
        if (x.status === 429) break;
      }
      assert.deepEqual(statuses, [200, 429]);
    });
  }

  test('nginx: custos unreachable is a JSON 502, and logged', async () => {
    const dir = tempDir('custos-gw-down-');
    const p = await startPlatform();
    const gw = await startGateway('nginx', { dir, custos: `127.0.0.1:${await freePort()}`, platform: p.addr });
    try {
      const r = await fetch(`${gw.url}/api/your-endpoint`, { headers: { Token1: 'tl_x', Token2: 'tlu_x' } });
      assert.equal(r.status, 502);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(await r.text(), '{"error":{"code":"gateway_error","message":"no answer from the authorization service"}}');
      assert.equal(r.headers.get('retry-after'), null);
      assert.match(gw.log(), /auth request unexpected status: 502/);
    } finally {
      await gw.stop();
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// docs/gateway/{nginx,caddy}.md: the steps a new user follows, run as
// written (one bash script, from the repository root).
function docBlocks(file) {
  const md = readFileSync(join(SOURCE_DIR, 'docs/gateway', file), 'utf8');
  const re = /```(sh|output)\n([\s\S]*?)```/g;
  const blocks = [];
  let m;
  while ((m = re.exec(md))) {
    if (m[1] === 'sh') blocks.push({ sh: m[2], want: null });
    else blocks[blocks.length - 1].want = m[2];
  }
  return blocks;
}

function runScript(script, env) {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd: SOURCE_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 60000);
    child.on('close', (status) => { clearTimeout(t); resolve({ status, stdout, stderr }); });
  });
}

describe('docs/gateway pages run as written', () => {
  for (const file of ['nginx.md', 'caddy.md']) {
    test(file, async () => {
      const blocks = docBlocks(file);
      assert.ok(blocks.length >= 4);
      // On failure, stop whatever the page started (the script's own jobs).
      let script = 'set -e\ntrap \'kill $(jobs -p) 2>/dev/null || true\' EXIT\n';
      blocks.forEach((b, i) => { script += `echo "@@block ${i}"\n${b.sh}\n`; });
      const ports = new Set();
      while (ports.size < 3) ports.add(await freePort());
      const [cp, pp, gp] = [...ports].map(String);
      const env = { CUSTOS_BIN: process.env.CUSTOS_BIN, CUSTOS_PORT: cp, PLATFORM_PORT: pp, GATEWAY_PORT: gp };
      const r = await runScript(script, env);
      assert.equal(r.status, 0, r.stderr);
      const outs = r.stdout.split(/^@@block \d+\n/m).slice(1);
      assert.equal(outs.length, blocks.length);
      blocks.forEach((b, i) => { if (b.want !== null) assert.equal(outs[i], b.want, `block ${i}:\n${b.sh}`); });
    });
  }
});
