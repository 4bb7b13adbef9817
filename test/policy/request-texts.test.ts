import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest, CompletionRequest } from '../../src/backends/types.ts';
import { collectEmbedTexts, collectTexts, rewriteEmbedTexts, rewriteTexts } from '../../src/policy/request-texts.ts';

const chat: ChatRequest = {
  kind: 'chat',
  messages: [
    { role: 'system', content: 'system text' },
    { role: 'user', content: [{ type: 'text', text: 'part one' }, { type: 'image', url: 'https://img.example/x.png' }, { type: 'text', text: 'part two' }], name: 'jane' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"email":"a@b.co"}' }] },
    { role: 'tool', content: 'tool result', toolCallId: 'call_1' },
  ],
  stop: ['STOP'],
  user: 'end-user-id',
  tools: [{ name: 'lookup', description: 'tool description', parameters: { type: 'object', properties: { email: { type: 'string', description: 'param description', enum: ['x', 'y'] } } } }],
  responseFormat: { type: 'json_schema', schema: { type: 'object', description: 'schema text' } },
  providerOptions: { guided_choice: ['alpha', 'beta'], top_k: 3 },
  temperature: 0.5,
};

describe('request texts', () => {
  it('collects every text a chat request carries, in a fixed order', () => {
    assert.deepEqual(collectTexts(chat), [
      'system text', 'part one', 'part two', 'jane', '', '{"email":"a@b.co"}', 'tool result',
      'STOP', 'end-user-id', 'tool description', 'object', 'string', 'param description', 'x', 'y', 'object', 'schema text', 'alpha', 'beta',
    ]);
  });

  it('rewrites exactly those places and nothing else (a new request; the original is untouched)', () => {
    const texts = collectTexts(chat);
    const before = structuredClone(chat);
    assert.deepEqual(rewriteTexts(chat, texts), chat, 'collect then rewrite is the identity');
    const marked = rewriteTexts(chat, texts.map((_, i) => `#${i}`)) as ChatRequest;
    assert.deepEqual(collectTexts(marked), texts.map((_, i) => `#${i}`));
    assert.deepEqual(chat, before);
    assert.equal(marked.messages[1]!.content[1] && typeof marked.messages[1]!.content !== 'string' ? marked.messages[1]!.content[1] : undefined, chat.messages[1]!.content[1], 'images are kept as they are');
    assert.equal(marked.tools![0]!.name, 'lookup');
    assert.equal(marked.messages[2]!.toolCalls![0]!.id, 'call_1');
    assert.equal(marked.temperature, 0.5);
    assert.equal((marked.providerOptions as { top_k: number }).top_k, 3);
  });

  it('covers completion prompts and embeddings input', () => {
    const completion: CompletionRequest = { kind: 'completion', prompt: 'the prompt', stop: ['\n'] };
    assert.deepEqual(collectTexts(completion), ['the prompt', '\n']);
    assert.deepEqual(rewriteTexts(completion, ['P', 'S']), { kind: 'completion', prompt: 'P', stop: ['S'] });
    const embed = { input: ['one', 'two'], user: 'u' };
    assert.deepEqual(collectEmbedTexts(embed), ['one', 'two', 'u']);
    assert.deepEqual(rewriteEmbedTexts(embed, ['1', '2', 'U']), { input: ['1', '2'], user: 'U' });
  });
});
