import { existsSync } from 'node:fs';
import type { Token } from 'node-llama-cpp';
import { UnbundleError } from '../../errors.ts';
import { readGgufHeaderSync } from '../../portfolio/gguf-header.ts';
import { sharedLlama } from './shared-llama.ts';

/**
 * Next-token log-probabilities from node-llama-cpp itself, optionally with a LoRA adapter: the
 * reference our forward pass is tested against, and how a served specialist is scored. The KV
 * cache is kept in F32 and flash attention off, so llama.cpp computes in float32 end to end
 * (its F16 default cache alone moves log-probs by ~1e-2).
 */
export interface LlamaCppLogprobs {
  vocab: number;
  bos: number | undefined;
  eos: number | undefined;
  tokenize(text: string): number[];
  /** For each position, log p(v | tokens[0..i]) for every v: [positions][vocab]. */
  distributions(tokens: readonly number[]): Promise<Float64Array[]>;
  /** log p(tokens[i+1] | tokens[0..i]) for i = 0..n-2. */
  sequenceLogprobs(tokens: readonly number[]): Promise<number[]>;
  /** Evaluates without reading outputs: node-llama-cpp's own forward-only speed. */
  evaluate(tokens: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

export interface LlamaCppLogprobsOptions {
  adapter?: string;
  adapterScale?: number;
  contextSize?: number;
  threads?: number;
}

// float32 probabilities underflow to 0 for very unlikely tokens; this keeps log() finite.
const minProbability = 1e-45;

export async function openLlamaCppLogprobs(modelPath: string, options: LlamaCppLogprobsOptions = {}): Promise<LlamaCppLogprobs> {
  for (const file of [modelPath, options.adapter]) {
    if (file !== undefined && !existsSync(file)) throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `File not found: ${file}.`);
  }
  const vocab = readGgufHeaderSync(modelPath).tensors.find((t) => t.name === 'token_embd.weight')?.shape[1] ?? 0;
  const threads = options.threads ?? 1;
  const llama = await sharedLlama();
  let model: Awaited<ReturnType<typeof llama.loadModel>> | undefined;
  try {
    model = await llama.loadModel({ modelPath });
    const context = await model.createContext({
      contextSize: options.contextSize ?? 512,
      batchSize: options.contextSize ?? 512,
      threads,
      sequences: 1,
      flashAttention: false,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
      ...(options.adapter ? { lora: { adapters: [{ filePath: options.adapter, scale: options.adapterScale ?? 1 }] } } : {}),
    });
    const sequence = context.getSequence();
    const loaded = model;
    const run = async (tokens: readonly number[], read: boolean) => {
      await sequence.clearHistory();
      const input = (tokens as Token[]).map((token) => (read ? ([token, { generateNext: { probabilities: true } }] as [Token, { generateNext: { probabilities: boolean } }]) : token));
      return sequence.controlledEvaluate(input);
    };
    return {
      vocab,
      bos: model.tokens.bos !== null && model.tokens.shouldPrependBosToken ? model.tokens.bos : undefined,
      eos: model.tokens.eos ?? undefined,
      tokenize: (text) => [...loaded.tokenize(text, false)],
      async distributions(tokens) {
        const output = await run(tokens, true);
        return tokens.map((_, i) => {
          const row = new Float64Array(vocab).fill(Math.log(minProbability));
          for (const [token, p] of output[i]?.next.probabilities ?? []) row[token] = Math.log(Math.max(p, minProbability));
          return row;
        });
      },
      async sequenceLogprobs(tokens) {
        const output = await run(tokens.slice(0, -1), true);
        return tokens.slice(1).map((next, i) => Math.log(Math.max(output[i]?.next.probabilities?.get(next as Token) ?? 0, minProbability)));
      },
      async evaluate(tokens) {
        await run(tokens, false);
      },
      async close() {
        await context.dispose();
        await loaded.dispose();
      },
    };
  } catch (error) {
    await model?.dispose();
    throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `node-llama-cpp could not load ${modelPath}${options.adapter ? ` with ${options.adapter}` : ''}: ${(error as Error).message}`, { cause: error });
  }
}
