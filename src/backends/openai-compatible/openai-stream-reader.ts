import { UnbundleError } from '../../errors.ts';
import type { FinishReason, StreamPart, Usage } from '../types.ts';
import { argumentsText, isRecord, malformed, toFinishReason, toUsage } from './openai-response.ts';

/**
 * Turns the `data:` payloads of an OpenAI chat/completions stream into our typed parts.
 *
 * OpenAI sends the finish reason in one chunk and, with `include_usage`, the usage in a later
 * chunk with no choices, then `[DONE]`. Our contract ends a stream with exactly one `finish`, so
 * the reason is held until the stream is known to be complete and emitted last. Usage is held
 * too and sent once, just before it: some servers repeat a running total on every chunk, and a
 * ledger that summed those would bill several times over.
 */
export class OpenAIStreamReader {
  private finishReason: FinishReason | undefined;
  private usage: Usage | undefined;
  private sawToolCall = false;
  done = false;

  constructor(
    private readonly modelId: string,
    private readonly kind: 'chat' | 'completion',
  ) {}

  /** Text and tool-call parts carried by one event, in order (usually zero or one). */
  read(data: string, event: string | undefined): StreamPart[] {
    if (data === '[DONE]') {
      this.done = true;
      return [];
    }
    if (this.done) throw malformed(this.modelId, 'data after [DONE]');
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch (error) {
      const excerpt = data.length > 120 ? `${data.slice(0, 120)}…` : data;
      throw malformed(this.modelId, `an invalid JSON stream chunk: ${JSON.stringify(excerpt)}`, error);
    }
    if (!isRecord(chunk)) throw malformed(this.modelId, 'a stream chunk that is not a JSON object');
    if (event === 'error' || chunk.error !== undefined) throw this.streamError(chunk.error ?? chunk);
    const parts: StreamPart[] = [];
    const choices = chunk.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        // We never ask for n > 1; a server that sends other choices anyway is ignored for them.
        if (!isRecord(choice) || (choice.index !== undefined && choice.index !== 0)) continue;
        if (this.kind === 'chat') this.readDelta(choice.delta, parts);
        else if (typeof choice.text === 'string' && choice.text !== '') parts.push({ type: 'text-delta', text: choice.text });
        const reason = toFinishReason(choice.finish_reason);
        if (reason !== undefined) this.finishReason = reason;
      }
    } else if (choices !== undefined && choices !== null) {
      throw malformed(this.modelId, 'a stream chunk whose choices is not an array');
    }
    const usage = toUsage(chunk.usage);
    if (usage !== undefined) this.usage = usage;
    return parts;
  }

  private readDelta(delta: unknown, parts: StreamPart[]): void {
    if (!isRecord(delta)) return;
    const content = delta.content;
    if (typeof content === 'string' && content !== '') parts.push({ type: 'text-delta', text: content });
    const calls = delta.tool_calls;
    if (!Array.isArray(calls)) return;
    for (let i = 0; i < calls.length; i++) {
      const call: unknown = calls[i];
      if (!isRecord(call)) continue;
      const fn = isRecord(call.function) ? call.function : undefined;
      const part: StreamPart & { type: 'tool-call-delta' } = {
        type: 'tool-call-delta',
        index: typeof call.index === 'number' ? call.index : i,
        argumentsDelta: argumentsText(fn?.arguments),
      };
      if (typeof call.id === 'string') part.id = call.id;
      if (typeof fn?.name === 'string') part.name = fn.name;
      this.sawToolCall = true;
      parts.push(part);
    }
  }

  /**
   * The body ended: the last parts (usage, then finish). Complete means `[DONE]` arrived, or at least a finish reason did (a few
   * servers close without `[DONE]`); anything else is a cut stream and must not pass as an answer.
   */
  finish(): StreamPart[] {
    let finishReason = this.finishReason;
    // [DONE] is an explicit end even when a server forgot the reason.
    if (finishReason === undefined && this.done) finishReason = this.sawToolCall ? 'tool_calls' : 'stop';
    if (finishReason === undefined) throw malformed(this.modelId, 'a stream that ended before its finish reason and [DONE] (cut short)');
    const finish: StreamPart = { type: 'finish', finishReason };
    return this.usage === undefined ? [finish] : [{ type: 'usage', usage: this.usage }, finish];
  }

  private streamError(error: unknown): UnbundleError {
    const message = isRecord(error) && typeof error.message === 'string' ? error.message : JSON.stringify(error).slice(0, 300);
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', `Model "${this.modelId}": the upstream reported an error mid-stream: ${message}`);
  }
}
