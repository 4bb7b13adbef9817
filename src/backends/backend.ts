import type { EmbedRequest, EmbedResult, GenerateRequest, GenerateResult, StreamPart } from './types.ts';

/**
 * The one contract every model backend implements: in-process llama.cpp, any OpenAI-compatible
 * HTTP server, and the translating adapters for Anthropic and Gemini. Backends do I/O and
 * translation only; which backend answers, and what happens when it fails, is decided elsewhere.
 */
export interface Backend {
  readonly specVersion: 'v1';
  /** The portfolio model id this backend serves. */
  readonly modelId: string;
  readonly kind: BackendKind;

  generate(request: GenerateRequest, signal: AbortSignal): Promise<GenerateResult>;
  /** Yields typed parts; always ends with one `finish` part unless it throws. */
  stream(request: GenerateRequest, signal: AbortSignal): AsyncIterable<StreamPart>;
  /** Present when the backend can embed. */
  embed?(request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult>;

  /** Cheap snapshot for /health, `unbundle models` and /metrics. Never does I/O. */
  state(): BackendState;
  /** Loads weights / opens pools ahead of the first request (optional warm-up). */
  warm?(): Promise<void>;
  /** Releases models, contexts and connection pools. */
  close(): Promise<void>;
}

export const backendKinds = ['llamacpp', 'openai-compatible', 'anthropic', 'gemini'] as const;
export type BackendKind = (typeof backendKinds)[number];

export type BackendStatus = 'unloaded' | 'loading' | 'ready' | 'error';

export interface BackendState {
  status: BackendStatus;
  /** Requests being generated right now. */
  active: number;
  /** Requests waiting for a slot (local models only). */
  queued: number;
  /** The last load or connection error, for humans. */
  lastError?: string;
}
