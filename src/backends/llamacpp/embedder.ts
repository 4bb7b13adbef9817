import type { LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import { UnbundleError } from '../../errors.ts';
import type { EmbedRequest, EmbedResult } from '../types.ts';
import { SlotPool } from './slot-pool.ts';

export interface EmbedderOptions {
  modelId: string;
  contextSize: number;
  threads: number;
  queueLimit: number;
}

/**
 * Embeddings from the same loaded weights, through their own llama.cpp embedding context (created
 * on the first embedding request, so chat-only deployments never pay for it). One request embeds
 * at a time; others wait in a bounded queue like generation requests do.
 */
export class LlamaEmbedder {
  private context: Promise<LlamaEmbeddingContext> | undefined;
  private readonly pool: SlotPool<number>;

  constructor(private readonly model: LlamaModel, private readonly options: EmbedderOptions) {
    this.pool = new SlotPool([0], {
      queueLimit: options.queueLimit,
      describe: () => ({ modelId: options.modelId, retryAfterSeconds: 1 }),
    });
  }

  async embed(request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> {
    if (request.input.length === 0) {
      throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'input must hold at least one string to embed.', { param: 'input' });
    }
    const counts = request.input.map((text, index) => this.countTokens(text, index));
    const slot = await this.pool.acquire(signal);
    try {
      const context = await this.contextReady();
      const embeddings: number[][] = [];
      for (const text of request.input) {
        signal.throwIfAborted();
        const { vector } = await context.getEmbeddingFor(text);
        embeddings.push(Array.from(vector));
      }
      const dimensions = embeddings[0]!.length;
      if (request.dimensions !== undefined && request.dimensions !== dimensions) {
        throw new UnbundleError(
          'UNBUNDLE_E_UNSUPPORTED',
          `Model "${this.options.modelId}" makes ${dimensions}-dimensional embeddings and cannot shorten them; omit "dimensions" or send ${dimensions}.`,
          { param: 'dimensions' },
        );
      }
      return { embeddings, usage: { inputTokens: counts.reduce((sum, n) => sum + n, 0), outputTokens: 0 } };
    } finally {
      this.pool.release(slot);
    }
  }

  async close(error: unknown): Promise<void> {
    this.pool.close(error);
    const context = await this.context?.catch(() => undefined);
    await context?.dispose();
  }

  private countTokens(text: string, index: number): number {
    const tokens = this.model.tokenize(text).length + (this.model.tokens.shouldPrependBosToken ? 1 : 0);
    if (tokens > this.options.contextSize) {
      throw new UnbundleError(
        'UNBUNDLE_E_CONTEXT_LENGTH',
        `input[${index}] is ${tokens} tokens but model "${this.options.modelId}" embeds at most ${this.options.contextSize} (its contextSize). Split the text into smaller pieces.`,
        { param: 'input' },
      );
    }
    return tokens;
  }

  private contextReady(): Promise<LlamaEmbeddingContext> {
    if (!this.context) {
      this.context = this.model.createEmbeddingContext({ contextSize: this.options.contextSize, threads: this.options.threads });
      this.context.catch(() => (this.context = undefined));
    }
    return this.context;
  }
}
