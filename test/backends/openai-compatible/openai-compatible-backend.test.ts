import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ChatRequest } from '../../../src/backends/types.ts';
import { startFakeOpenAIUpstream } from '../../fakes/fake-openai-upstream.ts';
import type { FakeOpenAIUpstream } from '../../fakes/fake-openai-upstream.ts';
import { backendFor, collect, signal, until } from './helpers.ts';

let fake: FakeOpenAIUpstream;
before(async () => {
  fake = await startFakeOpenAIUpstream();
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.setBehavior({ kind: 'ok' });
});

const hello: ChatRequest = { kind: 'chat', messages: [{ role: 'user', content: 'Say hello' }] };

describe('OpenAICompatibleBackend against the fake upstream', () => {
  it('generate: exact text, finish reason, usage and what was sent', async () => {
    const backend = backendFor({ baseURL: fake.url, model: 'upstream-name' });
    const result = await backend.generate(
      {
        kind: 'chat',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', url: 'data:image/png;base64,AAAA' }] },
        ],
        maxTokens: 20,
        temperature: 0.2,
        topP: 0.9,
        seed: 7,
        stop: ['\n\n'],
        presencePenalty: 0.1,
        frequencyPenalty: 0.3,
        responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
        user: 'user-1',
      },
      signal(),
    );
    assert.deepEqual(result, {
      text: 'Hello from the fake upstream.',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: result.usage.inputTokens, outputTokens: 5 },
      responseModel: 'upstream-name',
    });
    assert.equal(typeof result.usage.inputTokens, 'number');
    const [sent] = fake.requests;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.path, '/v1/chat/completions');
    assert.equal(sent.headers['content-type'], 'application/json');
    assert.equal(sent.headers.authorization, undefined);
    assert.deepEqual(sent.body, {
      model: 'upstream-name',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      ],
      max_tokens: 20,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ['\n\n'],
      presence_penalty: 0.1,
      frequency_penalty: 0.3,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      user: 'user-1',
    });
    await backend.close();
  });

  it('uses the model id upstream when no model name is configured, and keeps a baseURL query', async () => {
    const backend = backendFor({ id: 'my-id', baseURL: `${fake.url}/?api-version=2024` });
    await backend.generate(hello, signal());
    assert.equal(fake.requests[0].path, '/v1/chat/completions?api-version=2024');
    assert.deepEqual((fake.requests[0].body as { model: string }).model, 'my-id');
    await backend.close();
  });

  it('generate: completion requests go to /completions with a prompt', async () => {
    const backend = backendFor({ baseURL: fake.url });
    const result = await backend.generate({ kind: 'completion', prompt: 'Once upon', maxTokens: 3 }, signal());
    assert.equal(result.text, 'Hello from the fake upstream.');
    assert.equal(fake.requests[0].path, '/v1/completions');
    assert.deepEqual(fake.requests[0].body, { model: 'test-model', prompt: 'Once upon', max_tokens: 3 });
    await backend.close();
  });

  it('generate: tool calls both ways (definitions, choice, earlier calls and results)', async () => {
    fake.setBehavior({ kind: 'ok', text: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const backend = backendFor({ baseURL: fake.url });
    const result = await backend.generate(
      {
        kind: 'chat',
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'get_weather', arguments: '{"city":"Rome"}' }] },
          { role: 'tool', toolCallId: 'call_0', content: 'sunny' },
        ],
        tools: [{ name: 'get_weather', description: 'Weather by city', parameters: { type: 'object' } }],
        toolChoice: { name: 'get_weather' },
      },
      signal(),
    );
    assert.deepEqual(result.toolCalls, [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    assert.equal(result.finishReason, 'tool_calls');
    assert.equal(result.text, '');
    const body = fake.requests[0].body as Record<string, unknown>;
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } }] },
      { role: 'tool', tool_call_id: 'call_0', content: 'sunny' },
    ]);
    assert.deepEqual(body.tools, [{ type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object' } } }]);
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'get_weather' } });
    await backend.close();
  });

  it('usage stays unknown (not 0) when the upstream sends none, in generate and stream', async () => {
    fake.setBehavior({ kind: 'ok', usage: false });
    const backend = backendFor({ baseURL: fake.url });
    const result = await backend.generate(hello, signal());
    assert.deepEqual(result.usage, { inputTokens: undefined, outputTokens: undefined });
    const parts = await collect(backend.stream(hello, signal()));
    assert.equal(parts.some((p) => p.type === 'usage'), false);
    assert.deepEqual(parts.at(-1), { type: 'finish', finishReason: 'stop' });
    await backend.close();
  });

  it('maps cached and reasoning token details', async () => {
    fake.setBehavior({
      kind: 'ok',
      usage: { prompt_tokens: 100, completion_tokens: 40, total_tokens: 140, prompt_tokens_details: { cached_tokens: 64 }, completion_tokens_details: { reasoning_tokens: 30 } },
    });
    const backend = backendFor({ baseURL: fake.url });
    const result = await backend.generate(hello, signal());
    assert.deepEqual(result.usage, { inputTokens: 100, outputTokens: 40, cachedInputTokens: 64, reasoningTokens: 30 });
    await backend.close();
  });

  it('stream: typed parts in order, usage before the one final finish, stream flags sent', async () => {
    const backend = backendFor({ baseURL: fake.url });
    const parts = await collect(backend.stream({ ...hello, temperature: 0 }, signal()));
    const usage = parts.find((p) => p.type === 'usage');
    assert.ok(usage !== undefined && usage.type === 'usage');
    assert.deepEqual(parts, [
      { type: 'text-delta', text: 'Hello ' },
      { type: 'text-delta', text: 'from ' },
      { type: 'text-delta', text: 'the ' },
      { type: 'text-delta', text: 'fake ' },
      { type: 'text-delta', text: 'upstream.' },
      { type: 'usage', usage: { inputTokens: usage.usage.inputTokens, outputTokens: 5 } },
      { type: 'finish', finishReason: 'stop' },
    ]);
    assert.deepEqual(fake.requests[0].body, {
      model: 'test-model',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
    });
    assert.equal(backend.state().active, 0);
    await backend.close();
  });

  it('stream: tool-call deltas, and completion streams', async () => {
    fake.setBehavior({ kind: 'ok', text: '', toolCalls: [{ id: 'call_9', name: 'lookup', arguments: '{"q":"x"}' }] });
    const backend = backendFor({ baseURL: fake.url });
    const parts = await collect(backend.stream(hello, signal()));
    assert.deepEqual(parts.filter((p) => p.type !== 'usage'), [
      { type: 'tool-call-delta', index: 0, id: 'call_9', name: 'lookup', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"x"}' },
      { type: 'finish', finishReason: 'tool_calls' },
    ]);
    fake.setBehavior({ kind: 'ok', text: 'a b' });
    const completion = await collect(backend.stream({ kind: 'completion', prompt: 'x' }, signal()));
    assert.deepEqual(completion.filter((p) => p.type === 'text-delta').map((p) => (p.type === 'text-delta' ? p.text : '')), ['a ', 'b']);
    assert.equal(fake.requests.at(-1)?.path, '/v1/completions');
    await backend.close();
  });

  it('stream: yields each part as it arrives, not when the answer is complete', async () => {
    fake.setBehavior({ kind: 'drip', intervalMs: 200, text: 'one two three four five six seven eight' });
    const backend = backendFor({ baseURL: fake.url });
    const iterator = backend.stream(hello, signal())[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.deepEqual(first.value, { type: 'text-delta', text: 'one ' });
    // The fake has not even written the later tokens yet.
    assert.ok(fake.requests[0].sentTokens < 9, `sent ${fake.requests[0].sentTokens} of 9 chunks before we saw the first`);
    await iterator.return?.(undefined);
    const closed = await fake.requests[0].closed;
    assert.equal(closed.completed, false, 'stopping early must close the upstream request');
    await until(() => backend.state().active === 0, 1000, 'active to drop');
    await backend.close();
  });

  it('embed: vectors in input order with usage', async () => {
    const backend = backendFor({ baseURL: fake.url, model: 'embedder' });
    const result = await backend.embed({ input: ['alpha', 'beta gamma'], dimensions: 4 }, signal());
    assert.equal(result.embeddings.length, 2);
    assert.equal(result.embeddings[0].length, 4);
    assert.notDeepEqual(result.embeddings[0], result.embeddings[1]);
    assert.deepEqual(result.usage, { inputTokens: 3, outputTokens: 0 });
    const again = await backend.embed({ input: ['beta gamma'], dimensions: 4 }, signal());
    assert.deepEqual(again.embeddings[0], result.embeddings[1]);
    assert.equal(fake.requests[0].path, '/v1/embeddings');
    assert.deepEqual(fake.requests[0].body, { model: 'embedder', input: ['alpha', 'beta gamma'], encoding_format: 'float', dimensions: 4 });
    await backend.close();
  });

  it('forwards providerOptions as-is but never lets them replace model, messages or stream', async () => {
    const backend = backendFor({ baseURL: fake.url, model: 'routed-model' });
    await backend.generate(
      { ...hello, topK: 40, providerOptions: { repetition_penalty: 1.1, guided_json: { type: 'object' }, model: 'sneaky', stream: true, messages: [] } },
      signal(),
    );
    const body = fake.requests[0].body as Record<string, unknown>;
    assert.equal(body.repetition_penalty, 1.1);
    assert.deepEqual(body.guided_json, { type: 'object' });
    assert.equal(body.top_k, 40);
    assert.equal(body.model, 'routed-model');
    assert.equal(body.stream, undefined);
    assert.deepEqual(body.messages, [{ role: 'user', content: 'Say hello' }]);
    await backend.close();
  });

  it('sends the API key from the env var named by apiKeyEnv, plus configured headers', async () => {
    const backend = backendFor({ baseURL: fake.url, apiKeyEnv: 'FAKE_KEY', headers: { 'X-Org': 'acme' } }, { FAKE_KEY: 'sk-test-123' });
    await backend.generate(hello, signal());
    assert.equal(fake.requests[0].headers.authorization, 'Bearer sk-test-123');
    assert.equal(fake.requests[0].headers['x-org'], 'acme');
    await backend.close();
  });

  it('fails clearly, naming the variable and sending nothing, when apiKeyEnv is not set', async () => {
    const backend = backendFor({ baseURL: fake.url, apiKeyEnv: 'MISSING_KEY_VAR' }, {});
    // Its state says so before any request (what /health, `unbundle models` and serve's start-up list show).
    const state = backend.state();
    assert.equal(state.status, 'error');
    assert.match(state.lastError ?? '', /MISSING_KEY_VAR/);
    await assert.rejects(backend.generate(hello, signal()), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_AUTH');
      assert.match(error.message, /MISSING_KEY_VAR/);
      return true;
    });
    await assert.rejects(collect(backend.stream(hello, signal())), { code: 'UNBUNDLE_E_UPSTREAM_AUTH' });
    assert.equal(fake.requests.length, 0);
    await backend.close();
  });

  it('replays a whole JSON answer as parts when a server ignores stream: true', async () => {
    fake.setBehavior({ kind: 'error', status: 200, body: { id: 'x', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'whole' }, finish_reason: 'length' }] } });
    const backend = backendFor({ baseURL: fake.url });
    assert.deepEqual(await collect(backend.stream(hello, signal())), [
      { type: 'text-delta', text: 'whole' },
      { type: 'finish', finishReason: 'length' },
    ]);
    await backend.close();
  });

  it('reuses keep-alive connections and reports its state', async () => {
    const backend = backendFor({ baseURL: fake.url, connections: 2 });
    await Promise.all(Array.from({ length: 10 }, () => backend.generate(hello, signal())));
    await Promise.all(Array.from({ length: 10 }, () => backend.generate(hello, signal())));
    const ports = new Set(fake.requests.map((r) => r.remotePort));
    assert.equal(fake.requests.length, 20);
    assert.ok(ports.size <= 2, `20 requests over at most 2 connections, saw ${ports.size}`);
    assert.deepEqual(backend.state(), { status: 'ready', active: 0, queued: 0 });
    await backend.close();
    assert.equal(backend.state().status, 'unloaded');
  });
});
