import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminRoutes } from '../../src/server/admin/admin-routes.ts';
import { adminKey, chat, startAccessGateway, type AccessGateway } from './access-gateway.ts';
import { startFakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';

async function admin(url: string, method: string, path: string, key: string | null = adminKey, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

describe('admin API', () => {
  let started: AccessGateway;
  before(async () => {
    started = await startAccessGateway({ auth: { mode: 'keys' }, tenants: [{ id: 'acme', models: ['alpha'], rpm: 100 }, { id: 'globex', models: ['*'] }] });
  });
  after(() => started.close());

  it('401 without the admin key, with a wrong one (shorter, longer, same length), or with a tenant key', async () => {
    const tenantKey = started.createKey('acme').key;
    const cases: Array<[string | null, RegExp]> = [
      [null, /needs the admin key/],
      ['x', /admin key is wrong/],
      [`${adminKey}x`, /admin key is wrong/],
      [`${adminKey.slice(0, -1)}Y`, /admin key is wrong/],
      [tenantKey, /admin key is wrong/],
    ];
    for (const [key, message] of cases) {
      const { status, body } = await admin(started.url, 'GET', '/admin/keys', key);
      assert.equal(status, 401, String(key));
      assert.match(body.error.message, message);
      assert.ok(!JSON.stringify(body).includes(adminKey), 'the admin key is never echoed');
    }
    const viaHeader = await fetch(`${started.url}/admin/tenants`, { headers: { 'x-api-key': adminKey } });
    assert.equal(viaHeader.status, 200);
  });

  it('creates a key (shown once), lists it without the key, revokes it', async () => {
    const created = await admin(started.url, 'POST', '/admin/keys', adminKey, { tenant: 'acme', name: 'ops', expires: '30d' });
    assert.equal(created.status, 201);
    assert.match(created.body.key, /^ub-[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.tenant, 'acme');
    assert.equal(created.body.status, 'active');
    const expiresIn = Date.parse(created.body.expiresAt) - Date.now();
    assert.ok(Math.abs(expiresIn - 30 * 86_400_000) < 60_000);
    assert.equal((await chat(started.url, { authorization: `Bearer ${created.body.key}` })).status, 200);

    const listed = await admin(started.url, 'GET', '/admin/keys?tenant=acme');
    assert.equal(listed.status, 200);
    const entry = listed.body.data.find((key: { id: string }) => key.id === created.body.id);
    assert.equal(entry.name, 'ops');
    assert.ok(entry.lastUsedAt === null || typeof entry.lastUsedAt === 'string');
    assert.ok(!JSON.stringify(listed.body).includes(created.body.key.slice(15)), 'never the key');
    assert.deepEqual(Object.keys(entry).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'status', 'tenant']);

    const revoked = await admin(started.url, 'DELETE', `/admin/keys/${created.body.id}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.status, 'revoked');
    assert.equal((await chat(started.url, { authorization: `Bearer ${created.body.key}` })).status, 401);
    assert.equal((await admin(started.url, 'GET', `/admin/keys/${created.body.id}`)).body.status, 'revoked');
  });

  it('rejects bad key requests with messages that name the field', async () => {
    const unknownTenant = await admin(started.url, 'POST', '/admin/keys', adminKey, { tenant: 'nobody' });
    assert.equal(unknownTenant.status, 400);
    assert.match(unknownTenant.body.error.message, /must name a configured tenant \(acme, globex\)/);
    const badExpiry = await admin(started.url, 'POST', '/admin/keys', adminKey, { tenant: 'acme', expires: 'soon' });
    assert.equal(badExpiry.status, 400);
    assert.match(badExpiry.body.error.message, /"soon" is not a duration such as 30d/);
    const extra = await admin(started.url, 'POST', '/admin/keys', adminKey, { tenant: 'acme', key: 'ub-mine' });
    assert.equal(extra.status, 400);
    assert.equal((await admin(started.url, 'DELETE', '/admin/keys/000000000000')).status, 404);
    assert.equal((await admin(started.url, 'DELETE', '/admin/keys/not-an-id')).status, 400);
  });

  it('lists tenants with their resolved models and limits', async () => {
    const { status, body } = await admin(started.url, 'GET', '/admin/tenants');
    assert.equal(status, 200);
    const acme = body.data.find((tenant: { id: string }) => tenant.id === 'acme');
    assert.deepEqual(acme.allowedModels, ['alpha']);
    assert.equal(acme.rpm, 100);
  });

  it('answers 404 for unknown admin routes (listing them) and 405 for a wrong method', async () => {
    const missing = await admin(started.url, 'GET', '/admin/nothing');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /Admin routes: GET \/admin\/keys, POST \/admin\/keys/);
    const wrong = await admin(started.url, 'PUT', '/admin/keys');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, POST');
    const index = await admin(started.url, 'GET', '/admin/');
    assert.ok(index.body.data.some((route: { path: string }) => route.path === '/admin/config'));
  });

  it('lets another area register a route with one line', async () => {
    adminRoutes.push({ method: 'GET', path: '/admin/echo/:word', summary: 'test route', handle: ({ params, ctx }) => ({ body: { word: params.word, tenant: ctx.tenantId ?? null } }) });
    try {
      assert.deepEqual((await admin(started.url, 'GET', '/admin/echo/hello%20there')).body, { word: 'hello there', tenant: null });
      assert.equal((await admin(started.url, 'GET', '/admin/echo/hello', 'wrong')).status, 401, 'behind the admin key like every other');
    } finally {
      adminRoutes.pop();
    }
  });
});

describe('admin API: disabled and config', () => {
  it('is disabled (404 with a clear message) when no admin key is configured', async () => {
    const started = await startAccessGateway({ admin: false });
    try {
      const { status, body } = await admin(started.url, 'GET', '/admin/keys');
      assert.equal(status, 404);
      assert.match(body.error.message, /The admin API is disabled: set the environment variable UNBUNDLE_ADMIN_KEY/);
    } finally {
      await started.close();
    }
  });

  it('warns at start when the admin key is short', async () => {
    const started = await startAccessGateway({ env: { UNBUNDLE_ADMIN_KEY: 'short' } });
    try {
      assert.match(String(started.logs.find((log) => log.level === 'warn')?.msg), /admin key in UNBUNDLE_ADMIN_KEY is shorter than 24 characters/);
      assert.ok(!JSON.stringify(started.logs).includes('"short"'), 'the key itself is not logged');
    } finally {
      await started.close();
    }
  });

  it('GET /admin/config shows the effective config and no secret', async () => {
    const upstream = await startFakeOpenAIUpstream();
    const secret = 'sk-provider-secret-9f8e7d6c5b4a';
    const started = await startAccessGateway({
      models: [{ id: 'up', backend: 'openai-compatible', baseURL: upstream.url, apiKeyEnv: 'UP_KEY', headers: { 'x-org-token': 'header-secret-1234' } }],
      env: { UP_KEY: secret },
    });
    try {
      const { status, body } = await admin(started.url, 'GET', '/admin/config');
      assert.equal(status, 200);
      assert.equal(body.server.bodyLimit, 4 * 1024 * 1024);
      assert.equal(body.auth.mode, 'none');
      assert.equal(body.models[0].apiKeyEnv, 'UP_KEY');
      assert.deepEqual(body.models[0].headers, { 'x-org-token': '[redacted]' });
      const text = JSON.stringify(body);
      assert.ok(!text.includes(secret) && !text.includes(adminKey) && !text.includes('header-secret-1234'));
    } finally {
      await started.close();
      await upstream.close();
    }
  });
});
