import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeOpenAIUpstream, type FakeBehavior, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';

/**
 * @anthropic-ai/sdk → unbundle → a fake OpenAI-compatible upstream: what the upstream receives
 * for an Anthropic tool round trip, and how each upstream fault reaches the Anthropic client.
 */
describe('Anthropic client over an OpenAI-compatible upstream: translation and faults', () => {
  let upstream: FakeOpenAIUpstream;
  let started: StartedGateway;
  let client: Anthropic;
  const model = (id: string, behavior?: FakeBehavior) => ({ id, backend: 'openai-compatible' as const, baseURL: upstream.url, model: 'gpt-4o-mini', headers: behavior ? { 'x-fake-behavior': JSON.stringify(behavior) } : ({} as Record<string, string>) });
  const ask = { max_tokens: 16, messages: [{ role: 'user' as const, content: 'Hi' }] };

  before(async () => {
    upstream = await startFakeOpenAIUpstream();
    started = await startGatewayFromConfig({
      server: { requestTimeoutMs: 1_000 },
      models: [
        model('ok'),
        model('down', { kind: 'error', status: 503 }),
        model('limited', { kind: 'error', status: 429, headers: { 'retry-after': '3' } }),
        model('rejects', { kind: 'error', status: 400, body: { error: { message: 'bad tool schema', type: 'invalid_request_error', param: null, code: null } } }),
        model('hangs', { kind: 'hang' }),
        model('resets', { kind: 'reset' }),
        model('cut', { kind: 'cut', afterTokens: 3 }),
        model('malformed', { kind: 'malformed' }),
      ],
    });
    client = new Anthropic({ baseURL: started.url, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await started.close();
    await upstream.close();
  });

  it('sends the upstream an OpenAI body: system, tools, tool_choice, assistant tool_calls, tool messages', async () => {
    await client.messages.create({
      model: 'ok',
      max_tokens: 32,
      system: [{ type: 'text', text: 'You are terse.' }],
      stop_sequences: ['END'],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any' },
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' }, { type: 'text', text: 'And tomorrow?' }] },
      ],
    });
    const body = upstream.requests.at(-1)!.body as Record<string, unknown>;
    assert.equal(body.model, 'gpt-4o-mini');
    assert.equal(body.max_tokens, 32);
    assert.deepEqual(body.stop, ['END']);
    assert.deepEqual(body.tools, [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }]);
    assert.equal(body.tool_choice, 'required');
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18°C' },
      { role: 'user', content: 'And tomorrow?' },
    ]);
  });

  it('maps upstream faults to Anthropic errors with our status, stream and not', async () => {
    const rows: Array<[string, number, string]> = [
      ['down', 502, 'api_error'],
      ['limited', 429, 'rate_limit_error'],
      ['rejects', 400, 'invalid_request_error'],
      ['hangs', 504, 'timeout_error'],
      ['resets', 502, 'api_error'],
      ['malformed', 502, 'api_error'],
    ];
    for (const [id, status, type] of rows) {
      for (const stream of [false, true]) {
        const t0 = Date.now();
        const error = await (stream ? client.messages.stream({ model: id, ...ask }).finalMessage() : client.messages.create({ model: id, ...ask })).catch((e: unknown) => e);
        assert.ok(error instanceof Anthropic.APIError, `${id} stream=${stream}: expected an APIError, got ${String(error)}`);
        assert.equal(error.status, status, `${id} stream=${stream}: ${error.message}`);
        assert.equal(error.type, type, `${id} stream=${stream}`);
        assert.equal((error.error as { type: string }).type, 'error');
        assert.ok(Date.now() - t0 < 3_000, `${id} took ${Date.now() - t0} ms`);
      }
    }
  });

  it('an upstream stream cut after the first tokens ends in `event: error`: the SDK raises instead of returning a partial message', async () => {
    let text = '';
    const created = await client.messages.create({ model: 'cut', ...ask, stream: true });
    const iterated = await (async () => {
      for await (const event of created) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    })().catch((e: unknown) => e);
    assert.ok(iterated instanceof Anthropic.APIError, `expected APIError, got ${String(iterated)}`);
    assert.equal(iterated.type, 'api_error');
    assert.match(iterated.message, /cut short/);
    assert.equal(text, 'Hello from ');
    const stream = client.messages.stream({ model: 'cut', ...ask });
    const final = await stream.finalMessage().catch((e: unknown) => e);
    assert.ok(final instanceof Anthropic.APIError, `expected APIError from finalMessage, got ${JSON.stringify(final)}`);
  });
});
