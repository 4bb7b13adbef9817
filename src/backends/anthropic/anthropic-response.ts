import { UnbundleError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import type { ResponseHeaders } from '../http/upstream-client.ts';
import { errorFromStatus } from '../openai-compatible/upstream-errors.ts';
import { isRecord, malformed } from '../openai-compatible/openai-response.ts';
import type { FinishReason, GenerateResult, ToolCall, Usage } from '../types.ts';

/** Anthropic's Messages API answers → our result types (Messages API reference). */

const stopReasons: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** An unknown stop reason still means the model stopped: keep the answer. */
export function anthropicFinishReason(value: unknown): FinishReason | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return stopReasons[value] ?? 'stop';
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Anthropic's `input_tokens` leaves out the tokens read from and written to the prompt cache; our
 * `inputTokens` (OpenAI's convention, which the cost model assumes) counts every prompt token, with
 * the cache reads repeated in `cachedInputTokens`.
 */
export function anthropicUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const fresh = count(value.input_tokens);
  const cacheRead = count(value.cache_read_input_tokens);
  const cacheWrite = count(value.cache_creation_input_tokens);
  const usage: Usage = {
    inputTokens: fresh === undefined ? undefined : fresh + (cacheRead ?? 0) + (cacheWrite ?? 0),
    outputTokens: count(value.output_tokens),
  };
  if (cacheRead !== undefined) usage.cachedInputTokens = cacheRead;
  return usage;
}

/** A `type: "message"` body. */
export function toAnthropicResult(body: unknown, modelId: string): GenerateResult {
  if (!isRecord(body)) throw malformed(modelId, 'a response that is not a JSON object');
  if (body.type === 'error') throw anthropicStreamError(body.error, modelId);
  if (!Array.isArray(body.content)) throw malformed(modelId, 'a message without a content array');
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of body.content) {
    if (!isRecord(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use' && typeof block.name === 'string') {
      toolCalls.push({ id: typeof block.id === 'string' ? block.id : `toolu_${toolCalls.length}`, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    }
    // thinking / redacted_thinking / server tool blocks carry nothing an OpenAI client can show.
  }
  const result: GenerateResult = {
    text,
    toolCalls,
    finishReason: anthropicFinishReason(body.stop_reason) ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: anthropicUsage(body.usage) ?? { inputTokens: undefined, outputTokens: undefined },
  };
  if (typeof body.model === 'string') result.responseModel = body.model;
  return result;
}

/** `error.type` of an `{type:"error", error:{type, message}}` body or stream event → our code. */
const errorTypes: Record<string, ErrorCode> = {
  invalid_request_error: 'UNBUNDLE_E_UPSTREAM_CLIENT',
  request_too_large: 'UNBUNDLE_E_UPSTREAM_CLIENT',
  not_found_error: 'UNBUNDLE_E_UPSTREAM_CLIENT',
  authentication_error: 'UNBUNDLE_E_UPSTREAM_AUTH',
  permission_error: 'UNBUNDLE_E_UPSTREAM_AUTH',
  billing_error: 'UNBUNDLE_E_UPSTREAM_AUTH',
  rate_limit_error: 'UNBUNDLE_E_UPSTREAM_RATE_LIMITED',
  timeout_error: 'UNBUNDLE_E_UPSTREAM_TIMEOUT',
  api_error: 'UNBUNDLE_E_UPSTREAM_SERVER',
  overloaded_error: 'UNBUNDLE_E_UPSTREAM_SERVER',
};

/** An error Anthropic reports inside a 200: a stream `error` event (e.g. overloaded_error). */
export function anthropicStreamError(error: unknown, modelId: string): UnbundleError {
  const type = isRecord(error) && typeof error.type === 'string' ? error.type : 'api_error';
  const message = isRecord(error) && typeof error.message === 'string' ? error.message : JSON.stringify(error ?? null).slice(0, 300);
  return new UnbundleError(errorTypes[type] ?? 'UNBUNDLE_E_UPSTREAM_SERVER', `Model "${modelId}": Anthropic reported ${type} mid-answer: ${message}`);
}

/** HTTP errors: the generic status mapping (529 overloaded is a 5xx, so retryable) with the error type quoted. */
export function anthropicStatusError(modelId: string, secret: string | undefined) {
  return (status: number, headers: ResponseHeaders, bodyText: string): UnbundleError => errorFromStatus(modelId, status, headers, bodyText, secret);
}
