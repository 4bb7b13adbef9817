import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAIUpstream, type FakeBehavior, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';

/**
 * The fault table: every upstream fault × stream or not × a fallback present or not, through the
 * real gateway, the real OpenAI-compatible backend and a fake upstream over loopback. Each row
 * checks the status, the error code, which model answered, the attempts and the log line.
 *
 * Models: `primary` → the faulty upstream, falls back to `backup` (healthy upstream); `lonely` →
 * the same faulty upstream, no fallback. Retries: 2 (so a persistent retryable fault is tried
 * 3 times), backoff base 2 ms; the breaker is set out of reach so rows do not affect each other.
 */

interface Row {
  fault: string;
  behavior: FakeBehavior;
  stream: boolean;
  fallback: boolean;
  status: number;
  code?: string | RegExp;
  model: string;
  attempts: number | [number, number];
  /** A stream that starts (200) and then ends with an error event. */
  errorEvent?: string;
  retryAfter?: string;
  /** Per-request deadline header. */
  timeoutMs?: number;
}

const ok = { fallback: true, status: 200, model: 'backup' } as const;

const rows: Row[] = [];
for (const stream of [false, true]) {
  rows.push(
    { fault: '503', behavior: { kind: 'error', status: 503 }, stream, ...ok, attempts: 4 },
    { fault: '503', behavior: { kind: 'error', status: 503 }, stream, fallback: false, status: 502, code: 'UNBUNDLE_E_UPSTREAM_SERVER', model: 'none', attempts: 3 },
    { fault: '429 retry-after 20 ms', behavior: { kind: 'error', status: 429, headers: { 'retry-after-ms': '20' } }, stream, ...ok, attempts: 4 },
    { fault: '429 retry-after 20 ms', behavior: { kind: 'error', status: 429, headers: { 'retry-after-ms': '20' } }, stream, fallback: false, status: 429, code: 'UNBUNDLE_E_UPSTREAM_RATE_LIMITED', model: 'none', attempts: 3, retryAfter: '1' },
    { fault: '429 retry-after 60 s (over the cap: no wait)', behavior: { kind: 'error', status: 429, headers: { 'retry-after': '60' } }, stream, ...ok, attempts: 2 },
    { fault: '429 retry-after 60 s (over the cap: no wait)', behavior: { kind: 'error', status: 429, headers: { 'retry-after': '60' } }, stream, fallback: false, status: 429, code: 'UNBUNDLE_E_UPSTREAM_RATE_LIMITED', model: 'none', attempts: 1, retryAfter: '60' },
    { fault: '400', behavior: { kind: 'error', status: 400 }, stream, fallback: true, status: 400, code: 'UNBUNDLE_E_UPSTREAM_CLIENT', model: 'none', attempts: 1 },
    { fault: '400', behavior: { kind: 'error', status: 400 }, stream, fallback: false, status: 400, code: 'UNBUNDLE_E_UPSTREAM_CLIENT', model: 'none', attempts: 1 },
    { fault: '401', behavior: { kind: 'error', status: 401 }, stream, ...ok, attempts: 2 },
    { fault: '401', behavior: { kind: 'error', status: 401 }, stream, fallback: false, status: 502, code: 'UNBUNDLE_E_UPSTREAM_AUTH', model: 'none', attempts: 1 },
    { fault: 'reset', behavior: { kind: 'reset' }, stream, ...ok, attempts: 4 },
    { fault: 'reset', behavior: { kind: 'reset' }, stream, fallback: false, status: 502, code: 'UNBUNDLE_E_UPSTREAM_CONNECT', model: 'none', attempts: 3 },
    { fault: 'malformed JSON', behavior: { kind: 'malformed' }, stream, ...ok, attempts: 4 },
    { fault: 'malformed JSON', behavior: { kind: 'malformed' }, stream, fallback: false, status: 502, code: 'UNBUNDLE_E_UPSTREAM_MALFORMED', model: 'none', attempts: 3 },
    // Hang: the attempt ends after timeouts.attemptMs / firstTokenMs (150 / 120 ms); a timed-out
    // model is not waited on again when a fallback exists: the fallback answers.
    { fault: 'hang', behavior: { kind: 'hang' }, stream, ...ok, attempts: 2 },
    // Without a fallback the request's own deadline (400 ms) ends it: 504 within the deadline.
    { fault: 'hang (deadline)', behavior: { kind: 'hang' }, stream, fallback: false, status: 504, code: 'UNBUNDLE_E_UPSTREAM_TIMEOUT', model: 'none', attempts: [2, 3], timeoutMs: 400 },
  );
}
rows.push(
  // Streams only: the first token does not come within timeouts.firstTokenMs (120 ms).
  { fault: 'first-token timeout', behavior: { kind: 'drip', intervalMs: 2_000 }, stream: true, ...ok, attempts: 2 },
  { fault: 'first-token timeout', behavior: { kind: 'drip', intervalMs: 2_000 }, stream: true, fallback: false, status: 504, code: 'UNBUNDLE_E_UPSTREAM_TIMEOUT', model: 'none', attempts: 3 },
  // Cut before any text: nothing was sent to the client yet, so it falls back silently.
  { fault: 'cut before the first token', behavior: { kind: 'cut', afterTokens: 1 }, stream: true, ...ok, attempts: 4 },
  // Cut after the first token: the 200 is gone; the stream ends with an error event, never a silent truncation.
  { fault: 'cut after the first token', behavior: { kind: 'cut', afterTokens: 3 }, stream: true, fallback: true, status: 200, model: 'primary', attempts: 1, errorEvent: 'UNBUNDLE_E_UPSTREAM_MALFORMED' },
  { fault: 'cut after the first token', behavior: { kind: 'cut', afterTokens: 3 }, stream: true, fallback: false, status: 200, model: 'lonely', attempts: 1, errorEvent: 'UNBUNDLE_E_UPSTREAM_MALFORMED' },
  // Non-streamed cut: the body is shorter than its Content-Length → malformed, retried, falls back.
  { fault: 'cut body', behavior: { kind: 'cut' }, stream: false, ...ok, attempts: 4 },
  // The socket is destroyed after half the body: undici reports it as a closed socket or a short body.
  { fault: 'cut body', behavior: { kind: 'cut' }, stream: false, fallback: false, status: 502, code: /^UNBUNDLE_E_UPSTREAM_(MALFORMED|CONNECT)$/, model: 'none', attempts: 3 },
);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Reads a whole SSE response: the data payloads, in order. */
function sseData(text: string): string[] {
  return text.split('\n\n').filter((event) => event.startsWith('data: ')).map((event) => event.slice(6));
}

describe('executor fault table (fault × stream × fallback)', () => {
  let faulty: FakeOpenAIUpstream;
  let healthy: FakeOpenAIUpstream;
  let started: StartedGateway;
  let refusedPort: number;

  before(async () => {
    faulty = await startFakeOpenAIUpstream();
    healthy = await startFakeOpenAIUpstream({ behavior: { kind: 'ok', text: 'Backup answer here.' } });
    refusedPort = await closedPort();
    const upstream = { backend: 'openai-compatible' as const, model: 'fake-model', firstByteTimeoutMs: 150, idleTimeoutMs: 1_000, timeouts: { firstTokenMs: 120, attemptMs: 150 } };
    started = await startGatewayFromConfig({
      resilience: { retry: { retries: 2, baseMs: 2, capMs: 1_000 }, breaker: { failures: 10_000 } },
      models: [
        { id: 'primary', ...upstream, baseURL: faulty.url, fallbacks: ['backup'] },
        { id: 'lonely', ...upstream, baseURL: faulty.url },
        { id: 'refused', ...upstream, baseURL: `http://127.0.0.1:${refusedPort}/v1`, fallbacks: ['backup'] },
        { id: 'refused-lonely', ...upstream, baseURL: `http://127.0.0.1:${refusedPort}/v1` },
        { id: 'backup', backend: 'openai-compatible', baseURL: healthy.url, model: 'fake-model' },
      ],
    });
  });
  after(async () => {
    await started.close();
    await faulty.close();
    await healthy.close();
  });

  async function send(model: string, stream: boolean, id: string, timeoutMs?: number) {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': id };
    if (timeoutMs !== undefined) headers['x-unbundle-timeout-ms'] = String(timeoutMs);
    const began = performance.now();
    const response = await fetch(`${started.url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 8 }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { response, text, ms: performance.now() - began };
  }

  function logFor(id: string): Record<string, unknown> {
    const line = started.logs.find((entry) => entry.id === id);
    assert.ok(line, `a log line for ${id}`);
    return line;
  }

  let n = 0;
  for (const row of rows) {
    const model = row.fallback ? 'primary' : 'lonely';
    it(`${row.fault} · ${row.stream ? 'stream' : 'whole'} · ${row.fallback ? 'with fallback' : 'no fallback'} → ${row.status} ${String(row.code ?? row.model)}`, async () => {
      faulty.setBehavior(row.behavior);
      const id = `row-${++n}`;
      const { response, text, ms } = await send(model, row.stream, id, row.timeoutMs);
      assert.equal(response.status, row.status, text);
      assert.equal(response.headers.get('x-unbundle-model'), row.model);
      const attempts = Number(response.headers.get('x-unbundle-attempts'));
      if (Array.isArray(row.attempts)) assert.ok(attempts >= row.attempts[0] && attempts <= row.attempts[1], `attempts ${attempts}`);
      else assert.equal(attempts, row.attempts);
      if (row.retryAfter !== undefined) assert.equal(response.headers.get('retry-after'), row.retryAfter);
      // Measured at the client (connection and loopback included) on a shared 2-core machine.
      if (row.timeoutMs !== undefined) assert.ok(ms < row.timeoutMs + 200, `answered within its deadline (+200 ms): ${ms.toFixed(0)} ms`);
      const log = logFor(id);
      assert.equal(log.attempts, attempts);
      assert.equal(log.model, row.model === 'none' ? undefined : row.model);
      if (row.code) {
        const code = (JSON.parse(text) as { error: { code: string } }).error.code;
        if (typeof row.code === 'string') assert.equal(code, row.code);
        else assert.match(code, row.code);
        assert.equal(log.code, code);
      }
      if (attempts > 1) assert.ok(Array.isArray(log.attemptLog) && (log.attemptLog as string[]).length >= attempts, 'the log line lists the attempts');
      else assert.equal(log.attemptLog, undefined, 'a one-attempt line stays short');
      if (row.status === 200 && row.stream) {
        const data = sseData(text);
        if (row.errorEvent) {
          assert.notEqual(data.at(-1), '[DONE]', 'a cut stream must not end like a complete one');
          const last = JSON.parse(data.at(-1)!) as { error: { code: string } };
          assert.ok(last.error.code.startsWith(row.errorEvent), last.error.code);
          assert.ok(data.length >= 2, 'the first tokens were streamed before the error');
        } else {
          assert.equal(data.at(-1), '[DONE]');
          const content = data.slice(0, -1).map((d) => (JSON.parse(d) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '').join('');
          assert.equal(content, 'Backup answer here.', 'the fallback\'s answer, whole, with nothing of the failed attempts');
        }
      } else if (row.status === 200) {
        assert.equal((JSON.parse(text) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content, 'Backup answer here.');
      }
    });
  }

  for (const stream of [false, true]) {
    it(`connect refused · ${stream ? 'stream' : 'whole'}: retried, then the fallback answers; alone: 502`, async () => {
      const withFallback = await send('refused', stream, `refused-${stream}`);
      assert.equal(withFallback.response.status, 200);
      assert.equal(withFallback.response.headers.get('x-unbundle-model'), 'backup');
      assert.equal(withFallback.response.headers.get('x-unbundle-attempts'), '4');
      const alone = await send('refused-lonely', stream, `refused-lonely-${stream}`);
      assert.equal(alone.response.status, 502);
      assert.equal((JSON.parse(alone.text) as { error: { code: string } }).error.code, 'UNBUNDLE_E_UPSTREAM_CONNECT');
      assert.equal(alone.response.headers.get('x-unbundle-attempts'), '3');
      assert.equal((logFor(`refused-lonely-${stream}`).attemptLog as string[]).length, 3);
      assert.match((logFor(`refused-lonely-${stream}`).attemptLog as string[])[0]!, /^refused-lonely error 502 UPSTREAM_CONNECT \d+ms$/);
    });
  }

  it('the official openai client gets the fallback\'s answer, whole and streamed', async () => {
    faulty.setBehavior({ kind: 'error', status: 500 });
    const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    assert.equal(data.choices[0]!.message.content, 'Backup answer here.');
    assert.equal(response.headers.get('x-unbundle-model'), 'backup');
    assert.equal(data.model, 'primary', 'the client still sees the model it asked for');
    const stream = await client.chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'Backup answer here.');
  });

  it('the official openai client raises an APIError on a stream cut after its first token (never a silent truncation)', async () => {
    faulty.setBehavior({ kind: 'cut', afterTokens: 3 });
    const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'lonely', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
      (error: unknown) => error instanceof OpenAI.APIError && /cut short/.test(error.message),
    );
    assert.ok(text.length > 0, 'some text arrived before the cut');
    faulty.setBehavior({ kind: 'error', status: 502 });
    await assert.rejects(client.chat.completions.create({ model: 'lonely', messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 502);
  });
});
