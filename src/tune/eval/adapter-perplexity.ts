import { openLlamaCppLogprobs } from './llamacpp-logprobs.ts';

/**
 * Perplexity of texts as node-llama-cpp serves the model, optionally with a LoRA adapter: each
 * text is scored on its own after BOS, exp of the mean negative log-probability of its tokens.
 * This is how a specialist is compared with its base model.
 */
export interface PerplexityResult {
  perplexity: number;
  tokens: number;
  texts: number;
}

export async function adapterPerplexity(base: string, adapter: string | undefined, texts: readonly string[]): Promise<PerplexityResult> {
  const scorer = await openLlamaCppLogprobs(base, adapter ? { adapter } : {});
  try {
    let sum = 0;
    let tokens = 0;
    for (const text of texts) {
      const sequence = [...(scorer.bos !== undefined ? [scorer.bos] : []), ...scorer.tokenize(text)];
      if (sequence.length < 2) continue;
      for (const logprob of await scorer.sequenceLogprobs(sequence)) sum += logprob;
      tokens += sequence.length - 1;
    }
    return { perplexity: Math.exp(-sum / tokens), tokens, texts: texts.length };
  } finally {
    await scorer.close();
  }
}
