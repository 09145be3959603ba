// Writes the tokens and keys for bench/jose.sh: one token per algorithm,
// signed by npm `jose`, with the public key as a JWK set (for custos), as
// PEM (for libjwt and bare OpenSSL) and, for HS256, the raw secret.
// Usage: node bench/jose_tokens.mjs OUT.json   (run from tests/ for jose)
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(pathToFileURL(process.env.JOSE_NODE_MODULES + '/'));
const { generateKeyPair, generateSecret, exportJWK, exportSPKI, SignJWT } =
  await import(pathToFileURL(require.resolve('jose')).href);

const ALGS = ['HS256', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const now = Math.floor(Date.now() / 1000);
const claims = { sub: 'user-42', iss: 'https://auth.example', aud: 'api', scope: 'read write',
  iat: now, exp: now + 3600 };
const out = { algs: [] };
for (const alg of ALGS) {
  const kid = `bench-${alg}`;
  let signKey, jwk, pem = null, secret = null;
  if (alg.startsWith('HS')) {
    signKey = await generateSecret(alg, { extractable: true });
    jwk = await exportJWK(signKey);
    secret = jwk.k;
  } else {
    const kp = await generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
    signKey = kp.privateKey;
    jwk = await exportJWK(kp.publicKey);
    pem = await exportSPKI(kp.publicKey);
  }
  const token = await new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(signKey);
  out.algs.push({ alg, kid, token, secret, pem, jwks: { keys: [{ ...jwk, alg, kid, use: 'sig' }] } });
}
writeFileSync(process.argv[2], JSON.stringify(out, null, 1));
