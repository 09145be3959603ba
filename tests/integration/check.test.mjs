// /v1/check, the gateway auth subrequest: how the original request is read
// (nginx, Traefik/Caddy, Envoy), what is refused before any profile runs,
// route policies (fail closed) and the policy file's strictness.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCustos, run, tempDir, rawRequest, SOURCE_DIR } from './lib/custos.mjs';

const POLICY = join(SOURCE_DIR, 'examples/policy.yaml');

async function get(url, path, { method = 'GET', headers = {} } = {}) {
  const r = await fetch(`${url}${path}`, { method, headers });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* empty */ }
  return { status: r.status, text, json, headers: r.headers };
}

describe('gateway check', () => {
  let c;
  before(async () => { c = await startCustos({ args: ['--set', `policy.file=${POLICY}`] }); });
  after(async () => { if (c) { await c.stop(); c.cleanup(); } });

  test('a matched route reaches its profile (thelayer: Token1 missing), in that profile\'s shape', async () => {
    for (const [path, headers] of [
      ['/v1/check', { 'X-Original-Method': 'GET', 'X-Original-URI': '/api/x?a=1' }],
      ['/v1/check', { 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/api/x?a=1' }],
      ['/v1/check/api/x?a=1', {}],
    ]) {
      const r = await get(c.url, path, { headers });
      assert.equal(r.status, 401, path);
      assert.equal(r.text, '{"error":{"code":"TOKEN1_MISSING","message":"Token1 header is required"}}');
    }
  });

  test('every method is accepted (Envoy keeps the original one)', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const r = await get(c.url, '/v1/check/api/x', { method });
      assert.equal(r.status, 401, method);
    }
    const h = await fetch(`${c.url}/v1/check/api/x`, { method: 'HEAD' });
    assert.equal(h.status, 401);
  });

  test('no policy matches: 403 no_policy in custos shape, whichever gateway', async () => {
    for (const [path, headers] of [
      ['/v1/check', { 'X-Original-Method': 'GET', 'X-Original-URI': '/other' }],
      ['/v1/check', { 'X-Forwarded-Method': 'PUT', 'X-Forwarded-Uri': '/' }],
      ['/v1/check/api', {}],       // "/api/**" needs the "/api/" prefix... "/api" itself matches ** with 0 segments
      ['/v1/check/apix/y', {}],
    ]) {
      const r = await get(c.url, path, { headers });
      if (path === '/v1/check/api') { assert.equal(r.status, 401); continue; }
      assert.equal(r.status, 403, path);
      assert.equal(r.json.error.code, 'no_policy');
      assert.match(r.json.error.message, /^no route policy matches /);
    }
  });

  test('the original request is required, and its parts together', async () => {
    let r = await get(c.url, '/v1/check');
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'missing_original_request');
    r = await get(c.url, '/v1/check/', {});
    assert.equal(r.status, 403); // Envoy, original path "/": no policy
    r = await get(c.url, '/v1/check', { headers: { 'X-Original-URI': '/api/x' } });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.message, 'X-Original-Method is required with X-Original-URI');
    r = await get(c.url, '/v1/check', { headers: { 'X-Forwarded-Method': 'GET' } });
    assert.equal(r.json.error.message, 'X-Forwarded-Uri is required with X-Forwarded-Method');
  });

  test('gateways that disagree are refused (a client header slipped through)', async () => {
    let r = await get(c.url, '/v1/check', { headers: {
      'X-Original-Method': 'GET', 'X-Original-URI': '/api/x', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/admin' } });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'bad_request');
    r = await get(c.url, '/v1/check/api/x', { headers: { 'X-Original-Method': 'GET', 'X-Original-URI': '/public' } });
    assert.equal(r.status, 400);
    r = await get(c.url, '/v1/check/api/x', { headers: { 'X-Original-Method': 'GET', 'X-Original-URI': '/api/x' } });
    assert.equal(r.status, 401); // agreeing is fine
  });

  test('bad original paths are 400 before any policy', async () => {
    const bad = ['/api/a%00b', '/api/%zz', '/api/%4', '/api/../admin', '/api/%2e%2e/admin', '/api/./x', `/api/${'a'.repeat(2100)}`, 'api/x'];
    for (const uri of bad) {
      const r = await get(c.url, '/v1/check', { headers: { 'X-Original-Method': 'GET', 'X-Original-URI': uri } });
      assert.equal(r.status, 400, uri);
      assert.equal(r.json.error.code, 'bad_request', uri);
    }
    for (const uri of bad.filter((u) => u.startsWith('/'))) {
      const raw = await rawRequest(c.port, `GET /v1/check${uri} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.equal(raw.status, 400, `envoy ${uri}`);
    }
    const r = await get(c.url, '/v1/check', { headers: { 'X-Original-Method': 'G3T', 'X-Original-URI': '/api/x' } });
    assert.equal(r.status, 400);
  });

  test('decoded once: %2F is a slash, %252F stays %2F', async () => {
    // "/api%2Fx" decodes to "/api/x" (policy matches); "/api%252Fx" to "/api%2Fx" (none).
    let r = await get(c.url, '/v1/check', { headers: { 'X-Original-Method': 'GET', 'X-Original-URI': '/api%2Fx' } });
    assert.equal(r.status, 401);
    r = await get(c.url, '/v1/check', { headers: { 'X-Original-Method': 'GET', 'X-Original-URI': '/api%252Fx' } });
    assert.equal(r.status, 403);
  });
});

describe('policy file', () => {
  test('no policy.file: every route is refused', async () => {
    const c = await startCustos();
    try {
      const r = await get(c.url, '/v1/check/api/x');
      assert.equal(r.status, 403);
      assert.equal(r.json.error.code, 'no_policy');
    } finally { await c.stop(); c.cleanup(); }
  });

  const BAD = [
    'routes:',
    '  - match: GIT /a',            // 2: bad method
    '    profile: thelayer',
    '  - match: GET /a/b*',          // 4: bad pattern
    '    profile: nope',             // 5: unknown profile
    '    colour: red',               // 6: unknown key
    '  - match: GET /c',
    '    profile: thelayer',
    '    class: root',               // 9: unknown class
    '    scopes: [A, A]',            // 10: repeated scope
    'other: 1',                      // 11: unknown top-level key
    '',
  ].join('\n');

  test('custos policy check lists every problem with its line', () => {
    const dir = tempDir('custos-policy-');
    writeFileSync(join(dir, 'bad.yaml'), BAD);
    const r = run(['policy', 'check', join(dir, 'bad.yaml')]);
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split('\n').map((l) => l.replace(`${dir}/bad.yaml:`, ''));
    for (const [n, re] of [[2, /unknown method "GIT"/], [4, /pattern "\/a\/b\*"/], [5, /unknown profile "nope"/],
      [6, /unknown key "colour"/], [9, /no class "root"/], [10, /"A" is listed twice/], [11, /unknown key "other"/]])
      assert.ok(lines.some((l) => l.startsWith(`${n}: `) && re.test(l)), `line ${n} ${re}: ${r.stderr}`);
    const ok = run(['policy', 'check', POLICY]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /: ok \(3 routes\)/);
    writeFileSync(join(dir, 'dup.yaml'), 'routes:\n  - match: GET /a\n    profile: thelayer\n  - match: GET /a\n    profile: thelayer\n');
    const dup = run(['policy', 'check', join(dir, 'dup.yaml')]);
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /:4: .*repeats the route at line 2/);
  });

  test('custos serve refuses to start with a bad policy file, listing the problems', () => {
    const dir = tempDir('custos-policy-');
    writeFileSync(join(dir, 'bad.yaml'), BAD);
    const r = run(['serve', '--listen', '127.0.0.1:0', '--store', `sqlite:${dir}/db`, '--master-key-file', `${dir}/mk`,
      '--set', `policy.file=${dir}/bad.yaml`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.yaml:2: .*unknown method/);
    assert.match(r.stderr, /bad\.yaml:11: /);
    assert.match(r.stderr, /not starting/);
  });
});
