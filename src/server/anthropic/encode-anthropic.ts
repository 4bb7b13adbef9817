import type { FinishReason, GenerateResult, StreamPart, ToolCall, Usage } from '../../backends/types.ts';
import { UnbundleError } from '../../errors.ts';
import type { StreamEncoder, WireFormat } from '../wire-format.ts';

/**
 * Our answers in the wire format of Anthropic's Messages API: the `message` object, its SSE event
 * sequence, and Anthropic's error body, so the official @anthropic-ai/sdk reads them unchanged.
 */

type StopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';

/**
 * `stop_sequence` is never reported: no backend says *which* stop ended the answer, so a stop by
 * sequence reads `end_turn`. Tool calls win over a plain `stop`, since some upstreams say `stop`
 * with tool calls and Anthropic clients loop on `tool_use`.
 */
export function anthropicStopReason(reason: FinishReason, sawToolCall: boolean): StopReason {
  if (reason === 'length') return 'max_tokens';
  if (reason === 'tool_calls' || sawToolCall) return 'tool_use';
  if (reason === 'content_filter') return 'refusal';
  return 'end_turn';
}

/**
 * Anthropic's usage: only the counts the backend reported (unknown is left out, never sent as 0).
 * Anthropic counts cached prompt tokens apart from `input_tokens`; OpenAI includes them, so the
 * cached share is moved over.
 */
export function anthropicUsage(usage: Usage | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (usage === undefined) return out;
  const cached = usage.cachedInputTokens;
  if (usage.inputTokens !== undefined) out.input_tokens = cached === undefined ? usage.inputTokens : Math.max(0, usage.inputTokens - cached);
  if (cached !== undefined) out.cache_read_input_tokens = cached;
  if (usage.outputTokens !== undefined) out.output_tokens = usage.outputTokens;
  return out;
}

function toolInput(call: ToolCall): Record<string, unknown> {
  if (call.arguments.trim() === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(call.arguments);
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `The model called tool '${call.name}' with arguments that are not valid JSON, so they cannot be sent as a tool_use input.`, { cause: error });
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `The model called tool '${call.name}' with arguments that are not a JSON object, so they cannot be sent as a tool_use input.`);
  }
  return input as Record<string, unknown>;
}

export function encodeMessage(id: string, model: string, _created: number, result: GenerateResult): string {
  const content: unknown[] = [];
  if (result.text !== '') content.push({ type: 'text', text: result.text });
  for (const call of result.toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(call) });
  return JSON.stringify({
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: anthropicStopReason(result.finishReason, result.toolCalls.length > 0),
    stop_sequence: null,
    usage: anthropicUsage(result.usage),
  });
}

const anthropicErrorTypes: ReadonlyMap<number, string> = new Map([
  [401, 'authentication_error'],
  [402, 'billing_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [429, 'rate_limit_error'],
  [503, 'overloaded_error'],
  [504, 'timeout_error'],
  [529, 'overloaded_error'],
]);

/** Anthropic's error `type` for an HTTP status (the status itself stays ours). */
export function anthropicErrorType(status: number): string {
  return anthropicErrorTypes.get(status) ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** Anthropic's error body; our stable code rides along in `error.code`, which the SDK ignores. */
export function anthropicErrorBody(error: UnbundleError, requestId?: string): { type: 'error'; error: { type: string; message: string; code: string }; request_id?: string } {
  const body: ReturnType<typeof anthropicErrorBody> = { type: 'error', error: { type: anthropicErrorType(error.status), message: error.message, code: error.code } };
  if (requestId !== undefined) body.request_id = requestId;
  return body;
}

/** Paths answered in Anthropic's format (errors included): the Messages API and anything under it. */
export function isAnthropicEndpoint(path: string): boolean {
  return path.startsWith('/v1/messages') && (path.length === 12 || path.charCodeAt(12) === 47 /* '/' */);
}

function sse(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}

/**
 * Typed stream parts → Anthropic's SSE events: message_start, then per content block
 * content_block_start / content_block_delta (text_delta or input_json_delta) / content_block_stop,
 * one ping after the first block opens, then message_delta (stop_reason, usage) and message_stop.
 * Text and each tool call are separate blocks, numbered in the order they begin.
 */
export class AnthropicStreamEncoder implements StreamEncoder {
  /** Index of the block now open, or -1. */
  private openIndex = -1;
  private openIsText = false;
  private nextIndex = 0;
  private pinged = false;
  /** Tool-call index (backend's numbering) → content block index. */
  private toolBlocks: Map<number, number> | undefined;
  private usage: Usage | undefined;

  constructor(
    private readonly id: string,
    private readonly model: string,
  ) {}

  /**
   * message_start's usage is provisional, as in Anthropic's own streams: the counts are only
   * known once the answer is done, and arrive in message_delta.
   */
  start(): string {
    const message = `{"id":${JSON.stringify(this.id)},"type":"message","role":"assistant","model":${JSON.stringify(this.model)},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}`;
    return sse('message_start', `{"type":"message_start","message":${message}}`);
  }

  encode(part: StreamPart): string {
    switch (part.type) {
      case 'text-delta': {
        if (part.text === '') return '';
        const opened = this.openIsText ? '' : this.openBlock('{"type":"text","text":""}', true);
        return opened + sse('content_block_delta', `{"type":"content_block_delta","index":${this.openIndex},"delta":{"type":"text_delta","text":${JSON.stringify(part.text)}}}`);
      }
      case 'tool-call-delta': {
        const blocks = (this.toolBlocks ??= new Map());
        let index = blocks.get(part.index);
        let out = '';
        if (index === undefined) {
          const block = { type: 'tool_use', id: part.id ?? `toolu_${part.index}`, name: part.name ?? '', input: {} };
          out = this.openBlock(JSON.stringify(block), false);
          index = this.openIndex;
          blocks.set(part.index, index);
        }
        if (part.argumentsDelta === '') return out;
        return out + sse('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":{"type":"input_json_delta","partial_json":${JSON.stringify(part.argumentsDelta)}}}`);
      }
      case 'usage':
        this.usage = part.usage;
        return '';
      case 'finish': {
        const stopReason = anthropicStopReason(part.finishReason, this.toolBlocks !== undefined);
        const closed = this.closeBlock() + (this.pinged ? '' : this.ping());
        return closed + sse('message_delta', `{"type":"message_delta","delta":{"stop_reason":"${stopReason}","stop_sequence":null},"usage":${JSON.stringify(anthropicUsage(this.usage))}}`);
      }
    }
  }

  done(): string {
    return sse('message_stop', '{"type":"message_stop"}');
  }

  error(error: UnbundleError): string {
    const body = anthropicErrorBody(error);
    return sse('error', JSON.stringify(body));
  }

  private openBlock(block: string, isText: boolean): string {
    const closed = this.closeBlock();
    this.openIndex = this.nextIndex++;
    this.openIsText = isText;
    const opened = sse('content_block_start', `{"type":"content_block_start","index":${this.openIndex},"content_block":${block}}`);
    return closed + opened + (this.pinged ? '' : this.ping());
  }

  private closeBlock(): string {
    if (this.openIndex === -1) return '';
    const index = this.openIndex;
    this.openIndex = -1;
    this.openIsText = false;
    return sse('content_block_stop', `{"type":"content_block_stop","index":${index}}`);
  }

  private ping(): string {
    this.pinged = true;
    return sse('ping', '{"type":"ping"}');
  }
}

/** `/v1/messages` on the wire. */
export const anthropicMessagesWire: WireFormat = {
  responseId: (requestId) => `msg_${requestId}`,
  encodeResult: encodeMessage,
  streamEncoder: (id, model) => new AnthropicStreamEncoder(id, model),
};
