// libcustos as an integrator gets it: `cmake --install` this build into a
// temp prefix, compile examples/verify.c against the installed library with
// pkg-config (shared, and libcustos.a with the .pc's Requires.private), and
// run it on tokens npm `jose` signed: valid -> 0 and the claims; expired,
// forged, wrong audience -> 1 and the error name. Keys come as a JWKS file,
// a JWKS URL (a node http server on loopback) and an HMAC secret. Also
// docs/libcustos.md's in-process gateway decision example, compiled from
// the page as written and run on a SQLite store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { BIN, SOURCE_DIR, tempDir } from './lib/custos.mjs';

const run = promisify(execFile);
const buildDir = dirname(BIN);
const dir = tempDir('custos-libex-');
const prefix = join(dir, 'prefix');
const now = Math.floor(Date.now() / 1000);
let env, exeShared, exeStatic, exeCheck, jwksFile, server, jwksUrl, ec, rsa;

function cacheVar(name) {
  const m = readFileSync(join(buildDir, 'CMakeCache.txt'), 'utf8').match(new RegExp(`^${name}:[A-Z]+=(.*)$`, 'm'));
  return m ? m[1] : '';
}

function findPc(root) {
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (e.name === 'custos.pc') return join(e.parentPath ?? e.path, e.name);
  }
  throw new Error(`no custos.pc under ${root}`);
}

// Runs verify; resolves {code, stdout, stderr} whatever the exit status.
async function verify(exe, args) {
  try {
    const r = await run(exe, args, { env, timeout: 30000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function sign(key, alg, kid, claims) {
  return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);
}

const claims = (exp) => ({ sub: 'user-7', iss: 'https://issuer.test', aud: 'api', iat: now - 5, exp });

before(async () => {
  execFileSync('cmake', ['--install', buildDir, '--prefix', prefix], { stdio: 'pipe' });
  const pc = findPc(prefix);
  const libdir = dirname(dirname(pc));
  env = { ...process.env, PKG_CONFIG_PATH: dirname(pc), LD_LIBRARY_PATH: libdir,
    ASAN_OPTIONS: 'detect_leaks=1' };
  // The sanitizer build's library needs its runtime in the program too; a
  // plain build compiles with the system compiler and no extra flags.
  const sanitized = /^(ON|1|TRUE|YES)$/i.test(cacheVar('CUSTOS_SANITIZE'));
  const cc = sanitized ? cacheVar('CMAKE_C_COMPILER') : (process.env.CC || 'cc');
  const extra = sanitized ? '-fsanitize=address,undefined' : '';
  const src = join(SOURCE_DIR, 'examples', 'verify.c');
  exeShared = join(dir, 'verify-shared');
  exeStatic = join(dir, 'verify-static');
  const sh = (cmd) => execFileSync('sh', ['-c', cmd], { env, stdio: 'pipe' });
  sh(`${cc} ${extra} -Wall -Werror ${src} $(pkg-config --cflags --libs custos) -o ${exeShared}`);
  // Static: the archive, then what custos.pc says it needs.
  sh(`${cc} ${extra} -Wall -Werror ${src} $(pkg-config --cflags custos) ${libdir}/libcustos.a ` +
     `$(pkg-config --libs $(pkg-config --print-requires-private custos | awk '{print $1}')) ` +
     `-pthread -o ${exeStatic}`);
  // The "Gateway decisions in-process" example, as the page prints it.
  const page = readFileSync(join(SOURCE_DIR, 'docs', 'libcustos.md'), 'utf8');
  const section = page.slice(page.indexOf('## Gateway decisions in-process'));
  const block = /```c\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'docs/libcustos.md has a C example under "Gateway decisions in-process"');
  writeFileSync(join(dir, 'check.c'), block[1]);
  exeCheck = join(dir, 'check');
  sh(`${cc} ${extra} -Wall -Wextra -Werror ${join(dir, 'check.c')} $(pkg-config --cflags --libs custos) -o ${exeCheck}`);

  ec = await generateKeyPair('ES256', { extractable: true });
  rsa = await generateKeyPair('RS256', { extractable: true });
  const jwks = { keys: [
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
  ] };
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(jwks));
  server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('installed: header, pkg-config file, shared and static library', () => {
  assert.ok(existsSync(join(prefix, 'include', 'custos.h')));
  assert.ok(existsSync(exeShared));
  assert.ok(existsSync(exeStatic));
  const ldd = execFileSync('ldd', [exeStatic], { env, encoding: 'utf8' });
  assert.doesNotMatch(ldd, /libcustos/, 'static build must not need libcustos.so');
  const lddShared = execFileSync('ldd', [exeShared], { env, encoding: 'utf8' });
  assert.match(lddShared, /libcustos\.so/);
});

for (const kind of ['shared', 'static']) {
  test(`${kind}: JWKS file, valid / expired / forged / wrong audience`, async () => {
    const exe = kind === 'shared' ? exeShared : exeStatic;
    const opts = ['--jwks', jwksFile, '--iss', 'https://issuer.test', '--aud', 'api'];
    const good = await sign(ec.privateKey, 'ES256', 'ec-1', claims(now + 600));
    let r = await verify(exe, [...opts, good]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), claims(now + 600));

    const expired = await sign(ec.privateKey, 'ES256', 'ec-1', claims(now - 120));
    r = await verify(exe, [...opts, expired]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CUSTOS_EEXPIRED/);
    assert.equal(r.stdout, '');

    const parts = good.split('.');
    const s = parts[2];
    parts[2] = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    r = await verify(exe, [...opts, parts.join('.')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CUSTOS_EBADSIG/);

    r = await verify(exe, ['--jwks', jwksFile, '--aud', 'other', good]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CUSTOS_ECLAIM/);

    const unknownKid = await sign(ec.privateKey, 'ES256', 'nope', claims(now + 600));
    r = await verify(exe, [...opts, unknownKid]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CUSTOS_EKEY/);
  });
}

test('JWKS URL: RS256 token verified against keys fetched over loopback http', async () => {
  const good = await sign(rsa.privateKey, 'RS256', 'rsa-1', claims(now + 600));
  let r = await verify(exeShared, ['--jwks-url', jwksUrl, good]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).sub, 'user-7');
  r = await verify(exeShared, ['--jwks-url', jwksUrl.replace('jwks.json', 'nothing'), good]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /CUSTOS_EIO/);
});

test('HMAC secret: HS256 from jose; wrong secret and alg none refused', async () => {
  const secret = 'a-shared-secret-of-at-least-32-bytes!!';
  const key = new TextEncoder().encode(secret);
  const good = await new SignJWT(claims(now + 600)).setProtectedHeader({ alg: 'HS256' }).sign(key);
  let r = await verify(exeStatic, ['--hmac', secret, good]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).aud, 'api');
  r = await verify(exeStatic, ['--hmac', secret.replace('a-', 'b-'), good]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CUSTOS_EBADSIG/);
  const [, payload] = good.split('.');
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
  r = await verify(exeStatic, ['--hmac', secret, none]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CUSTOS_EALG/);
});

test('docs/libcustos.md: the in-process gateway decision example', async () => {
  const d = join(dir, 'checker');
  const config = join(dir, 'checker.yaml');
  writeFileSync(config, [
    'store:', `  url: "sqlite:${d}/custos.db"`, 'secrets:', `  master_key_file: "${d}/master.key"`,
    'policy:', `  file: "${join(SOURCE_DIR, 'examples', 'policy.yaml')}"`, 'log:', '  level: error', ''].join('\n'));
  let r = await verify(exeCheck, [config, 'GET', '/api/items']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '401\n{"error":{"code":"TOKEN1_MISSING","message":"Token1 header is required"}}\n');
  r = await verify(exeCheck, [config, 'GET', '/api/items', 'Token1: tl_nope', 'Token2:x']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '401\n{"error":{"code":"TOKEN1_INVALID","message":"Token1 is invalid or has been revoked"}}\n');
  r = await verify(exeCheck, [config, 'GET', '/other']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '403\n{"error":{"code":"no_policy","message":"no route policy matches GET /other"}}\n');
  r = await verify(exeCheck, [join(dir, 'missing.yaml'), 'GET', '/api/items']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
});
