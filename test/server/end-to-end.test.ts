import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { sharedModel, storiesGreedy, storiesPrompt } from '../backends/llamacpp/test-models.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';

/**
 * The whole house with real parts: the official openai client → unbundle → the tiny real GGUF
 * models in-process, and → a fake OpenAI-compatible upstream over loopback HTTP.
 */
describe('end to end: openai client → unbundle → local GGUF models and an HTTP upstream', () => {
  let upstream: FakeOpenAIUpstream;
  let started: StartedGateway;
  let client: OpenAI;

  before(async () => {
    upstream = await startFakeOpenAIUpstream();
    started = await startGatewayFromConfig({
      models: [
        { id: 'stories', backend: 'llamacpp', path: sharedModel('stories260K.gguf'), threads: 1, contextSize: 512, parallel: 4, queueLimit: 4 },
        { id: 'stories-lora', backend: 'llamacpp', path: sharedModel('stories260K.gguf'), lora: sharedModel('stories260K-random-lora.gguf'), threads: 1, contextSize: 256, parallel: 1 },
        { id: 'random', backend: 'llamacpp', path: sharedModel('llama-2-tiny-random.gguf'), threads: 1, contextSize: 256, parallel: 1 },
        { id: 'upstream', backend: 'openai-compatible', baseURL: upstream.url, model: 'gpt-4o-mini' },
      ],
    });
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await started.close();
    await upstream.close();
  });

  it('completes "Once upon a time" with stories260K\'s known greedy English', async () => {
    const completion = await client.completions.create({ model: 'stories', prompt: storiesPrompt, max_tokens: 64, temperature: 0 });
    assert.equal(completion.choices[0]!.text, storiesGreedy);
    assert.equal(completion.usage!.completion_tokens, 64);
    assert.equal(completion.choices[0]!.finish_reason, 'length');
  });

  it('streams the same text it answers in one piece, with usage', async () => {
    const stream = await client.completions.create({ model: 'stories', prompt: storiesPrompt, max_tokens: 32, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    const whole = await client.completions.create({ model: 'stories', prompt: storiesPrompt, max_tokens: 32, temperature: 0 });
    assert.equal(text, whole.choices[0]!.text);
    assert.equal(usage?.completion_tokens, 32);
  });

  it('chats with a local model and with the random 32k-vocab model', async () => {
    const chat = await client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: 'Tell me a story about Lily.' }], max_tokens: 24, temperature: 0 });
    assert.ok(chat.choices[0]!.message.content!.length > 0);
    assert.ok(chat.usage!.prompt_tokens > 5);
    const random = await client.chat.completions.create({ model: 'random', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8, temperature: 0 });
    assert.equal(random.usage!.completion_tokens, 8);
  });

  it('serves a specialist (base + LoRA) whose output differs from the base', async () => {
    const base = await client.completions.create({ model: 'stories', prompt: storiesPrompt, max_tokens: 24, temperature: 0 });
    const specialist = await client.completions.create({ model: 'stories-lora', prompt: storiesPrompt, max_tokens: 24, temperature: 0 });
    assert.notEqual(specialist.choices[0]!.text, base.choices[0]!.text);
  });

  it('embeds with a local model', async () => {
    const result = await client.embeddings.create({ model: 'stories', input: ['a cat', 'a dog'], encoding_format: 'float' });
    assert.equal(result.data.length, 2);
    assert.equal(result.data[0]!.embedding.length, 64);
  });

  it('runs 16 concurrent requests on a parallel:4 model, all correct', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => client.completions.create({ model: 'stories', prompt: storiesPrompt, max_tokens: 16, temperature: 0 })),
    );
    const more = await Promise.allSettled(
      Array.from({ length: 8 }, () => client.completions.create({ model: 'stories', prompt: storiesPrompt, max_tokens: 16, temperature: 0 })),
    );
    const expected = storiesGreedy.slice(0, answers[0]!.choices[0]!.text.length);
    for (const answer of answers) assert.equal(answer.choices[0]!.text, expected);
    for (const result of more) {
      assert.equal(result.status, 'fulfilled');
      assert.equal(result.status === 'fulfilled' && result.value.choices[0]!.text, expected);
    }
  });

  it('answers a full queue with 429 and Retry-After, never a timeout', async () => {
    // parallel 4 + queueLimit 4 = 8 admitted; the rest must be refused at once.
    const body = JSON.stringify({ model: 'stories', prompt: storiesPrompt, max_tokens: 200, temperature: 0 });
    const responses = await Promise.all(
      Array.from({ length: 16 }, () => fetch(`${started.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 8, `statuses: ${statuses.join(',')}`);
    const refused = responses.filter((r) => r.status === 429);
    assert.equal(refused.length, 8);
    assert.ok(Number(refused[0]!.headers.get('retry-after')) >= 1);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
  });

  it('proxies to the HTTP upstream, stream and not, naming the upstream model', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'upstream', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 }).withResponse();
    assert.equal(data.choices[0]!.message.content, 'Hello from the fake upstream.');
    assert.equal(response.headers.get('x-unbundle-model'), 'upstream');
    const sent = upstream.requests.at(-1)!.body as { model: string; max_tokens: number };
    assert.equal(sent.model, 'gpt-4o-mini');
    assert.equal(sent.max_tokens, 5);
    const stream = await client.chat.completions.create({ model: 'upstream', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'Hello from the fake upstream.');
  });

  it('closes the upstream request at once when the openai client leaves mid-stream', async () => {
    upstream.setBehavior({ kind: 'drip', intervalMs: 300, text: 'one two three four five six' });
    try {
      const before = upstream.requests.length;
      const controller = new AbortController();
      const stream = await client.chat.completions.create({ model: 'upstream', messages: [{ role: 'user', content: 'Hi' }], stream: true }, { signal: controller.signal });
      const words: string[] = [];
      const left = Date.now();
      await (async () => {
        for await (const chunk of stream) {
          const text = chunk.choices[0]?.delta.content;
          if (!text) continue;
          words.push(text);
          controller.abort();
        }
      })().catch(() => undefined);
      const closed = await upstream.requests[before]!.closed;
      assert.equal(closed.completed, false, 'the upstream answer was not read to its end');
      assert.ok(Date.now() - left < 1_000, `the upstream request was dropped ${Date.now() - left} ms after the client left`);
      assert.deepEqual(words, ['one ']);
      const health = (await (await fetch(`${started.url}/health`)).json()) as { models: Array<{ id: string; active?: number }> };
      assert.equal(health.models.find((model) => model.id === 'upstream')?.active, 0, 'no request left counted as in flight');
    } finally {
      upstream.setBehavior({ kind: 'ok' });
    }
  });

  it('maps upstream 4xx/5xx, malformed JSON and a hang to clear errors', async () => {
    const ask = (behavior: string, timeoutMs?: number) =>
      fetch(`${started.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(timeoutMs ? { 'x-unbundle-timeout-ms': String(timeoutMs) } : {}) },
        body: JSON.stringify({ model: 'upstream', messages: [{ role: 'user', content: 'x' }], 'x-fake': behavior }),
      });
    const cases: Array<[string, number, string, number?]> = [
      ['error:400', 400, 'UNBUNDLE_E_UPSTREAM_CLIENT'],
      ['error:503', 502, 'UNBUNDLE_E_UPSTREAM_SERVER'],
      ['malformed', 502, 'UNBUNDLE_E_UPSTREAM_MALFORMED'],
      ['hang', 504, 'UNBUNDLE_E_UPSTREAM_TIMEOUT', 300],
    ];
    for (const [behavior, status, code, timeoutMs] of cases) {
      upstream.setBehavior(behavior === 'hang' ? { kind: 'hang' } : behavior === 'malformed' ? { kind: 'malformed' } : { kind: 'error', status: Number(behavior.split(':')[1]) });
      const t0 = Date.now();
      const response = await ask(behavior, timeoutMs);
      assert.equal(response.status, status, behavior);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, code, behavior);
      if (timeoutMs) assert.ok(Date.now() - t0 < timeoutMs + 1_000, 'the deadline was not honoured');
    }
    upstream.setBehavior({ kind: 'ok' });
  });
});
