// custos serve over real HTTP: operational endpoints, limits, errors,
// request ids, the access log and graceful shutdown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCustos, rawRequest, run } from './lib/custos.mjs';

let c;
before(async () => { c = await startCustos(); });
after(async () => { await c.stop(); c.cleanup(); });

test('healthz answers ok with a request id', async () => {
  const r = await fetch(`${c.url}/healthz`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), '{"status":"ok"}');
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.match(r.headers.get('x-request-id'), /^[A-Za-z0-9]{20}$/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('a sane X-Request-Id is echoed, a bad one replaced', async () => {
  let r = await fetch(`${c.url}/healthz`, { headers: { 'X-Request-Id': 'trace-42.a:b' } });
  assert.equal(r.headers.get('x-request-id'), 'trace-42.a:b');
  r = await fetch(`${c.url}/healthz`, { headers: { 'X-Request-Id': 'x'.repeat(65) } });
  assert.notEqual(r.headers.get('x-request-id'), 'x'.repeat(65));
});

test('readyz reports the store', async () => {
  const r = await fetch(`${c.url}/readyz`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ready', store: 'sqlite' });
});

test('metrics are Prometheus text with routes, statuses and build info', async () => {
  await (await fetch(`${c.url}/healthz`)).text();
  await (await fetch(`${c.url}/no/such/route`)).text();
  // A request is counted when its answer has gone out, which can be just
  // after the client has it (another server thread): read until both are in.
  let r, t;
  for (let i = 0; i < 40; i++) {
    r = await fetch(`${c.url}/metrics`);
    t = await r.text();
    if (/route="",status="404"\} [1-9]/.test(t) && /route="\/healthz",status="200"\} [1-9]/.test(t)) break;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  assert.match(t, /^custos_build_info\{version="\d+\.\d+\.\d+",store="sqlite"\} 1$/m);
  assert.match(t, /^custos_http_requests_total\{route="\/healthz",status="200"\} [1-9]\d*$/m);
  assert.match(t, /^custos_http_requests_total\{route="",status="404"\} [1-9]\d*$/m);
  assert.match(t, /^custos_http_request_duration_seconds_bucket\{route="\/healthz",le="\+Inf"\} [1-9]\d*$/m);
  assert.match(t, /^custos_store_errors_total 0$/m);
});

test('unknown route is a JSON 404', async () => {
  const r = await fetch(`${c.url}/nope`, { headers: { 'X-Request-Id': 'rid-404' } });
  assert.equal(r.status, 404);
  assert.equal(await r.text(), '{"error":{"code":"not_found","message":"no such route"},"request_id":"rid-404"}');
});

test('wrong method is 405 with Allow', async () => {
  const r = await fetch(`${c.url}/healthz`, { method: 'DELETE' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET, HEAD');
  assert.equal((await r.json()).error.code, 'method_not_allowed');
});

test('a 1 MiB body gets 413', async () => {
  const r = await fetch(`${c.url}/healthz`, { method: 'POST', body: Buffer.alloc(1 << 20, 0x61) });
  assert.equal(r.status, 413);
  assert.equal((await r.json()).error.code, 'body_too_large');
  // and a chunked one, raw
  const chunk = 'a'.repeat(65536);
  let text = 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
  for (let i = 0; i < 17; i++) text += `10000\r\n${chunk}\r\n`;
  text += '0\r\n\r\n';
  const raw = await rawRequest(c.port, text);
  assert.equal(raw.status, 413);
});

test('too many or too large headers get 431, server keeps serving', async () => {
  const many = {};
  for (let i = 0; i < 80; i++) many[`x-h${i}`] = 'v';
  let r = await fetch(`${c.url}/healthz`, { headers: many });
  assert.equal(r.status, 431);
  assert.equal((await r.json()).error.code, 'headers_too_large');
  const raw = await rawRequest(c.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'z'.repeat(200000)}\r\n\r\n`);
  assert.equal(raw.status, 431);
  r = await fetch(`${c.url}/healthz`);
  assert.equal(r.status, 200);
});

test('malformed request lines get a 400, never a crash', async () => {
  const raw = await rawRequest(c.port, 'GARBAGE\r\n\r\n');
  assert.ok(raw.status === 400 || raw.status === 0, `status ${raw.status}`);
  const r = await fetch(`${c.url}/healthz`);
  assert.equal(r.status, 200);
});

test('access log: one JSON line per request, credentials redacted', async () => {
  const secret = 'Bearer sk_live_SUPERSECRET_0123456789';
  await fetch(`${c.url}/healthz`, {
    headers: { Authorization: secret, 'api-key': 'ap_SECRETKEYVALUE', Token1: 't1SECRET', Token2: 't2SECRET',
      appsecret: 'appSECRET', 'x-api-secret': 'xSECRET', 'X-Request-Id': 'log-check-1' },
  });
  const line = await c.waitLine(/"request_id":"log-check-1"/);
  const obj = JSON.parse(line);
  assert.equal(obj.msg, 'access');
  assert.equal(obj.status, 200);
  assert.equal(obj.path, '/healthz');
  assert.equal(obj.credentials.authorization, '[redacted]');
  assert.equal(obj.credentials['api-key'], '[redacted]');
  assert.equal(obj.credentials.token1, '[redacted]');
  assert.equal(obj.credentials.appsecret, '[redacted]');
  assert.equal(obj.credentials['x-api-secret'], '[redacted]');
  assert.ok(!c.lines.join('\n').includes('SECRET'), 'a secret reached the log');
});

test('production mode refuses to start without a master key', () => {
  const r = run(['serve', '--mode', 'production', '--listen', '127.0.0.1:0',
    '--store', 'sqlite::memory:', '--master-key-file', '/nonexistent/master.key']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /production mode needs a master key/);
});

test('SIGTERM under load: every answered request is whole, exit 0', async () => {
  const d = await startCustos();
  let ok = 0, failed = 0, stop = false;
  const worker = async () => {
    while (!stop) {
      try {
        const r = await fetch(`${d.url}/healthz`);
        const t = await r.text();
        assert.equal(r.status, 200);
        assert.equal(t, '{"status":"ok"}');
        ok++;
      } catch (e) {
        if (e.code === 'ERR_ASSERTION') throw e;
        failed++; // refused after the listener closed
        await new Promise((res) => setTimeout(res, 5));
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((res) => setTimeout(res, 500));
  d.child.kill('SIGTERM');
  const ex = await d.exited;
  stop = true;
  await Promise.all(workers);
  assert.equal(ex.code, 0);
  assert.ok(ok > 50, `only ${ok} requests served`);
  assert.ok(d.lines.some((l) => /"msg":"stopped"/.test(l)));
  d.cleanup();
});

test('a flood of over-large heads: each gets the JSON 431 whole, nothing is logged per head', async () => {
  const d = await startCustos();
  const N = 100;
  // 200 KB: ten times the head buffer, so custos answers while the client
  // is still sending; its lingering close keeps a reset from destroying
  // the answer.
  const head = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'z'.repeat(200000)}\r\n\r\n`;
  for (let i = 0; i < N; i += 10) {
    const rs = await Promise.all(Array.from({ length: 10 }, () => rawRequest(d.port, head)));
    for (const r of rs) {
      assert.equal(r.status, 431);
      assert.match(r.head, /\r\nConnection: close(\r\n|$)/);
      assert.equal(JSON.parse(r.body).error.code, 'headers_too_large');
    }
  }
  assert.equal((await fetch(`${d.url}/healthz`)).status, 200);
  const ex = await d.stop();
  assert.equal(ex.code, 0);
  const warns = d.lines.filter((l) => /"level":"(warn|error)","msg":"http/.test(l));
  assert.deepEqual(warns, []);
  // Each head is one access line with its 431, like any request.
  assert.equal(d.lines.filter((l) => /"msg":"access".*"status":431/.test(l)).length, N);
  d.cleanup();
});
