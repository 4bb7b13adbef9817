import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Backend } from '../../../src/backends/backend.ts';
import { createBackend } from '../../../src/backends/create-backend.ts';
import type { ChatRequest, StreamPart } from '../../../src/backends/types.ts';
import { UnbundleError } from '../../../src/errors.ts';
import { portfolioFromObject } from '../../../src/portfolio/load-portfolio.ts';
import { startFakeAnthropicUpstream } from '../../fakes/fake-anthropic-upstream.ts';
import { startFakeGeminiUpstream } from '../../fakes/fake-gemini-upstream.ts';
import type { FakeBehavior, FakeUpstream } from '../../fakes/fake-upstream-server.ts';

/**
 * The Anthropic and Gemini adapters against their chaos fakes: every fault a provider can
 * produce ends as the UnbundleError the executor expects (right code, right retryability), a
 * cut or mis-framed stream never passes as a whole answer, and cancelling closes the upstream.
 */

const never = new AbortController().signal;
const request: ChatRequest = { kind: 'chat', messages: [{ role: 'user', content: 'Hello' }] };
const toolRequest: ChatRequest = {
  kind: 'chat',
  messages: [{ role: 'user', content: 'Weather in Oslo?' }],
  tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
};

const providers = {
  anthropic: { start: startFakeAnthropicUpstream, env: 'ANTHROPIC_API_KEY' },
  gemini: { start: startFakeGeminiUpstream, env: 'GEMINI_API_KEY' },
} as const;

async function collect(backend: Backend, req: ChatRequest, signal = never): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of backend.stream(req, signal)) parts.push(part);
  return parts;
}

async function failure(run: () => Promise<unknown>): Promise<UnbundleError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof UnbundleError, `expected an UnbundleError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

const textOf = (parts: StreamPart[]) => parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');

for (const provider of ['anthropic', 'gemini'] as const) {
  const setup = providers[provider];
  describe(`${provider} adapter under faults`, { timeout: 60_000 }, () => {
    let fake: FakeUpstream;
    let backend: Backend;
    before(async () => {
      fake = await setup.start();
      const config = portfolioFromObject({
        models: [{ id: provider, backend: provider, baseURL: fake.url, firstByteTimeoutMs: 1500, idleTimeoutMs: 1500 }],
      }).models[0]!;
      backend = await createBackend(config, { env: { [setup.env]: 'k-secret' }, llamaRuntime: () => Promise.reject(new Error('not used')) });
    });
    after(async () => {
      await backend.close();
      await fake.close();
    });
    const use = (behavior: FakeBehavior) => fake.setBehavior(behavior);

    test('ok: a whole answer and a stream, with usage', async () => {
      use({ kind: 'ok' });
      const result = await backend.generate(request, never);
      assert.equal(result.text, 'Hello from the fake upstream.');
      assert.equal(result.finishReason, 'stop');
      assert.equal(result.usage.outputTokens, 5);
      assert.ok((result.usage.inputTokens ?? 0) > 0);
      const parts = await collect(backend, request);
      assert.equal(textOf(parts), 'Hello from the fake upstream.');
      assert.deepEqual(parts.at(-1), { type: 'finish', finishReason: 'stop' });
      assert.equal(parts.at(-2)?.type, 'usage');
      assert.equal(backend.state().status, 'ready');
    });

    test('ok with tool calls: generate and stream agree', async () => {
      use({ kind: 'ok', text: '', toolCalls: [{ id: 'call_0', name: 'get_weather', input: { city: 'Oslo' } }] });
      const result = await backend.generate(toolRequest, never);
      assert.equal(result.finishReason, 'tool_calls');
      assert.equal(result.toolCalls.length, 1);
      assert.equal(result.toolCalls[0]!.name, 'get_weather');
      assert.deepEqual(JSON.parse(result.toolCalls[0]!.arguments), { city: 'Oslo' });
      const parts = await collect(backend, toolRequest);
      const deltas = parts.filter((p) => p.type === 'tool-call-delta');
      assert.equal(deltas[0]!.name, 'get_weather');
      assert.equal(deltas[0]!.id, result.toolCalls[0]!.id);
      assert.deepEqual(JSON.parse(deltas.map((d) => d.argumentsDelta).join('')), { city: 'Oslo' });
      assert.deepEqual(parts.at(-1), { type: 'finish', finishReason: 'tool_calls' });
    });

    const statusTable: Array<[number, string, boolean]> = [
      [400, 'UNBUNDLE_E_UPSTREAM_CLIENT', false],
      [401, 'UNBUNDLE_E_UPSTREAM_AUTH', false],
      [403, 'UNBUNDLE_E_UPSTREAM_AUTH', false],
      [404, 'UNBUNDLE_E_UPSTREAM_CLIENT', false],
      [429, 'UNBUNDLE_E_UPSTREAM_RATE_LIMITED', true],
      [500, 'UNBUNDLE_E_UPSTREAM_SERVER', true],
      [503, 'UNBUNDLE_E_UPSTREAM_SERVER', true],
      [529, 'UNBUNDLE_E_UPSTREAM_SERVER', true],
    ];
    for (const [status, code, retryable] of statusTable) {
      test(`error ${status} → ${code}`, async () => {
        use({ kind: 'error', status });
        for (const run of [() => backend.generate(request, never), () => collect(backend, request)]) {
          const error = await failure(run);
          assert.equal(error.code, code);
          assert.equal(error.retryable, retryable);
          assert.match(error.message, new RegExp(`HTTP ${status}`));
        }
      });
    }

    test('reset → UPSTREAM_CONNECT (retryable)', async () => {
      use({ kind: 'reset' });
      const error = await failure(() => backend.generate(request, never));
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_CONNECT');
      assert.equal(error.retryable, true);
    });

    test('hang → UPSTREAM_TIMEOUT after firstByteTimeoutMs', async () => {
      use({ kind: 'hang' });
      const started = Date.now();
      const error = await failure(() => backend.generate(request, never));
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_TIMEOUT');
      assert.ok(Date.now() - started < 5000);
    });

    test('drip: slow tokens still arrive whole', async () => {
      use({ kind: 'drip', intervalMs: 5 });
      const parts = await collect(backend, request);
      assert.equal(textOf(parts), 'Hello from the fake upstream.');
    });

    for (const destroy of [false, true]) {
      test(`cut stream (${destroy ? 'socket destroyed' : 'clean end'}) → UPSTREAM_MALFORMED after the parts that came`, async () => {
        use({ kind: 'cut', afterEvents: 3, destroy });
        const parts: StreamPart[] = [];
        const error = await failure(async () => {
          for await (const part of backend.stream(request, never)) parts.push(part);
        });
        assert.ok(error.code === 'UNBUNDLE_E_UPSTREAM_MALFORMED' || (destroy && error.code === 'UNBUNDLE_E_UPSTREAM_CONNECT'), error.code);
        assert.equal(error.retryable, true);
        assert.ok(parts.every((p) => p.type !== 'finish'));
      });
    }

    test('cut whole body → not an answer', async () => {
      use({ kind: 'cut' });
      const error = await failure(() => backend.generate(request, never));
      assert.ok(['UNBUNDLE_E_UPSTREAM_MALFORMED', 'UNBUNDLE_E_UPSTREAM_CONNECT'].includes(error.code), error.code);
    });

    test('malformed JSON → UPSTREAM_MALFORMED, both ways', async () => {
      use({ kind: 'malformed' });
      assert.equal((await failure(() => backend.generate(request, never))).code, 'UNBUNDLE_E_UPSTREAM_MALFORMED');
      assert.equal((await failure(() => collect(backend, request))).code, 'UNBUNDLE_E_UPSTREAM_MALFORMED');
    });

    test('wrong SSE framing → UPSTREAM_MALFORMED, never a silent empty answer', async () => {
      use({ kind: 'framing' });
      const error = await failure(() => collect(backend, request));
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_MALFORMED');
    });

    test('x-fake-behavior header: an error status picked from a list, per request', async () => {
      const config = portfolioFromObject({ models: [{ id: 'h', backend: provider, baseURL: fake.url, headers: { 'x-fake-behavior': 'error:429,529' } }] }).models[0]!;
      const flaky = await createBackend(config, { env: { [setup.env]: 'k' }, llamaRuntime: () => Promise.reject(new Error('not used')) });
      try {
        const codes = new Set<string>();
        for (let i = 0; i < 12; i++) codes.add((await failure(() => flaky.generate(request, never))).code);
        assert.ok([...codes].every((code) => code === 'UNBUNDLE_E_UPSTREAM_RATE_LIMITED' || code === 'UNBUNDLE_E_UPSTREAM_SERVER'), [...codes].join());
        assert.ok(fake.requests.at(-1)!.headers['x-fake-behavior'] === 'error:429,529');
      } finally {
        await flaky.close();
      }
    });

    test('a script of behaviours, one per request', async () => {
      use({ kind: 'ok' });
      fake.setScript([{ kind: 'error', status: 503 }, { kind: 'ok', text: 'second' }]);
      assert.equal((await failure(() => backend.generate(request, never))).code, 'UNBUNDLE_E_UPSTREAM_SERVER');
      assert.equal((await backend.generate(request, never)).text, 'second');
      assert.equal((await backend.generate(request, never)).text, 'Hello from the fake upstream.');
    });

    test('cancelling mid-stream closes the upstream connection', async () => {
      use({ kind: 'drip', intervalMs: 200 });
      const controller = new AbortController();
      const seen = fake.requests.length;
      const parts: StreamPart[] = [];
      const error = await failure(async () => {
        for await (const part of backend.stream(request, controller.signal)) {
          parts.push(part);
          controller.abort();
        }
      });
      assert.equal(error.code, 'UNBUNDLE_E_CANCELLED');
      const closed = await fake.requests[seen]!.closed;
      assert.equal(closed.completed, false);
    });

    test('a missing API key fails with its name and sends nothing', async () => {
      const config = portfolioFromObject({ models: [{ id: 'nokey', backend: provider, baseURL: fake.url }] }).models[0]!;
      const keyless = await createBackend(config, { env: {}, llamaRuntime: () => Promise.reject(new Error('not used')) });
      assert.equal(keyless.state().status, 'error', 'its state says so before any request');
      assert.match(keyless.state().lastError ?? '', new RegExp(setup.env));
      const before = fake.requests.length;
      const error = await failure(() => keyless.generate(request, never));
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_AUTH');
      assert.match(error.message, new RegExp(setup.env));
      assert.equal(fake.requests.length, before);
      await keyless.close();
    });
  });
}
