import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toAnthropicBody } from '../../../src/backends/anthropic/anthropic-request-body.ts';
import { AnthropicStreamReader } from '../../../src/backends/anthropic/anthropic-stream-reader.ts';
import { toGeminiBody } from '../../../src/backends/gemini/gemini-request-body.ts';
import { toGeminiResult } from '../../../src/backends/gemini/gemini-response.ts';
import type { ChatRequest } from '../../../src/backends/types.ts';
import { UnbundleError } from '../../../src/errors.ts';
import { portfolioFromObject } from '../../../src/portfolio/load-portfolio.ts';

/** Translation corners the fixtures do not show. */

const options = { model: 'claude', defaultMaxTokens: 1024, stream: false };

test('anthropic: parallel tool results and the next user text share one user turn', () => {
  const request: ChatRequest = {
    kind: 'chat',
    messages: [
      { role: 'user', content: 'Paris and Rome?' },
      { role: 'assistant', content: 'Checking both.', toolCalls: [{ id: 't1', name: 'w', arguments: '{"c":"Paris"}' }, { id: 't2', name: 'w', arguments: 'not json' }] },
      { role: 'tool', toolCallId: 't1', content: '21' },
      { role: 'tool', toolCallId: 't2', content: '25' },
      { role: 'user', content: 'And tomorrow?' },
    ],
  };
  const body = toAnthropicBody(request, options);
  assert.deepEqual(body.messages, [
    { role: 'user', content: 'Paris and Rome?' },
    { role: 'assistant', content: [{ type: 'text', text: 'Checking both.' }, { type: 'tool_use', id: 't1', name: 'w', input: { c: 'Paris' } }, { type: 'tool_use', id: 't2', name: 'w', input: { _raw: 'not json' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: '21' }, { type: 'tool_result', tool_use_id: 't2', content: '25' }, { type: 'text', text: 'And tomorrow?' }] },
  ]);
  assert.equal(body.max_tokens, 1024);
});

test('anthropic: a completion request becomes one user turn; several system messages join; stream flag', () => {
  assert.deepEqual(toAnthropicBody({ kind: 'completion', prompt: 'Once upon', maxTokens: 9 }, { ...options, stream: true }), {
    model: 'claude', max_tokens: 9, messages: [{ role: 'user', content: 'Once upon' }], stream: true,
  });
  const body = toAnthropicBody({ kind: 'chat', messages: [{ role: 'system', content: 'A.' }, { role: 'system', content: 'B.' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: '' }, { role: 'user', content: 'there' }] }, options);
  assert.equal(body.system, 'A.\n\nB.');
  // The empty assistant turn is dropped and the two user turns become one.
  assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'text', text: 'there' }] }]);
});

test('anthropic: tool_choice none / named, and json response_format is refused clearly', () => {
  const tools = [{ name: 'w' }];
  assert.deepEqual(toAnthropicBody({ kind: 'chat', messages: [{ role: 'user', content: 'x' }], tools, toolChoice: 'none' }, options).tool_choice, { type: 'none' });
  assert.deepEqual(toAnthropicBody({ kind: 'chat', messages: [{ role: 'user', content: 'x' }], tools, toolChoice: { name: 'w' } }, options).tool_choice, { type: 'tool', name: 'w' });
  assert.throws(
    () => toAnthropicBody({ kind: 'chat', messages: [{ role: 'user', content: 'x' }], responseFormat: { type: 'json_object' } }, options),
    (error: unknown) => error instanceof UnbundleError && error.code === 'UNBUNDLE_E_UNSUPPORTED' && error.param === 'response_format',
  );
});

test('anthropic stream: input_json_delta for a text block and data after message_stop are malformed', () => {
  const reader = new AnthropicStreamReader('m');
  reader.read('{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}');
  assert.throws(() => reader.read('{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}'), /UNBUNDLE|not a tool_use/);
  const done = new AnthropicStreamReader('m');
  done.read('{"type":"message_stop"}');
  assert.throws(() => done.read('{"type":"ping"}'), (error: unknown) => error instanceof UnbundleError && error.code === 'UNBUNDLE_E_UPSTREAM_MALFORMED');
  assert.deepEqual(done.finish(), [{ type: 'finish', finishReason: 'stop' }]);
  assert.throws(() => new AnthropicStreamReader('m').finish(), /cut short/);
});

test('gemini: tool results find their function name; plain-text results are wrapped; a signed call round-trips', () => {
  const result = toGeminiResult({
    candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'w', args: { c: 'Oslo' } }, thoughtSignature: 'U0lH' }] }, finishReason: 'STOP' }],
  }, 'g');
  const call = result.toolCalls[0]!;
  assert.equal(call.id, 'gsig_0.U0lH');
  const body = toGeminiBody({
    kind: 'chat',
    messages: [
      { role: 'user', content: 'Oslo?' },
      { role: 'assistant', content: '', toolCalls: [call] },
      { role: 'tool', toolCallId: call.id, content: 'sunny, 12 C' },
    ],
  });
  assert.deepEqual(body.contents, [
    { role: 'user', parts: [{ text: 'Oslo?' }] },
    { role: 'model', parts: [{ functionCall: { name: 'w', args: { c: 'Oslo' } }, thoughtSignature: 'U0lH' }] },
    { role: 'user', parts: [{ functionResponse: { name: 'w', response: { result: 'sunny, 12 C' } } }] },
  ]);
});

test('gemini: tool_choice maps to functionCallingConfig modes; thought parts are not answer text', () => {
  const base: ChatRequest = { kind: 'chat', messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'w' }] };
  assert.deepEqual(toGeminiBody({ ...base, toolChoice: 'auto' }).toolConfig, { functionCallingConfig: { mode: 'AUTO' } });
  assert.deepEqual(toGeminiBody({ ...base, toolChoice: 'none' }).toolConfig, { functionCallingConfig: { mode: 'NONE' } });
  assert.deepEqual(toGeminiBody({ ...base, toolChoice: 'required' }).toolConfig, { functionCallingConfig: { mode: 'ANY' } });
  const result = toGeminiResult({ candidates: [{ content: { parts: [{ text: 'thinking…', thought: true }, { text: 'Answer.' }] }, finishReason: 'SAFETY' }] }, 'g');
  assert.equal(result.text, 'Answer.');
  assert.equal(result.finishReason, 'content_filter');
  assert.deepEqual(result.usage, { inputTokens: undefined, outputTokens: undefined });
});

test('provider presets fill baseURL, apiKeyEnv and zone; explicit keys win', () => {
  const models = portfolioFromObject({
    models: [
      { id: 'gpt', backend: 'openai-compatible', provider: 'openai', model: 'gpt-4o-mini' },
      { id: 'groq', backend: 'openai-compatible', provider: 'groq', apiKeyEnv: 'MY_GROQ' },
      { id: 'local', backend: 'openai-compatible', provider: 'vllm', baseURL: 'http://10.0.0.5:8000/v1' },
      { id: 'claude', backend: 'anthropic' },
      { id: 'gem', backend: 'gemini', zone: 'eu-cloud' },
    ],
  }).models;
  const view = models.map((m) => ({ id: m.id, baseURL: 'baseURL' in m ? m.baseURL : undefined, apiKeyEnv: 'apiKeyEnv' in m ? m.apiKeyEnv : undefined, zone: m.zone }));
  assert.deepEqual(view, [
    { id: 'gpt', baseURL: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY', zone: 'external' },
    { id: 'groq', baseURL: 'https://api.groq.com/openai/v1', apiKeyEnv: 'MY_GROQ', zone: 'external' },
    { id: 'local', baseURL: 'http://10.0.0.5:8000/v1', apiKeyEnv: undefined, zone: 'self-hosted' },
    { id: 'claude', baseURL: 'https://api.anthropic.com', apiKeyEnv: 'ANTHROPIC_API_KEY', zone: 'external' },
    { id: 'gem', baseURL: 'https://generativelanguage.googleapis.com/v1beta', apiKeyEnv: 'GEMINI_API_KEY', zone: 'eu-cloud' },
  ]);
  assert.throws(() => portfolioFromObject({ models: [{ id: 'x', backend: 'openai-compatible' }] }), /baseURL: missing — set baseURL .* or name a provider/);
});
