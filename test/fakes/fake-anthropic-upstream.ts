import { startFakeUpstream, wordsOf } from './fake-upstream-server.ts';
import type { FakeAnswer, FakeBehavior, FakeUpstream, WireFormat } from './fake-upstream-server.ts';

export type { FakeAnswer, FakeBehavior, FakeToolCall, FakeUpstream } from './fake-upstream-server.ts';

/**
 * An Anthropic Messages API upstream on 127.0.0.1, built from Anthropic's API reference:
 * `POST /v1/messages` answered with a `message` body or its SSE event flow (message_start,
 * content_block_start / ping / content_block_delta (text_delta, input_json_delta) /
 * content_block_stop, message_delta, message_stop) and `{type:"error", error:{type,message}}`
 * error bodies (529 is overloaded_error). Behaviours as in fake-upstream-server.ts. Its `url` is
 * the baseURL to configure (no path: the backend appends /v1/messages).
 */

interface Call {
  model: string;
  stream: boolean;
  inputTokens: number;
}

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

function content(answer: FakeAnswer): Array<Record<string, unknown>> {
  const blocks: Array<Record<string, unknown>> = [];
  const text = wordsOf(answer).join('');
  if (text !== '' && !(answer.text === '' && answer.toolCalls?.length)) blocks.push({ type: 'text', text });
  for (const call of answer.toolCalls ?? []) blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
  return blocks;
}

const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

const anthropicWire: WireFormat<Call> = {
  provider: 'anthropic',
  route(method, path, _query, body) {
    if (method !== 'POST' || path !== '/v1/messages') return [404, `Unknown route ${method} ${path}`];
    if (typeof body !== 'object' || body === null) return [400, 'The request body is not valid JSON.'];
    const json = body as Record<string, unknown>;
    if (typeof json.model !== 'string') return [400, 'model: Field required'];
    if (typeof json.max_tokens !== 'number') return [400, 'max_tokens: Field required'];
    if (!Array.isArray(json.messages) || json.messages.length === 0) return [400, 'messages: at least one message is required'];
    return { model: json.model, stream: json.stream === true, inputTokens: Math.max(1, Math.ceil(JSON.stringify(json.messages).length / 40)) };
  },
  isStream: (call) => call.stream,
  whole(call, answer) {
    const blocks = content(answer);
    const calls = answer.toolCalls ?? [];
    return JSON.stringify({
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model: call.model,
      content: blocks,
      stop_reason: calls.length > 0 ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: call.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: wordsOf(answer).length },
    });
  },
  events(call, answer) {
    const words = wordsOf(answer);
    const calls = answer.toolCalls ?? [];
    const withText = !(answer.text === '' && calls.length > 0);
    const body = [
      event('message_start', {
        message: { id: 'msg_fake', type: 'message', role: 'assistant', model: call.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: call.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 } },
      }),
    ];
    if (withText) {
      body.push(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }), event('ping', {}));
      for (const word of words) body.push(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: word } }));
    }
    const tail: string[] = [];
    if (withText) tail.push(event('content_block_stop', { index: 0 }));
    calls.forEach((toolCall, i) => {
      const index = (withText ? 1 : 0) + i;
      const json = JSON.stringify(toolCall.input);
      const half = Math.ceil(json.length / 2);
      tail.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: toolCall.id, name: toolCall.name, input: {} } }));
      for (const piece of ['', json.slice(0, half), json.slice(half)]) tail.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } }));
      tail.push(event('content_block_stop', { index }));
    });
    tail.push(event('message_delta', { delta: { stop_reason: calls.length > 0 ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: words.length } }));
    tail.push(event('message_stop', {}));
    return { body, tail };
  },
  errorBody: (status, message) => JSON.stringify({ type: 'error', error: { type: errorTypes[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } }),
  badFraming(call) {
    // Events separated by one line break instead of a blank line: to a parser it is one event.
    const { body, tail } = this.events(call, {});
    return [...body, ...tail].map((e) => e.replace(/\n\n$/, '\n')).join('') + '\n';
  },
};

export function startFakeAnthropicUpstream(options: { behavior?: FakeBehavior; record?: boolean } = {}): Promise<FakeUpstream> {
  return startFakeUpstream(anthropicWire, { ...options, basePath: '' });
}
