/**
 * The full banking77 fine-tune of stories260K, run once for the numbers in docs/tune.md:
 *
 *   node --import tsx scripts/tune-banking77.ts [epochs] [out-dir]
 *
 * It trains exactly what `unbundle tune train --base stories260K.gguf --data banking77-train.txt
 * --out banking77.gguf --epochs N --lr 0.002 --batch 16 --max-length 128` trains, then scores
 * every banking77 test utterance with node-llama-cpp, with and without the adapter.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bankingSettings, bankingTexts, storiesModel } from '../bench/tune.bench.ts';
import { adapterPerplexity } from '../src/tune/eval/adapter-perplexity.ts';
import { runTuneTrain } from '../src/tune/run-tune-train.ts';
import { progressPrinter } from '../src/tune/train/progress-line.ts';

const epochs = Number(process.argv[2] ?? 2);
const dir = path.resolve(process.argv[3] ?? path.join(tmpdir(), 'unbundle-tune-banking77'));
mkdirSync(dir, { recursive: true });
const data = path.join(dir, 'banking77-train.txt');
writeFileSync(data, `${bankingTexts('train').join('\n')}\n`);
const out = path.join(dir, 'banking77.gguf');

const started = performance.now();
const report = await runTuneTrain({
  base: storiesModel,
  data,
  out,
  settings: { ...bankingSettings, epochs },
  validationSplit: 0.05,
  maxLength: 128,
  onProgress: progressPrinter(process.stderr, 15),
});
const trainSeconds = (performance.now() - started) / 1000;
const test = bankingTexts('test');
const before = await adapterPerplexity(storiesModel, undefined, test);
const after = await adapterPerplexity(storiesModel, out, test);
const summary = {
  epochs,
  trainExamples: report.trainExamples,
  validationExamples: report.validationExamples,
  steps: report.result.state.step,
  trainTokens: report.result.tokens,
  trainSeconds: Math.round(trainSeconds),
  tokensPerSecond: Math.round(report.result.tokensPerSecond),
  epochLosses: report.result.epochLosses.map((l) => Number(l.toFixed(4))),
  validationLosses: report.result.validationLosses.map((l) => Number(l.toFixed(4))),
  adapterBytes: report.adapterBytes,
  testUtterances: test.length,
  testTokens: before.tokens,
  perplexityBase: Number(before.perplexity.toFixed(3)),
  perplexityAdapter: Number(after.perplexity.toFixed(3)),
  reduction: `${(100 * (1 - after.perplexity / before.perplexity)).toFixed(1)}%`,
};
console.log(JSON.stringify(summary, null, 2));
