// libcustos's in-process gateway decision, driven through tests/tools/
// check_tool.c (one long-running checker, one request per line).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const TOOL = process.env.CUSTOS_CHECK_TOOL;
if (!TOOL) throw new Error('CUSTOS_CHECK_TOOL is not set (run through ctest)');

// The YAML config a checker shares with the `custos serve` that
// startCustos() ran in `dir` (same store, same master key file).
export function checkerConfig(dir, { store, policy, extra = '' }) {
  const file = join(dir, 'checker.yaml');
  writeFileSync(file, [
    'store:', `  url: "${store}"`,
    'secrets:', `  master_key_file: "${dir}/master.key"`,
    'policy:', `  file: "${policy}"`,
    'log:', '  level: warn', extra, ''].join('\n'));
  return file;
}

// Starts check_tool on `config`; resolves once its checker is up.
export async function startChecker(config, { env = {} } = {}) {
  const child = spawn(TOOL, [config], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = [];
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w.resolve(l); else lines.push(l);
  });
  exited.then((e) => { for (const w of waiting.splice(0)) w.reject(new Error(`check_tool exited ${JSON.stringify(e)}: ${stderr}`)); });
  const next = () => new Promise((resolve, reject) => {
    if (lines.length) resolve(lines.shift());
    else if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`check_tool exited: ${stderr}`));
    else waiting.push({ resolve, reject });
  });
  const ready = JSON.parse(await next());
  assert.deepEqual(ready, { ready: true }, stderr);
  return {
    // One decision: {rc, status, code, headers: [[name, value]…], content_type, retry_after, body}.
    async check(method, uri, headers = {}, requestId = '-') {
      const fields = [method, uri, requestId];
      for (const [k, v] of Object.entries(headers)) fields.push(k, v);
      for (const f of fields) assert.doesNotMatch(f, /[\t\n]/, 'check_tool takes no tab or newline in a field');
      child.stdin.write(`${fields.join('\t')}\n`);
      return JSON.parse(await next());
    },
    // Frees the checker; resolves the exit ({code, signal}): 0 means
    // custos_checker_free stopped every thread (a sanitizer build fails on
    // leaks).
    async stop() {
      if (child.exitCode === null) child.stdin.end('quit\n');
      const t = setTimeout(() => child.kill('SIGKILL'), 15000);
      const e = await exited;
      clearTimeout(t);
      return e;
    },
    stderr: () => stderr,
  };
}
