import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { startFakeAnthropicUpstream } from '../../fakes/fake-anthropic-upstream.ts';
import { startFakeGeminiUpstream } from '../../fakes/fake-gemini-upstream.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../../fakes/fake-openai-upstream.ts';
import type { FakeUpstream } from '../../fakes/fake-upstream-server.ts';
import { startGatewayFromConfig, type StartedGateway } from '../../helpers/start-gateway.ts';
import { sharedModel } from '../llamacpp/test-models.ts';

/**
 * The official openai client → unbundle → each backend kind: Anthropic (fake), Gemini (fake) and a
 * tiny local GGUF model, stream and not, plain and with tool calls, including sending the tool
 * result back. For the local model the grammar forces the call; we assert structure, not content.
 */

const tools: ChatCompletionTool[] = [{
  type: 'function',
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Oslo', 'Rome'] } }, required: ['city'] } },
}];
const fakeCall = [{ id: 'call_fake_1', name: 'get_weather', input: { city: 'Oslo' } }];

describe('openai SDK → unbundle → anthropic, gemini, openai-compatible and local models', { timeout: 120_000 }, () => {
  let anthropic: FakeUpstream;
  let gemini: FakeUpstream;
  let openai: FakeOpenAIUpstream;
  let started: StartedGateway;
  let client: OpenAI;
  const saved = { a: process.env.ANTHROPIC_API_KEY, g: process.env.GEMINI_API_KEY };

  before(async () => {
    anthropic = await startFakeAnthropicUpstream();
    gemini = await startFakeGeminiUpstream();
    openai = await startFakeOpenAIUpstream();
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test';
    process.env.GEMINI_API_KEY = 'gem-test';
    started = await startGatewayFromConfig({
      models: [
        { id: 'claude', backend: 'anthropic', baseURL: anthropic.url, model: 'claude-sonnet-4-0' },
        { id: 'gemini', backend: 'gemini', baseURL: gemini.url, model: 'gemini-2.5-flash' },
        { id: 'gpt', backend: 'openai-compatible', provider: 'openai', baseURL: openai.url, apiKeyEnv: 'GEMINI_API_KEY', model: 'gpt-4o-mini' },
        { id: 'stories', backend: 'llamacpp', path: sharedModel('stories260K.gguf'), threads: 1, contextSize: 1024, parallel: 1 },
      ],
    });
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await started.close();
    await anthropic.close();
    await gemini.close();
    await openai.close();
    if (saved.a === undefined) delete process.env.ANTHROPIC_API_KEY;
    else process.env.ANTHROPIC_API_KEY = saved.a;
    if (saved.g === undefined) delete process.env.GEMINI_API_KEY;
    else process.env.GEMINI_API_KEY = saved.g;
  });

  for (const model of ['claude', 'gemini'] as const) {
    const fake = () => (model === 'claude' ? anthropic : gemini);

    test(`${model}: plain answer, non-stream and stream, with usage and the answering model`, async () => {
      fake().setBehavior({ kind: 'ok' });
      const { data, response } = await client.chat.completions
        .create({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] })
        .withResponse();
      assert.equal(data.choices[0]!.message.content, 'Hello from the fake upstream.');
      assert.equal(data.choices[0]!.finish_reason, 'stop');
      assert.equal(data.usage!.completion_tokens, 5);
      assert.equal(response.headers.get('x-unbundle-model'), model);
      const sent = fake().requests.at(-1)!;
      if (model === 'claude') {
        assert.equal(sent.headers['x-api-key'], 'sk-ant-test');
        assert.equal((sent.body as { system: string }).system, 'Be brief.');
      } else {
        assert.equal(sent.headers['x-goog-api-key'], 'gem-test');
        assert.deepEqual((sent.body as { systemInstruction: unknown }).systemInstruction, { parts: [{ text: 'Be brief.' }] });
      }
      const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
      let text = '';
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | undefined | null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(text, 'Hello from the fake upstream.');
      assert.equal(finish, 'stop');
      assert.equal(usage?.completion_tokens, 5);
    });

    test(`${model}: tool calls non-stream and stream, and the tool result goes back upstream`, async () => {
      fake().setBehavior({ kind: 'ok', text: '', toolCalls: fakeCall });
      const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools, tool_choice: 'required' });
      const choice = completion.choices[0]!;
      assert.equal(choice.finish_reason, 'tool_calls');
      const call = choice.message.tool_calls![0]!;
      assert.equal(call.type, 'function');
      if (call.type !== 'function') return;
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Oslo' });

      const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools, stream: true });
      let name = '';
      let args = '';
      let id = '';
      let finish: string | null = null;
      for await (const chunk of stream) {
        for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
          id += delta.id ?? '';
          name += delta.function?.name ?? '';
          args += delta.function?.arguments ?? '';
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(name, 'get_weather');
      assert.deepEqual(JSON.parse(args), { city: 'Oslo' });
      assert.equal(finish, 'tool_calls');

      fake().setBehavior({ kind: 'ok', text: 'It is 3 degrees.' });
      const followUp = await client.chat.completions.create({
        model,
        tools,
        messages: [
          { role: 'user', content: 'Weather in Oslo?' },
          { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: 'get_weather', arguments: call.function.arguments } }] },
          { role: 'tool', tool_call_id: call.id, content: '{"temp":3}' },
        ],
      });
      assert.equal(followUp.choices[0]!.message.content, 'It is 3 degrees.');
      const sent = fake().requests.at(-1)!.body as Record<string, unknown>;
      if (model === 'claude') {
        const turns = sent.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
        assert.deepEqual(turns[1]!.content[0], { type: 'tool_use', id: call.id, name: 'get_weather', input: { city: 'Oslo' } });
        assert.deepEqual(turns[2]!.content[0], { type: 'tool_result', tool_use_id: call.id, content: '{"temp":3}' });
      } else {
        const contents = sent.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
        assert.deepEqual(contents[1], { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }] });
        assert.deepEqual(contents[2], { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 3 } } }] });
      }
    });

    test(`${model}: an upstream outage is a clear 502 and a cut stream ends with an error event`, async () => {
      fake().setBehavior({ kind: 'error', status: 503 });
      await assert.rejects(client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 502);
      fake().setBehavior({ kind: 'cut', afterEvents: 5 });
      const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true });
      let finished = false;
      await assert.rejects(async () => {
        for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) finished = true;
      }, /UPSTREAM_MALFORMED|cut short/);
      assert.equal(finished, false, 'a cut stream must never look finished');
    });
  }

  test('gpt (openai-compatible via the openai preset): tool calls pass through, non-stream and stream', async () => {
    openai.setBehavior({ kind: 'ok', text: '', toolCalls: [{ id: 'call_up_1', name: 'get_weather', arguments: '{"city":"Rome"}' }] });
    const completion = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'Weather in Rome?' }], tools });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.deepEqual({ id: call.id, name: call.function.name, arguments: call.function.arguments }, { id: 'call_up_1', name: 'get_weather', arguments: '{"city":"Rome"}' });
    assert.equal(completion.choices[0]!.finish_reason, 'tool_calls');
    assert.deepEqual((openai.requests.at(-1)!.body as { tools: unknown }).tools, tools);
    const stream = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'Weather in Rome?' }], tools, stream: true });
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) args += delta.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.deepEqual(JSON.parse(args), { city: 'Rome' });
    assert.equal(finish, 'tool_calls');
  });

  test('stories (local GGUF): a grammar-forced tool call, non-stream and stream', async () => {
    const completion = await client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, temperature: 0, max_tokens: 60 });
    const choice = completion.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    const call = choice.message.tool_calls![0]!;
    assert.ok(call.type === 'function' && call.function.name === 'get_weather');
    assert.ok(['Oslo', 'Rome'].includes((JSON.parse(call.function.arguments) as { city: string }).city));
    assert.equal(choice.message.content, null);

    const stream = await client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: 'required', temperature: 0, max_tokens: 60, stream: true });
    let name = '';
    let args = '';
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += delta.function?.name ?? '';
        args += delta.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, '');
    assert.equal(name, 'get_weather');
    assert.ok(['Oslo', 'Rome'].includes((JSON.parse(args) as { city: string }).city));
    assert.equal(finish, 'tool_calls');
  });

  test('stories (local GGUF): plain chat still streams text when no tools are given', async () => {
    const completion = await client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: 'Tell me a story' }], temperature: 0, max_tokens: 16 });
    assert.ok(completion.choices[0]!.message.content!.length > 0);
    assert.equal(completion.choices[0]!.message.tool_calls, undefined);
  });
});
