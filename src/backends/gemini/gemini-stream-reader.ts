import { isRecord, malformed } from '../openai-compatible/openai-response.ts';
import type { FinishReason, StreamPart, Usage } from '../types.ts';
import { geminiBodyError, geminiFinishReason, geminiUsage, readParts } from './gemini-response.ts';

/**
 * `streamGenerateContent?alt=sse`: every `data:` event is a whole GenerateContentResponse holding
 * the next piece of the first candidate. Text parts become text deltas; a functionCall arrives
 * whole and becomes one tool-call delta with id, name and all its arguments. The last chunk
 * carries `finishReason`; `usageMetadata` is a running total, so only the last one counts. There
 * is no `[DONE]`: a body that ends before any finishReason was cut short.
 */
export class GeminiStreamReader {
  private finishReason: string | undefined;
  private usage: Usage | undefined;
  private toolCount = 0;

  constructor(private readonly modelId: string) {}

  read(data: string): StreamPart[] {
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch (error) {
      const excerpt = data.length > 120 ? `${data.slice(0, 120)}…` : data;
      throw malformed(this.modelId, `an invalid JSON stream chunk: ${JSON.stringify(excerpt)}`, error);
    }
    if (!isRecord(chunk)) throw malformed(this.modelId, 'a stream chunk that is not a JSON object');
    if (chunk.error !== undefined) throw geminiBodyError(chunk.error, this.modelId);
    const usage = geminiUsage(chunk.usageMetadata);
    if (usage !== undefined) this.usage = usage;
    const candidates = chunk.candidates;
    if (!Array.isArray(candidates) || candidates.length === 0) {
      if (isRecord(chunk.promptFeedback) && typeof chunk.promptFeedback.blockReason === 'string') this.finishReason = 'SAFETY';
      return [];
    }
    const candidate: unknown = candidates[0];
    if (!isRecord(candidate)) throw malformed(this.modelId, 'a stream candidate that is not an object');
    const { text, toolCalls } = readParts(isRecord(candidate.content) ? candidate.content.parts : undefined, this.toolCount);
    if (typeof candidate.finishReason === 'string' && candidate.finishReason !== '') this.finishReason = candidate.finishReason;
    const parts: StreamPart[] = [];
    if (text !== '') parts.push({ type: 'text-delta', text });
    for (const call of toolCalls) parts.push({ type: 'tool-call-delta', index: this.toolCount++, id: call.id, name: call.name, argumentsDelta: call.arguments });
    return parts;
  }

  finish(): StreamPart[] {
    const reason: FinishReason | undefined = geminiFinishReason(this.finishReason, this.toolCount > 0);
    if (reason === undefined) throw malformed(this.modelId, 'a stream that ended before its finishReason (cut short)');
    const finish: StreamPart = { type: 'finish', finishReason: reason };
    return this.usage === undefined ? [finish] : [{ type: 'usage', usage: this.usage }, finish];
  }
}
