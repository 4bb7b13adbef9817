import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ChatRequest } from '../../../src/backends/types.ts';
import type { UnbundleError } from '../../../src/errors.ts';
import { startFakeOpenAIUpstream } from '../../fakes/fake-openai-upstream.ts';
import type { FakeBehavior, FakeOpenAIUpstream } from '../../fakes/fake-openai-upstream.ts';
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

const hello: ChatRequest = { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] };

/** Runs generate and stream under one behaviour and returns both errors. */
async function failures(behavior: FakeBehavior, config: Record<string, unknown> = {}): Promise<UnbundleError[]> {
  fake.setBehavior(behavior);
  const backend = backendFor({ baseURL: fake.url, ...config });
  const settled = await Promise.allSettled([backend.generate(hello, signal()), collect(backend.stream(hello, signal()))]);
  await backend.close();
  return settled.map((outcome) => {
    assert.equal(outcome.status, 'rejected', `expected ${behavior.kind} to fail`);
    return (outcome as PromiseRejectedResult).reason as UnbundleError;
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('OpenAICompatibleBackend error mapping', () => {
  const statusCases: Array<[number, string, boolean, number]> = [
    [400, 'UNBUNDLE_E_UPSTREAM_CLIENT', false, 400],
    [404, 'UNBUNDLE_E_UPSTREAM_CLIENT', false, 404],
    [422, 'UNBUNDLE_E_UPSTREAM_CLIENT', false, 422],
    [401, 'UNBUNDLE_E_UPSTREAM_AUTH', false, 502],
    [403, 'UNBUNDLE_E_UPSTREAM_AUTH', false, 502],
    [429, 'UNBUNDLE_E_UPSTREAM_RATE_LIMITED', true, 429],
    [409, 'UNBUNDLE_E_UPSTREAM_RATE_LIMITED', true, 429],
    [408, 'UNBUNDLE_E_UPSTREAM_TIMEOUT', true, 504],
    [500, 'UNBUNDLE_E_UPSTREAM_SERVER', true, 502],
    [503, 'UNBUNDLE_E_UPSTREAM_SERVER', true, 502],
  ];
  for (const [status, code, retryable, ourStatus] of statusCases) {
    it(`HTTP ${status} → ${code} (retryable: ${retryable}), upstream message kept`, async () => {
      const body = { error: { message: `upstream says ${status}`, type: 'x', param: null, code: null } };
      for (const error of await failures({ kind: 'error', status, body })) {
        assert.equal(error.code, code);
        assert.equal(error.retryable, retryable);
        assert.equal(error.status, ourStatus);
        assert.match(error.message, new RegExp(`upstream says ${status}`));
        assert.match(error.message, /test-model/);
      }
    });
  }

  it('parses Retry-After in seconds, as a date, and OpenAI retry-after-ms', async () => {
    const [seconds] = await failures({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });
    assert.equal(seconds.retryAfterSeconds, 7);
    const [date] = await failures({ kind: 'error', status: 503, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } });
    assert.ok(date.retryAfterSeconds !== undefined && date.retryAfterSeconds >= 28 && date.retryAfterSeconds <= 31, String(date.retryAfterSeconds));
    const [ms] = await failures({ kind: 'error', status: 429, headers: { 'retry-after-ms': '1500', 'retry-after': '9' } });
    assert.equal(ms.retryAfterSeconds, 1.5);
  });

  it('quotes vLLM, TGI and FastAPI error bodies, and never echoes the API key', async () => {
    const [vllm] = await failures({ kind: 'error', status: 400, body: { object: 'error', message: 'max_tokens is too large', type: 'BadRequestError', code: 400 } });
    assert.match(vllm.message, /max_tokens is too large/);
    const [tgi] = await failures({ kind: 'error', status: 422, body: { error: 'Input validation error', error_type: 'validation' } });
    assert.match(tgi.message, /Input validation error/);
    const [fastapi] = await failures({ kind: 'error', status: 422, body: { detail: [{ loc: ['body', 'messages'], msg: 'field required' }] } });
    assert.match(fastapi.message, /field required/);
    fake.setBehavior({ kind: 'error', status: 401, body: { error: { message: 'Incorrect API key provided: sk-secret-abcdef' } } });
    const backend = backendFor({ baseURL: fake.url, apiKeyEnv: 'KEY' }, { KEY: 'sk-secret-abcdef' });
    await assert.rejects(backend.generate(hello, signal()), (error: Error) => {
      assert.doesNotMatch(error.message, /sk-secret-abcdef/);
      assert.match(error.message, /\[redacted\]/);
      return true;
    });
    await backend.close();
  });

  it('connection refused → UPSTREAM_CONNECT (retryable) and state() turns to error, then back', async () => {
    const port = await freePort();
    const backend = backendFor({ baseURL: `http://127.0.0.1:${port}/v1` });
    await assert.rejects(backend.generate(hello, signal()), (error: UnbundleError) => {
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_CONNECT');
      assert.equal(error.retryable, true);
      return true;
    });
    await assert.rejects(collect(backend.stream(hello, signal())), { code: 'UNBUNDLE_E_UPSTREAM_CONNECT' });
    const state = backend.state();
    assert.equal(state.status, 'error');
    assert.match(state.lastError ?? '', /ECONNREFUSED/);
    await backend.close();
    const healthy = backendFor({ baseURL: fake.url });
    await healthy.generate(hello, signal());
    assert.equal(healthy.state().status, 'ready');
    await healthy.close();
  });

  it('a stream that reaches the upstream again turns state() back to ready', async () => {
    const port = await freePort();
    const backend = backendFor({ baseURL: `http://127.0.0.1:${port}/v1` });
    await assert.rejects(collect(backend.stream(hello, signal())), { code: 'UNBUNDLE_E_UPSTREAM_CONNECT' });
    assert.equal(backend.state().status, 'error');
    const server = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"choices":[{"index":0,"delta":{"content":"back"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const parts = await collect(backend.stream(hello, signal()));
      assert.deepEqual(parts[0], { type: 'text-delta', text: 'back' });
      assert.equal(backend.state().status, 'ready');
    } finally {
      await backend.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('socket reset → UPSTREAM_CONNECT, retryable', async () => {
    for (const error of await failures({ kind: 'reset' })) {
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_CONNECT');
      assert.equal(error.retryable, true);
    }
  });

  it('an upstream that hangs → UPSTREAM_TIMEOUT after firstByteTimeoutMs, not a hang', async () => {
    const started = Date.now();
    for (const error of await failures({ kind: 'hang' }, { firstByteTimeoutMs: 150 })) {
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_TIMEOUT');
      assert.match(error.message, /firstByteTimeoutMs \(150 ms\)/);
    }
    assert.ok(Date.now() - started < 2000);
    assert.equal((await fake.requests[0].closed).completed, false, 'the hung request is abandoned');
  });

  it('a stream that stalls between chunks → UPSTREAM_TIMEOUT after idleTimeoutMs', async () => {
    // undici checks body timeouts on a ~0.5 s tick, so the gap must be well past that.
    fake.setBehavior({ kind: 'drip', intervalMs: 5000 });
    const backend = backendFor({ baseURL: fake.url, idleTimeoutMs: 100 });
    const started = Date.now();
    const parts: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const part of backend.stream(hello, signal())) parts.push(part.type);
      })(),
      (error: UnbundleError) => {
        assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_TIMEOUT');
        assert.match(error.message, /idleTimeoutMs \(100 ms\)/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    assert.deepEqual(parts, [], 'the role chunk carries no part; the first word never came in time');
    await backend.close();
  });

  it('a stream cut short without finish reason or [DONE] is an error, never a silent truncation', async () => {
    fake.setBehavior({ kind: 'cut', afterTokens: 3 });
    const backend = backendFor({ baseURL: fake.url });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const part of backend.stream(hello, signal())) if (part.type === 'text-delta') seen.push(part.text);
      })(),
      (error: UnbundleError) => {
        assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_MALFORMED');
        assert.match(error.message, /cut short/);
        return true;
      },
    );
    assert.deepEqual(seen, ['Hello ', 'from ']);
    fake.setBehavior({ kind: 'cut', afterTokens: 2, destroy: true });
    await assert.rejects(collect(backend.stream(hello, signal())), { code: 'UNBUNDLE_E_UPSTREAM_CONNECT' });
    await backend.close();
    // A non-streamed answer cut mid-body.
    for (const error of await failures({ kind: 'cut' })) assert.equal(error.retryable, true);
  });

  it('malformed JSON and broken stream chunks → UPSTREAM_MALFORMED', async () => {
    for (const error of await failures({ kind: 'malformed' })) {
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_MALFORMED');
      assert.match(error.message, /invalid JSON/);
    }
  });

  it('the per-request x-fake-behavior header overrides the server behaviour', async () => {
    const backend = backendFor({ baseURL: fake.url, headers: { 'x-fake-behavior': 'error:503' } });
    await assert.rejects(backend.generate(hello, signal()), { code: 'UNBUNDLE_E_UPSTREAM_SERVER' });
    await backend.close();
  });
});

describe('OpenAICompatibleBackend cancellation', () => {
  it('aborting a waiting generate cancels at once and closes the upstream request', async () => {
    fake.setBehavior({ kind: 'hang' });
    const backend = backendFor({ baseURL: fake.url });
    const controller = new AbortController();
    const pending = backend.generate(hello, controller.signal);
    await until(() => fake.requests.length === 1, 2000, 'the request to reach the fake');
    assert.equal(backend.state().active, 1);
    controller.abort();
    await assert.rejects(pending, { code: 'UNBUNDLE_E_CANCELLED' });
    assert.deepEqual(await fake.requests[0].closed, { completed: false });
    assert.equal(backend.state().active, 0);
    await backend.close();
  });

  it('aborting mid-stream ends the iteration with CANCELLED and closes the upstream request', async () => {
    fake.setBehavior({ kind: 'drip', intervalMs: 100, text: 'a b c d e f g h i j' });
    const backend = backendFor({ baseURL: fake.url });
    const controller = new AbortController();
    const texts: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const part of backend.stream(hello, controller.signal)) {
          if (part.type === 'text-delta') texts.push(part.text);
          if (texts.length === 2) controller.abort();
        }
      })(),
      { code: 'UNBUNDLE_E_CANCELLED' },
    );
    assert.deepEqual(texts, ['a ', 'b ']);
    assert.deepEqual(await fake.requests[0].closed, { completed: false });
    await backend.close();
  });

  it('aborting a request queued behind busy connections cancels at once', { timeout: 5000 }, async () => {
    fake.setBehavior({ kind: 'hang' });
    const backend = backendFor({ baseURL: fake.url, connections: 1 });
    const busy = backend.generate(hello, signal());
    await until(() => fake.requests.length === 1, 2000, 'the first request to reach the fake');
    const controller = new AbortController();
    const queued = backend.generate(hello, controller.signal);
    assert.equal(backend.state().active, 2);
    controller.abort();
    await assert.rejects(queued, { code: 'UNBUNDLE_E_CANCELLED' });
    assert.equal(backend.state().active, 1);
    assert.equal(fake.requests.length, 1, 'the queued request never went upstream');
    await backend.close();
    await assert.rejects(busy);
  });

  it('an already aborted signal sends nothing', async () => {
    const backend = backendFor({ baseURL: fake.url });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(backend.generate(hello, controller.signal), { code: 'UNBUNDLE_E_CANCELLED' });
    await assert.rejects(backend.embed({ input: ['x'] }, controller.signal), { code: 'UNBUNDLE_E_CANCELLED' });
    assert.equal(fake.requests.length, 0);
    await backend.close();
  });

  it('close() with a request in flight cuts it instead of waiting forever', async () => {
    fake.setBehavior({ kind: 'hang' });
    const backend = backendFor({ baseURL: fake.url });
    const pending = backend.generate(hello, signal());
    await until(() => fake.requests.length === 1, 2000, 'the request to reach the fake');
    await backend.close();
    await assert.rejects(pending, (error: UnbundleError) => error.retryable === true);
  });
});
