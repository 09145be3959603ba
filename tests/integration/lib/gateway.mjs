// Real gateways for the integration tests: nginx and Caddy from the
// examples/gateway templates, and the sample platform API, each on a free
// loopback port, in the foreground, with pid, logs and temp files inside a
// temp dir, stopped by their own pid. A missing binary is an error, never a
// skip (scripts/deps.sh test installs them).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { SOURCE_DIR } from './custos.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function requireBinary(name) {
  const r = spawnSync('bash', ['-c', `command -v ${name} || ls /usr/sbin/${name} 2>/dev/null`], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n')[0];
  if (r.status !== 0 || !path) throw new Error(`${name} is not installed: run scripts/deps.sh test`);
  return path;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// Until a TCP connect to port succeeds (or the child exits).
async function waitPort(port, child, log, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before listening:\n${log()}`);
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); res(true); });
      s.on('error', () => res(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`not listening on ${port}:\n${log()}`);
}

function track(child) {
  const out = [];
  child.stdout?.on('data', (d) => out.push(d.toString()));
  child.stderr?.on('data', (d) => out.push(d.toString()));
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return { out, exited };
}

function stopper(child, exited) {
  return async (signal = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const t = setTimeout(() => { if (child.exitCode === null) child.kill('SIGKILL'); }, 5000);
    const r = await exited;
    clearTimeout(t);
    return r;
  };
}

// The sample platform (examples/platform/server.mjs).
export async function startPlatform() {
  const child = spawn(process.execPath, [join(SOURCE_DIR, 'examples/platform/server.mjs'), '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const { out, exited } = track(child);
  const end = Date.now() + 15000;
  let m;
  while (!(m = /platform listening on 127\.0\.0\.1:(\d+)/.exec(out.join('')))) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`platform did not start: ${out.join('')}`);
    await sleep(20);
  }
  const port = Number(m[1]);
  return { child, port, addr: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, stop: stopper(child, exited) };
}

// Fills a template ({{DIR}}, {{LISTEN}}, {{CUSTOS}}, {{PLATFORM}}).
export function fill(template, vars) {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (all, k) => {
    if (!(k in vars)) throw new Error(`template variable ${k} not given`);
    return vars[k];
  });
}

// Starts a gateway ('nginx' | 'caddy') in dir/<kind>: {url, port, dir, stop,
// log()}. `edit(text)` may change the filled config (e.g. more upstreams).
export async function startGateway(kind, { dir, custos, platform, edit = (t) => t }) {
  const bin = requireBinary(kind);
  const d = join(dir, kind);
  mkdirSync(d, { recursive: true });
  const tmpl = readFileSync(join(SOURCE_DIR, 'examples/gateway', kind === 'nginx' ? 'nginx.conf' : 'Caddyfile'), 'utf8');
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const text = edit(fill(tmpl, { DIR: d, LISTEN: `127.0.0.1:${port}`, CUSTOS: custos, PLATFORM: platform }));
    let child;
    if (kind === 'nginx') {
      writeFileSync(join(d, 'nginx.conf'), text);
      child = spawn(bin, ['-p', d, '-c', join(d, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    } else {
      writeFileSync(join(d, 'Caddyfile'), text);
      child = spawn(bin, ['run', '--config', join(d, 'Caddyfile'), '--adapter', 'caddyfile'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, HOME: d, XDG_DATA_HOME: join(d, 'data'), XDG_CONFIG_HOME: join(d, 'config') },
      });
    }
    const { out, exited } = track(child);
    const log = () => {
      const f = join(d, kind === 'nginx' ? 'error.log' : 'caddy.log');
      return out.join('') + (existsSync(f) ? readFileSync(f, 'utf8') : '');
    };
    try {
      await waitPort(port, child, log);
    } catch (e) {
      await stopper(child, exited)();
      if (/address already in use/i.test(log()) && attempt < 4) continue;
      throw e;
    }
    return { kind, child, port, dir: d, url: `http://127.0.0.1:${port}`, log, stop: stopper(child, exited) };
  }
  throw new Error('no free port');
}
