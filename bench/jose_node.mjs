// npm `jose` side of bench/jose.sh: jwtVerify in a loop on the same tokens,
// key imported once. Prints "ALG<TAB>jose<TAB>ops_per_sec" per algorithm.
// Usage: node bench/jose_node.mjs TOKENS.json SECONDS
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(pathToFileURL(process.env.JOSE_NODE_MODULES + '/'));
const { importJWK, jwtVerify } = await import(pathToFileURL(require.resolve('jose')).href);

const { algs } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const secs = Number(process.argv[3] || 1);
for (const a of algs) {
  const key = await importJWK(a.jwks.keys[0], a.alg);
  const opts = { algorithms: [a.alg], issuer: 'https://auth.example', audience: 'api' };
  await jwtVerify(a.token, key, opts); // warm up and check
  for (let i = 0; i < 200; i++) await jwtVerify(a.token, key, opts);
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(secs * 1e9));
  let t = t0;
  while (t < end) {
    for (let i = 0; i < 64; i++) await jwtVerify(a.token, key, opts);
    n += 64;
    t = process.hrtime.bigint();
  }
  console.log(`${a.alg}\tjose\t${(n / (Number(t - t0) / 1e9)).toFixed(0)}`);
}
