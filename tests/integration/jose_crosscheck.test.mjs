// Cross-check of src/jose against npm `jose` (a JOSE implementation no one
// here wrote). For every algorithm custos supports:
//   custos signs  -> jose jwtVerify and compactVerify accept;
//   jose signs    -> custos verifies (and refuses a tampered copy);
//   custos-emitted public JWKs import into jose, and thumbprints agree.
// Keys come from jose's generateKeyPair/generateSecret and reach custos as
// JWKs through tests/tools/jose_tool.c ($CUSTOS_JOSE_TOOL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  generateKeyPair, generateSecret, exportJWK, importJWK, SignJWT, CompactSign,
  jwtVerify, compactVerify, calculateJwkThumbprint,
} from 'jose';

const TOOL = process.env.CUSTOS_JOSE_TOOL;
const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384',
  'PS512', 'ES256', 'ES384', 'EdDSA'];

function tool(args, request) {
  const r = spawnSync(TOOL, args, { input: JSON.stringify(request), encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1,
    `jose_tool ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { status: r.status, out: r.stdout.trim() };
}

async function keysFor(alg) {
  if (alg.startsWith('HS')) {
    const secret = await generateSecret(alg, { extractable: true });
    const jwk = { ...(await exportJWK(secret)), alg, kid: `k-${alg}` };
    return { signKey: secret, verifyKey: secret, privateJwk: jwk, publicJwk: jwk };
  }
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `k-${alg}`;
  return {
    signKey: privateKey,
    verifyKey: publicKey,
    privateJwk: { ...(await exportJWK(privateKey)), alg, kid },
    publicJwk: { ...(await exportJWK(publicKey)), alg, kid },
  };
}

const now = Math.floor(Date.now() / 1000);
const claims = { sub: 'user-1', iss: 'custos-test', aud: 'api', iat: now, exp: now + 600 };

test('jose_tool is built and reachable', () => {
  assert.ok(TOOL, 'CUSTOS_JOSE_TOOL must be set by ctest');
});

for (const alg of ALGS) {
  test(`${alg}: custos signs, jose verifies`, async () => {
    const k = await keysFor(alg);
    const { status, out } = tool(['sign', alg], { jwk: k.privateJwk, claims });
    assert.equal(status, 0, out);
    const { payload, protectedHeader } = await jwtVerify(out, k.verifyKey, {
      algorithms: [alg], issuer: 'custos-test', audience: 'api',
    });
    assert.deepEqual(payload, claims);
    assert.equal(protectedHeader.alg, alg);
    assert.equal(protectedHeader.kid, k.privateJwk.kid);
    assert.equal(protectedHeader.typ, 'JWT');
    const compact = await compactVerify(out, k.verifyKey, { algorithms: [alg] });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(compact.payload)), claims);
  });

  test(`${alg}: jose signs, custos verifies and refuses tampering`, async () => {
    const k = await keysFor(alg);
    const jwks = { keys: [k.publicJwk] };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg, kid: k.publicJwk.kid, typ: 'JWT' })
      .sign(k.signKey);
    let r = tool(['verify'], { jwks, token, iss: 'custos-test', aud: 'api', typ: 'JWT' });
    assert.equal(r.status, 0, r.out);
    const res = JSON.parse(r.out);
    assert.equal(res.ok, true);
    assert.deepEqual(res.claims, claims);

    // CompactSign with no kid: custos picks the only key that fits.
    const compact = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg })
      .sign(k.signKey);
    r = tool(['verify'], { jwks, token: compact });
    assert.equal(r.status, 0, r.out);

    // One changed signature character must fail with CUSTOS_EBADSIG (-12).
    const parts = token.split('.');
    const mid = Math.floor(parts[2].length / 2);
    const c = parts[2][mid] === 'A' ? 'B' : 'A';
    parts[2] = parts[2].slice(0, mid) + c + parts[2].slice(mid + 1);
    r = tool(['verify'], { jwks, token: parts.join('.') });
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.out).code, -12);

    // The same token under a policy that does not list the alg: CUSTOS_EALG.
    const other = alg === 'HS256' ? 'HS512' : 'HS256';
    r = tool(['verify'], { jwks: { keys: [{ ...k.publicJwk, alg: undefined }] }, token, algs: [other] });
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.out).code, -14);
  });

  test(`${alg}: custos public JWK imports into jose, thumbprints agree`, async () => {
    const k = await keysFor(alg);
    const { status, out } = tool(['jwk'], k.privateJwk);
    assert.equal(status, 0, out);
    const res = JSON.parse(out);
    const expected = await calculateJwkThumbprint(k.publicJwk);
    assert.equal(res.thumbprint, expected);
    if (alg.startsWith('HS')) {
      assert.equal(res.public, null, 'oct keys have no public form');
      return;
    }
    for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
      assert.equal(res.public[priv], undefined, `public JWK leaks ${priv}`);
    }
    const imported = await importJWK(res.public, alg);
    assert.equal(await calculateJwkThumbprint(res.public), expected);
    // The imported key verifies a jose-signed token.
    const token = await new SignJWT(claims).setProtectedHeader({ alg }).sign(k.signKey);
    await jwtVerify(token, imported, { algorithms: [alg] });
  });
}

test('JWKS: custos emits a public set jose can use, skipping foreign keys', async () => {
  const a = await keysFor('RS256');
  const b = await keysFor('ES256');
  const c = await keysFor('EdDSA');
  const foreign = { kty: 'EC', crv: 'P-521', kid: 'p521', x: 'AA', y: 'AA' };
  const { status, out } = tool(['jwks'], { keys: [a.privateJwk, foreign, b.publicJwk, c.privateJwk] });
  assert.equal(status, 0, out);
  const res = JSON.parse(out);
  assert.equal(res.skipped, 1);
  assert.equal(res.jwks.keys.length, 3);
  assert.deepEqual(res.thumbprints, [
    await calculateJwkThumbprint(a.publicJwk),
    await calculateJwkThumbprint(b.publicJwk),
    await calculateJwkThumbprint(c.publicJwk),
  ]);
  for (const [i, alg] of [[0, 'RS256'], [1, 'ES256'], [2, 'EdDSA']]) {
    await importJWK(res.jwks.keys[i], alg);
    assert.equal(res.jwks.keys[i].d, undefined);
  }
});

test('jose-signed alg=none style and HS256-with-RSA-PEM tokens are refused', async () => {
  const rsa = await keysFor('RS256');
  const jwks = { keys: [rsa.publicJwk] };
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const none = `${b64({ alg: 'none' })}.${b64(claims)}.`;
  let r = tool(['verify'], { jwks, token: none });
  assert.equal(JSON.parse(r.out).code, -14); // CUSTOS_EALG

  // The classic confusion attack: the RSA public key's PEM as an HMAC secret.
  const { createPublicKey } = await import('node:crypto');
  const pem = createPublicKey({ key: rsa.publicJwk, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' });
  const forged = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: rsa.publicJwk.kid })
    .sign(new TextEncoder().encode(pem));
  r = tool(['verify'], { jwks, token: forged });
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.out).code, -14); // CUSTOS_EALG: RSA key, HMAC alg
});
