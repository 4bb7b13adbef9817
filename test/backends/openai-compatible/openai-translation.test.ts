import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toGenerateBody, toOpenAIMessage } from '../../../src/backends/openai-compatible/openai-request-body.ts';
import { toEmbedResult, toFinishReason, toGenerateResult, toUsage } from '../../../src/backends/openai-compatible/openai-response.ts';
import { OpenAIStreamReader } from '../../../src/backends/openai-compatible/openai-stream-reader.ts';
import { parseRetryAfter, upstreamMessage } from '../../../src/backends/openai-compatible/upstream-errors.ts';

describe('request translation', () => {
  it('leaves out everything the caller did not set', () => {
    assert.deepEqual(toGenerateBody({ kind: 'chat', messages: [{ role: 'user', content: 'x' }], stop: [], tools: [] }, 'm', false), {
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
  });

  it('maps tool choice strings and simple response formats', () => {
    const body = toGenerateBody({ kind: 'completion', prompt: 'p', toolChoice: 'required', responseFormat: { type: 'json_object' } }, 'm', true);
    assert.deepEqual(body, { model: 'm', prompt: 'p', stream: true, stream_options: { include_usage: true }, tool_choice: 'required', response_format: { type: 'json_object' } });
  });

  it('keeps an assistant text next to its tool calls, and names', () => {
    assert.deepEqual(toOpenAIMessage({ role: 'assistant', content: 'Let me check.', name: 'bot', toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] }), {
      role: 'assistant',
      content: 'Let me check.',
      name: 'bot',
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
    });
  });
});

describe('response translation', () => {
  it('maps finish reasons of OpenAI, TGI and vLLM; unknown still means stopped', () => {
    assert.equal(toFinishReason('stop'), 'stop');
    assert.equal(toFinishReason('length'), 'length');
    assert.equal(toFinishReason('function_call'), 'tool_calls');
    assert.equal(toFinishReason('content_filter'), 'content_filter');
    assert.equal(toFinishReason('eos_token'), 'stop');
    assert.equal(toFinishReason('abort'), 'error');
    assert.equal(toFinishReason('something_new'), 'stop');
    assert.equal(toFinishReason(null), undefined);
  });

  it('keeps partially reported usage partially unknown', () => {
    assert.deepEqual(toUsage({ prompt_tokens: 5 }), { inputTokens: 5, outputTokens: undefined });
    assert.deepEqual(toUsage({ prompt_tokens: -1, completion_tokens: '3' }), { inputTokens: undefined, outputTokens: undefined });
    assert.equal(toUsage(null), undefined);
  });

  it('reads null content with tool calls, object-valued arguments and missing finish reasons', () => {
    const result = toGenerateResult(
      { choices: [{ message: { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] }, finish_reason: null }] },
      'chat',
      'm',
    );
    assert.deepEqual(result, { text: '', toolCalls: [{ id: 't', name: 'f', arguments: '{"a":1}' }], finishReason: 'tool_calls', usage: { inputTokens: undefined, outputTokens: undefined } });
  });

  it('rejects bodies that cannot be an answer', () => {
    assert.throws(() => toGenerateResult({ choices: [] }, 'chat', 'm'), { code: 'UNBUNDLE_E_UPSTREAM_MALFORMED' });
    assert.throws(() => toGenerateResult([], 'chat', 'm'), { code: 'UNBUNDLE_E_UPSTREAM_MALFORMED' });
    assert.throws(() => toGenerateResult({ choices: [{ message: {} }] }, 'completion', 'm'), { code: 'UNBUNDLE_E_UPSTREAM_MALFORMED' });
  });

  it('turns an error body sent with HTTP 200 into an upstream server error', () => {
    assert.throws(() => toGenerateResult({ error: { message: 'model is loading' } }, 'chat', 'm'), (error: Error & { code: string }) => {
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_SERVER');
      assert.match(error.message, /model is loading/);
      return true;
    });
  });

  it('orders embeddings by index, decodes base64 float32, and checks the count', () => {
    const base64 = Buffer.from(new Float32Array([0.5, -2]).buffer).toString('base64');
    const result = toEmbedResult({ data: [{ index: 1, embedding: base64 }, { index: 0, embedding: [1, 2] }] }, 2, 'm');
    assert.deepEqual(result.embeddings, [[1, 2], [0.5, -2]]);
    assert.deepEqual(result.usage, { inputTokens: undefined, outputTokens: undefined });
    assert.throws(() => toEmbedResult({ data: [{ index: 0, embedding: [1] }] }, 2, 'm'), { code: 'UNBUNDLE_E_UPSTREAM_MALFORMED' });
    assert.throws(() => toEmbedResult({ data: [{ index: 0, embedding: [1] }, { index: 0, embedding: [2] }] }, 2, 'm'), { code: 'UNBUNDLE_E_UPSTREAM_MALFORMED' });
  });
});

describe('OpenAIStreamReader', () => {
  const chunk = (delta: unknown, finish: string | null = null, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }], ...extra });

  it('accepts a finish reason without [DONE], and [DONE] without a finish reason', () => {
    const a = new OpenAIStreamReader('m', 'chat');
    a.read(chunk({ content: 'x' }, 'length', { usage: { prompt_tokens: 1, completion_tokens: 1 } }), undefined);
    assert.deepEqual(a.finish(), [
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } },
      { type: 'finish', finishReason: 'length' },
    ]);
    const b = new OpenAIStreamReader('m', 'chat');
    b.read(chunk({ content: 'x' }), undefined);
    b.read('[DONE]', undefined);
    assert.deepEqual(b.finish(), [{ type: 'finish', finishReason: 'stop' }]);
  });

  it('fails on neither, on data after [DONE], and on an error event mid-stream', () => {
    const cut = new OpenAIStreamReader('m', 'chat');
    cut.read(chunk({ content: 'x' }), undefined);
    assert.throws(() => cut.finish(), { code: 'UNBUNDLE_E_UPSTREAM_MALFORMED' });
    const late = new OpenAIStreamReader('m', 'chat');
    late.read('[DONE]', undefined);
    assert.throws(() => late.read(chunk({ content: 'y' }), undefined), { code: 'UNBUNDLE_E_UPSTREAM_MALFORMED' });
    const failing = new OpenAIStreamReader('m', 'chat');
    assert.throws(() => failing.read('{"error":{"message":"CUDA out of memory"}}', undefined), (error: Error & { code: string }) => {
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_SERVER');
      assert.match(error.message, /CUDA out of memory/);
      return true;
    });
  });

  it('reports a running usage total once, the last one, right before finish', () => {
    const reader = new OpenAIStreamReader('m', 'chat');
    assert.deepEqual(reader.read(chunk({ content: 'a' }, null, { usage: { prompt_tokens: 5, completion_tokens: 1 } }), undefined), [{ type: 'text-delta', text: 'a' }]);
    reader.read(chunk({ content: 'b' }, 'stop', { usage: { prompt_tokens: 5, completion_tokens: 2 } }), undefined);
    reader.read('[DONE]', undefined);
    assert.deepEqual(reader.finish(), [
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('ignores choices other than the first', () => {
    const reader = new OpenAIStreamReader('m', 'chat');
    const parts = reader.read(JSON.stringify({ choices: [{ index: 1, delta: { content: 'other' } }, { index: 0, delta: { content: 'mine' } }] }), undefined);
    assert.deepEqual(parts, [{ type: 'text-delta', text: 'mine' }]);
  });
});

describe('upstream error details', () => {
  it('quotes plain text bodies, squeezed and bounded', () => {
    assert.equal(upstreamMessage('  Bad\n  Gateway  '), 'Bad Gateway');
    assert.equal(upstreamMessage('x'.repeat(600)).length, 501);
    assert.equal(upstreamMessage(''), '');
  });

  it('ignores Retry-After values that are not a delay', () => {
    assert.equal(parseRetryAfter({ 'retry-after': 'soon' }), undefined);
    assert.equal(parseRetryAfter({ 'retry-after': '-3' }), undefined);
    assert.equal(parseRetryAfter({}), undefined);
    assert.equal(parseRetryAfter({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }, Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')), 60);
  });
});
