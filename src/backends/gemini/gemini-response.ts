import { UnbundleError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import { toolCallId } from '../http/tool-arguments.ts';
import type { ResponseHeaders } from '../http/upstream-client.ts';
import { isRecord, malformed } from '../openai-compatible/openai-response.ts';
import { errorFromStatus, upstreamMessage } from '../openai-compatible/upstream-errors.ts';
import type { FinishReason, GenerateResult, ToolCall, Usage } from '../types.ts';

/** Gemini's GenerateContentResponse → our result types (Gemini API reference). */

/** Tool-call ids that carry a Gemini thought signature: `gsig_<index>.<signature>`. */
export const signedCallPrefix = 'gsig_';
const signedCallId = /^gsig_\d+\.(.+)$/s;

/** The thought signature carried in a call id, if any. */
export function signatureOf(callId: string): string | undefined {
  return signedCallId.exec(callId)?.[1];
}

const finishReasons: Record<string, FinishReason> = {
  STOP: 'stop',
  FINISH_REASON_UNSPECIFIED: 'stop',
  OTHER: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  LANGUAGE: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
};

/** Gemini says STOP when it calls a function; OpenAI clients expect tool_calls then. */
export function geminiFinishReason(value: unknown, calledTools: boolean): FinishReason | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const reason = finishReasons[value] ?? 'stop';
  return reason === 'stop' && calledTools ? 'tool_calls' : reason;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * `promptTokenCount` already includes `cachedContentTokenCount` (OpenAI's convention too).
 * Thinking tokens are output the caller pays for: output = candidates + thoughts.
 */
export function geminiUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const prompt = count(value.promptTokenCount);
  const thoughts = count(value.thoughtsTokenCount);
  let candidates = count(value.candidatesTokenCount);
  // An empty answer (a blocked one) omits candidatesTokenCount; the total still pins it down.
  const total = count(value.totalTokenCount);
  if (candidates === undefined && prompt !== undefined && total !== undefined) candidates = Math.max(0, total - prompt - (thoughts ?? 0));
  const usage: Usage = { inputTokens: prompt, outputTokens: candidates === undefined ? undefined : candidates + (thoughts ?? 0) };
  const cached = count(value.cachedContentTokenCount);
  if (cached !== undefined) usage.cachedInputTokens = cached;
  if (thoughts !== undefined) usage.reasoningTokens = thoughts;
  return usage;
}

/** The text and function calls of the first candidate's parts (thought summaries left out). */
export function readParts(parts: unknown, firstCallIndex: number): { text: string; toolCalls: ToolCall[] } {
  let text = '';
  const toolCalls: ToolCall[] = [];
  if (!Array.isArray(parts)) return { text, toolCalls };
  for (const part of parts) {
    if (!isRecord(part) || part.thought === true) continue;
    if (typeof part.text === 'string') text += part.text;
    const call = part.functionCall;
    if (isRecord(call) && typeof call.name === 'string') {
      const index = firstCallIndex + toolCalls.length;
      // Thinking models sign their calls and want the signature back with the call next turn; the
      // OpenAI wire format has no field for it, but clients echo the call id verbatim.
      const id = typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '' ? `${signedCallPrefix}${index}.${part.thoughtSignature}` : toolCallId('call', index, call.id);
      toolCalls.push({ id, name: call.name, arguments: JSON.stringify(call.args ?? {}) });
    }
  }
  return { text, toolCalls };
}

export function toGeminiResult(body: unknown, modelId: string): GenerateResult {
  if (!isRecord(body)) throw malformed(modelId, 'a response that is not a JSON object');
  if (body.error !== undefined) throw geminiBodyError(body.error, modelId);
  const usage = geminiUsage(body.usageMetadata) ?? { inputTokens: undefined, outputTokens: undefined };
  const candidates = body.candidates;
  if (!Array.isArray(candidates) || candidates.length === 0) {
    // A prompt blocked by safety settings has no candidates, only promptFeedback.blockReason.
    if (isRecord(body.promptFeedback) && typeof body.promptFeedback.blockReason === 'string') {
      return { text: '', toolCalls: [], finishReason: 'content_filter', usage };
    }
    throw malformed(modelId, 'a response without candidates');
  }
  const candidate: unknown = candidates[0];
  if (!isRecord(candidate)) throw malformed(modelId, 'a candidate that is not an object');
  const { text, toolCalls } = readParts(isRecord(candidate.content) ? candidate.content.parts : undefined, 0);
  const result: GenerateResult = {
    text,
    toolCalls,
    finishReason: geminiFinishReason(candidate.finishReason, toolCalls.length > 0) ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage,
  };
  if (typeof body.modelVersion === 'string') result.responseModel = body.modelVersion;
  return result;
}

/** google.rpc status names → our codes. */
const statusCodes: Record<string, ErrorCode> = {
  INVALID_ARGUMENT: 'UNBUNDLE_E_UPSTREAM_CLIENT',
  FAILED_PRECONDITION: 'UNBUNDLE_E_UPSTREAM_CLIENT',
  NOT_FOUND: 'UNBUNDLE_E_UPSTREAM_CLIENT',
  OUT_OF_RANGE: 'UNBUNDLE_E_UPSTREAM_CLIENT',
  PERMISSION_DENIED: 'UNBUNDLE_E_UPSTREAM_AUTH',
  UNAUTHENTICATED: 'UNBUNDLE_E_UPSTREAM_AUTH',
  RESOURCE_EXHAUSTED: 'UNBUNDLE_E_UPSTREAM_RATE_LIMITED',
  DEADLINE_EXCEEDED: 'UNBUNDLE_E_UPSTREAM_TIMEOUT',
  UNAVAILABLE: 'UNBUNDLE_E_UPSTREAM_SERVER',
  INTERNAL: 'UNBUNDLE_E_UPSTREAM_SERVER',
};

/** An `{error:{code,status,message}}` inside a 200 body or a stream chunk. */
export function geminiBodyError(error: unknown, modelId: string): UnbundleError {
  const status = isRecord(error) && typeof error.status === 'string' ? error.status : 'INTERNAL';
  const message = isRecord(error) && typeof error.message === 'string' ? error.message : JSON.stringify(error ?? null).slice(0, 300);
  return new UnbundleError(statusCodes[status] ?? 'UNBUNDLE_E_UPSTREAM_SERVER', `Model "${modelId}": Gemini reported ${status}: ${message}`);
}

/**
 * HTTP errors. Gemini answers a wrong API key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID),
 * which must read as a credentials problem, not as the client's bad request.
 */
export function geminiStatusError(modelId: string, secret: string | undefined) {
  return (status: number, headers: ResponseHeaders, bodyText: string): UnbundleError => {
    if (status === 400 && /API_KEY_INVALID|API key not valid/i.test(bodyText)) {
      return new UnbundleError('UNBUNDLE_E_UPSTREAM_AUTH', `Model "${modelId}": Gemini refused the API key (HTTP 400: ${upstreamMessage(bodyText)}). Check the key in the env var named by apiKeyEnv.`);
    }
    return errorFromStatus(modelId, status, headers, bodyText, secret);
  };
}
