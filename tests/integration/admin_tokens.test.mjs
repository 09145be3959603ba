// Admin tokens (/admin/v1/admin-tokens, `custos admin token …`) and the
// `custos admin init` race, on SQLite and (with CUSTOS_TEST_PG_URL)
// PostgreSQL: a leaked token is revoked without store access and refused at
// once, on every node; the last active token needs force, and after that
// `custos admin init` lets the operator back in; concurrent inits on an
// empty store make exactly one token; `custos admin init --replace` shuts
// out every active token (a lost or leaked last one) and makes one new one.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, startCustos, run, tempDir, adminInit, freshPgDatabase } from './lib/custos.mjs';

const PG_URL = process.env.CUSTOS_TEST_PG_URL;
const requirePg = process.env.CUSTOS_REQUIRE_PG === '1';
if (requirePg && !PG_URL) throw new Error('CUSTOS_REQUIRE_PG=1 but CUSTOS_TEST_PG_URL is not set');
const pgSkip = PG_URL ? false : 'no PostgreSQL (set CUSTOS_TEST_PG_URL)';

const TOKEN_FIELDS = ['created_at', 'current', 'id', 'name', 'revoked_at', 'status'];
const LAST_BODY = (rid) => '{"error":{"code":"conflict","message":"this is the last active admin token; revoking it locks '
  + 'the admin API until `custos admin init` is run with store access (send {\\"force\\":true} to do it anyway)"},'
  + `"request_id":"${rid}"}`;
const UNAUTHORIZED = (rid) => `{"error":{"code":"unauthorized","message":"admin token required"},"request_id":"${rid}"}`;

async function call(node, token, method, path, body, rid = 'rid-at') {
  const headers = { Authorization: `Bearer ${token}`, 'X-Request-Id': rid };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${node.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, text, json };
}

// Runs `custos ARGS…` without waiting, so several run at once.
function runAsync(args, env = {}) {
  return new Promise((resolve) => {
    const ch = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    ch.stdout.on('data', (d) => { stdout += d; });
    ch.stderr.on('data', (d) => { stderr += d; });
    ch.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function suite(kind) {
  const skip = kind === 'postgres' ? pgSkip : false;
  describe(`admin tokens on ${kind}`, { skip }, () => {
    let dir, store, A, B, init;
    const texts = []; // every admin token handed out

    before(async () => {
      dir = tempDir('custos-admtok-');
      store = kind === 'sqlite' ? `sqlite:${dir}/custos.db` : freshPgDatabase(PG_URL);
      init = adminInit({ store, dir, name: 'bootstrap' });
      assert.equal(init.status, 0, init.stderr);
      texts.push(init.token);
      A = await startCustos({ dir, store });
      // A second node on the same store: on PostgreSQL, what many nodes are.
      if (kind === 'postgres') B = await startCustos({ dir, store });
    });
    after(async () => {
      for (const n of [A, B]) {
        if (!n) continue;
        const ex = await n.stop();
        assert.equal(ex.code, 0, `custos exited with ${ex.code} ${ex.signal}`);
        for (const t of texts) assert.ok(!n.lines.some((l) => l.includes(t)), 'an admin token reached the log');
      }
      A?.cleanup();
      B?.cleanup();
    });

    test('create, list, get: the text once, only in the create answer', async () => {
      let r = await call(A, init.token, 'POST', '/admin/v1/admin-tokens', { name: 'ci runner' });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(Object.keys(r.json).sort(), [...TOKEN_FIELDS, 'token'].sort());
      assert.match(r.json.id, /^adm_[0-9A-Za-z]{22}$/);
      assert.match(r.json.token, /^cadm_[0-9A-Za-z]+$/);
      assert.deepEqual({ ...r.json, id: 'x', token: 'x', created_at: 0 },
        { id: 'x', token: 'x', name: 'ci runner', status: 'active', created_at: 0, revoked_at: null, current: false });
      const ci = r.json;
      texts.push(ci.token);
      // The new token works, and the list marks whose request it is.
      r = await call(A, ci.token, 'GET', '/admin/v1/admin-tokens');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.next, null);
      assert.deepEqual(r.json.data.map((t) => [t.id, t.name, t.status, t.current]).sort(),
        [[init.id, 'bootstrap', 'active', false], [ci.id, 'ci runner', 'active', true]].sort());
      for (const t of r.json.data) assert.deepEqual(Object.keys(t).sort(), TOKEN_FIELDS);
      assert.ok(!r.text.includes('cadm_'), 'a list carries token text');
      r = await call(A, init.token, 'GET', '/admin/v1/admin-tokens?limit=1');
      assert.equal(r.json.data.length, 1);
      assert.equal(r.json.next, r.json.data[0].id);
      r = await call(A, init.token, 'GET', `/admin/v1/admin-tokens/${ci.id}`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { id: ci.id, name: 'ci runner', status: 'active', created_at: ci.created_at, revoked_at: null, current: false });
      r = await call(A, init.token, 'GET', '/admin/v1/admin-tokens/adm_nope', undefined, 'rid-404');
      assert.equal(r.status, 404);
      assert.equal(r.text, '{"error":{"code":"not_found","message":"no such admin token"},"request_id":"rid-404"}');
      // Bad input changes nothing.
      for (const [body, want] of [
        [{}, '{"error":{"code":"missing_field","message":"field \'name\' is required","field":"name"},"request_id":"rid-400"}'],
        [{ name: '' }, '{"error":{"code":"invalid_field","message":"field \'name\' must not be empty","field":"name"},"request_id":"rid-400"}'],
        [{ name: 'x', scopes: [] }, null],
      ]) {
        r = await call(A, init.token, 'POST', '/admin/v1/admin-tokens', body, 'rid-400');
        assert.equal(r.status, 400, r.text);
        if (want) assert.equal(r.text, want);
      }
      r = await call(A, init.token, 'GET', '/admin/v1/admin-tokens');
      assert.equal(r.json.data.length, 2);
      // Audited, with the creator as actor and never the text.
      r = await call(A, init.token, 'GET', `/admin/v1/audit?action=admin_token.create&target=${ci.id}`);
      assert.equal(r.json.data.length, 1);
      assert.equal(r.json.data[0].actor, init.id);
      assert.deepEqual(r.json.data[0].detail, { name: 'ci runner' });
      assert.ok(!r.text.includes(ci.token));
    });

    test('a leaked token is revoked through the API and refused at once (on every node)', async () => {
      let r = await call(A, init.token, 'POST', '/admin/v1/admin-tokens', { name: 'leaked' });
      const leaked = r.json;
      texts.push(leaked.token);
      const nodes = B ? [A, B] : [A];
      for (const n of nodes) assert.equal((await call(n, leaked.token, 'GET', '/admin/v1/accounts')).status, 200);
      r = await call(A, init.token, 'POST', `/admin/v1/admin-tokens/${leaked.id}/revoke`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.status, 'revoked');
      assert.ok(Math.abs(r.json.revoked_at - Date.now() / 1000) < 60);
      const revokedAt = r.json.revoked_at;
      // Admin tokens are not cached: the very next request, on any node, is refused.
      for (const n of nodes) {
        const x = await call(n, leaked.token, 'GET', '/admin/v1/accounts', undefined, 'rid-401');
        assert.equal(x.status, 401);
        assert.equal(x.text, UNAUTHORIZED('rid-401'));
      }
      // Idempotent: same answer, first revoked_at kept, one audit event.
      r = await call((B || A), init.token, 'POST', `/admin/v1/admin-tokens/${leaked.id}/revoke`, {});
      assert.equal(r.status, 200);
      assert.equal(r.json.revoked_at, revokedAt);
      r = await call(A, init.token, 'GET', `/admin/v1/audit?action=admin_token.revoke&target=${leaked.id}`);
      assert.equal(r.json.data.length, 1);
      assert.equal(r.json.data[0].actor, init.id);
      assert.deepEqual(r.json.data[0].detail, { name: 'leaked', forced: false });
      r = await call(A, init.token, 'POST', '/admin/v1/admin-tokens/adm_nope/revoke');
      assert.equal(r.status, 404);
      r = await call(A, init.token, 'POST', `/admin/v1/admin-tokens/${leaked.id}/revoke`, { force: 'yes' });
      assert.equal(r.status, 400);
    });

    test('CLI: admin token create | list | show | revoke', () => {
      const env = { CUSTOS_URL: A.url, CUSTOS_ADMIN_TOKEN: init.token };
      let r = run(['admin', 'token', 'create', '--name', 'from cli'], { env });
      assert.equal(r.status, 0, r.stderr);
      const text = /^secret: (cadm_[0-9A-Za-z]+)$/m.exec(r.stdout)[1];
      texts.push(text);
      const id = /^id: +(adm_[0-9A-Za-z]{22})$/m.exec(r.stdout)[1];
      assert.match(r.stdout, /^name: +from cli$/m);
      assert.match(r.stdout, /Save this secret now: it will not be shown again\./);
      assert.equal(r.stdout.split(text).length, 2, 'the token is printed once');
      r = run(['admin', 'token', 'list'], { env });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^ID +NAME +STATUS +CREATED +REVOKED +CURRENT$/m);
      assert.match(r.stdout, new RegExp(`^${id} +from cli +active .* false$`, 'm'));
      assert.match(r.stdout, new RegExp(`^${init.id} +bootstrap +active .* true$`, 'm'));
      assert.ok(!r.stdout.includes('cadm_'));
      r = run(['admin', 'token', 'show', id, '--json'], { env });
      assert.equal(JSON.parse(r.stdout).name, 'from cli');
      r = run(['admin', 'token', 'revoke', id], { env });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^status: +revoked$/m);
      r = run(['admin', 'token', 'list'], { env: { ...env, CUSTOS_ADMIN_TOKEN: text } });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /admin token required \(HTTP 401/);
      // Usage errors: exit 2, before any request.
      r = run(['admin', 'token', 'create'], { env });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /custos admin token create: --name is required/);
      r = run(['admin', 'token', 'list', '--force'], { env });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--force applies to revoke only/);
      r = run(['admin', 'token', '--help'], { env });
      assert.equal(r.status, 0);
      assert.match(r.stdout, /custos admin token revoke ID \[--force\]/);
    });

    test('the last active token: 409 unless forced, then admin init recovers', async () => {
      // Revoke every other active token, leaving init's as the last one.
      let r = await call(A, init.token, 'GET', '/admin/v1/admin-tokens');
      for (const t of r.json.data.filter((x) => x.status === 'active' && x.id !== init.id)) {
        assert.equal((await call(A, init.token, 'POST', `/admin/v1/admin-tokens/${t.id}/revoke`)).status, 200);
      }
      r = await call(A, init.token, 'POST', `/admin/v1/admin-tokens/${init.id}/revoke`, undefined, 'rid-409');
      assert.equal(r.status, 409);
      assert.equal(r.text, LAST_BODY('rid-409'));
      r = await call(A, init.token, 'POST', `/admin/v1/admin-tokens/${init.id}/revoke`, { force: false }, 'rid-409');
      assert.equal(r.status, 409);
      // Still works: nothing changed.
      assert.equal((await call(A, init.token, 'GET', `/admin/v1/admin-tokens/${init.id}`)).json.status, 'active');
      const cli = run(['admin', 'token', 'revoke', init.id], { env: { CUSTOS_URL: A.url, CUSTOS_ADMIN_TOKEN: init.token } });
      assert.equal(cli.status, 1);
      assert.match(cli.stderr, /this is the last active admin token; .* \(HTTP 409 conflict\)/);
      // Forced: the caller locks itself (and everyone) out.
      const forced = run(['admin', 'token', 'revoke', init.id, '--force'], { env: { CUSTOS_URL: A.url, CUSTOS_ADMIN_TOKEN: init.token } });
      assert.equal(forced.status, 0, forced.stderr);
      assert.match(forced.stdout, /^status: +revoked$/m);
      for (const n of B ? [A, B] : [A]) assert.equal((await call(n, init.token, 'GET', '/admin/v1/admin-tokens')).status, 401);
      // Store access lets the operator back in.
      const again = adminInit({ store, dir, name: 'recovered' });
      assert.equal(again.status, 0, again.stderr);
      texts.push(again.token);
      r = await call(A, again.token, 'GET', '/admin/v1/admin-tokens');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.data.filter((t) => t.status === 'active').map((t) => t.name), ['recovered']);
      r = await call(A, again.token, 'GET', `/admin/v1/audit?action=admin_token.revoke&target=${init.id}`);
      assert.deepEqual(r.json.data.map((e) => e.detail), [{ name: 'bootstrap', forced: true }]);
    });
  });

  describe(`admin init --replace on ${kind}`, { skip }, () => {
    let dir, store, nodes = [];
    before(async () => {
      dir = tempDir('custos-replace-');
      store = kind === 'sqlite' ? `sqlite:${dir}/custos.db` : freshPgDatabase(PG_URL);
      nodes.push(await startCustos({ dir, store }));
      if (kind === 'postgres') nodes.push(await startCustos({ dir, store }));
    });
    after(async () => {
      for (const n of nodes) { await n.stop(); n.cleanup(); }
    });

    test('revokes every active token at once and prints one new token, audited', async () => {
      const first = adminInit({ store, dir, name: 'lost' });
      assert.equal(first.status, 0, first.stderr);
      const made = await call(nodes[0], first.token, 'POST', '/admin/v1/admin-tokens', { name: 'leaked' });
      assert.equal(made.status, 201, made.text);
      const revokedBefore = await call(nodes[0], first.token, 'POST', '/admin/v1/admin-tokens', { name: 'old' });
      assert.equal((await call(nodes[0], first.token, 'POST', `/admin/v1/admin-tokens/${revokedBefore.json.id}/revoke`)).status, 200);
      for (const n of nodes) assert.equal((await call(n, made.json.token, 'GET', '/admin/v1/admin-tokens')).status, 200);

      const rep = adminInit({ store, dir, name: 'replacement', extra: ['--replace'] });
      assert.equal(rep.status, 0, rep.stderr);
      assert.match(rep.stdout, /^cadm_[0-9A-Za-z_]+\n$/);
      assert.match(rep.stderr, /^2 active admin token\(s\) revoked$/m);
      assert.match(rep.stderr, /^admin token adm_\w+ \("replacement"\) created; it is shown only this once$/m);
      // Refused at once by every running node: admin tokens are not cached.
      for (const n of nodes) {
        for (const old of [first.token, made.json.token]) {
          const r = await call(n, old, 'GET', '/admin/v1/admin-tokens', undefined, 'rid-old');
          assert.equal(r.status, 401);
          assert.equal(r.text, UNAUTHORIZED('rid-old'));
        }
      }
      const r = await call(nodes[nodes.length - 1], rep.token, 'GET', '/admin/v1/admin-tokens');
      assert.equal(r.status, 200, r.text);
      const active = r.json.data.filter((t) => t.status === 'active');
      assert.deepEqual(active.map((t) => [t.id, t.name, t.current]), [[rep.id, 'replacement', true]]);
      const byId = Object.fromEntries(r.json.data.map((t) => [t.id, t]));
      assert.equal(byId[first.id].revoked_at, byId[rep.id].created_at);
      assert.equal(byId[made.json.id].revoked_at, byId[rep.id].created_at);
      // The token revoked earlier keeps its own revocation (and no second event).
      assert.notEqual(byId[revokedBefore.json.id].revoked_at, null);

      const ev = (await call(nodes[0], rep.token, 'GET', '/admin/v1/audit?action=admin_token.&actor=cli:admin-init')).json.data;
      const revokes = ev.filter((e) => e.action === 'admin_token.revoke').map((e) => [e.target, e.detail]);
      assert.deepEqual(revokes.sort(), [
        [first.id, { name: 'lost', forced: true, replaced_by: rep.id }],
        [made.json.id, { name: 'leaked', forced: true, replaced_by: rep.id }],
      ].sort());
      const creates = ev.filter((e) => e.action === 'admin_token.create').map((e) => [e.target, e.detail]);
      assert.deepEqual(creates, [[first.id, null], [rep.id, { name: 'replacement', replaced: 2 }]]);
    });

    test('4 at once: all succeed one after another, exactly one token stays active', async () => {
      const flags = ['--store', store, '--master-key-file', `${dir}/master.key`];
      const rs = await Promise.all(Array.from({ length: 4 }, (_, i) => runAsync(['admin', 'init', '--replace', '--name', `r${i}`, ...flags])));
      for (const x of rs) assert.equal(x.status, 0, x.stderr);
      // Each revoked exactly the one token active before it: taking turns.
      for (const x of rs) assert.match(x.stderr, /^1 active admin token\(s\) revoked$/m);
      const tokens = rs.map((x) => x.stdout.trim());
      const ok = [];
      for (const t of tokens) ok.push((await call(nodes[0], t, 'GET', '/admin/v1/admin-tokens')).status);
      assert.deepEqual(ok.filter((s) => s === 200).length, 1, ok.join(' '));
      const last = tokens[ok.indexOf(200)];
      const r = await call(nodes[0], last, 'GET', '/admin/v1/admin-tokens?limit=100');
      assert.equal(r.json.data.filter((t) => t.status === 'active').length, 1);
    });

    test('usage names --replace', () => {
      const r = run(['admin', 'init', '--help']);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /custos admin init \[--name NAME\] \[--replace\]/);
    });
  });

  describe(`concurrent admin init on ${kind}`, { skip }, () => {
    for (const fresh of [true, false]) {
      test(`8 at once on ${fresh ? 'an empty (unmigrated)' : 'a migrated'} store: exactly one token`, async () => {
        const dir = tempDir('custos-initrace-');
        const store = kind === 'sqlite' ? `sqlite:${dir}/custos.db` : freshPgDatabase(PG_URL);
        const flags = ['--store', store, '--master-key-file', `${dir}/master.key`];
        if (!fresh) assert.equal(run(['migrate', '--store', store]).status, 0);
        const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => runAsync(['admin', 'init', '--name', `n${i}`, ...flags])));
        const ok = rs.filter((r) => r.status === 0);
        assert.equal(ok.length, 1, rs.map((r) => `${r.status}: ${r.stderr}`).join('\n'));
        for (const r of rs.filter((x) => x.status !== 0)) {
          assert.equal(r.status, 1, r.stderr);
          assert.equal(r.stdout, '');
          assert.match(r.stderr, /^custos admin init: refused: 1 active admin token\(s\) already exist; use one of them with the admin API/m);
        }
        const token = ok[0].stdout.trim();
        const c = await startCustos({ dir, store });
        try {
          const r = await call(c, token, 'GET', '/admin/v1/admin-tokens');
          assert.equal(r.status, 200, r.text);
          assert.equal(r.json.data.length, 1);
          assert.equal(r.json.data[0].status, 'active');
        } finally {
          await c.stop();
          c.cleanup();
        }
      });
    }
  });
}

suite('sqlite');
suite('postgres');
