import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamPart } from '../../../src/backends/types.ts';
import { UnbundleError } from '../../../src/errors.ts';
import { anthropicErrorBody, anthropicErrorType, AnthropicStreamEncoder, anthropicUsage, encodeMessage, isAnthropicEndpoint } from '../../../src/server/anthropic/encode-anthropic.ts';
import { SseParser } from '../../../src/backends/sse.ts';

/** Runs parts through the encoder the way handleGeneration does and parses the SSE it wrote. */
function encodeStream(parts: StreamPart[]): Array<{ event: string; data: Record<string, unknown> }> {
  const encoder = new AnthropicStreamEncoder('msg_1', 'm');
  let wire = encoder.start();
  for (const part of parts) wire += encoder.encode(part);
  wire += encoder.done();
  return new SseParser().push(wire).map((e) => ({ event: e.event!, data: JSON.parse(e.data) as Record<string, unknown> }));
}

describe('Anthropic encoders', () => {
  it('streams text in the exact event order of the Messages API', () => {
    const events = encodeStream([
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: '' },
      { type: 'text-delta', text: 'lo' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 2 } },
      { type: 'finish', finishReason: 'stop' },
    ]);
    assert.deepEqual(events.map((e) => e.event), ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    for (const e of events) assert.equal(e.data.type, e.event, 'each data.type repeats its event name');
    assert.deepEqual(events[0]!.data.message, { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } });
    assert.deepEqual(events[1]!.data, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    assert.deepEqual(events[3]!.data.delta, { type: 'text_delta', text: 'Hel' });
    assert.deepEqual(events[6]!.data, { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 9, output_tokens: 2 } });
  });

  it('streams tool calls as tool_use blocks with input_json_delta after the text block', () => {
    const events = encodeStream([
      { type: 'text-delta', text: 'Checking.' },
      { type: 'tool-call-delta', index: 0, id: 'call_a', name: 'get_weather', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"Paris"}' },
      { type: 'tool-call-delta', index: 1, id: 'call_b', name: 'get_time', argumentsDelta: '{}' },
      { type: 'finish', finishReason: 'tool_calls' },
    ]);
    const starts = events.filter((e) => e.event === 'content_block_start').map((e) => e.data);
    assert.deepEqual(starts, [
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} } },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_b', name: 'get_time', input: {} } },
    ]);
    const json = events.filter((e) => e.event === 'content_block_delta' && (e.data.delta as { type: string }).type === 'input_json_delta');
    assert.deepEqual(json.map((e) => [e.data.index, (e.data.delta as { partial_json: string }).partial_json]), [[1, '{"city":'], [1, '"Paris"}'], [2, '{}']]);
    assert.deepEqual(events.filter((e) => e.event === 'content_block_stop').map((e) => e.data.index), [0, 1, 2]);
    // Every block is closed before the next opens: starts and stops alternate.
    const order = events.filter((e) => e.event === 'content_block_start' || e.event === 'content_block_stop').map((e) => e.event);
    assert.deepEqual(order, ['content_block_start', 'content_block_stop', 'content_block_start', 'content_block_stop', 'content_block_start', 'content_block_stop']);
    assert.equal((events.at(-2)!.data.delta as { stop_reason: string }).stop_reason, 'tool_use');
    assert.equal(events.filter((e) => e.event === 'ping').length, 1);
  });

  it('ends an empty answer without content blocks, and sends only the usage it knows', () => {
    const events = encodeStream([{ type: 'usage', usage: { inputTokens: 4, outputTokens: undefined } }, { type: 'finish', finishReason: 'length' }]);
    assert.deepEqual(events.map((e) => e.event), ['message_start', 'ping', 'message_delta', 'message_stop']);
    assert.deepEqual(events[2]!.data, { type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { input_tokens: 4 } });
  });

  it('writes a failure after the first byte as an `event: error` frame in Anthropic\'s error shape', () => {
    const encoder = new AnthropicStreamEncoder('msg_1', 'm');
    const frame = encoder.error(new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'upstream died'));
    const [event] = new SseParser().push(frame);
    assert.equal(event!.event, 'error');
    assert.deepEqual(JSON.parse(event!.data), { type: 'error', error: { type: 'api_error', message: 'upstream died', code: 'UNBUNDLE_E_UPSTREAM_SERVER' } });
  });

  it('encodes a whole message with text, parsed tool input, stop reason and usage', () => {
    const body = JSON.parse(encodeMessage('msg_9', 'm', 0, {
      text: 'Checking.',
      toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }, { id: 'call_b', name: 'now', arguments: '' }],
      finishReason: 'stop',
      usage: { inputTokens: 20, outputTokens: 7, cachedInputTokens: 16 },
    }));
    assert.deepEqual(body, {
      id: 'msg_9', type: 'message', role: 'assistant', model: 'm',
      content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } }, { type: 'tool_use', id: 'call_b', name: 'now', input: {} }],
      stop_reason: 'tool_use', stop_sequence: null,
      usage: { input_tokens: 4, cache_read_input_tokens: 16, output_tokens: 7 },
    });
    const empty = JSON.parse(encodeMessage('msg_0', 'm', 0, { text: '', toolCalls: [], finishReason: 'length', usage: { inputTokens: undefined, outputTokens: undefined } }));
    assert.deepEqual(empty.content, []);
    assert.equal(empty.stop_reason, 'max_tokens');
    assert.deepEqual(empty.usage, {});
  });

  it('refuses tool arguments that are not a JSON object (502, never a silently wrong input)', () => {
    assert.throws(() => encodeMessage('msg', 'm', 0, { text: '', toolCalls: [{ id: 'c', name: 'f', arguments: '{"city":' }], finishReason: 'tool_calls', usage: { inputTokens: 1, outputTokens: 1 } }), /UNBUNDLE_E_UPSTREAM_MALFORMED|not valid JSON/);
    assert.throws(() => encodeMessage('msg', 'm', 0, { text: '', toolCalls: [{ id: 'c', name: 'f', arguments: '[1]' }], finishReason: 'tool_calls', usage: { inputTokens: 1, outputTokens: 1 } }), /not a JSON object/);
  });

  it('maps statuses onto Anthropic error types and knows its paths', () => {
    const table: Array<[number, string]> = [[400, 'invalid_request_error'], [401, 'authentication_error'], [402, 'billing_error'], [403, 'permission_error'], [404, 'not_found_error'], [405, 'invalid_request_error'], [413, 'invalid_request_error'], [429, 'rate_limit_error'], [500, 'api_error'], [502, 'api_error'], [503, 'overloaded_error'], [504, 'timeout_error']];
    for (const [status, type] of table) assert.equal(anthropicErrorType(status), type, `status ${status}`);
    const body = anthropicErrorBody(new UnbundleError('UNBUNDLE_E_MODEL_NOT_FOUND', 'no such model'), 'req-1');
    assert.deepEqual(body, { type: 'error', error: { type: 'not_found_error', message: 'no such model', code: 'UNBUNDLE_E_MODEL_NOT_FOUND' }, request_id: 'req-1' });
    assert.deepEqual(['/v1/messages', '/v1/messages/count_tokens', '/v1/messagesx', '/v1/chat/completions'].map(isAnthropicEndpoint), [true, true, false, false]);
    assert.deepEqual(anthropicUsage(undefined), {});
  });
});
