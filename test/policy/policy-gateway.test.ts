import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';

/**
 * The policy wired into the real server: the official openai client → unbundle → fake upstreams in
 * three zones, every byte they receive captured.
 */
const email = 'jane.doe@example.com';
const ssn = '536-22-8451';

describe('data policy in the request path', { timeout: 30_000 }, () => {
  let inhouse: FakeOpenAIUpstream;
  let cloud: FakeOpenAIUpstream;
  let eu: FakeOpenAIUpstream;
  let started: StartedGateway;
  let client: OpenAI;
  let dir: string;
  const auditFile = () => path.join(dir, 'audit.jsonl');
  const received = (fake: FakeOpenAIUpstream) => fake.requests.map((r) => r.rawBody).join('\n');

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'unbundle-policy-'));
    [inhouse, cloud, eu] = await Promise.all([startFakeOpenAIUpstream(), startFakeOpenAIUpstream(), startFakeOpenAIUpstream()]);
    started = await startGatewayFromConfig({
      models: [
        { id: 'inhouse', backend: 'openai-compatible', baseURL: inhouse.url, zone: 'self-hosted' },
        { id: 'cloud', backend: 'openai-compatible', baseURL: cloud.url, zone: 'external' },
        { id: 'eu', backend: 'openai-compatible', baseURL: eu.url, zone: 'eu-cloud' },
      ],
      policy: {
        rules: {
          confidential: { action: 'redact', zones: ['local', 'self-hosted'], redactedZones: ['external'] },
          restricted: { action: 'route', zones: ['self-hosted'] },
        },
        audit: { file: path.join(dir, 'audit.jsonl') },
      },
    });
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await started.close();
    await Promise.all([inhouse.close(), cloud.close(), eu.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends an external model placeholders, never the value, and re-hydrates the answer', async () => {
    cloud.setBehavior({ kind: 'ok', text: 'I will write to <EMAIL_1> today.' });
    cloud.requests.length = 0;
    const chat = await client.chat.completions.create({ model: 'cloud', messages: [{ role: 'user', content: `Mail ${email} and again ${email}` }] });
    assert.equal(chat.choices[0]!.message.content, `I will write to ${email} today.`);
    const sent = received(cloud);
    assert.ok(!sent.includes(email), 'the value reached the external zone');
    assert.match(sent, /Mail <EMAIL_1> and again <EMAIL_1>/, 'the same value gets the same placeholder');
  });

  it('re-hydrates streamed deltas and tool-call arguments', async () => {
    cloud.setBehavior({ kind: 'ok', text: 'Sending to <EMAIL_1> now.', toolCalls: [{ id: 'call_1', name: 'send', arguments: '{"to":"<EMAIL_1>"}' }] });
    const stream = await client.chat.completions.create({ model: 'cloud', stream: true, messages: [{ role: 'user', content: `write ${email}` }] });
    let text = '';
    let args = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
    }
    assert.equal(text, `Sending to ${email} now.`);
    assert.deepEqual(JSON.parse(args), { to: email });
    const whole = await client.chat.completions.create({ model: 'cloud', messages: [{ role: 'user', content: `write ${email}` }] });
    assert.deepEqual(JSON.parse(whole.choices[0]!.message.tool_calls![0]!.type === 'function' ? (whole.choices[0]!.message.tool_calls![0] as { function: { arguments: string } }).function.arguments : '{}'), { to: email });
  });

  it('sends the value itself to an allowed zone', async () => {
    inhouse.requests.length = 0;
    await client.chat.completions.create({ model: 'inhouse', messages: [{ role: 'user', content: `Mail ${email}, SSN ${ssn}` }] });
    assert.ok(received(inhouse).includes(email));
    assert.ok(received(inhouse).includes(ssn));
  });

  it('answers 403 naming class and detector, never the value, for a forbidden explicit model', async () => {
    eu.requests.length = 0;
    cloud.requests.length = 0;
    for (const [model, content, label, dataClass] of [['eu', `mail ${email}`, 'EMAIL', 'confidential'], ['cloud', `my SSN is ${ssn}`, 'US_SSN', 'restricted']] as const) {
      const error = await client.chat.completions.create({ model, messages: [{ role: 'user', content }] }).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof OpenAI.APIError, `${model}: expected an API error`);
      assert.equal(error.status, 403);
      assert.equal(error.code, 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE');
      assert.match(error.message, new RegExp(`${dataClass} data: ${label} \\(detector "[a-z-]+"\\)`));
      assert.ok(!error.message.includes(email) && !error.message.includes(ssn), 'the 403 must not echo the value');
    }
    assert.equal(eu.requests.length + cloud.requests.length, 0, 'a refused request reaches no upstream');
  });

  it('covers completion prompts and embeddings input', async () => {
    cloud.setBehavior({ kind: 'ok', text: 'ok' });
    cloud.requests.length = 0;
    await client.completions.create({ model: 'cloud', prompt: `Reply to ${email}` });
    const embedding = await client.embeddings.create({ model: 'cloud', input: ['plain text', `contact ${email}`] });
    assert.equal(embedding.data.length, 2);
    const sent = received(cloud);
    assert.equal(cloud.requests.length, 2);
    assert.ok(!sent.includes(email));
    assert.equal((sent.match(/<EMAIL_1>/g) ?? []).length, 2);
    const error = await client.embeddings.create({ model: 'eu', input: `contact ${email}` }).then(() => undefined, (e: unknown) => e);
    assert.equal((error as InstanceType<typeof OpenAI.APIError>).status, 403);
  });

  it('lets requests without sensitive data reach any zone', async () => {
    eu.requests.length = 0;
    await client.chat.completions.create({ model: 'eu', messages: [{ role: 'user', content: 'What is the capital of France?' }] });
    assert.equal(eu.requests.length, 1);
  });

  it('appends one audit record per request: class, labels, counts, zones, decision — never values', async () => {
    await started.gateway.audit!.query({});
    const before = existsSync(auditFile()) ? readFileSync(auditFile(), 'utf8').split('\n').filter(Boolean).length : 0;
    await client.chat.completions.create({ model: 'cloud', messages: [{ role: 'user', content: `Mail ${email}` }] });
    await client.chat.completions.create({ model: 'cloud', messages: [{ role: 'user', content: `SSN ${ssn}` }] }).catch(() => undefined);
    await started.gateway.audit!.query({});
    const lines = readFileSync(auditFile(), 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, before + 2);
    const [redacted, blocked] = lines.slice(-2).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual({ ...redacted, time: undefined, requestId: undefined }, {
      time: undefined, requestId: undefined, tenant: null, endpoint: '/v1/chat/completions', dataClass: 'confidential',
      detectors: { EMAIL: 1 }, zones: ['external'], models: ['cloud'], decision: 'redacted',
    });
    assert.equal(blocked!.decision, 'blocked');
    assert.equal(blocked!.dataClass, 'restricted');
    assert.equal(blocked!.code, 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE');
    assert.deepEqual(blocked!.zones, []);
    const metrics = await (await fetch(`${started.url}/metrics`)).text();
    assert.match(metrics, /unbundle_policy_decisions_total\{decision="redacted",class="confidential"\} [1-9]/);
    assert.match(metrics, /unbundle_policy_decisions_total\{decision="blocked",class="restricted"\} [1-9]/);
    const all = readFileSync(auditFile(), 'utf8');
    assert.ok(!all.includes(email) && !all.includes(ssn), 'the audit log must hold no values');
  });
});
