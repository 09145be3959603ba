// Credentials for each profile, obtained the way its seed says, through a
// running custos's admin API and its own endpoints. Shared by the gateway
// end-to-end test and the in-process check test.
import assert from 'node:assert/strict';

// An admin API client: api(method, path, json?) -> {status, json}.
export function admin(url, token) {
  return async (method, path, json) => {
    const r = await fetch(`${url}${path}`, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  };
}

// The Layer (docs/profiles/thelayer.md): an app with its Token1.
// The Layer's refusals (docs/profiles/thelayer.md): code → [status, message].
export const THELAYER_ERRORS = {
  TOKEN1_MISSING: [401, 'Token1 header is required'],
  TOKEN2_MISSING: [401, 'Token2 header is required'],
  TOKEN1_INVALID: [401, 'Token1 is invalid or has been revoked'],
  TOKEN1_EXPIRED: [401, 'Token1 has expired'],
  TOKEN2_INVALID: [401, 'Token2 is invalid or has been revoked'],
  TOKEN2_EXPIRED: [401, 'Token2 has expired'],
  TOKEN_MISMATCH: [401, 'Token2 was not issued for this application'],
  INSUFFICIENT_ACCESS: [403, 'This token does not have access to this resource'],
  RATE_LIMITED: [429, 'Too many requests; retry later'],
};
// Its exact body for `code`.
export const thelayerBody = (code) => JSON.stringify({ error: { code, message: THELAYER_ERRORS[code][1] } });

export async function thelayerApp(api, name) {
  const acct = (await api('POST', '/admin/v1/accounts', { name })).json.id;
  const app = await api('POST', '/admin/v1/apps', { account_id: acct, name, profile: 'thelayer' });
  assert.equal(app.status, 201, JSON.stringify(app.json));
  const key = await api('POST', `/admin/v1/apps/${app.json.id}/keys`, {});
  assert.equal(key.status, 201);
  return { account: acct, app: app.json.id, token1: key.json.key, token1Id: key.json.id };
}

// A user of The Layer app `app` with a Token2 of access level `level`.
export async function thelayerUser(api, app, level) {
  const u = await api('POST', `/admin/v1/apps/${app}/users`, { external_id: `player-${Math.random()}` });
  assert.equal(u.status, 201);
  const t = await api('POST', `/admin/v1/apps/${app}/users/${u.json.id}/tokens`, { access_level: level });
  assert.equal(t.status, 201);
  return { user: u.json.id, token2: t.json.token, id: t.json.id };
}

// AssetPay (docs/profiles/assetpay.md): the seed's client, as its merchant
// backend authenticates it.
export const ASSETPAY_SEED = {
  clientSteamId: '76561198012345678',
  clientTradeUrl: 'https://steamcommunity.com/tradeoffer/new/?partner=12345678&token=AbCdEfGh',
  clientId: 'user-123',
  clientData: { totalWager: 5000, kycLevel: 2, fiatDeposits: true, cryptoDeposits: false },
};

// A merchant: an api-key with CORE_ACCESS (key), one READ_ONLY (ro), its
// API secret and merchant id, and a client token for ASSETPAY_SEED minted
// by POST /auth/authenticate-client on `custosUrl`.
export async function assetpayMerchant(api, custosUrl, name = 'Skins') {
  const acct = (await api('POST', '/admin/v1/accounts', { name: `${name} Inc` })).json.id;
  const app = (await api('POST', '/admin/v1/apps', { account_id: acct, name, profile: 'assetpay' })).json.id;
  const key = (await api('POST', `/admin/v1/apps/${app}/keys`, {})).json;
  const ro = (await api('POST', `/admin/v1/apps/${app}/keys`, { scopes: ['READ_ONLY'] })).json;
  const sec = await api('POST', `/admin/v1/apps/${app}/secret`);
  assert.equal(sec.status, 201, JSON.stringify(sec.json));
  const r = await fetch(`${custosUrl}/auth/authenticate-client`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'api-key': key.key }, body: JSON.stringify(ASSETPAY_SEED),
  });
  const j = await r.json();
  assert.equal(r.status, 200, JSON.stringify(j));
  return { acct, app, key, ro, secret: sec.json.secret, merchantId: sec.json.merchant_id, token: j.data.token };
}

// Open Ledger (docs/profiles/openledger.md): a developer with an API key,
// entity `entityId`, and a developer and an entity Bearer token minted on
// `custosUrl`.
export async function openledgerDeveloper(api, custosUrl, entityId = 'entity_12345') {
  const acct = (await api('POST', '/admin/v1/accounts', { name: 'Ledger Dev' })).json.id;
  const app = (await api('POST', '/admin/v1/apps', { account_id: acct, name: 'Ledger', profile: 'openledger' })).json.id;
  const key = (await api('POST', `/admin/v1/apps/${app}/keys`, {})).json;
  const ent = await api('POST', `/admin/v1/accounts/${acct}/entities`, { name: 'Entity 1', id: entityId });
  assert.equal(ent.status, 201, JSON.stringify(ent.json));
  const tok = async (path, body) => {
    const r = await fetch(`${custosUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const j = await r.json();
    assert.equal(r.status, 200, JSON.stringify(j));
    assert.equal(j.token_type, 'Bearer');
    return j.access_token;
  };
  const dev = await tok('/v1/auth/tokens', { apiKey: key.key, id: acct, userType: 'developer' });
  const entity = await tok('/v1/entities/auth/generate-token', { apiKey: key.key, id: entityId, userType: 'entity' });
  return { acct, app, key, dev, entity };
}
