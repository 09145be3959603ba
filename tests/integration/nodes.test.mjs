// Many nodes: two `custos serve` on one (private) PostgreSQL behind an
// nginx upstream (examples/gateway/nginx.conf with both nodes listed), the
// sample platform behind it. Measures what docs/operations.md "Many nodes"
// states: revocation through node A reaches node B within 1 s; killing a
// node under load loses no request (nginx retries the check on the other
// node); restarting PostgreSQL under load gives 503 SERVICE_UNAVAILABLE on
// store reads (no hang, no crash) and custos recovers by itself.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCustos, tempDir, adminInit } from './lib/custos.mjs';
import { startPrivatePg } from './lib/pg.mjs';
import { startGateway, startPlatform } from './lib/gateway.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const REPORT = process.env.CUSTOS_NODES_REPORT === '1'; // print the measured figures

async function get(url, headers, ms = 5000) {
  const t0 = performance.now();
  try {
    const r = await fetch(url, { headers, signal: AbortSignal.timeout(ms) });
    const text = await r.text();
    return { status: r.status, text, ms: performance.now() - t0, headers: r.headers };
  } catch (e) {
    return { status: 0, text: String(e), ms: performance.now() - t0 };
  }
}

// `conc` loops calling f() until stop(); returns {counts, max, n, done}.
function load(conc, f) {
  const st = { counts: {}, max: 0, n: 0, running: true, bad: [] };
  const loops = Array.from({ length: conc }, async () => {
    while (st.running) {
      const r = await f();
      st.n++;
      st.counts[r.status] = (st.counts[r.status] || 0) + 1;
      st.max = Math.max(st.max, r.ms);
      if (r.status !== 200 && st.bad.length < 5) st.bad.push(`${r.status} ${r.text}`);
    }
  });
  st.stop = async () => { st.running = false; await Promise.all(loops); return st; };
  return st;
}

describe('two custos nodes on one PostgreSQL behind nginx', () => {
  let pg, dir, init, A, B, p, ngx, api;
  const T = {};

  before(async () => {
    pg = startPrivatePg();
    dir = tempDir('custos-nodes-');
    init = adminInit({ store: pg.url, dir });
    assert.equal(init.status, 0, init.stderr);
    // Both nodes share the store and the master key; nothing else.
    // The rate limit is raised so the load measures availability, not 429s.
    const args = ['--set', `policy.file=${process.env.CUSTOS_SOURCE_DIR}/examples/platform/policy.yaml`,
      '--set', 'keys.rate_per_second=1000000', '--set', 'keys.burst=1000000'];
    A = await startCustos({ dir, store: pg.url, args });
    B = await startCustos({ dir, store: pg.url, args });
    p = await startPlatform();
    ngx = await startGateway('nginx', {
      dir, custos: `127.0.0.1:${A.port}`, platform: p.addr,
      edit: (t) => t.replace(`server 127.0.0.1:${A.port};`, `server 127.0.0.1:${A.port} max_fails=0;\n    server 127.0.0.1:${B.port} max_fails=0;`),
    });
    api = async (node, method, path, json) => {
      const r = await fetch(`${node.url}${path}`, { method, headers: { Authorization: `Bearer ${init.token}` }, body: json === undefined ? undefined : JSON.stringify(json) });
      const text = await r.text();
      return { status: r.status, json: text ? JSON.parse(text) : null };
    };
    const acct = (await api(A, 'POST', '/admin/v1/accounts', { name: 'Nodes' })).json.id;
    T.app = (await api(A, 'POST', '/admin/v1/apps', { account_id: acct, name: 'n', profile: 'thelayer' })).json.id;
    T.key = (await api(A, 'POST', `/admin/v1/apps/${T.app}/keys`, {})).json;
    T.user = (await api(A, 'POST', `/admin/v1/apps/${T.app}/users`, { external_id: 'p1' })).json.id;
    T.token = async (level = 'read') => (await api(A, 'POST', `/admin/v1/apps/${T.app}/users/${T.user}/tokens`, { access_level: level })).json;
  });
  after(async () => {
    if (ngx) await ngx.stop();
    if (p) await p.stop();
    for (const n of [A, B]) if (n) await n.stop();
    if (A) A.cleanup();
    if (pg) pg.destroy();
  });

  const check = (node, headers) => get(`${node.url}/v1/check`, { 'X-Original-Method': 'GET', 'X-Original-URI': '/api/your-endpoint', ...headers });
  const viaNginx = (headers, ms) => get(`${ngx.url}/api/your-endpoint`, headers, ms);

  // Polls node until check() is refused with `code`; returns the ms it took.
  async function refusedWithin(node, headers, code, limit = 1000) {
    const t0 = performance.now();
    for (;;) {
      const r = await check(node, headers);
      if (r.status === 401 && JSON.parse(r.text).error.code === code) return performance.now() - t0;
      assert.ok(performance.now() - t0 < limit, `still ${r.status} after ${limit} ms`);
      await sleep(10);
    }
  }

  test('a Token2 or Token1 revoked through node A is refused through node B within 1 s', async () => {
    const t = await T.token();
    const h = { Token1: T.key.key, Token2: t.token };
    assert.equal((await check(B, h)).status, 200); // cached on B
    assert.equal((await check(A, h)).status, 200);
    assert.equal((await api(A, 'POST', `/admin/v1/user-tokens/${t.id}/revoke`)).status, 200);
    const ms2 = await refusedWithin(B, h, 'TOKEN2_INVALID');
    const k = (await api(A, 'POST', `/admin/v1/apps/${T.app}/keys`, {})).json;
    const t2 = await T.token();
    const hk = { Token1: k.key, Token2: t2.token };
    assert.equal((await check(B, hk)).status, 200);
    assert.equal((await api(A, 'POST', `/admin/v1/keys/${k.id}/revoke`)).status, 200);
    const ms1 = await refusedWithin(B, hk, 'TOKEN1_INVALID');
    // And through nginx, whichever node answers.
    for (let i = 0; i < 4; i++) assert.equal((await viaNginx(h)).status, 401);
    if (REPORT) console.log(`# revocation A→B: Token2 ${ms2.toFixed(1)} ms, Token1 ${ms1.toFixed(1)} ms`);
  });

  test('killing a node under load loses no request (nginx retries the check on the other)', async () => {
    const t = await T.token();
    const h = { Token1: T.key.key, Token2: t.token };
    assert.equal((await check(A, h)).status, 200);
    assert.equal((await check(B, h)).status, 200);
    const st = load(16, () => viaNginx(h));
    await sleep(700);
    const before = st.n;
    await B.stop('SIGKILL');
    await sleep(1500);
    await st.stop();
    if (REPORT) console.log(`# kill under load: ${st.n} requests (${before} before the kill), ${JSON.stringify(st.counts)}, max ${st.max.toFixed(0)} ms`);
    assert.deepEqual(Object.keys(st.counts), ['200'], st.bad.join('\n'));
    assert.ok(st.n - before > 50, `only ${st.n - before} requests after the kill`);
  });

  test('restarting PostgreSQL under load: 503 on store reads, no hang, no crash, recovery by itself', async () => {
    const warm = await T.token();
    const hw = { Token1: T.key.key, Token2: warm.token };
    assert.equal((await viaNginx(hw)).status, 200);
    const fresh = [];
    for (let i = 0; i < 12; i++) fresh.push(await T.token());
    // Load of cached credentials all along: those need no store.
    const st = load(8, () => viaNginx(hw));
    await sleep(300);
    pg.stop();
    const down = performance.now();
    // A credential not yet cached needs the store: 503, in the profile's shape, fast.
    const r = await viaNginx({ Token1: T.key.key, Token2: fresh.shift().token });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.text, '{"error":{"code":"SERVICE_UNAVAILABLE","message":"Authentication is temporarily unavailable"}}');
    assert.equal(r.headers.get('retry-after'), '1');
    assert.ok(r.ms < 3000, `503 took ${r.ms} ms`);
    const d = await check(A, { Token1: T.key.key, Token2: fresh.shift().token });
    assert.equal(d.status, 503);
    await sleep(500);
    pg.start();
    const up = performance.now();
    let recovered = null, n503 = 0;
    while (performance.now() - up < 10000) {
      const x = await viaNginx({ Token1: T.key.key, Token2: fresh[0].token });
      if (x.status === 200) { recovered = performance.now() - up; break; }
      assert.equal(x.status, 503, x.text);
      n503++;
      await sleep(50);
    }
    await st.stop();
    assert.ok(recovered !== null, 'custos did not recover within 10 s of PostgreSQL coming back');
    assert.equal(A.child.exitCode, null, 'node A exited');
    // Every fresh credential works now, through both the node and nginx.
    for (const t of fresh.slice(1, 4)) assert.equal((await check(A, { Token1: T.key.key, Token2: t.token })).status, 200);
    assert.deepEqual(Object.keys(st.counts), ['200'], st.bad.join('\n'));
    assert.ok(st.max < 3000, `a cached check took ${st.max} ms during the outage`);
    if (REPORT) console.log(`# pg restart: down for ${(up - down).toFixed(0)} ms; 503 in ${r.ms.toFixed(1)} ms; recovered ${recovered.toFixed(0)} ms after start (${n503} 503s); cached load ${st.n} requests ${JSON.stringify(st.counts)}, max ${st.max.toFixed(0)} ms`);
  });
});
