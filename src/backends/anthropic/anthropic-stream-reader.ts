import { isRecord, malformed } from '../openai-compatible/openai-response.ts';
import type { FinishReason, StreamPart, Usage } from '../types.ts';
import { anthropicFinishReason, anthropicStreamError, anthropicUsage } from './anthropic-response.ts';

/**
 * Anthropic's streaming events → our typed parts. The event flow is `message_start`, then per
 * content block `content_block_start` / `content_block_delta`* / `content_block_stop`, then
 * `message_delta` (stop reason, final output tokens) and `message_stop`; `ping` may come anywhere
 * and `error` ends the stream. Tool-use blocks become tool-call deltas numbered from 0 in the order
 * they start. Usage is held (message_start has the input side, message_delta the output side) and
 * sent once, just before the single `finish`.
 */
export class AnthropicStreamReader {
  private rawUsage: Record<string, unknown> | undefined;
  private finishReason: FinishReason | undefined;
  private stopped = false;
  /** Content block index → tool-call index, and whether it has sent any argument text. */
  private readonly tools = new Map<number, { index: number; sentArguments: boolean }>();
  private toolCount = 0;

  constructor(private readonly modelId: string) {}

  /** `message_stop` arrived: the answer is complete (part-stream.ts ends the stream there). */
  get done(): boolean {
    return this.stopped;
  }

  read(data: string): StreamPart[] {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch (error) {
      const excerpt = data.length > 120 ? `${data.slice(0, 120)}…` : data;
      throw malformed(this.modelId, `an invalid JSON stream event: ${JSON.stringify(excerpt)}`, error);
    }
    if (!isRecord(event)) throw malformed(this.modelId, 'a stream event that is not a JSON object');
    if (this.stopped) throw malformed(this.modelId, 'data after message_stop');
    switch (event.type) {
      case 'message_start':
        if (isRecord(event.message)) this.mergeUsage(event.message.usage);
        return [];
      case 'content_block_start':
        return this.blockStart(event);
      case 'content_block_delta':
        return this.blockDelta(event);
      case 'content_block_stop': {
        const tool = typeof event.index === 'number' ? this.tools.get(event.index) : undefined;
        // A tool called with no arguments streams no input_json_delta: its arguments are "{}".
        if (tool !== undefined && !tool.sentArguments) return [{ type: 'tool-call-delta', index: tool.index, argumentsDelta: '{}' }];
        return [];
      }
      case 'message_delta': {
        if (isRecord(event.delta)) {
          const reason = anthropicFinishReason(event.delta.stop_reason);
          if (reason !== undefined) this.finishReason = reason;
        }
        this.mergeUsage(event.usage);
        return [];
      }
      case 'message_stop':
        this.stopped = true;
        return [];
      case 'error':
        throw anthropicStreamError(event.error, this.modelId);
      default:
        // `ping`, and event types Anthropic may add later: its reference says to ignore unknown ones.
        return [];
    }
  }

  /** The body ended: usage then finish, or a cut-stream error when the message never ended. */
  finish(): StreamPart[] {
    let reason = this.finishReason;
    if (reason === undefined && this.stopped) reason = this.toolCount > 0 ? 'tool_calls' : 'stop';
    if (reason === undefined) throw malformed(this.modelId, 'a stream that ended before its stop reason and message_stop (cut short)');
    const finish: StreamPart = { type: 'finish', finishReason: reason };
    const usage: Usage | undefined = anthropicUsage(this.rawUsage);
    return usage === undefined ? [finish] : [{ type: 'usage', usage }, finish];
  }

  private blockStart(event: Record<string, unknown>): StreamPart[] {
    const block = event.content_block;
    if (!isRecord(block)) throw malformed(this.modelId, 'a content_block_start without content_block');
    if (block.type === 'text') return typeof block.text === 'string' && block.text !== '' ? [{ type: 'text-delta', text: block.text }] : [];
    if (block.type !== 'tool_use' || typeof event.index !== 'number') return [];
    const index = this.toolCount++;
    this.tools.set(event.index, { index, sentArguments: false });
    const part: StreamPart = { type: 'tool-call-delta', index, argumentsDelta: '' };
    if (typeof block.id === 'string') part.id = block.id;
    if (typeof block.name === 'string') part.name = block.name;
    return [part];
  }

  private blockDelta(event: Record<string, unknown>): StreamPart[] {
    const delta = event.delta;
    if (!isRecord(delta)) throw malformed(this.modelId, 'a content_block_delta without delta');
    if (delta.type === 'text_delta') return typeof delta.text === 'string' && delta.text !== '' ? [{ type: 'text-delta', text: delta.text }] : [];
    if (delta.type === 'input_json_delta') {
      const tool = typeof event.index === 'number' ? this.tools.get(event.index) : undefined;
      if (tool === undefined) throw malformed(this.modelId, `an input_json_delta for block ${String(event.index)}, which is not a tool_use block`);
      const text = typeof delta.partial_json === 'string' ? delta.partial_json : '';
      if (text === '') return [];
      tool.sentArguments = true;
      return [{ type: 'tool-call-delta', index: tool.index, argumentsDelta: text }];
    }
    // thinking_delta, signature_delta, citations_delta: nothing an OpenAI client shows.
    return [];
  }

  /** message_delta's usage is cumulative and may repeat or extend message_start's fields. */
  private mergeUsage(value: unknown): void {
    if (!isRecord(value)) return;
    this.rawUsage = this.rawUsage === undefined ? { ...value } : { ...this.rawUsage, ...value };
  }
}
