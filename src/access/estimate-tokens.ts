import type { EmbedRequest, GenerateRequest } from '../backends/types.ts';

/** max_tokens assumed when a request sets none; settling with the real usage corrects it. */
export const defaultCompletionEstimate = 512;

/**
 * Tokens to reserve before a request runs: prompt characters / 4 (a fair average for English and
 * code) plus the most it may generate. Settled against the real usage once the answer is known.
 */
export function estimateTokens(request: GenerateRequest | EmbedRequest): number {
  let chars = 0;
  if ('input' in request) {
    for (const text of request.input) chars += text.length;
    return Math.ceil(chars / 4);
  }
  if (request.kind === 'completion') chars = request.prompt.length;
  else {
    for (const message of request.messages) {
      if (typeof message.content === 'string') chars += message.content.length;
      else for (const part of message.content) if (part.type === 'text') chars += part.text.length;
      if (message.toolCalls !== undefined) for (const call of message.toolCalls) chars += call.arguments.length;
    }
  }
  return Math.ceil(chars / 4) + (request.maxTokens ?? defaultCompletionEstimate);
}
