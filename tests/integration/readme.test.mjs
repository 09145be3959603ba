// The README's "Accounts, apps and API keys" block, run as written against
// a real server: only the binary path, the address and the temp file are
// substituted. Each documented `# {...}` answer must match what the
// command before it printed ("…" stands for any text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startCustos, BIN, SOURCE_DIR } from './lib/custos.mjs';

function block(md, heading) {
  const at = md.indexOf(heading);
  assert.ok(at >= 0, `README has no "${heading}"`);
  const m = /```sh\n([\s\S]*?)```/.exec(md.slice(at));
  assert.ok(m, `no sh block after "${heading}"`);
  return m[1];
}

const pattern = (doc) => new RegExp('^' + doc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/…/g, '.*') + '$');

test('README quick start: admin token, account, app, key accepted, revoked key refused', async () => {
  const md = readFileSync(join(SOURCE_DIR, 'README.md'), 'utf8');
  const script = block(md, '### Accounts, apps and API keys');
  const c = await startCustos();
  try {
    const run = script
      .replaceAll('build/release/custos', BIN)
      .replaceAll('localhost:8080', `127.0.0.1:${c.port}`)
      .replaceAll('/tmp/key.json', join(c.dir, 'key.json'));
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', run], {
      encoding: 'utf8', timeout: 60000,
      env: { ...process.env, CUSTOS_STORE_URL: `sqlite:${c.dir}/custos.db`,
        CUSTOS_SECRETS_MASTER_KEY_FILE: `${c.dir}/master.key` },
    });
    assert.equal(r.status, 0, r.stderr);
    // curl prints bodies without a newline: split the concatenated objects.
    const printed = r.stdout.replace(/\}(?=\{)/g, '}\n').split('\n').filter((l) => l.startsWith('{'));
    const documented = script.split('\n').filter((l) => l.startsWith('# {')).map((l) => l.slice(2));
    // printed: key creation (tee), whoami ok, revoke answer, whoami refused
    assert.equal(printed.length, 4, r.stdout);
    assert.match(printed[1], pattern(documented[0]));
    assert.match(printed[3], pattern(documented[1]));
    assert.equal(JSON.parse(printed[2]).status, 'revoked');
  } finally {
    await c.stop();
    c.cleanup();
  }
});
