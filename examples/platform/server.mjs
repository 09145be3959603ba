#!/usr/bin/env node
// A sample platform API to put behind a gateway and custos (docs/gateway/).
// No dependencies. Each route answers 200 JSON naming itself and echoing the
// X-Custos-* identity headers it received, so you (and the tests) can see
// who custos said was calling. It trusts those headers: only the gateway
// may reach it (it listens on loopback).
//
//   node examples/platform/server.mjs [--port 9000]     (0 = any free port)
//
// Prints "platform listening on 127.0.0.1:PORT" once ready.
import http from 'node:http';

const ROUTES = {
  // Open Ledger (openledger-authentication.txt)
  'GET /v1/transactions': () => ({ transactions: [] }),
  // AssetPay (assetpay-client-authentication.txt)
  'GET /client/inventory': () => ({ inventory: [] }),
  'GET /secure/prices': () => ({ prices: [] }),
  // The Layer (thelayer-authenticating-requests.txt)
  'GET /api/your-endpoint': () => ({ items: [] }),
  'POST /api/your-endpoint': () => ({ created: true }),
  'DELETE /api/admin/users/{id}': () => ({ deleted: true }),
  // A route whose handler fails, to show a gateway passes the platform's
  // own errors through untouched.
  'GET /api/broken': () => { throw Object.assign(new Error('broken'), { status: 500 }); },
};

function match(method, path) {
  for (const [key, fn] of Object.entries(ROUTES)) {
    const [m, pattern] = key.split(' ');
    if (m !== method) continue;
    const a = pattern.split('/'), b = path.split('/');
    if (a.length !== b.length) continue;
    if (a.every((seg, i) => seg === b[i] || (seg.startsWith('{') && b[i] !== ''))) return { key, fn };
  }
  return null;
}

function identity(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (k.startsWith('x-custos-')) out[k] = v;
  return out;
}

const port = Number((process.argv.find((a, i) => process.argv[i - 1] === '--port')) ?? process.env.PORT ?? 9000);
const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  const send = (status, obj) => {
    const body = JSON.stringify(obj);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  req.resume();
  req.on('end', () => {
    const r = match(req.method, path);
    if (!r) return send(404, { error: 'not_found', route: `${req.method} ${path}` });
    try {
      send(200, { route: r.key, ...r.fn(req), identity: identity(req.headers) });
    } catch (e) {
      send(e.status || 500, { error: 'platform_error', message: e.message });
    }
  });
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  console.log(`platform listening on 127.0.0.1:${server.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
