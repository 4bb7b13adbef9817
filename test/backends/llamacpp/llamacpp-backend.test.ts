import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isUnbundleError } from '../../../src/errors.ts';
import type { StreamPart } from '../../../src/backends/types.ts';
import { renderPlainChatPrompt } from '../../../src/backends/llamacpp/chat-prompt.ts';
import { LlamaRuntime } from '../../../src/backends/llamacpp/llama-runtime.ts';
import { LlamacppBackend } from '../../../src/backends/llamacpp/llamacpp-backend.ts';
import { writeGgufWithMetadata } from './gguf-with-metadata.ts';
import { modelConfig, never, sharedModel, storiesGreedy, storiesPrompt } from './test-models.ts';

let runtime: LlamaRuntime;
let stories: LlamacppBackend;
let tmp: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'unbundle-llamacpp-'));
  runtime = await LlamaRuntime.create({ threads: 2 });
  stories = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf') }), runtime);
});

after(async () => {
  await stories.close();
  await runtime.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('completion', () => {
  test('greedy completion reproduces the known continuation, with real token counts', async () => {
    assert.equal(stories.state().status, 'unloaded');
    const result = await stories.generate({ kind: 'completion', prompt: storiesPrompt, temperature: 0, maxTokens: 64 }, never);
    assert.equal(result.text, storiesGreedy);
    assert.equal(result.finishReason, 'length');
    // BOS + "▁Once ▁upon ▁a ▁time"
    assert.deepEqual(result.usage, { inputTokens: 5, outputTokens: 64 });
    assert.deepEqual(stories.state(), { status: 'ready', active: 0, queued: 0 });
  });

  test('max_tokens cuts the answer with finish "length"', async () => {
    const result = await stories.generate({ kind: 'completion', prompt: storiesPrompt, temperature: 0, maxTokens: 5 }, never);
    assert.equal(result.finishReason, 'length');
    assert.equal(result.usage.outputTokens, 5);
    assert.ok(storiesGreedy.startsWith(result.text) && result.text.length > 0, result.text);
  });

  test('defaultMaxTokens applies when the request sets none', async () => {
    const backend = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf'), defaultMaxTokens: 7 }), runtime);
    try {
      const result = await backend.generate({ kind: 'completion', prompt: storiesPrompt, temperature: 0 }, never);
      assert.equal(result.usage.outputTokens, 7);
      assert.equal(result.finishReason, 'length');
    } finally {
      await backend.close();
    }
  });

  test('a stop sequence ends the answer before it, with finish "stop"', async () => {
    const result = await stories.generate({ kind: 'completion', prompt: storiesPrompt, temperature: 0, maxTokens: 64, stop: ['Lily'] }, never);
    assert.equal(result.text.trimEnd(), ', there was a little girl named');
    assert.equal(result.finishReason, 'stop');
  });

  test('the same seed gives the same sampled text; other seeds differ', async () => {
    const sample = async (seed: number) =>
      (await stories.generate({ kind: 'completion', prompt: storiesPrompt, temperature: 1, seed, maxTokens: 24 }, never)).text;
    const first = await sample(42);
    assert.equal(await sample(42), first);
    const others = [await sample(1), await sample(2), await sample(3)];
    assert.ok(others.some((text) => text !== first), 'three other seeds all produced the seed-42 text');
  });

  test('json_schema output parses and matches the schema', async () => {
    const schema = {
      type: 'object',
      properties: { mood: { enum: ['happy', 'sad'] }, age: { type: 'integer' } },
      required: ['mood', 'age'],
      additionalProperties: false,
    };
    const result = await stories.generate(
      { kind: 'completion', prompt: storiesPrompt, temperature: 0, maxTokens: 64, responseFormat: { type: 'json_schema', schema } },
      never,
    );
    assert.equal(result.finishReason, 'stop', result.text);
    const value = JSON.parse(result.text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(value).sort(), ['age', 'mood']);
    assert.ok(value.mood === 'happy' || value.mood === 'sad');
    assert.ok(Number.isInteger(value.age));
  });

  test('json_schema with anyOf (what zodResponseFormat emits for unions and nullables) is enforced', async () => {
    const schema = { type: 'object', properties: { a: { anyOf: [{ type: 'integer' }, { type: 'boolean' }] } }, required: ['a'], additionalProperties: false };
    for (const seed of [1, 2, 3]) {
      const result = await stories.generate(
        { kind: 'completion', prompt: storiesPrompt, temperature: 0.8, seed, maxTokens: 48, responseFormat: { type: 'json_schema', schema } },
        never,
      );
      assert.equal(result.finishReason, 'stop', result.text);
      const value = (JSON.parse(result.text) as { a: unknown }).a;
      assert.ok(Number.isInteger(value) || typeof value === 'boolean', `a is ${JSON.stringify(value)}`);
    }
  });

  test('a prompt longer than the context is UNBUNDLE_E_CONTEXT_LENGTH with the numbers', async () => {
    const prompt = 'the little dog ran to the park and '.repeat(60);
    await assert.rejects(stories.generate({ kind: 'completion', prompt, maxTokens: 4 }, never), (error) => {
      assert.ok(isUnbundleError(error));
      assert.equal(error.code, 'UNBUNDLE_E_CONTEXT_LENGTH');
      assert.match(error.message, /prompt is \d{3} tokens .* context of 256 tokens/);
      return true;
    });
  });

  test('tools on a text completion are refused clearly (tools need a chat request)', async () => {
    const request = { kind: 'completion' as const, prompt: storiesPrompt, tools: [{ name: 'lookup' }] };
    await assert.rejects(stories.generate(request, never), { code: 'UNBUNDLE_E_UNSUPPORTED', param: 'tools' });
  });

  test('max_tokens below 1 is a bad request', async () => {
    await assert.rejects(stories.generate({ kind: 'completion', prompt: storiesPrompt, maxTokens: 0 }, never), { code: 'UNBUNDLE_E_BAD_REQUEST' });
  });
});

describe('chat', () => {
  test('a model without a chat template gets the plain transcript prompt', async () => {
    const messages = [
      { role: 'system' as const, content: 'Tell short stories.' },
      { role: 'user' as const, content: 'Tell me about a cat.' },
    ];
    assert.equal(renderPlainChatPrompt(messages, 'm').prompt, 'System: Tell short stories.\nUser: Tell me about a cat.\nAssistant:');
    const chat = await stories.generate({ kind: 'chat', messages, temperature: 0, maxTokens: 40 }, never);
    const completion = await stories.generate(
      { kind: 'completion', prompt: renderPlainChatPrompt(messages, 'm').prompt, temperature: 0, maxTokens: 40, stop: ['\nUser:', '\nSystem:'] },
      never,
    );
    assert.ok(chat.text.length > 0);
    assert.equal(chat.text, completion.text.trimStart());
    assert.equal(chat.usage.inputTokens, completion.usage.inputTokens);
  });

  test('a model with a chat template in its GGUF is prompted through that template', async () => {
    // A template that passes the user's text through untouched: the model must then continue
    // "Once upon a time" exactly as a story, which the transcript format ("User: ...") would not.
    const file = path.join(tmp, 'stories-templated.gguf');
    writeGgufWithMetadata(sharedModel('stories260K.gguf'), file, { 'tokenizer.chat_template': "{% for message in messages %}{{ message['content'] }}{% endfor %}" });
    const backend = new LlamacppBackend(modelConfig({ id: 'templated', path: file }), runtime);
    try {
      const result = await backend.generate({ kind: 'chat', messages: [{ role: 'user', content: storiesPrompt }], temperature: 0, maxTokens: 12 }, never);
      assert.match(result.text, /^, there was a little girl named Lily/);
      assert.equal(result.usage.outputTokens, 12);
      assert.ok(result.usage.inputTokens! >= 5 && result.usage.inputTokens! <= 8, String(result.usage.inputTokens));
    } finally {
      await backend.close();
    }
  });

  test('image parts are refused for a text-only local model', async () => {
    const messages = [{ role: 'user' as const, content: [{ type: 'image' as const, url: 'data:image/png;base64,AA==' }] }];
    await assert.rejects(stories.generate({ kind: 'chat', messages }, never), { code: 'UNBUNDLE_E_UNSUPPORTED' });
  });
});

describe('stream', () => {
  const collect = async (iterable: AsyncIterable<StreamPart>) => {
    const parts: StreamPart[] = [];
    for await (const part of iterable) parts.push(part);
    return parts;
  };

  test('yields text deltas, then usage, then one finish; text equals generate()', async () => {
    const request = { kind: 'completion' as const, prompt: storiesPrompt, temperature: 0, maxTokens: 40 };
    const parts = await collect(stories.stream(request, never));
    const whole = await stories.generate(request, never);
    const deltas = parts.filter((part) => part.type === 'text-delta');
    assert.ok(deltas.length > 5, 'expected many deltas, one per token or so');
    assert.deepEqual(parts.slice(deltas.length).map((part) => part.type), ['usage', 'finish']);
    assert.equal(deltas.map((part) => part.text).join(''), whole.text);
    assert.deepEqual(parts.at(-2), { type: 'usage', usage: whole.usage });
    assert.deepEqual(parts.at(-1), { type: 'finish', finishReason: 'length' });
  });

  test('a streamed plain-format chat equals its non-streamed text (leading space dropped in both)', async () => {
    const request = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'Tell me about a dog.' }], temperature: 0, maxTokens: 30 };
    const parts = await collect(stories.stream(request, never));
    const text = parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('');
    assert.equal(text, (await stories.generate(request, never)).text);
    assert.equal(text, text.trimStart());
  });

  test('a consumer that stops reading frees the slot', async () => {
    const iterator = stories.stream({ kind: 'completion', prompt: storiesPrompt, temperature: 0, maxTokens: 2000 }, never)[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.value?.type, 'text-delta');
    assert.equal(stories.state().active, 1);
    await iterator.return?.();
    assert.equal(stories.state().active, 0);
  });
});
