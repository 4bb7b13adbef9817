import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';

/**
 * `model: auto` when the data policy leaves the router no model at all: the client gets the
 * policy's 403 (POLICY_BLOCKED / POLICY_FORBIDDEN_ZONE naming class and detector, never the value),
 * not the router's generic "no model allowed" — found by the sovereignty property.
 */
const email = 'jane.doe@example.com';
const card = '4111 1111 1111 1111';

describe('model auto under a data policy that allows no zone', { timeout: 30_000 }, () => {
  let ext: FakeOpenAIUpstream;
  let eu: FakeOpenAIUpstream;
  let started: StartedGateway;
  let client: OpenAI;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'unbundle-policy-auto-'));
    [ext, eu] = await Promise.all([startFakeOpenAIUpstream(), startFakeOpenAIUpstream()]);
    started = await startGatewayFromConfig({
      models: [
        { id: 'ext', backend: 'openai-compatible', baseURL: ext.url, zone: 'external', domains: ['support'] },
        { id: 'eu', backend: 'openai-compatible', baseURL: eu.url, zone: 'eu-cloud', healthCheck: false, domains: ['support'] },
      ],
      router: {},
      policy: {
        classes: { CREDIT_CARD: 'restricted' },
        rules: {
          confidential: { action: 'route', zones: ['local', 'self-hosted'] },
          restricted: { action: 'block' },
        },
        audit: { file: path.join(dir, 'audit.jsonl') },
      },
    });
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await started.close();
    await Promise.all([ext.close(), eu.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const refusal = (content: string) => client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content }] }).then(() => undefined, (e: unknown) => e);

  it('answers 403 POLICY_FORBIDDEN_ZONE naming class, detector and the zones, never the value', async () => {
    const error = await refusal(`write to ${email} please`);
    assert.ok(error instanceof OpenAI.APIError, 'expected an API error');
    assert.equal(error.status, 403);
    assert.equal(error.code, 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE');
    assert.match(error.message, /confidential data: EMAIL \(detector "[a-z-]+"\)/);
    assert.match(error.message, /none of this portfolio's zones \(external, eu-cloud\)/);
    assert.match(error.message, /confidential: local, self-hosted/);
    assert.ok(!error.message.includes(email), 'the 403 must not echo the value');
  });

  it('answers 403 POLICY_BLOCKED for a blocked class', async () => {
    const error = await refusal(`charge ${card} now`);
    assert.ok(error instanceof OpenAI.APIError, 'expected an API error');
    assert.equal(error.status, 403);
    assert.equal(error.code, 'UNBUNDLE_E_POLICY_BLOCKED');
    assert.match(error.message, /restricted data: CREDIT_CARD/);
    assert.ok(!error.message.includes(card) && !error.message.includes('4111'), 'the 403 must not echo the value');
  });

  it('sends nothing upstream and audits both refusals as blocked', async () => {
    assert.equal(ext.requests.length + eu.requests.length, 0, 'a refused request reaches no upstream');
    const records = await started.gateway.audit!.query({});
    assert.deepEqual(records.map((r) => [r.decision, r.zones, r.code]), [
      ['blocked', [], 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE'],
      ['blocked', [], 'UNBUNDLE_E_POLICY_BLOCKED'],
    ]);
  });

  it('still routes a request whose data some zone may see', async () => {
    const answer = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hello there' }] });
    assert.equal(answer.object, 'chat.completion');
    assert.equal(ext.requests.length + eu.requests.length, 1);
  });
});
