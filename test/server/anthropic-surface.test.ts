import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { ChatRequest } from '../../src/backends/types.ts';
import { UnbundleError } from '../../src/errors.ts';
import { ScriptedBackend, scriptedConfig } from '../helpers/scripted-backend.ts';
import { startGatewayWith, type StartedGateway } from '../helpers/start-gateway.ts';

interface AnthropicErrorBody {
  type: string;
  error: { type: string; message: string; code: string };
  request_id: string;
}

/**
 * POST /v1/messages over real HTTP with the official @anthropic-ai/sdk, on scripted backends:
 * translation into the internal request, headers, and every error in Anthropic's shape.
 */
describe('Anthropic-compatible HTTP surface (official @anthropic-ai/sdk, scripted backends)', () => {
  const alpha = new ScriptedBackend('alpha', { text: 'Hello there, friend.' });
  let started: StartedGateway;
  let client: Anthropic;
  const lastRequest = () => alpha.calls.at(-1)!.request as ChatRequest;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${started.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  before(async () => {
    started = await startGatewayWith([{ config: scriptedConfig('alpha'), backend: alpha }], { bodyLimit: 64 * 1024 });
    // The SDK sends x-api-key and anthropic-version itself; anthropic-beta is added to prove it is ignored.
    client = new Anthropic({ baseURL: started.url, apiKey: 'sk-ant-test', maxRetries: 0, defaultHeaders: { 'anthropic-beta': 'prompt-caching-2024-07-31' } });
  });
  after(() => started.close());

  it('answers a message with id, content, stop_reason, usage and the unbundle headers', async () => {
    const { data, response } = await client.messages
      .create({ model: 'alpha', max_tokens: 20, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], stop_sequences: ['END'], metadata: { user_id: 'u-1' } })
      .withResponse();
    assert.match(data.id, /^msg_/);
    assert.equal(data.type, 'message');
    assert.equal(data.role, 'assistant');
    assert.equal(data.model, 'alpha');
    assert.deepEqual(data.content, [{ type: 'text', text: 'Hello there, friend.' }]);
    assert.equal(data.stop_reason, 'end_turn');
    assert.equal(data.stop_sequence, null);
    assert.deepEqual(data.usage, { input_tokens: 7, output_tokens: 5 });
    assert.equal(response.headers.get('x-unbundle-model'), 'alpha');
    assert.equal(response.headers.get('request-id'), response.headers.get('x-request-id'));
    assert.ok(alpha.calls.at(-1), 'the backend was called');
    const request = lastRequest();
    assert.deepEqual(request.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]);
    assert.equal(request.maxTokens, 20);
    assert.deepEqual(request.stop, ['END']);
    assert.equal(request.user, 'u-1');
  });

  it('streams with create({ stream: true }) and with messages.stream(), ending in the same message', async () => {
    const events: string[] = [];
    let text = '';
    const raw = await client.messages.create({ model: 'alpha', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    for await (const event of raw) {
      events.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    assert.deepEqual(events, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    assert.equal(text, 'Hello there, friend.');
    const stream = client.messages.stream({ model: 'alpha', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    assert.deepEqual(deltas, ['Hello ', 'there, ', 'friend.']);
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello there, friend.' }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.input_tokens, 7);
    assert.equal(message.usage.output_tokens, 5);
  });

  it('passes several text blocks, an image block and a prefill through to the backend', async () => {
    await client.messages.create({
      model: 'alpha',
      max_tokens: 8,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'First.' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }, { type: 'text', text: 'Second.' }] },
        { role: 'assistant', content: '' },
      ],
    });
    assert.deepEqual(lastRequest().messages, [
      { role: 'user', content: [{ type: 'text', text: 'First.' }, { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=', mediaType: 'image/png' }, { type: 'text', text: 'Second.' }] },
      { role: 'assistant', content: '' },
    ]);
  });

  it('answers bad bodies with 400 invalid_request_error naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ model: 'alpha', messages: [{ role: 'user', content: 'x' }] }, /'max_tokens'/],
      [{ model: 'alpha', max_tokens: 5, messages: [{ role: 'user', content: '' }] }, /messages\[0\]\.content.*must not be empty/],
      [{ model: 'alpha', max_tokens: 5, messages: [{ role: 'user', content: [] }] }, /messages\[0\]\.content.*must not be empty/],
      [{ model: 'alpha', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], temperature: 2 }, /'temperature'.*between 0 and 1/],
      ['{"model": "alpha",', /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const response = await post(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const json = (await response.json()) as AnthropicErrorBody;
      assert.equal(json.type, 'error');
      assert.equal(json.error.type, 'invalid_request_error');
      assert.match(json.error.message, message);
      assert.equal(json.request_id, response.headers.get('x-request-id'));
    }
    const error = await client.messages.create({ model: 'alpha', max_tokens: 5, messages: [{ role: 'user', content: '' }] }).catch((e: unknown) => e);
    assert.ok(error instanceof Anthropic.BadRequestError, `expected BadRequestError, got ${String(error)}`);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.requestID, error.headers?.get('x-request-id'));
  });

  it('answers an unknown model with 404 not_found_error listing the known ids', async () => {
    const error = await client.messages.create({ model: 'claude-9', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(error instanceof Anthropic.NotFoundError, `expected NotFoundError, got ${String(error)}`);
    assert.equal(error.type, 'not_found_error');
    assert.match(error.message, /'claude-9' does not exist.*Known models: alpha/);
    assert.equal((error.error as AnthropicErrorBody).error.code, 'UNBUNDLE_E_MODEL_NOT_FOUND');
  });

  it('keeps Anthropic\'s shape for 413, 405 and unknown paths under /v1/messages, OpenAI\'s elsewhere', async () => {
    const big = await post({ model: 'alpha', max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as AnthropicErrorBody).error.type, 'invalid_request_error');
    const wrong = await fetch(`${started.url}/v1/messages`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    assert.equal(((await wrong.json()) as AnthropicErrorBody).type, 'error');
    const count = await fetch(`${started.url}/v1/messages/count_tokens`, { method: 'POST', body: '{}' });
    assert.equal(count.status, 404);
    assert.equal(((await count.json()) as AnthropicErrorBody).error.type, 'not_found_error');
    const openai = await fetch(`${started.url}/v1/nope`);
    assert.equal(((await openai.json()) as { error: { code: string } }).error.code, 'UNBUNDLE_E_NOT_FOUND');
  });

  it('maps backend failures to their status with Anthropic error types (502, 429 + Retry-After, 504)', async () => {
    const rows: Array<[UnbundleError, number, string, abstract new (...args: never[]) => InstanceType<typeof Anthropic.APIError>]> = [
      [new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'upstream said 503'), 502, 'api_error', Anthropic.InternalServerError],
      [new UnbundleError('UNBUNDLE_E_QUEUE_FULL', 'busy', { retryAfterSeconds: 2 }), 429, 'rate_limit_error', Anthropic.RateLimitError],
      [new UnbundleError('UNBUNDLE_E_MODEL_LOAD', 'cannot load'), 503, 'overloaded_error', Anthropic.InternalServerError],
    ];
    try {
      for (const [failWith, status, type, errorClass] of rows) {
        alpha.script = { failWith };
        for (const stream of [false, true]) {
          const error = await (stream
            ? client.messages.stream({ model: 'alpha', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).finalMessage()
            : client.messages.create({ model: 'alpha', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
          ).catch((e: unknown) => e);
          assert.ok(error instanceof errorClass, `${failWith.code} stream=${stream}: got ${String(error)}`);
          assert.equal(error.status, status);
          assert.equal(error.type, type);
          if (status === 429) assert.equal(error.headers?.get('retry-after'), '2');
        }
      }
      alpha.script = { text: 'late', delayMs: 2_000 };
      const timeout = await post({ model: 'alpha', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { 'x-unbundle-timeout-ms': '100' });
      assert.equal(timeout.status, 504);
      assert.equal(((await timeout.json()) as AnthropicErrorBody).error.type, 'timeout_error');
    } finally {
      alpha.script = { text: 'Hello there, friend.' };
    }
  });

  it('ends a stream that fails midway with an `event: error` frame: the SDK raises, never returns a truncated message', async () => {
    alpha.script = { text: 'one two three four', failAfterParts: 2, failWith: new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'upstream died') };
    try {
      const raw = await post({ model: 'alpha', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(raw.status, 200);
      const wire = await raw.text();
      assert.match(wire, /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"upstream died","code":"UNBUNDLE_E_UPSTREAM_SERVER"\}\}\n\n$/);
      assert.doesNotMatch(wire, /message_stop/);

      const seen: string[] = [];
      const created = await client.messages.create({ model: 'alpha', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'Hi' }] });
      const iterated = await (async () => {
        for await (const event of created) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') seen.push(event.delta.text);
      })().catch((e: unknown) => e);
      assert.ok(iterated instanceof Anthropic.APIError, `expected APIError, got ${String(iterated)}`);
      assert.match(iterated.message, /upstream died/);
      assert.deepEqual(seen, ['one ', 'two ']);

      const helper = await client.messages.stream({ model: 'alpha', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] }).finalMessage().catch((e: unknown) => e);
      assert.ok(helper instanceof Anthropic.APIError, `expected APIError from finalMessage, got ${JSON.stringify(helper)}`);
      await new Promise((r) => setTimeout(r, 20));
      const line = started.logs.filter((l) => l.path === '/v1/messages').at(-1)!;
      assert.equal(line.code, 'UNBUNDLE_E_UPSTREAM_SERVER');
    } finally {
      alpha.script = { text: 'Hello there, friend.' };
    }
  });

  it('counts /v1/messages in the metrics by endpoint', async () => {
    const metrics = await (await fetch(`${started.url}/metrics`)).text();
    assert.match(metrics, /unbundle_requests_total\{endpoint="\/v1\/messages",model="alpha",status="200"\} \d+/);
  });
});
