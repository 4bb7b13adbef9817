import { existsSync } from 'node:fs';
import { UnbundleError } from '../errors.ts';
import type { ControlledEvaluateInputItem } from 'node-llama-cpp';
import type { TokenScorer } from './metric.ts';

/**
 * Perplexity of texts under a local GGUF model, computed from the model's next-token
 * probabilities without generating anything: exp of the mean negative log-probability of every
 * token given the ones before it.
 */

/** exp(-mean log p). NaN when there is nothing to score. */
export function perplexityFromLogprobs(logprobs: readonly number[]): number {
  if (logprobs.length === 0) return Number.NaN;
  let sum = 0;
  for (const logprob of logprobs) sum += logprob;
  return Math.exp(-sum / logprobs.length);
}

export interface LlamaScorerOptions {
  /** CPU threads. On small machines keep this at or below the real core count (default 1). */
  threads?: number;
  /** Tokens per evaluation window; longer texts are scored window by window (default 2048). */
  contextSize?: number;
  gpu?: false | 'auto' | 'cuda' | 'vulkan' | 'metal';
  /** A LoRA adapter (.gguf) applied on top of the model, as the llamacpp backend serves it. */
  lora?: string;
  loraScale?: number;
}

export interface LlamaTokenScorer extends TokenScorer {
  close(): Promise<void>;
}

type Llama = Awaited<ReturnType<(typeof import('node-llama-cpp'))['getLlama']>>;
const llamas = new Map<string, Promise<Llama>>();

/**
 * One llama.cpp runtime per GPU/thread setting for the whole process: starting one probes the
 * native binaries and takes seconds, and an idle one does not keep the process alive.
 */
function sharedLlama(gpu: NonNullable<LlamaScorerOptions['gpu']>, threads: number): Promise<Llama> {
  const key = `${String(gpu)}:${threads}`;
  let llama = llamas.get(key);
  if (!llama) {
    llama = import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) => getLlama({ gpu, maxThreads: threads, logLevel: LlamaLogLevel.error, skipDownload: true }));
    llama.catch(() => llamas.delete(key));
    llamas.set(key, llama);
  }
  return llama;
}

// float32 probabilities underflow to 0 for very unlikely tokens; this keeps log() finite.
const minProbability = 1e-40;

/** A TokenScorer over a GGUF file, for the perplexity metric. Call close() when done. */
export async function createLlamaTokenScorer(modelPath: string, options: LlamaScorerOptions = {}): Promise<LlamaTokenScorer> {
  if (!existsSync(modelPath)) {
    throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `cannot score perplexity: model file not found: ${modelPath} — pass the path of a .gguf file`);
  }
  const threads = options.threads ?? 1;
  const llama = await sharedLlama(options.gpu ?? false, threads);
  let model: Awaited<ReturnType<typeof llama.loadModel>>;
  try {
    model = await llama.loadModel({ modelPath });
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `cannot load ${modelPath} for perplexity: ${(error as Error).message}`, { cause: error });
  }
  const window = Math.max(2, Math.min(options.contextSize ?? 2048, model.trainContextSize));
  // A specialist is scored as it is served: base weights plus its LoRA adapter.
  const lora = options.lora === undefined ? {} : { lora: { adapters: [{ filePath: options.lora, scale: options.loraScale ?? 1 }] } };
  const context = await model.createContext({ contextSize: window, threads, sequences: 1, ...lora });
  const sequence = context.getSequence();
  const bos = model.tokens.bos;
  const prependBos = bos !== null && model.tokens.shouldPrependBosToken;
  // One text at a time: the sequence is shared state.
  let queue: Promise<unknown> = Promise.resolve();

  async function score(text: string, signal?: AbortSignal): Promise<{ logprobs: number[] }> {
    const tokens = model.tokenize(text);
    const all = prependBos ? [bos, ...tokens] : tokens;
    const logprobs: number[] = [];
    // Windows overlap by one token so that every token but the very first is scored once.
    for (let start = 0; start + 1 < all.length; start += window - 1) {
      signal?.throwIfAborted();
      const slice = all.slice(start, start + window);
      await sequence.clearHistory();
      const input = slice.map((token, i): ControlledEvaluateInputItem => (i + 1 < slice.length ? [token, { generateNext: { probabilities: true } }] : token));
      const output = await sequence.controlledEvaluate(input);
      for (let i = 0; i + 1 < slice.length; i++) {
        const probability = output[i]?.next.probabilities?.get(slice[i + 1]!) ?? 0;
        logprobs.push(Math.log(Math.max(probability, minProbability)));
      }
    }
    return { logprobs };
  }

  return {
    id: modelPath,
    scoreTokens(text, signal) {
      const result = queue.then(() => score(text, signal));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      await queue;
      await context.dispose();
      await model.dispose();
    },
  };
}

export interface PerplexityReport {
  /** Corpus perplexity: exp(total negative log-likelihood / total scored tokens). */
  perplexity: number;
  tokens: number;
  texts: Array<{ perplexity: number; tokens: number; negativeLogLikelihood: number }>;
}

/** Perplexity of each text and of all of them together under one GGUF model. */
export async function llamaPerplexity(modelPath: string, texts: readonly string[], options: LlamaScorerOptions = {}): Promise<PerplexityReport> {
  const scorer = await createLlamaTokenScorer(modelPath, options);
  try {
    const perText: PerplexityReport['texts'] = [];
    let total = 0;
    let count = 0;
    for (const text of texts) {
      const { logprobs } = await scorer.scoreTokens(text);
      const nll = -logprobs.reduce((sum, value) => sum + value, 0);
      perText.push({ perplexity: perplexityFromLogprobs(logprobs), tokens: logprobs.length, negativeLogLikelihood: nll });
      total += nll;
      count += logprobs.length;
    }
    return { perplexity: count === 0 ? Number.NaN : Math.exp(total / count), tokens: count, texts: perText };
  } finally {
    await scorer.close();
  }
}
