/**
 * The internal request and result shapes every backend speaks. The server translates the wire
 * formats (OpenAI today, Anthropic later) into these; backends translate them into their own.
 */

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; url: string; mediaType?: string };

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, exactly as the model produced it. */
  arguments: string;
}

export interface ChatMessage {
  role: Role;
  /** Plain text, or parts when the client sent parts (images, several text blocks). */
  content: string | ContentPart[];
  name?: string;
  toolCalls?: ToolCall[];
  toolCallId?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string; schema: Record<string, unknown>; strict?: boolean };

/** Sampling and output controls shared by chat and completion requests. */
export interface GenerationOptions {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseFormat?: ResponseFormat;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** End-user id, forwarded where the backend knows the field. */
  user?: string;
  /**
   * Top-level fields the client sent that unbundle does not model (vLLM's `top_k`,
   * `repetition_penalty`, `guided_json`, ...): forwarded as-is to OpenAI-compatible upstreams.
   */
  providerOptions?: Record<string, unknown>;
}

export interface ChatRequest extends GenerationOptions {
  kind: 'chat';
  messages: ChatMessage[];
}

export interface CompletionRequest extends GenerationOptions {
  kind: 'completion';
  prompt: string;
}

export type GenerateRequest = ChatRequest | CompletionRequest;

export interface EmbedRequest {
  input: string[];
  dimensions?: number;
  user?: string;
}

/**
 * Token usage. `undefined` means *unknown* (the backend did not say) and is never the same as 0:
 * the ledger records an unknown count as unknown, not as free.
 */
export interface Usage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** Input tokens served from a provider's prompt cache, when reported. */
  cachedInputTokens?: number | undefined;
  /** Output tokens spent on hidden reasoning, when reported. */
  reasoningTokens?: number | undefined;
}

export const unknownUsage = (): Usage => ({ inputTokens: undefined, outputTokens: undefined });

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error' | 'cancelled';

export interface GenerateResult {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** The model name the backend itself reported, if any. */
  responseModel?: string;
}

/** Typed parts of a streamed answer. A stream always ends with exactly one `finish`. */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; finishReason: FinishReason };

export interface EmbedResult {
  embeddings: number[][];
  usage: Usage;
}
