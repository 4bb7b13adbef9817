/**
 * The built-in LoRA trainer on stories260K (a children's-story model) and banking77 (customer
 * support utterances), all measured side by side in this run on this machine:
 *   1. our blocked matmul kernel against the plain triple loop;
 *   2. training throughput (forward + backward + AdamW, one thread) and our forward-only speed,
 *      each as a ratio to node-llama-cpp's own forward-only speed on the same sequences;
 *   3. a time-boxed fine-tune (UNBUNDLE_TUNE_BENCH_SECONDS, default 20 s) and the perplexity on
 *      banking77 test utterances of base vs base + adapter, both served by node-llama-cpp.
 * The full fine-tune is scripts/tune-banking77.ts.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCsv } from '../src/router/classifier/parse-csv.ts';
import { adapterPerplexity } from '../src/tune/eval/adapter-perplexity.ts';
import { openLlamaCppLogprobs } from '../src/tune/eval/llamacpp-logprobs.ts';
import { linearForward } from '../src/tune/model/linear.ts';
import { llamaForward } from '../src/tune/model/llama-forward.ts';
import { loadLlamaModel } from '../src/tune/model/llama-weights.ts';
import { runTuneTrain } from '../src/tune/run-tune-train.ts';
import { trainLora } from '../src/tune/train/trainer.ts';
import { defaultTrainSettings, type TrainSettings } from '../src/tune/train/train-settings.ts';

const shared = process.env.UNBUNDLE_SHARED_DIR ?? path.resolve(import.meta.dirname, '../../shared');
export const storiesModel = path.join(shared, 'models', 'stories260K.gguf');

/** The utterances of a banking77 split (the text column of its CSV). */
export function bankingTexts(split: 'train' | 'test'): string[] {
  const records = parseCsv(readFileSync(path.join(shared, 'data', 'banking77', `${split}.csv`), 'utf8'));
  return records.slice(1).map((record) => record.fields[0]!.replace(/\s+/g, ' ').trim()).filter((text) => text !== '');
}

/** The settings the banking77 runs use: all seven projections, rank 8. */
export const bankingSettings: TrainSettings = { ...defaultTrainSettings, rank: 8, alpha: 16, learningRate: 2e-3, batchSize: 16, dropout: 0.05 };

function plainLinear(x: Float32Array, rows: number, inDim: number, w: Float32Array, outDim: number, y: Float32Array): void {
  for (let t = 0; t < rows; t++) for (let o = 0; o < outDim; o++) {
    let s = 0;
    for (let i = 0; i < inDim; i++) s += x[t * inDim + i]! * w[o * inDim + i]!;
    y[t * outDim + o] = s;
  }
}

function kernelRatio(): number {
  const [rows, inDim, outDim] = [32, 64, 172];
  const x = Float32Array.from({ length: rows * inDim }, () => Math.random());
  const w = Float32Array.from({ length: outDim * inDim }, () => Math.random());
  const y = new Float32Array(rows * outDim);
  const time = (f: typeof linearForward): number => {
    for (let i = 0; i < 200; i++) f(x, rows, inDim, w, outDim, y);
    const t0 = performance.now();
    for (let i = 0; i < 1500; i++) f(x, rows, inDim, w, outDim, y);
    return performance.now() - t0;
  };
  // Interleaved twice, so a burst of load on the shared machine hits both.
  const plain = time(plainLinear) + time(plainLinear);
  const blocked = time(linearForward) + time(linearForward);
  return plain / blocked;
}

export interface Throughput {
  llamaCppForward: number;
  oursForward: number;
  oursTraining: number;
}

/** Tokens/s on the same sequences: node-llama-cpp forward-only, ours forward-only, ours training. */
export async function measureThroughput(texts: readonly string[]): Promise<Throughput> {
  const scorer = await openLlamaCppLogprobs(storiesModel);
  const sequences = texts.map((text) => [scorer.bos!, ...scorer.tokenize(text), scorer.eos!]);
  const tokens = sequences.reduce((n, s) => n + s.length, 0);
  const model = loadLlamaModel(storiesModel);
  const examples = sequences.map((s) => ({ tokens: Int32Array.from(s.slice(0, -1)), targets: Int32Array.from(s.slice(1)) }));
  const trainTokens = examples.reduce((n, e) => n + e.tokens.length, 0);
  let llamaCppMs = 0;
  let forwardMs = 0;
  let trainMs = 0;
  for (let round = 0; round < 2; round++) {
    let t0 = performance.now();
    for (const sequence of sequences) await scorer.evaluate(sequence);
    llamaCppMs += performance.now() - t0;
    t0 = performance.now();
    for (const sequence of sequences) llamaForward(model, sequence);
    forwardMs += performance.now() - t0;
    t0 = performance.now();
    await trainLora(model, examples, [], { ...bankingSettings, epochs: 1 });
    trainMs += performance.now() - t0;
  }
  await scorer.close();
  return { llamaCppForward: (2 * tokens) / (llamaCppMs / 1000), oursForward: (2 * tokens) / (forwardMs / 1000), oursTraining: (2 * trainTokens) / (trainMs / 1000) };
}

export async function run(): Promise<void> {
  console.log(`matmul kernel, blocked vs plain triple loop: ${kernelRatio().toFixed(2)}x faster`);

  const train = bankingTexts('train');
  const test = bankingTexts('test');
  const speed = await measureThroughput(train.slice(0, 160));
  console.log(`throughput on 160 banking77 utterances, one thread (node-llama-cpp forward-only = 1.00):`);
  console.log(`  ours, forward only:                      ${(speed.oursForward / speed.llamaCppForward).toFixed(2)}  (${Math.round(speed.oursForward)} tok/s)`);
  console.log(`  ours, training (forward+backward+AdamW): ${(speed.oursTraining / speed.llamaCppForward).toFixed(2)}  (${Math.round(speed.oursTraining)} tok/s; llama.cpp ${Math.round(speed.llamaCppForward)} tok/s)`);

  const seconds = Number(process.env.UNBUNDLE_TUNE_BENCH_SECONDS ?? 20);
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-tune-bench-'));
  const data = path.join(dir, 'banking77-train.txt');
  writeFileSync(data, `${train.join('\n')}\n`);
  const out = path.join(dir, 'banking77.gguf');
  const report = await runTuneTrain({ base: storiesModel, data, out, settings: bankingSettings, validationSplit: 0, maxLength: 128, maxSeconds: seconds });
  const sample = test.filter((_, i) => i % 10 === 0);
  const before = await adapterPerplexity(storiesModel, undefined, sample);
  const after = await adapterPerplexity(storiesModel, out, sample);
  const { result } = report;
  console.log(`fine-tune for ${seconds} s: ${result.state.step} steps of ${bankingSettings.batchSize} utterances, ${result.tokens} tokens, ${Math.round(result.tokensPerSecond)} tok/s; adapter ${statSync(out).size} bytes`);
  console.log(`perplexity on ${sample.length} banking77 test utterances (${before.tokens} tokens), served by node-llama-cpp:`);
  console.log(`  base ${before.perplexity.toFixed(2)}, base + adapter ${after.perplexity.toFixed(2)}: ${(100 * (1 - after.perplexity / before.perplexity)).toFixed(1)}% lower`);
}
