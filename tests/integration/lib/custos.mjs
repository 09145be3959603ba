// Starts the real custos binary on a free loopback port and talks HTTP to it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

export const BIN = process.env.CUSTOS_BIN;
export const SOURCE_DIR = process.env.CUSTOS_SOURCE_DIR;
if (!BIN) throw new Error('CUSTOS_BIN is not set (run through ctest)');

export function tempDir(prefix = 'custos-int-') {
  return mkdtempSync(join(process.env.CUSTOS_TEST_TMP || tmpdir(), prefix));
}

// Runs `custos ARGS…` to completion; returns {status, stdout, stderr}.
export function run(args, { env = {}, input } = {}) {
  const r = spawnSync(BIN, args, { env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Starts `custos serve` with a private SQLite store and master key unless
// args say otherwise. Resolves once the "listening" line appears.
export async function startCustos({ args = [], env = {}, dir = tempDir(), store } = {}) {
  const base = ['serve', '--listen', '127.0.0.1:0',
    '--store', store || `sqlite:${dir}/custos.db`,
    '--master-key-file', `${dir}/master.key`];
  const child = spawn(BIN, [...base, ...args], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  let partial = '';
  const waiters = [];
  const onData = (d) => {
    partial += d.toString('utf8');
    let i;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      lines.push(line);
      for (const w of waiters.slice()) if (w.re.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    }
  };
  child.stderr.on('data', onData);
  child.stdout.on('data', onData);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const waitLine = (re, ms = 15000) => new Promise((resolve, reject) => {
    const hit = lines.find((l) => re.test(l));
    if (hit) return resolve(hit);
    const w = { re, resolve };
    waiters.push(w);
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${re}; log:\n${lines.join('\n')}`)), ms);
    exited.then(() => setTimeout(() => reject(new Error(`custos exited; log:\n${lines.join('\n')}`)), 100));
    w.resolve = (l) => { clearTimeout(t); resolve(l); };
  });
  const listening = await waitLine(/listening on 127\.0\.0\.1:(\d+)/);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(listening)[1]);
  const url = `http://127.0.0.1:${port}`;
  return {
    child, port, url, dir, lines, waitLine, exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

// A raw HTTP/1.1 exchange over one socket, for requests fetch() refuses to
// send (bad framing, huge headers). Returns {status, headers, body}.
export function rawRequest(port, text, { timeout = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks = [];
    s.setTimeout(timeout, () => { s.destroy(); reject(new Error('raw request timed out')); });
    s.on('data', (d) => chunks.push(d));
    s.on('error', (e) => { if (chunks.length) finish(); else reject(e); });
    s.on('end', finish);
    s.on('close', finish);
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const all = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(all);
      const sep = all.indexOf('\r\n\r\n');
      resolve({ status: m ? Number(m[1]) : 0, head: sep >= 0 ? all.slice(0, sep) : all, body: sep >= 0 ? all.slice(sep + 4) : '' });
    }
    s.write(text);
  });
}

// Runs `custos admin init` against `store` and returns {status, token, id,
// stdout, stderr}; token is the one stdout line, id the adm_… from stderr.
// `extra` are more arguments (e.g. ['--replace']).
export function adminInit({ store, dir, name, env = {}, extra = [] } = {}) {
  const args = ['admin', 'init', '--store', store, ...extra];
  if (dir) args.push('--master-key-file', `${dir}/master.key`);
  if (name) args.push('--name', name);
  const r = run(args, { env });
  const token = r.status === 0 ? r.stdout.trim() : null;
  const m = /admin token (adm_[0-9A-Za-z]+)/.exec(r.stderr || '');
  return { ...r, token, id: m ? m[1] : null };
}

// A new, empty database on the PostgreSQL server of `url` (created by the
// URL's user, who must be allowed CREATE DATABASE); returns its URL.
export function freshPgDatabase(url, prefix = 'custos_t') {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const r = spawnSync('psql', [url, '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${name}`],
    { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`CREATE DATABASE failed: ${r.stderr}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
