import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { saveRouter } from '../../src/router/classifier/router-file.ts';
import { trainDomainClassifier } from '../../src/router/classifier/train-domain-classifier.ts';
import { sharedModel } from '../backends/llamacpp/test-models.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';
import { toyExamples } from './toy-domains.ts';

/**
 * `model: "auto"` through the whole house: the official openai client → unbundle → the router
 * (a classifier trained here on the toy domains) → two tiny local GGUF models standing in for the
 * cooking and code specialists, and a fake OpenAI-compatible upstream as the generalist.
 */
describe('model: "auto" end to end', () => {
  let upstream: FakeOpenAIUpstream;
  let started: StartedGateway;
  let client: OpenAI;

  before(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-auto-'));
    const routerFile = path.join(dir, 'router.json');
    saveRouter(trainDomainClassifier(toyExamples(60), { features: { bits: 14 } }), routerFile);
    upstream = await startFakeOpenAIUpstream();
    started = await startGatewayFromConfig({
      models: [
        { id: 'chef', backend: 'llamacpp', path: sharedModel('stories260K.gguf'), threads: 1, contextSize: 256, parallel: 2, domains: ['cooking'], pricePerMTok: 0 },
        { id: 'coder', backend: 'llamacpp', path: sharedModel('llama-2-tiny-random.gguf'), threads: 1, contextSize: 256, parallel: 1, domains: ['code'], pricePerMTok: 0.01 },
        { id: 'generalist', backend: 'openai-compatible', baseURL: upstream.url, model: 'gpt-4o-mini', pricing: 'gpt-4o-mini', quality: { billing: 0.9, code: 0.8, cooking: 0.6 } },
      ],
      router: {
        classifier: routerFile,
        default: 'generalist',
        rules: [{ name: 'legal', when: { headers: { 'x-unbundle-team': 'legal' } }, pin: 'generalist' }],
        virtualModels: {
          'auto-cascade': { strategy: 'cascade', models: ['coder', 'generalist'], checks: [{ kind: 'min-length', chars: 5 }] },
        },
      },
    });
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
  });
  after(async () => {
    await started?.close();
    await upstream?.close();
  });

  const lastLog = (): Record<string, unknown> => started.logs.filter((line) => line.msg === 'request').at(-1)!;

  it('a billing question goes to the generalist, with route, domain and reason headers and the plan in the log line', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Why my card payment was declined on my account?' }], max_tokens: 8 })
      .withResponse();
    assert.equal(response.headers.get('x-unbundle-route'), 'generalist');
    assert.equal(response.headers.get('x-unbundle-model'), 'generalist');
    assert.equal(response.headers.get('x-unbundle-domain'), 'billing');
    assert.match(response.headers.get('x-unbundle-route-reason')!, /^domain billing \(\d\.\d\d\); best quality; generalist q=0\.90 price=0\.26\d$/);
    assert.equal(data.model, 'auto');
    assert.equal((upstream.requests.at(-1)!.body as { model: string }).model, 'gpt-4o-mini');
    const log = lastLog();
    assert.equal(log.requested, 'auto');
    assert.equal(log.model, 'generalist');
    assert.equal(log.route, 'generalist');
    assert.equal(log.domain, 'billing');
    assert.ok(Array.isArray(log.reasons) && (log.reasons as string[])[0]!.startsWith('domain billing'));
    const scores = log.scores as Record<string, number>;
    assert.ok(scores.billing! > 0.5 && Object.values(scores).every((p) => p > 0 && p <= 1), JSON.stringify(scores));
  });

  it('a code question goes to the local code specialist, a cooking one (streamed) to the other', async () => {
    const code = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'Why my python function throws an exception in the parser?' }], max_tokens: 4, temperature: 0 })
      .withResponse();
    assert.equal(code.response.headers.get('x-unbundle-model'), 'coder');
    assert.equal(code.response.headers.get('x-unbundle-domain'), 'code');
    assert.equal(code.data.usage!.completion_tokens, 4);
    assert.deepEqual(lastLog().fallbacks, ['generalist']);

    const stream = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'Why the sourdough bread burns at the bottom in the oven?' }], max_tokens: 6, temperature: 0, stream: true })
      .withResponse();
    assert.equal(stream.response.headers.get('x-unbundle-route'), 'chef');
    assert.equal(stream.response.headers.get('x-unbundle-domain'), 'cooking');
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
    assert.ok(text.length > 0);
    assert.equal(lastLog().route, 'chef');
  });

  it('a rule on an x-unbundle-* header pins the model without running the classifier', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'Why my python function throws an exception?' }], max_tokens: 4 }, { headers: { 'x-unbundle-team': 'legal' } })
      .withResponse();
    assert.equal(response.headers.get('x-unbundle-route'), 'generalist');
    assert.equal(response.headers.get('x-unbundle-route-reason'), 'rule legal; pin generalist');
    assert.equal(response.headers.get('x-unbundle-domain'), 'none');
    assert.equal(lastLog().scores, undefined);
  });

  it('a cascade virtual model produces a cascade Plan (today the executor answers with its first step)', async () => {
    const { response } = await client.completions
      .create({ model: 'auto-cascade', prompt: 'Write a rust struct that leaks memory in the api handler', max_tokens: 4 })
      .withResponse();
    assert.equal(response.headers.get('x-unbundle-route'), 'coder');
    assert.match(response.headers.get('x-unbundle-route-reason')!, /cascade coder>generalist/);
    const log = lastLog();
    assert.deepEqual(log.cascade, ['min-length']);
    assert.deepEqual(log.fallbacks, ['generalist']);
  });

  it('an explicit model id bypasses routing; unknown names list the models; latency is tracked per model', async () => {
    const { response } = await client.chat.completions.create({ model: 'generalist', messages: [{ role: 'user', content: 'Why my python function throws?' }], max_tokens: 4 }).withResponse();
    assert.equal(response.headers.get('x-unbundle-route'), 'generalist');
    assert.equal(response.headers.get('x-unbundle-route-reason'), 'explicit model');
    assert.equal(response.headers.get('x-unbundle-domain'), null);
    const log = lastLog();
    assert.equal(log.route, undefined);
    assert.equal(log.reasons, undefined);
    await assert.rejects(client.chat.completions.create({ model: 'auto-best', messages: [{ role: 'user', content: 'x' }] }), (error: InstanceType<typeof OpenAI.APIError>) => error.status === 404 && /Known models: chef, coder, generalist/.test(error.message));
    const listed = (await client.models.list()).data as unknown as Array<{ id: string; backend: string; strategy?: string }>;
    assert.deepEqual(listed.map((m) => `${m.id}:${m.backend}:${m.strategy ?? ''}`), ['chef:llamacpp:', 'coder:llamacpp:', 'generalist:openai-compatible:', 'auto:router:best', 'auto-cascade:router:cascade']);
    const latency = started.gateway.latency!.snapshot();
    assert.ok(latency.get('generalist')! > 0 && latency.get('coder')! > 0, JSON.stringify([...latency]));
  });
});
