// GET /.well-known/jwks.json against npm `jose`: custos publishes its
// signing keys, `createRemoteJWKSet` pointed at custos verifies tokens that
// custos signed (through the test aid `custos keys sign`), and
// `custos keys rotate` run as another process reaches the running server
// within a second — by polling on SQLite, by NOTIFY on PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { startCustos, run } from './lib/custos.mjs';
import { startPrivatePg } from './lib/pg.mjs';

const ALGS = ['RS256', 'ES256', 'EdDSA'];
const requirePg = process.env.CUSTOS_REQUIRE_PG === '1';
const skipPg = !requirePg && !process.env.CUSTOS_TEST_PG_URL ? 'no PostgreSQL (set CUSTOS_TEST_PG_URL)' : false;

function storeFlags(c, store) {
  return ['--store', store, '--master-key-file', `${c.dir}/master.key`];
}

function keysSign(c, store, alg, claims) {
  const r = run(['keys', 'sign', '--alg', alg, JSON.stringify(claims), ...storeFlags(c, store)]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

async function jwks(c) {
  const r = await fetch(`${c.url}/.well-known/jwks.json`);
  assert.equal(r.status, 200);
  return (await r.json()).keys;
}

function kidsIn(keys) { return new Set(keys.map((k) => k.kid)); }

async function verifyWithJose(c, token) {
  // A fresh remote set each time: no cache carried between steps.
  const set = createRemoteJWKSet(new URL(`${c.url}/.well-known/jwks.json`));
  return jwtVerify(token, set, { issuer: 'custos-test', audience: 'api' });
}

async function rotationScenario(store, c) {
  const claims = { iss: 'custos-test', aud: 'api', sub: 'user-1', exp: Math.floor(Date.now() / 1000) + 600 };
  const before = {};
  for (const alg of ALGS) {
    const token = keysSign(c, store, alg, claims);
    const { payload, protectedHeader } = await verifyWithJose(c, token);
    assert.equal(payload.sub, 'user-1');
    assert.equal(protectedHeader.alg, alg);
    before[alg] = token;
  }

  // Rotate one alg from another process; the running server publishes
  // the new next key within a second.
  const listed = JSON.parse(run(['keys', 'list', '--json', '--store', store]).stdout);
  const nextKid = listed.find((k) => k.alg === 'ES256' && k.state === 'next').kid;
  const activeKid = listed.find((k) => k.alg === 'ES256' && k.state === 'active').kid;
  const r = run(['keys', 'rotate', '--alg', 'ES256', ...storeFlags(c, store)]);
  assert.equal(r.status, 0, r.stderr);
  const newKid = /ES256: new next key (\S+)/.exec(r.stdout)[1];
  const t0 = Date.now();
  let seen = false;
  while (!seen && Date.now() - t0 < 1500) {
    seen = kidsIn(await jwks(c)).has(newKid);
    if (!seen) await new Promise((res) => setTimeout(res, 50));
  }
  assert.ok(seen, 'the new next key was not published within 1.5 s');
  assert.ok(Date.now() - t0 < 1300, `publication took ${Date.now() - t0} ms`);

  // The retired key still verifies the old token; new tokens use the
  // former next key.
  const after = await jwks(c);
  assert.ok(kidsIn(after).has(activeKid), 'retired key must stay published');
  await verifyWithJose(c, before.ES256);
  const fresh = keysSign(c, store, 'ES256', claims);
  assert.equal(decodeProtectedHeader(fresh).kid, nextKid);
  await verifyWithJose(c, fresh);
  // Other algs did not move.
  assert.equal(decodeProtectedHeader(keysSign(c, store, 'RS256', claims)).kid,
    decodeProtectedHeader(before.RS256).kid);
}

test('JWKS: headers, ETag revalidation, no private members', async () => {
  const c = await startCustos({ args: ['--set', `signing.algs=${ALGS.join(',')}`] });
  try {
    const r = await fetch(`${c.url}/.well-known/jwks.json`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('cache-control'), 'public, max-age=300');
    const etag = r.headers.get('etag');
    assert.match(etag, /^"[A-Za-z0-9_-]{22}"$/);
    const { keys } = await r.json();
    assert.equal(keys.length, 2 * ALGS.length); // active + next per alg
    for (const k of keys) {
      assert.equal(k.use, 'sig');
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(k[priv], undefined);
    }
    const r304 = await fetch(`${c.url}/.well-known/jwks.json`, { headers: { 'If-None-Match': `"x", ${etag}` } });
    assert.equal(r304.status, 304);
    assert.equal(r304.headers.get('etag'), etag);
    assert.equal(await r304.text(), '');
    const r200 = await fetch(`${c.url}/.well-known/jwks.json`, { headers: { 'If-None-Match': '"other"' } });
    assert.equal(r200.status, 200);
    await r200.arrayBuffer();
  } finally {
    await c.stop();
    c.cleanup();
  }
});

test('npm jose verifies custos tokens through the JWKS; rotation reaches a SQLite node', async () => {
  const c = await startCustos({ args: ['--set', `signing.algs=${ALGS.join(',')}`] });
  const store = `sqlite:${c.dir}/custos.db`;
  try {
    await rotationScenario(store, c);
  } finally {
    await c.stop();
    c.cleanup();
  }
});

test('rotation reaches a PostgreSQL node by NOTIFY', { skip: skipPg }, async () => {
  const pg = startPrivatePg();
  const c = await startCustos({ store: pg.url, args: ['--set', `signing.algs=${ALGS.join(',')}`] });
  try {
    await rotationScenario(pg.url, c);
  } finally {
    await c.stop();
    c.cleanup();
    pg.destroy();
  }
});

test('keys CLI: wrong master key is a clear error; usage errors exit 2', async () => {
  const c = await startCustos({ args: ['--set', 'signing.algs=EdDSA'] });
  const store = `sqlite:${c.dir}/custos.db`;
  try {
    const bad = run(['keys', 'sign', '--alg', 'EdDSA', '{"sub":"x"}', '--store', store],
      { env: { CUSTOS_MASTER_KEY: '00'.repeat(32) } });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /cannot unseal signing key .*wrong master key/);
    assert.equal(run(['keys', 'rotate', '--alg', 'HS256', ...storeFlags(c, store)]).status, 2);
    assert.equal(run(['keys', 'frob', '--store', store]).status, 2);
    assert.equal(run(['keys', 'list', '--alg', 'EdDSA', '--store', store]).status, 2);
    const list = run(['keys', 'list', '--store', store]);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^KID\s+ALG\s+STATE\s+CREATED\s+ACTIVATED\s+RETIRED\s+PURGED$/m);
    assert.match(list.stdout, /EdDSA\s+active/);
  } finally {
    await c.stop();
    c.cleanup();
  }
});
