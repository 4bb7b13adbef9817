import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';

/** Tool calling through /v1/chat/completions, both ways, with the openai client and a fake OpenAI upstream. */
describe('OpenAI surface: tool calls both ways through an OpenAI-compatible upstream', () => {
  let upstream: FakeOpenAIUpstream;
  let started: StartedGateway;
  let client: OpenAI;
  const calls = [
    { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
    { id: 'call_b', name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
  ];
  const tools: OpenAI.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] } } },
    { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } },
  ];

  before(async () => {
    upstream = await startFakeOpenAIUpstream();
    started = await startGatewayFromConfig({
      models: [
        { id: 'plain', backend: 'openai-compatible', baseURL: upstream.url, model: 'gpt-4o-mini' },
        { id: 'caller', backend: 'openai-compatible', baseURL: upstream.url, model: 'gpt-4o-mini', headers: { 'x-fake-behavior': JSON.stringify({ kind: 'ok', text: '', toolCalls: calls }) } },
      ],
    });
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await started.close();
    await upstream.close();
  });

  it('forwards tools, tool_choice, assistant tool_calls and tool messages unchanged in meaning', async () => {
    await client.chat.completions.create({
      model: 'plain',
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      messages: [
        { role: 'user', content: 'Weather and time in Paris?' },
        { role: 'assistant', content: null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) },
        { role: 'tool', tool_call_id: 'call_a', content: '18°C' },
        { role: 'tool', tool_call_id: 'call_b', content: '14:05' },
      ],
    });
    const body = upstream.requests.at(-1)!.body as Record<string, unknown>;
    assert.deepEqual(body.tools, tools);
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'get_weather' } });
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Weather and time in Paris?' },
      { role: 'assistant', content: null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) },
      { role: 'tool', tool_call_id: 'call_a', content: '18°C' },
      { role: 'tool', tool_call_id: 'call_b', content: '14:05' },
    ]);
    for (const choice of ['auto', 'none', 'required'] as const) {
      await client.chat.completions.create({ model: 'plain', tools, tool_choice: choice, messages: [{ role: 'user', content: 'x' }] });
      assert.equal((upstream.requests.at(-1)!.body as { tool_choice: unknown }).tool_choice, choice);
    }
  });

  it('returns the upstream\'s tool calls whole: content null, finish_reason tool_calls', async () => {
    const completion = await client.chat.completions.create({ model: 'caller', tools, messages: [{ role: 'user', content: 'x' }] });
    const message = completion.choices[0]!.message;
    assert.equal(message.content, null);
    assert.deepEqual(message.tool_calls, calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })));
    assert.equal(completion.choices[0]!.finish_reason, 'tool_calls');
  });

  it('streams tool-call deltas the SDK reassembles into the same calls', async () => {
    const stream = await client.chat.completions.create({ model: 'caller', tools, messages: [{ role: 'user', content: 'x' }], stream: true });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    // The first delta of each call carries id, type and name; later ones only argument pieces.
    assert.deepEqual(deltas.filter((d) => d.id !== undefined).map((d) => [d.index, d.id, d.type, d.function?.name]), [[0, 'call_a', 'function', 'get_weather'], [1, 'call_b', 'function', 'get_time']]);
    assert.ok(deltas.length > 2, 'arguments arrived in one piece: nothing was streamed');
    const final = await client.chat.completions.stream({ model: 'caller', tools, messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion();
    assert.deepEqual(final.choices[0]!.message.tool_calls?.map((c) => c.type === 'function' && [c.id, c.function.name, c.function.arguments]), calls.map((c) => [c.id, c.name, c.arguments]));
  });
});
