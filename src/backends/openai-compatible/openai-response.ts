import { UnbundleError } from '../../errors.ts';
import type { EmbedResult, FinishReason, GenerateResult, ToolCall, Usage } from '../types.ts';

/**
 * OpenAI's response bodies → our result types. Servers that claim compatibility differ in small
 * ways (null vs absent fields, TGI's finish reasons, object-valued tool arguments); the readers
 * accept those and reject only what cannot be an answer at all.
 */

type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function malformed(modelId: string, what: string, cause?: unknown): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `Model "${modelId}": the upstream sent ${what}.`, { cause });
}

/** JSON.parse that turns a syntax error into UPSTREAM_MALFORMED with a short excerpt. */
export function parseJson(text: string, modelId: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const excerpt = text.length > 120 ? `${text.slice(0, 120)}…` : text;
    throw malformed(modelId, `invalid JSON in ${where}: ${JSON.stringify(excerpt)}`, error);
  }
}

const finishReasons: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  // TGI and some llama.cpp builds
  eos_token: 'stop',
  stop_sequence: 'stop',
  eos: 'stop',
  max_tokens: 'length',
  model_length: 'length',
  // vLLM reports a request it dropped server-side as "abort"
  abort: 'error',
  error: 'error',
};

/** A reason we do not know still means the model stopped normally: keep the answer. */
export function toFinishReason(value: unknown): FinishReason | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return finishReasons[value] ?? 'stop';
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Missing or non-numeric counts stay `undefined` (unknown), never 0. */
export function toUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const usage: Usage = { inputTokens: count(value.prompt_tokens), outputTokens: count(value.completion_tokens) };
  const promptDetails = value.prompt_tokens_details;
  if (isRecord(promptDetails)) {
    const cached = count(promptDetails.cached_tokens);
    if (cached !== undefined) usage.cachedInputTokens = cached;
  }
  const completionDetails = value.completion_tokens_details;
  if (isRecord(completionDetails)) {
    const reasoning = count(completionDetails.reasoning_tokens);
    if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  }
  return usage;
}

/** Tool arguments are JSON text in OpenAI's format; a few servers send the object itself. */
export function argumentsText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  return JSON.stringify(value);
}

function toToolCalls(value: unknown): ToolCall[] {
  if (!Array.isArray(value)) return [];
  const calls: ToolCall[] = [];
  for (let i = 0; i < value.length; i++) {
    const call: unknown = value[i];
    if (!isRecord(call) || !isRecord(call.function)) continue;
    const name = call.function.name;
    if (typeof name !== 'string') continue;
    calls.push({ id: typeof call.id === 'string' ? call.id : `call_${i}`, name, arguments: argumentsText(call.function.arguments) });
  }
  return calls;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  // Some servers answer with content parts even though OpenAI returns a string.
  let text = '';
  for (const part of content) if (isRecord(part) && typeof part.text === 'string') text += part.text;
  return text;
}

/** A /chat/completions or /completions response body. */
export function toGenerateResult(body: unknown, kind: 'chat' | 'completion', modelId: string): GenerateResult {
  if (!isRecord(body)) throw malformed(modelId, 'a response that is not a JSON object');
  if (body.error !== undefined && body.error !== null && body.choices === undefined) {
    // Some servers report failures with HTTP 200 and an OpenAI error body.
    const message = isRecord(body.error) && typeof body.error.message === 'string' ? body.error.message : JSON.stringify(body.error).slice(0, 300);
    throw new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', `Model "${modelId}": the upstream reported an error: ${message}`);
  }
  const choices = body.choices;
  if (!Array.isArray(choices) || choices.length === 0 || !isRecord(choices[0])) {
    throw malformed(modelId, 'a response without choices');
  }
  const choice = choices[0];
  let text: string;
  let toolCalls: ToolCall[] = [];
  if (kind === 'chat') {
    const message = choice.message;
    if (!isRecord(message)) throw malformed(modelId, 'a chat response whose first choice has no message');
    text = textOf(message.content);
    toolCalls = toToolCalls(message.tool_calls);
  } else {
    if (typeof choice.text !== 'string') throw malformed(modelId, 'a completion response whose first choice has no text');
    text = choice.text;
  }
  const result: GenerateResult = {
    text,
    toolCalls,
    finishReason: toFinishReason(choice.finish_reason) ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: toUsage(body.usage) ?? { inputTokens: undefined, outputTokens: undefined },
  };
  if (typeof body.model === 'string') result.responseModel = body.model;
  return result;
}

/** A /embeddings response body, ordered by each item's `index`. */
export function toEmbedResult(body: unknown, expected: number, modelId: string): EmbedResult {
  if (!isRecord(body) || !Array.isArray(body.data)) throw malformed(modelId, 'an embeddings response without a data array');
  const embeddings: number[][] = new Array<number[]>(body.data.length);
  body.data.forEach((item: unknown, position: number) => {
    if (!isRecord(item)) throw malformed(modelId, `an embeddings item ${position} that is not an object`);
    const index = typeof item.index === 'number' ? item.index : position;
    if (!Number.isInteger(index) || index < 0 || index >= embeddings.length || embeddings[index] !== undefined) {
      throw malformed(modelId, `an embeddings item with a bad index ${String(item.index)}`);
    }
    embeddings[index] = toVector(item.embedding, modelId);
  });
  if (embeddings.length !== expected) {
    throw malformed(modelId, `${embeddings.length} embeddings for ${expected} inputs`);
  }
  const usage = toUsage(body.usage);
  return {
    embeddings,
    // An embedding produces no output tokens, so a reported usage means a known 0 here.
    usage: usage === undefined ? { inputTokens: undefined, outputTokens: undefined } : { inputTokens: usage.inputTokens, outputTokens: 0 },
  };
}

function toVector(value: unknown, modelId: string): number[] {
  if (Array.isArray(value) && value.every((x) => typeof x === 'number')) return value as number[];
  if (typeof value === 'string') {
    // encoding_format "base64": little-endian float32, which some servers send regardless.
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length % 4 === 0) {
      const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      return Array.from(floats);
    }
  }
  throw malformed(modelId, 'an embedding that is neither a number array nor base64 float32');
}
