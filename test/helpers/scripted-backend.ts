import type { Backend, BackendState } from '../../src/backends/backend.ts';
import type { EmbedRequest, EmbedResult, GenerateRequest, GenerateResult, StreamPart } from '../../src/backends/types.ts';
import { UnbundleError } from '../../src/errors.ts';
import type { ModelConfig } from '../../src/portfolio/schema.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';

/**
 * A deterministic in-process backend for HTTP-surface tests: it answers with a fixed text split
 * into word deltas, can wait, fail before or after the first part, and records every call.
 */
export interface Script {
  text?: string;
  delayMs?: number;
  /** Milliseconds between streamed parts. */
  partDelayMs?: number;
  failWith?: UnbundleError;
  /** Fail after this many text parts (streams only). */
  failAfterParts?: number;
  usage?: { inputTokens: number | undefined; outputTokens: number | undefined };
}

export class ScriptedBackend implements Backend {
  readonly specVersion = 'v1' as const;
  readonly kind = 'openai-compatible' as const;
  readonly calls: Array<{ request: GenerateRequest | EmbedRequest; signal: AbortSignal }> = [];
  active = 0;

  constructor(readonly modelId: string, public script: Script = {}) {}

  async generate(request: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    this.calls.push({ request, signal });
    this.active++;
    try {
      await this.wait(this.script.delayMs ?? 0, signal);
      if (this.script.failWith) throw this.script.failWith;
      return { text: this.text(), toolCalls: [], finishReason: 'stop', usage: this.script.usage ?? { inputTokens: 7, outputTokens: 5 } };
    } finally {
      this.active--;
    }
  }

  async *stream(request: GenerateRequest, signal: AbortSignal): AsyncIterable<StreamPart> {
    this.calls.push({ request, signal });
    this.active++;
    try {
      await this.wait(this.script.delayMs ?? 0, signal);
      if (this.script.failWith && this.script.failAfterParts === undefined) throw this.script.failWith;
      const words = this.text().split(/(?<= )/);
      for (let i = 0; i < words.length; i++) {
        if (this.script.failWith && i === this.script.failAfterParts) throw this.script.failWith;
        if (i > 0) await this.wait(this.script.partDelayMs ?? 0, signal);
        yield { type: 'text-delta', text: words[i]! };
      }
      yield { type: 'usage', usage: this.script.usage ?? { inputTokens: 7, outputTokens: 5 } };
      yield { type: 'finish', finishReason: 'stop' };
    } finally {
      this.active--;
    }
  }

  async embed(request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> {
    this.calls.push({ request, signal });
    return { embeddings: request.input.map((text) => [text.length, 0.5, -1]), usage: { inputTokens: request.input.length * 3, outputTokens: 0 } };
  }

  state(): BackendState {
    return { status: 'ready', active: this.active, queued: 0 };
  }

  async close(): Promise<void> {}

  private text(): string {
    return this.script.text ?? 'Hello from the scripted model.';
  }

  private wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** A config entry for a scripted backend (it never connects anywhere). */
export function scriptedConfig(id: string, zone = 'external'): ModelConfig {
  return portfolioFromObject({ models: [{ id, backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', zone }] }).models[0]!;
}
