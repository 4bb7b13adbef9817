import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderPlainChatPrompt, toChatHistory } from '../../../src/backends/llamacpp/chat-prompt.ts';
import type { ChatMessage } from '../../../src/backends/types.ts';

const conversation: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'text', text: 'there' }] },
  { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' }] },
  { role: 'tool', content: 'sunny', toolCallId: 'c1' },
];

test('the plain transcript labels each turn and ends where the assistant answers', () => {
  const { prompt, continuesAssistant } = renderPlainChatPrompt(conversation, 'm');
  assert.equal(prompt, 'System: Be brief.\nUser: Hi\nthere\nAssistant: [called weather({"city":"Oslo"})]\nTool: sunny\nAssistant:');
  assert.equal(continuesAssistant, false);
});

test('a trailing assistant message is continued, not answered', () => {
  const { prompt, continuesAssistant } = renderPlainChatPrompt([{ role: 'user', content: 'Count' }, { role: 'assistant', content: '1, 2,' }], 'm');
  assert.equal(prompt, 'User: Count\nAssistant: 1, 2,');
  assert.equal(continuesAssistant, true);
});

test('the chat history for template models ends with an empty model turn', () => {
  assert.deepEqual(toChatHistory(conversation, 'm'), [
    { type: 'system', text: 'Be brief.' },
    { type: 'user', text: 'Hi\nthere' },
    { type: 'model', response: ['[called weather({"city":"Oslo"})]'] },
    { type: 'user', text: 'Tool result (c1): sunny' },
    { type: 'model', response: [] },
  ]);
  assert.deepEqual(toChatHistory([{ role: 'assistant', content: 'Once' }], 'm'), [{ type: 'model', response: ['Once'] }]);
});

test('no messages and image parts are refused', () => {
  assert.throws(() => renderPlainChatPrompt([], 'm'), { code: 'UNBUNDLE_E_BAD_REQUEST' });
  assert.throws(() => toChatHistory([], 'm'), { code: 'UNBUNDLE_E_BAD_REQUEST' });
  const image: ChatMessage = { role: 'user', content: [{ type: 'image', url: 'https://x/y.png' }] };
  assert.throws(() => renderPlainChatPrompt([image], 'vision-less'), { code: 'UNBUNDLE_E_UNSUPPORTED', message: /"vision-less" .* cannot read images/ });
});
