/**
 * The eval runner's own cost, side by side in one run:
 *  - harness overhead per item: the runner (journal, scoring, progress) against the bare HTTP calls
 *    it makes, over the same in-process gateway and a zero-delay scripted model, interleaved;
 *  - a 1,000-item perplexity suite on stories260K through the runner against llamaPerplexity on
 *    the same texts (the scoring alone).
 * Targets (issue 7): overhead ≤ 1 ms per item beyond the model call; 1,000 perplexity items ≤ 60 s.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { GatewayCaller, messagesFor } from '../src/eval/gateway-caller.ts';
import { parseSuiteJsonl, type LoadedSuite } from '../src/eval/load-suite.ts';
import { createLlamaTokenScorer, llamaPerplexity } from '../src/eval/perplexity.ts';
import { runEval } from '../src/eval/run-eval.ts';
import { referencesOf } from '../src/eval/suite-schema.ts';
import { createLogger } from '../src/logger.ts';
import { portfolioFromObject } from '../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../src/portfolio/model-registry.ts';
import { Gateway } from '../src/server/gateway.ts';
import { ScriptedBackend, scriptedConfig } from '../test/helpers/scripted-backend.ts';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function overhead(): Promise<void> {
  const items = 300;
  const lines = [JSON.stringify({ suite: { name: 'overhead', metrics: ['exact-match', 'token-f1'] } })];
  for (let i = 0; i < items; i++) lines.push(JSON.stringify({ id: `q${i}`, input: `Question number ${i}: what is the capital of France?`, reference: 'Paris', domain: i % 2 ? 'a' : 'b' }));
  const suite = parseSuiteJsonl(lines.join('\n'), 'overhead.jsonl');
  const portfolio = portfolioFromObject({ server: { port: 0 } });
  const registry = ModelRegistry.fromBackends([{ config: scriptedConfig('m'), backend: new ScriptedBackend('m', { text: 'Paris', usage: { inputTokens: 12, outputTokens: 1 } }) }]);
  const gateway = new Gateway({ portfolio, models: registry, logger: createLogger('silent', new Writable({ write: (_c, _e, done) => done() })) });
  const { url } = await gateway.listen(0, '127.0.0.1');
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-eval-bench-'));
  const bare: number[] = [];
  const runner: number[] = [];
  try {
    const timeBare = async () => {
      const caller = new GatewayCaller(url, { runId: 'bench', seed: 0, connections: 1 });
      const start = performance.now();
      for (const item of suite.items) await caller.chat('m', messagesFor(item, undefined));
      const ms = (performance.now() - start) / items;
      await caller.close();
      return ms;
    };
    const timeRunner = async () => {
      const start = performance.now();
      await runEval({ suite, models: [{ id: 'm' }], gatewayUrl: url, journal: path.join(dir, 'outcomes.jsonl'), runId: 'bench', fresh: true, onProgress: () => undefined });
      return (performance.now() - start) / items;
    };
    await timeBare();
    await timeRunner();
    // Alternate which goes first, so drift on a shared machine falls on both sides.
    for (let round = 0; round < 8; round++) {
      if (round % 2 === 0) {
        bare.push(await timeBare());
        runner.push(await timeRunner());
      } else {
        runner.push(await timeRunner());
        bare.push(await timeBare());
      }
    }
  } finally {
    await gateway.shutdown(100);
  }
  const b = median(bare);
  const r = median(runner);
  console.log(`harness overhead, ${items} items, 2 metrics, journal on disk (median of 8 alternating rounds):`);
  console.log(`  bare HTTP call through the gateway : 1.00`);
  console.log(`  eval runner per item               : ${(r / b).toFixed(2)}  (+${(r - b).toFixed(3)} ms per item beyond the model call; target ≤ 1 ms)`);
}

async function perplexityThousand(): Promise<void> {
  const model = path.resolve(import.meta.dirname, '../../shared/models/stories260K.gguf');
  const fixture = readFileSync(path.join(import.meta.dirname, '../test/fixtures/eval/stories-perplexity.jsonl'), 'utf8').split('\n').slice(1).filter(Boolean);
  const base = fixture.map((line) => (JSON.parse(line) as { reference: string }).reference);
  const lines = [JSON.stringify({ suite: { name: 'ppl-1000', metrics: ['perplexity'] } })];
  // 1,000 distinct texts: each fixture sentence with a numbered, varied lead-in.
  const leads = ['Then', 'Later that day', 'After lunch', 'In the morning', 'At night', 'Soon', 'Once more', 'One evening'];
  for (let i = 0; i < 1000; i++) lines.push(JSON.stringify({ id: `t${i}`, input: '-', reference: `${leads[i % leads.length]} (${i}), ${base[i % base.length]}` }));
  const suite: LoadedSuite = parseSuiteJsonl(lines.join('\n'), 'ppl-1000.jsonl');
  const texts = suite.items.map((item) => referencesOf(item)[0]!);
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-eval-bench-'));

  // Starting llama.cpp (probing its binaries) takes seconds once per process: not part of either.
  await llamaPerplexity(model, ['Once upon a time.'], { threads: 1, contextSize: 256 });
  let start = performance.now();
  const direct = await llamaPerplexity(model, texts, { threads: 1, contextSize: 256 });
  const directS = (performance.now() - start) / 1000;
  start = performance.now();
  const run = await runEval({
    suite,
    models: [{ id: 'stories', ggufPath: model }],
    gatewayUrl: 'http://127.0.0.1:9',
    journal: path.join(dir, 'outcomes.jsonl'),
    runId: 'bench',
    fresh: true,
    createScorer: (m) => createLlamaTokenScorer(m.ggufPath!, { threads: 1, contextSize: 256 }),
  });
  const runnerS = (performance.now() - start) / 1000;
  const scored = run.outcomes.get('stories')!.length;
  console.log(`\n1,000-item perplexity suite on stories260K (${direct.tokens} tokens, corpus perplexity ${direct.perplexity.toFixed(2)}):`);
  console.log(`  llamaPerplexity on the texts alone : 1.00`);
  console.log(`  eval runner (${scored} items)         : ${(runnerS / directS).toFixed(2)}  (runner ${runnerS.toFixed(1)} s; target ≤ 60 s)`);
}

export async function run(): Promise<void> {
  await overhead();
  await perplexityThousand();
}
