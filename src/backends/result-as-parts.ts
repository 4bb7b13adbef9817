import type { GenerateResult, StreamPart } from './types.ts';

/**
 * A whole answer as the parts a stream of it would have had: a server that ignored `stream: true`,
 * and cascades, which judge whole answers and then stream the accepted one.
 */
export function resultAsParts(result: GenerateResult): StreamPart[] {
  const parts: StreamPart[] = [];
  if (result.text !== '') parts.push({ type: 'text-delta', text: result.text });
  for (let index = 0; index < result.toolCalls.length; index++) {
    const call = result.toolCalls[index]!;
    parts.push({ type: 'tool-call-delta', index, id: call.id, name: call.name, argumentsDelta: call.arguments });
  }
  if (result.usage.inputTokens !== undefined || result.usage.outputTokens !== undefined) parts.push({ type: 'usage', usage: result.usage });
  parts.push({ type: 'finish', finishReason: result.finishReason });
  return parts;
}
