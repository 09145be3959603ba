// custos serve on PostgreSQL: ready while the database is, 503 (not a hang,
// not a crash) while it is down, ready again once it is back; a database
// newer than the binary is refused with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCustos, run } from './lib/custos.mjs';
import { startPrivatePg } from './lib/pg.mjs';

const requirePg = process.env.CUSTOS_REQUIRE_PG === '1';
const skip = !requirePg && !process.env.CUSTOS_TEST_PG_URL ? 'no PostgreSQL (set CUSTOS_TEST_PG_URL)' : false;

async function fetchWithin(url, ms) {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), ms);
  try { return await fetch(url, { signal: ac.signal }); } finally { clearTimeout(t); }
}

test('readyz follows PostgreSQL down and back up', { skip }, async () => {
  const pg = startPrivatePg();
  const c = await startCustos({ store: pg.url });
  try {
    let r = await fetch(`${c.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ready', store: 'postgres' });

    pg.stop();
    const t0 = Date.now();
    r = await fetchWithin(`${c.url}/readyz`, 10000);
    assert.equal(r.status, 503);
    assert.equal((await r.json()).error.code, 'unavailable');
    assert.ok(Date.now() - t0 < 8000, 'readyz took too long while the store was down');
    r = await fetch(`${c.url}/healthz`);
    assert.equal(r.status, 200, 'liveness must not depend on the store');

    pg.start();
    let ready = false;
    for (let i = 0; i < 50 && !ready; i++) {
      r = await fetchWithin(`${c.url}/readyz`, 10000);
      ready = r.status === 200;
      await r.arrayBuffer();
      if (!ready) await new Promise((res) => setTimeout(res, 200));
    }
    assert.ok(ready, 'custos did not recover after PostgreSQL came back');
    const m = await (await fetch(`${c.url}/metrics`)).text();
    assert.match(m, /^custos_store_errors_total [1-9]\d*$/m);
  } finally {
    await c.stop();
    c.cleanup();
    pg.destroy();
  }
});

test('a database newer than the binary is refused', { skip }, async () => {
  const pg = startPrivatePg();
  try {
    let r = run(['migrate', '--store', pg.url]);
    assert.equal(r.status, 0, r.stderr);
    pg.psql('INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)');
    r = run(['migrate', '--store', pg.url]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /newer than this custos/);
    r = run(['serve', '--listen', '127.0.0.1:0', '--store', pg.url, '--master-key-file', `${pg.dir}/mk`]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /newer than this custos/);
  } finally {
    pg.destroy();
  }
});
