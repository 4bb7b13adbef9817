import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { GenerateRequest } from '../../src/backends/types.ts';
import { UnbundleError } from '../../src/errors.ts';
import { ScriptedBackend, scriptedConfig } from '../helpers/scripted-backend.ts';
import { startGatewayWith, type StartedGateway } from '../helpers/start-gateway.ts';

describe('OpenAI-compatible HTTP surface (official openai client, scripted backends)', () => {
  const alpha = new ScriptedBackend('alpha', { text: 'Hello there, friend.' });
  const beta = new ScriptedBackend('beta', { text: 'Beta answers.' });
  let started: StartedGateway;
  let client: OpenAI;

  before(async () => {
    started = await startGatewayWith([
      { config: scriptedConfig('alpha'), backend: alpha },
      { config: scriptedConfig('beta', 'local'), backend: beta },
    ], { bodyLimit: 64 * 1024 });
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => started.close());

  it('answers a chat completion with usage and the unbundle headers', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'alpha', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], temperature: 0, max_tokens: 20, seed: 7, stop: ['\n'] })
      .withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.model, 'alpha');
    assert.equal(data.choices[0]!.message.content, 'Hello there, friend.');
    assert.equal(data.choices[0]!.finish_reason, 'stop');
    assert.deepEqual(data.usage, { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
    assert.equal(response.headers.get('x-unbundle-model'), 'alpha');
    // Made by the server: a time-ordered UUID (version 7).
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const call = alpha.calls.at(-1)!.request as GenerateRequest;
    assert.equal(call.kind, 'chat');
    assert.deepEqual(call.kind === 'chat' && call.messages.map((m) => m.role), ['system', 'user']);
    assert.equal(call.maxTokens, 20);
    assert.equal(call.temperature, 0);
    assert.equal(call.seed, 7);
    assert.deepEqual(call.stop, ['\n']);
  });

  it('streams chat deltas in order, then the usage chunk when asked', async () => {
    const stream = await client.chat.completions.create({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    const deltas: string[] = [];
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice?.delta.content) deltas.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    assert.deepEqual(deltas, ['Hello ', 'there, ', 'friend.']);
    assert.equal(finish, 'stop');
    assert.deepEqual(usage, { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
  });

  it('serves legacy completions, stream and not', async () => {
    const completion = await client.completions.create({ model: 'beta', prompt: 'Once upon a time', max_tokens: 8 });
    assert.equal(completion.object, 'text_completion');
    assert.equal(completion.choices[0]!.text, 'Beta answers.');
    const call = beta.calls.at(-1)!.request as GenerateRequest;
    assert.deepEqual(call.kind === 'completion' && call.prompt, 'Once upon a time');
    const stream = await client.completions.create({ model: 'beta', prompt: 'x', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    assert.equal(text, 'Beta answers.');
  });

  it('serves embeddings, float and base64 (the SDK default)', async () => {
    const result = await client.embeddings.create({ model: 'alpha', input: ['abc', 'hello'] });
    assert.equal(result.data.length, 2);
    assert.deepEqual(result.data[1]!.embedding, [5, 0.5, -1]);
    const plain = await client.embeddings.create({ model: 'alpha', input: 'abcd', encoding_format: 'float' });
    assert.deepEqual(plain.data[0]!.embedding, [4, 0.5, -1]);
  });

  it('lists the models with their backend and zone', async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    assert.deepEqual(ids, ['alpha', 'beta']);
    assert.equal((page.data[1] as unknown as { zone: string }).zone, 'local');
  });

  it('answers an unknown model with 404 listing the known ids', async () => {
    const error = await client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.code, 'UNBUNDLE_E_MODEL_NOT_FOUND');
    assert.equal(error.param, 'model');
    assert.match(error.message, /'gpt-9' does not exist.*Known models: alpha, beta/);
  });

  it('names the offending field of a schema violation (400)', async () => {
    const cases: Array<[Record<string, unknown>, RegExp, string]> = [
      [{ model: 'alpha', messages: 'hi' }, /'messages': expected an array/, 'messages'],
      [{ model: 'alpha', messages: [{ role: 'robot', content: 'x' }] }, /'messages\[0\]\.role'/, 'messages[0].role'],
      [{ model: 'alpha', messages: [{ role: 'user', content: 'x' }], temperature: 5 }, /between 0 and 2, got 5/, 'temperature'],
      [{ model: 'alpha', messages: [{ role: 'user', content: 'x' }], max_tokens: 1.5 }, /'max_tokens': expected an integer/, 'max_tokens'],
      [{ messages: [{ role: 'user', content: 'x' }] }, /Missing required parameter: 'model'/, 'model'],
    ];
    for (const [body, message, param] of cases) {
      const response = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(response.status, 400);
      const json = (await response.json()) as { error: { message: string; param: string; code: string; type: string } };
      assert.match(json.error.message, message);
      assert.equal(json.error.param, param);
      assert.equal(json.error.type, 'invalid_request_error');
    }
  });

  it('refuses empty embedding inputs and tools on legacy completions, naming the field', async () => {
    const cases: Array<[string, Record<string, unknown>, number, string, string]> = [
      ['embeddings', { model: 'alpha', input: '' }, 400, 'input', 'UNBUNDLE_E_BAD_REQUEST'],
      ['embeddings', { model: 'alpha', input: ['a', '', ' '] }, 400, 'input[1]', 'UNBUNDLE_E_BAD_REQUEST'],
      ['completions', { model: 'alpha', prompt: 'x', tools: [{ type: 'function', function: { name: 'f' } }] }, 400, 'tools', 'UNBUNDLE_E_UNSUPPORTED'],
      ['completions', { model: 'alpha', prompt: 'x', tool_choice: 'auto' }, 400, 'tool_choice', 'UNBUNDLE_E_UNSUPPORTED'],
    ];
    for (const [endpoint, body, status, param, code] of cases) {
      const response = await fetch(`${started.url}/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(response.status, status, JSON.stringify(body));
      const json = (await response.json()) as { error: { param: string; code: string } };
      assert.equal(json.error.param, param);
      assert.equal(json.error.code, code);
    }
    // A space is text: it still gets its vector.
    assert.equal((await client.embeddings.create({ model: 'alpha', input: [' '] })).data.length, 1);
  });

  it('rejects bad JSON with 400 and an oversized body with 413', async () => {
    const bad = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "alpha",' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'UNBUNDLE_E_INVALID_JSON');
    const big = JSON.stringify({ model: 'alpha', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] });
    const tooLarge = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assert.equal(tooLarge.status, 413);
    assert.match(((await tooLarge.json()) as { error: { message: string } }).error.message, /over this server's limit of 65536 bytes.*server\.bodyLimit/);
  });

  it('answers Expect: 100-continue with 413 and no 100 when the declared body is over the limit, and with 100 otherwise', async () => {
    const { port } = new URL(started.url);
    const exchange = (length: number, body?: string) => new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let seen = '';
      socket.on('data', (chunk) => {
        seen += String(chunk);
        if (body !== undefined && seen.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !socket.writableEnded) socket.end(body);
      });
      socket.on('end', () => resolve(seen));
      socket.on('error', reject);
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n`);
    });
    const refused = await exchange(1_000_000);
    assert.match(refused, /^HTTP\/1\.1 413 /, 'the 413 is the first answer: no 100 Continue invites the body');
    const chat = JSON.stringify({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }] });
    const accepted = await exchange(Buffer.byteLength(chat), chat);
    assert.match(accepted, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('maps a full local queue to 429 with Retry-After', async () => {
    beta.script = { failWith: new UnbundleError('UNBUNDLE_E_QUEUE_FULL', 'Model beta is busy: 4 generating, 8 waiting.', { retryAfterSeconds: 2 }) };
    try {
      const response = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'beta', messages: [{ role: 'user', content: 'x' }] }) });
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), '2');
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'UNBUNDLE_E_QUEUE_FULL');
    } finally {
      beta.script = { text: 'Beta answers.' };
    }
  });

  it('ends a stream that fails midway with an explicit error event, never a silent truncation', async () => {
    alpha.script = { text: 'one two three four', failAfterParts: 2, failWith: new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'upstream died') };
    try {
      const stream = await client.chat.completions.create({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }], stream: true });
      const seen: string[] = [];
      const error = await (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })().catch((e: unknown) => e);
      assert.ok(error instanceof OpenAI.APIError, `expected an APIError, got ${String(error)}`);
      assert.match(String((error as Error).message), /upstream died/);
      assert.deepEqual(seen.filter(Boolean), ['one ', 'two ']);
    } finally {
      alpha.script = { text: 'Hello there, friend.' };
    }
  });

  it('cancels generation when the client disconnects', async () => {
    alpha.script = { text: 'slow answer', delayMs: 5_000 };
    try {
      const controller = new AbortController();
      const pending = fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'alpha', messages: [{ role: 'user', content: 'x' }] }), signal: controller.signal }).catch(() => undefined);
      while (alpha.active === 0) await new Promise((r) => setTimeout(r, 5));
      const signal = alpha.calls.at(-1)!.signal;
      controller.abort();
      await pending;
      const started2 = Date.now();
      while (!signal.aborted && Date.now() - started2 < 2_000) await new Promise((r) => setTimeout(r, 5));
      assert.equal(signal.aborted, true, 'the backend signal was not aborted after the client left');
      while (alpha.active > 0 && Date.now() - started2 < 2_000) await new Promise((r) => setTimeout(r, 5));
      assert.equal(alpha.active, 0);
    } finally {
      alpha.script = { text: 'Hello there, friend.' };
    }
  });

  it('honours x-unbundle-timeout-ms with a 504', async () => {
    alpha.script = { text: 'late', delayMs: 2_000 };
    try {
      const t0 = Date.now();
      const response = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-unbundle-timeout-ms': '100' }, body: JSON.stringify({ model: 'alpha', messages: [{ role: 'user', content: 'x' }] }) });
      assert.equal(response.status, 504);
      assert.ok(Date.now() - t0 < 1_500);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'UNBUNDLE_E_UPSTREAM_TIMEOUT');
    } finally {
      alpha.script = { text: 'Hello there, friend.' };
    }
  });

  it('reports per-model health and Prometheus metrics', async () => {
    const health = (await (await fetch(`${started.url}/health`)).json()) as { status: string; models: Array<{ id: string; status: string }> };
    assert.equal(health.status, 'ok');
    assert.deepEqual(health.models.map((m) => [m.id, m.status]), [['alpha', 'ready'], ['beta', 'ready']]);
    const metrics = await (await fetch(`${started.url}/metrics`)).text();
    assert.match(metrics, /unbundle_requests_total\{endpoint="\/v1\/chat\/completions",model="alpha",status="200"\} \d+/);
    assert.match(metrics, /unbundle_errors_total\{code="UNBUNDLE_E_MODEL_NOT_FOUND"\} 1/);
    assert.match(metrics, /unbundle_tokens_total\{model="alpha",direction="output"\} \d+/);
    assert.match(metrics, /unbundle_request_duration_seconds_bucket\{endpoint="\/v1\/chat\/completions",model="alpha",le="0.005"\} \d+/);
    assert.match(metrics, /unbundle_queue_depth\{model="beta"\} 0/);
  });

  it('writes one structured log line per request', async () => {
    await client.chat.completions.create({ model: 'beta', messages: [{ role: 'user', content: 'log me' }] }, { headers: { 'x-request-id': 'trace-123' } });
    await new Promise((r) => setTimeout(r, 20));
    const line = started.logs.find((l) => l.id === 'trace-123');
    assert.ok(line, 'no log line for the request');
    assert.equal(line.msg, 'request');
    assert.equal(line.model, 'beta');
    assert.equal(line.status, 200);
    assert.equal(line.inputTokens, 7);
    assert.equal(line.outputTokens, 5);
    assert.equal(typeof line.latencyMs, 'number');
  });

  it('answers unknown routes and wrong methods in the OpenAI error shape', async () => {
    const missing = await fetch(`${started.url}/v1/nope`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'UNBUNDLE_E_NOT_FOUND');
    const wrong = await fetch(`${started.url}/v1/chat/completions`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
  });

  it('puts x-request-id on every kind of answer, and echoes a sane id the client sent', async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${started.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const chat = JSON.stringify({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }] });
    const answers: Array<[string, Response]> = [
      ['chat', await post('/v1/chat/completions', chat)],
      ['stream', await post('/v1/chat/completions', JSON.stringify({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }], stream: true }))],
      ['completion', await post('/v1/completions', JSON.stringify({ model: 'alpha', prompt: 'Hi' }))],
      ['embeddings', await post('/v1/embeddings', JSON.stringify({ model: 'alpha', input: 'Hi' }))],
      ['unknown model', await post('/v1/chat/completions', JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'Hi' }] }))],
      ['bad JSON', await post('/v1/chat/completions', '{"model":')],
      ['models', await fetch(`${started.url}/v1/models`)],
      ['health', await fetch(`${started.url}/health`)],
      ['metrics', await fetch(`${started.url}/metrics`)],
      ['no route', await fetch(`${started.url}/v2/nothing`)],
      ['wrong method', await fetch(`${started.url}/v1/embeddings`)],
    ];
    const seen = new Set<string>();
    for (const [what, response] of answers) {
      await response.arrayBuffer();
      const id = response.headers.get('x-request-id') ?? '';
      assert.match(id, /^[0-9a-f-]{36}$/, `${what} (${response.status}) carries x-request-id`);
      // ...and x-unbundle-model: the model that answered, or none where no model did.
      const expectedModel = ['chat', 'stream', 'completion', 'embeddings'].includes(what) ? 'alpha' : 'none';
      assert.equal(response.headers.get('x-unbundle-model'), expectedModel, `${what} (${response.status}) carries x-unbundle-model`);
      seen.add(id);
    }
    assert.equal(seen.size, answers.length, 'each answer has its own id');
    assert.deepEqual(answers.map(([, response]) => response.status), [200, 200, 200, 200, 404, 400, 200, 200, 200, 404, 405]);
    const echoed = await post('/v1/chat/completions', chat, { 'x-request-id': 'trace-42' });
    assert.equal(echoed.headers.get('x-request-id'), 'trace-42');
    assert.equal(echoed.headers.get('x-unbundle-model'), 'alpha');
    assert.equal(echoed.headers.get('content-type'), 'application/json');
    assert.equal(Number(echoed.headers.get('content-length')), Buffer.byteLength(await echoed.text()));
  });
});
