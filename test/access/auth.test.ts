import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { KeyStore } from '../../src/access/key-store.ts';
import { chat, startAccessGateway, type AccessGateway } from './access-gateway.ts';

describe('API keys on the /v1 routes (auth.mode keys)', () => {
  let started: AccessGateway;
  let acme: { id: string; key: string };
  let globex: { id: string; key: string };

  before(async () => {
    started = await startAccessGateway({
      auth: { mode: 'keys' },
      tenants: [
        { id: 'acme', models: ['alpha', 'local-*'] },
        { id: 'globex', models: ['*'] },
      ],
    });
    acme = started.createKey('acme', { name: 'ci' });
    globex = started.createKey('globex');
  });
  after(() => started.close());

  it('accepts a key as Bearer (official openai client) and records tenant and key id', async () => {
    const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: acme.key, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(answer.choices[0]!.message.content, 'alpha answers.');
    const line = started.logs.filter((log) => log.msg === 'request').at(-1)!;
    assert.equal(line.tenant, 'acme');
    assert.equal(line.key, acme.id);
  });

  it('accepts the Anthropic-style x-api-key header (official @anthropic-ai/sdk client)', async () => {
    const client = new Anthropic({ baseURL: started.url, apiKey: acme.key, maxRetries: 0 });
    const page = await client.models.list();
    // The tenant sees only its own models.
    assert.deepEqual(page.data.map((model) => model.id).sort(), ['alpha', 'local-small']);
    const plain = await chat(started.url, { 'x-api-key': acme.key });
    assert.equal(plain.status, 200);
  });

  it('401 for a missing key, with a message that says how to send one', async () => {
    const { status, body } = await chat(started.url, {});
    assert.equal(status, 401);
    assert.equal(body.error.code, 'UNBUNDLE_E_UNAUTHORIZED');
    assert.match(body.error.message, /No API key: send "Authorization: Bearer <key>" or "x-api-key: <key>"/);
  });

  it('401 for an invalid key, never echoing it', async () => {
    const wrongSecret = acme.key.slice(0, -4) + (acme.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const unknownId = `ub-000000000000${acme.key.slice(15)}`;
    for (const key of ['sk-not-ours-at-all', wrongSecret, unknownId, `${acme.key}x`]) {
      const { status, body } = await chat(started.url, { authorization: `Bearer ${key}` });
      assert.equal(status, 401, key);
      assert.match(body.error.message, /^The API key is not valid/);
      assert.ok(!JSON.stringify(body).includes(key), 'the key is never echoed');
    }
    const basic = await chat(started.url, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    assert.equal(basic.status, 401);
    assert.match(basic.body.error.message, /must be "Bearer <your unbundle API key>"/);
  });

  it('401 for an expired key, saying it expired (only to its holder)', async () => {
    const expired = started.createKey('acme', { expiresAt: Date.now() - 1_000 });
    const { status, body } = await chat(started.url, { authorization: `Bearer ${expired.key}` });
    assert.equal(status, 401);
    assert.match(body.error.message, new RegExp(`^This API key \\(id ${expired.id}\\) expired on \\d{4}-`));
    assert.ok(!JSON.stringify(body).includes(expired.key));
  });

  it('401 for a key revoked in-process (admin API), on the very next request', async () => {
    const key = started.createKey('acme');
    assert.equal((await chat(started.url, { authorization: `Bearer ${key.key}` })).status, 200);
    const revoked = await fetch(`${started.url}/admin/keys/${key.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${started.env.UNBUNDLE_ADMIN_KEY}` } });
    assert.equal(revoked.status, 200);
    const { status, body } = await chat(started.url, { authorization: `Bearer ${key.key}` });
    assert.equal(status, 401);
    assert.match(body.error.message, new RegExp(`^This API key \\(id ${key.id}\\) was revoked on `));
  });

  it('sees a revocation by another process (the CLI) within a second', async () => {
    const key = started.createKey('acme');
    assert.equal((await chat(started.url, { authorization: `Bearer ${key.key}` })).status, 200);
    const other = new KeyStore(started.dataDir);
    other.revoke(key.id);
    other.close();
    const deadline = Date.now() + 1_100;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await chat(started.url, { authorization: `Bearer ${key.key}` })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 401, 'revoked within 1.1 s');
  });

  it('403 when the tenant may not use the model, naming the model and the allowed ones', async () => {
    const { status, body } = await chat(started.url, { authorization: `Bearer ${acme.key}` }, { model: 'beta' });
    assert.equal(status, 403);
    assert.equal(body.error.code, 'UNBUNDLE_E_FORBIDDEN');
    assert.equal(body.error.message, `Tenant "acme" may not use model 'beta'. Allowed models: alpha, local-*.`);
    assert.equal(started.backends.get('beta')!.calls.length, 0, 'the model was never called');
    assert.equal((await chat(started.url, { authorization: `Bearer ${acme.key}` }, { model: 'local-small' })).status, 200, 'globs match');
    assert.equal((await chat(started.url, { authorization: `Bearer ${globex.key}` }, { model: 'beta' })).status, 200);
    const embeddings = await fetch(`${started.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.key}` },
      body: JSON.stringify({ model: 'beta', input: 'x' }),
    });
    assert.equal(embeddings.status, 403);
  });

  it('exposes allowedModelsFor(tenant) for the router and policy to intersect with', () => {
    assert.deepEqual([...started.gateway.access.allowedModelsFor('acme')].sort(), ['alpha', 'local-small']);
    assert.deepEqual([...started.gateway.access.allowedModelsFor('globex')].sort(), ['alpha', 'beta', 'local-small']);
  });

  it('403 for a valid key whose tenant the config no longer lists', async () => {
    const orphan = started.createKey('initech');
    const { status, body } = await chat(started.url, { authorization: `Bearer ${orphan.key}` });
    assert.equal(status, 403);
    assert.match(body.error.message, /tenant "initech", which the gateway's config does not list/);
  });

  it('keeps /health and /metrics open, and records last use (written at most once a second)', async () => {
    assert.equal((await fetch(`${started.url}/health`)).status, 200);
    assert.equal((await fetch(`${started.url}/metrics`)).status, 200);
    assert.equal((await fetch(`${started.url}/v1/models`)).status, 401);
    started.gateway.access.authenticator!.flush();
    const info = started.gateway.access.keyStore.get(acme.id)!;
    assert.ok(info.lastUsedAt !== null && Date.now() - info.lastUsedAt < 60_000);
  });
});

describe('auth: none (the zero-config default)', () => {
  it('serves without a key and asks nothing of access control', async () => {
    const started = await startAccessGateway({ admin: false });
    try {
      assert.equal(started.gateway.auth, undefined);
      const { status } = await chat(started.url, {});
      assert.equal(status, 200);
      const line = started.logs.filter((log) => log.msg === 'request').at(-1)!;
      assert.equal(line.tenant, undefined);
    } finally {
      await started.close();
    }
  });
});
