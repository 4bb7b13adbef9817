import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LlamaRuntime } from '../../../src/backends/llamacpp/llama-runtime.ts';
import { LlamacppBackend } from '../../../src/backends/llamacpp/llamacpp-backend.ts';
import { planToolUse, readToolAnswer } from '../../../src/backends/llamacpp/tool-calling.ts';
import type { ChatRequest, StreamPart, ToolDefinition } from '../../../src/backends/types.ts';
import { writeGgufWithMetadata } from './gguf-with-metadata.ts';
import { modelConfig, never, sharedModel } from './test-models.ts';

/**
 * Tool calling on a local GGUF model by grammar. stories260K was never trained for tools, so the
 * content of its calls is noise; what the grammar guarantees, and what these tests assert, is
 * the structure: a call of a tool that exists, with arguments that are JSON of its schema.
 */

const weather: ToolDefinition = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Paris', 'Oslo', 'Rome'] }, metric: { type: 'boolean' } }, required: ['city', 'metric'] },
};
const clock: ToolDefinition = { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } }, required: ['zone'] } };

let runtime: LlamaRuntime;
let stories: LlamacppBackend;

before(async () => {
  runtime = await LlamaRuntime.create({ threads: 2 });
  stories = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf'), contextSize: 1024 }), runtime);
});

after(async () => {
  await stories.close();
  await runtime.close();
});

function assertWeatherCall(call: { id: string; name: string; arguments: string }): void {
  assert.match(call.id, /^call_[\w-]{12}$/);
  assert.equal(call.name, 'get_weather');
  const args = JSON.parse(call.arguments) as { city: unknown; metric: unknown };
  assert.ok(['Paris', 'Oslo', 'Rome'].includes(args.city as string), `city ${String(args.city)}`);
  assert.equal(typeof args.metric, 'boolean');
}

describe('tool calling on a local model', { timeout: 120_000 }, () => {
  const asked: ChatRequest = { kind: 'chat', messages: [{ role: 'user', content: 'What is the weather in Oslo?' }], tools: [weather, clock], temperature: 0, maxTokens: 120 };

  test('tool_choice names a tool: the grammar forces a valid call of it', async () => {
    const result = await stories.generate({ ...asked, toolChoice: { name: 'get_weather' } }, never);
    assert.equal(result.finishReason, 'tool_calls');
    assert.equal(result.text, '');
    assert.equal(result.toolCalls.length, 1);
    assertWeatherCall(result.toolCalls[0]!);
    assert.ok((result.usage.inputTokens ?? 0) > 50, 'the tool instructions are part of the prompt');
  });

  test('tool_choice required: a call of one of the tools', async () => {
    const result = await stories.generate({ ...asked, toolChoice: 'required' }, never);
    assert.equal(result.finishReason, 'tool_calls');
    const call = result.toolCalls[0]!;
    assert.ok(['get_weather', 'get_time'].includes(call.name));
    assert.equal(typeof JSON.parse(call.arguments), 'object');
  });

  test('streaming: the call arrives as a tool-call delta, never as raw JSON text', async () => {
    const parts: StreamPart[] = [];
    for await (const part of stories.stream({ ...asked, toolChoice: { name: 'get_weather' } }, never)) parts.push(part);
    assert.deepEqual(parts.map((p) => p.type), ['tool-call-delta', 'usage', 'finish']);
    const delta = parts[0] as Extract<StreamPart, { type: 'tool-call-delta' }>;
    assertWeatherCall({ id: delta.id!, name: delta.name!, arguments: delta.argumentsDelta });
    assert.deepEqual(parts.at(-1), { type: 'finish', finishReason: 'tool_calls' });
  });

  test('auto: either a reply or a valid call; a tool result in the history reaches the prompt', async () => {
    const request: ChatRequest = {
      ...asked,
      toolChoice: 'auto',
      messages: [
        ...asked.messages,
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo","metric":true}' }] },
        { role: 'tool', toolCallId: 'call_1', content: '{"temp":3}' },
      ],
    };
    const result = await stories.generate(request, never);
    if (result.toolCalls.length > 0) {
      assert.ok(['get_weather', 'get_time'].includes(result.toolCalls[0]!.name));
      assert.ok(['tool_calls', 'length'].includes(result.finishReason));
    } else {
      assert.equal(typeof result.text, 'string');
      assert.doesNotMatch(result.text, /^\s*\{"answer"/);
    }
    const shorter = await stories.generate({ ...asked, toolChoice: 'auto' }, never);
    assert.ok((result.usage.inputTokens ?? 0) > (shorter.usage.inputTokens ?? 0) + 10, 'history with the call and its result is rendered');
  });

  test('a model with a chat template: the call goes through its template, still grammar-bound', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'unbundle-tools-'));
    const file = path.join(tmp, 'stories-templated.gguf');
    writeGgufWithMetadata(sharedModel('stories260K.gguf'), file, { 'tokenizer.chat_template': "{% for message in messages %}{{ message['content'] }}{% endfor %}" });
    const templated = new LlamacppBackend(modelConfig({ id: 'templated', path: file, contextSize: 1024 }), runtime);
    try {
      const result = await templated.generate({ ...asked, toolChoice: { name: 'get_weather' } }, never);
      assert.equal(result.finishReason, 'tool_calls');
      assertWeatherCall(result.toolCalls[0]!);
    } finally {
      await templated.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('tool_choice none ignores the tools; a named tool that does not exist is a bad request', async () => {
    const result = await stories.generate({ ...asked, toolChoice: 'none', maxTokens: 8 }, never);
    assert.deepEqual(result.toolCalls, []);
    await assert.rejects(stories.generate({ ...asked, toolChoice: { name: 'nope' } }, never), { code: 'UNBUNDLE_E_BAD_REQUEST', param: 'tool_choice' });
  });
});

describe('tool grammar and answer reading (no model)', () => {
  test('the schema offers a reply only under auto, and only the named tool under a named choice', () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const auto = planToolUse({ kind: 'chat', messages, tools: [weather, clock] }, 'm')!;
    assert.equal((auto.format.schema.oneOf as unknown[]).length, 3);
    assert.equal(auto.request.messages[0]!.role, 'system');
    assert.match(auto.request.messages[0]!.content as string, /get_weather: Weather for a city/);
    const named = planToolUse({ kind: 'chat', messages, tools: [weather, clock], toolChoice: { name: 'get_time' } }, 'm')!;
    assert.deepEqual((named.format.schema.properties as Record<string, unknown>).name, { const: 'get_time' });
    assert.equal(planToolUse({ kind: 'chat', messages, tools: [weather], toolChoice: 'none' }, 'm'), undefined);
    assert.equal(planToolUse({ kind: 'chat', messages }, 'm'), undefined);
  });

  test('reading answers: a call, a reply, a call cut short by max_tokens, and stray text', () => {
    const call = readToolAnswer('{"name":"get_time","arguments":{"zone":"UTC"}}', 'stop');
    assert.equal(call.finishReason, 'tool_calls');
    assert.deepEqual({ name: call.toolCalls[0]!.name, arguments: call.toolCalls[0]!.arguments }, { name: 'get_time', arguments: '{"zone":"UTC"}' });
    assert.deepEqual(readToolAnswer('{"answer":"Hello"}', 'stop'), { text: 'Hello', toolCalls: [], finishReason: 'stop' });
    const cut = readToolAnswer('{"name":"get_weather","arguments":{"city":"Os', 'length');
    assert.equal(cut.finishReason, 'length');
    assert.equal(cut.toolCalls[0]!.name, 'get_weather');
    assert.equal(cut.toolCalls[0]!.arguments, '{"city":"Os');
    // A reply cut short is its text so far, never the grammar's JSON (a cut escape is dropped).
    assert.deepEqual(readToolAnswer('{"answer":"Hel', 'length'), { text: 'Hel', toolCalls: [], finishReason: 'length' });
    assert.deepEqual(readToolAnswer('{ "answer": "It\'s a \\"spec\\u00e9\\', 'length'), { text: 'It\'s a "specé', toolCalls: [], finishReason: 'length' });
    assert.deepEqual(readToolAnswer('{ "answer"', 'length'), { text: '', toolCalls: [], finishReason: 'length' });
    assert.deepEqual(readToolAnswer('{"answer":"ok \\uD83D', 'length'), { text: 'ok ', toolCalls: [], finishReason: 'length' }, 'no half of a surrogate pair');
    assert.deepEqual(readToolAnswer('{ "na', 'length'), { text: '', toolCalls: [], finishReason: 'length' });
  });
});
