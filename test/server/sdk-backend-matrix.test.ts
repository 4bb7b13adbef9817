import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { PortfolioInput } from '../../src/portfolio/schema.ts';
import { sharedModel } from '../backends/llamacpp/test-models.ts';
import { startFakeAnthropicUpstream } from '../fakes/fake-anthropic-upstream.ts';
import { startFakeGeminiUpstream } from '../fakes/fake-gemini-upstream.ts';
import { startFakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';

/**
 * The official @anthropic-ai/sdk (POST /v1/messages) and openai (POST /v1/chat/completions)
 * clients against unbundle, once per backend kind: stream and not, with tool calls where the kind
 * can make them.
 *
 * Each row starts what its kind needs and returns portfolio entries with two ids: `<kind>` answers
 * in text, and `<kind>-tools` (only when `tools` is true) is asked, with tool_choice forcing it, to
 * call `get_weather` — a fake upstream is simply told to answer with that call, a real model must
 * produce it. To add a kind after merging, add one row, e.g.
 *
 *   { kind: 'anthropic', tools: true, setup: async () => { const fake = await startFakeAnthropicUpstream();
 *     return { models: [{ id: 'anthropic', backend: 'anthropic', baseURL: fake.url, model: 'claude-x' },
 *       { id: 'anthropic-tools', ... }], close: () => fake.close() }; } },
 *
 * and flip `tools` to true on `llamacpp` once local grammar-constrained tool calls are merged.
 */
interface BackendKindRow {
  kind: string;
  /** The kind answers with tool calls on this branch. */
  tools: boolean;
  setup(): Promise<{ models: NonNullable<PortfolioInput['models']>; close(): Promise<void> }>;
}

const weatherCall = { id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}' };

const backendKinds: BackendKindRow[] = [
  {
    kind: 'openai-compatible',
    tools: true,
    async setup() {
      const fake = await startFakeOpenAIUpstream();
      const answerWithTool = JSON.stringify({ kind: 'ok', text: '', toolCalls: [weatherCall] });
      return {
        models: [
          { id: 'openai-compatible', backend: 'openai-compatible', baseURL: fake.url, model: 'gpt-4o-mini' },
          { id: 'openai-compatible-tools', backend: 'openai-compatible', baseURL: fake.url, model: 'gpt-4o-mini', headers: { 'x-fake-behavior': answerWithTool } },
        ],
        close: () => fake.close(),
      };
    },
  },
  ...(['anthropic', 'gemini'] as const).map((kind): BackendKindRow => ({
    kind,
    tools: true,
    async setup() {
      const fake = kind === 'anthropic' ? await startFakeAnthropicUpstream() : await startFakeGeminiUpstream();
      // The adapters read their key from the environment; an unset variable fails every request.
      const keyEnv = 'UNBUNDLE_TEST_PROVIDER_KEY';
      process.env[keyEnv] = 'test-key';
      const answerWithTool = JSON.stringify({ kind: 'ok', text: '', toolCalls: [{ id: weatherCall.id, name: weatherCall.name, input: JSON.parse(weatherCall.arguments) }] });
      const model = kind === 'anthropic' ? 'claude-sonnet-4-0' : 'gemini-2.5-flash';
      return {
        models: [
          { id: kind, backend: kind, baseURL: fake.url, model, apiKeyEnv: keyEnv },
          { id: `${kind}-tools`, backend: kind, baseURL: fake.url, model, apiKeyEnv: keyEnv, headers: { 'x-fake-behavior': answerWithTool } },
        ],
        close: () => fake.close(),
      };
    },
  })),
  {
    kind: 'llamacpp',
    // Grammar-constrained tool calls: the tiny model must produce a valid call when tool_choice forces it.
    tools: true,
    async setup() {
      const model = { backend: 'llamacpp' as const, path: sharedModel('stories260K.gguf'), threads: 1, contextSize: 512 };
      return { models: [{ id: 'llamacpp', ...model }, { id: 'llamacpp-tools', ...model }], close: async () => {} };
    },
  },
];

const weatherTool = { name: 'get_weather', description: 'Current weather for a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };
const question = 'Tell me a story about Lily.';
/** Greedy sampling, so stream and non-stream answers can be compared (the SDK's types no longer list temperature; the API takes it). */
const greedy = { temperature: 0 } as object;

/** Checks the SSE event grammar of the Messages API and returns the streamed text and tool inputs. */
function checkEventOrder(events: Anthropic.RawMessageStreamEvent[]): { text: string; json: string[] } {
  assert.equal(events[0]?.type, 'message_start');
  assert.equal(events.at(-1)?.type, 'message_stop');
  assert.equal(events.at(-2)?.type, 'message_delta');
  let open = -1;
  let text = '';
  const json: string[] = [];
  for (const event of events.slice(1, -2)) {
    if (event.type === 'content_block_start') {
      assert.equal(open, -1, 'a block started while another was open');
      open = event.index;
    } else if (event.type === 'content_block_delta') {
      assert.equal(event.index, open, 'a delta outside its open block');
      if (event.delta.type === 'text_delta') text += event.delta.text;
      if (event.delta.type === 'input_json_delta') json[event.index] = (json[event.index] ?? '') + event.delta.partial_json;
    } else if (event.type === 'content_block_stop') {
      assert.equal(event.index, open);
      open = -1;
    } else assert.fail(`unexpected ${event.type} between message_start and message_delta`);
  }
  assert.equal(open, -1, 'a block was never closed');
  return { text, json: json.filter((s) => s !== undefined) };
}

for (const row of backendKinds) {
  describe(`official SDKs → unbundle → ${row.kind}`, () => {
    let started: StartedGateway;
    let closeKind: () => Promise<void>;
    let anthropic: Anthropic;
    let openai: OpenAI;
    let wholeText = '';

    before(async () => {
      const { models, close } = await row.setup();
      closeKind = close;
      started = await startGatewayFromConfig({ models });
      anthropic = new Anthropic({ baseURL: started.url, apiKey: 'unused', maxRetries: 0 });
      openai = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    });
    after(async () => {
      await started.close();
      await closeKind();
    });

    it('messages.create answers with text, a stop reason and usage', async () => {
      const { data, response } = await anthropic.messages.create({ ...greedy, model: row.kind, max_tokens: 24, messages: [{ role: 'user', content: question }] }).withResponse();
      assert.match(data.id, /^msg_/);
      assert.equal(data.model, row.kind);
      assert.equal(data.content.length, 1);
      const block = data.content[0]!;
      assert.equal(block.type, 'text');
      wholeText = block.type === 'text' ? block.text : '';
      assert.ok(wholeText.length > 0, 'empty answer');
      assert.ok(data.stop_reason === 'end_turn' || data.stop_reason === 'max_tokens', `stop_reason ${data.stop_reason}`);
      assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0, JSON.stringify(data.usage));
      assert.equal(response.headers.get('x-unbundle-model'), row.kind);
    });

    it('create({ stream: true }) sends the exact event sequence and the same text', async () => {
      const stream = await anthropic.messages.create({ ...greedy, model: row.kind, max_tokens: 24, messages: [{ role: 'user', content: question }], stream: true });
      const events: Anthropic.RawMessageStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const { text } = checkEventOrder(events);
      assert.equal(text, wholeText);
      const delta = events.at(-2) as Anthropic.RawMessageDeltaEvent;
      assert.ok((delta.usage.output_tokens ?? 0) > 0);
      assert.ok((delta.usage.input_tokens ?? 0) > 0);
    });

    it('messages.stream() emits text events and resolves the final message', async () => {
      const stream = anthropic.messages.stream({ ...greedy, model: row.kind, max_tokens: 24, messages: [{ role: 'user', content: question }] });
      let text = '';
      stream.on('text', (delta) => (text += delta));
      const message = await stream.finalMessage();
      assert.equal(text, wholeText);
      assert.deepEqual(message.content, [{ type: 'text', text: wholeText }]);
    });

    it('the openai client gets the same answer from /v1/chat/completions', async () => {
      const chat = await openai.chat.completions.create({ model: row.kind, max_tokens: 24, temperature: 0, messages: [{ role: 'user', content: question }] });
      assert.equal(chat.choices[0]!.message.content, wholeText);
    });

    if (!row.tools) return;

    it('tool use: create and messages.stream() return a tool_use block with parsed input', async () => {
      const params = { ...greedy, model: `${row.kind}-tools`, max_tokens: 64, tools: [weatherTool], tool_choice: { type: 'tool' as const, name: 'get_weather' }, messages: [{ role: 'user' as const, content: 'Weather in Paris?' }] };
      const whole = await anthropic.messages.create(params);
      assert.equal(whole.stop_reason, 'tool_use');
      const call = whole.content.find((block) => block.type === 'tool_use');
      assert.ok(call && call.type === 'tool_use', JSON.stringify(whole.content));
      assert.equal(call.name, 'get_weather');
      assert.equal(typeof (call.input as { city?: unknown }).city, 'string');

      const events: Anthropic.RawMessageStreamEvent[] = [];
      for await (const event of await anthropic.messages.create({ ...params, stream: true })) events.push(event);
      const { json } = checkEventOrder(events);
      assert.deepEqual(json.map((s) => JSON.parse(s) as unknown), [call.input]);

      const streamed = await anthropic.messages.stream(params).finalMessage();
      assert.equal(streamed.stop_reason, 'tool_use');
      // Call ids are minted per answer (a local model has none of its own); name and input must match.
      const withoutId = (block: Anthropic.ContentBlock) => (block.type === 'tool_use' ? { name: block.name, input: block.input } : block);
      assert.deepEqual(streamed.content.filter((block) => block.type === 'tool_use').map(withoutId), [withoutId(call)]);

      // The round trip: the call and its result go back, and the model answers.
      const followUp = await anthropic.messages.create({
        ...greedy,
        model: row.kind,
        max_tokens: 24,
        tools: [weatherTool],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: whole.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18°C and sunny' }] },
        ],
      });
      assert.equal(followUp.content[0]?.type, 'text');
    });

    it('tool use: the openai client gets the same call, whole and streamed', async () => {
      const params = { model: `${row.kind}-tools`, max_tokens: 64, temperature: 0, tools: [{ type: 'function' as const, function: { name: weatherTool.name, description: weatherTool.description, parameters: weatherTool.input_schema } }], tool_choice: { type: 'function' as const, function: { name: 'get_weather' } }, messages: [{ role: 'user' as const, content: 'Weather in Paris?' }] };
      const whole = await openai.chat.completions.create(params);
      const call = whole.choices[0]!.message.tool_calls?.[0];
      assert.ok(call && call.type === 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.equal(whole.choices[0]!.finish_reason, 'tool_calls');
      const streamed = await openai.chat.completions.stream(params).finalChatCompletion();
      const streamedCall = streamed.choices[0]!.message.tool_calls?.[0];
      assert.ok(streamedCall && streamedCall.type === 'function');
      assert.equal(streamedCall.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(streamedCall.function.arguments), JSON.parse(call.function.arguments));
    });
  });
}
