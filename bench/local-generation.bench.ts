/**
 * Local generation overhead: tokens/s through LlamacppBackend (slot pool, prompt preparation,
 * usage accounting, streaming queue), and through the whole HTTP gateway over loopback, against
 * node-llama-cpp's LlamaCompletion called directly,
 * with the same model, threads, prompt tokens and sampling, in alternating rounds so both sides
 * see the same machine load. Prints ours ÷ direct; the target is ≥ 0.90.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { LlamaRuntime } from '../src/backends/llamacpp/llama-runtime.ts';
import { LlamacppBackend } from '../src/backends/llamacpp/llamacpp-backend.ts';
import { Pool } from 'undici';
import { createLogger } from '../src/logger.ts';
import { portfolioFromObject } from '../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../src/portfolio/model-registry.ts';
import { llamacppModelSchema } from '../src/portfolio/schema.ts';
import { Gateway } from '../src/server/gateway.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const modelFile = [process.env.UNBUNDLE_TEST_MODELS, path.join(here, '../../shared/models'), path.join(here, '../shared/models')]
  .filter((dir): dir is string => Boolean(dir))
  .map((dir) => path.join(dir, 'stories260K.gguf'))
  .find((file) => existsSync(file));

const prompt = 'Once upon a time';
const maxTokens = 256;
const rounds = 20;
const budgetMs = 45_000;
const threads = 1; // fastest for this tiny model; the same on both sides

export async function run(): Promise<void> {
  if (!modelFile) throw new Error('bench needs shared/models/stories260K.gguf (or UNBUNDLE_TEST_MODELS)');
  const runtime = await LlamaRuntime.create();
  const { lib, llama } = runtime;
  const model = await llama.loadModel({ modelPath: modelFile });
  const context = await model.createContext({ contextSize: 512, threads });
  const direct = new lib.LlamaCompletion({ contextSequence: context.getSequence() });
  const tokens = model.tokenize(prompt, false);
  const backend = new LlamacppBackend(
    llamacppModelSchema.parse({ id: 'bench', backend: 'llamacpp', path: modelFile, threads, contextSize: 512, parallel: 1 }),
    runtime,
  );
  const signal = new AbortController().signal;
  const request = { kind: 'completion' as const, prompt, temperature: 0, maxTokens };
  // The same backend behind the HTTP gateway (in this process, logging to nowhere), called over
  // loopback: what a client of `unbundle serve` gets, against node-llama-cpp called directly.
  const gatewayPortfolio = portfolioFromObject({ server: { port: 0, logLevel: 'silent' } });
  const gateway = new Gateway({ portfolio: gatewayPortfolio, models: ModelRegistry.fromBackends([{ config: backend.config, backend }]), logger: createLogger('silent') });
  const { url } = await gateway.listen(0, '127.0.0.1');
  const pool = new Pool(url, { connections: 1 });
  const viaHttp = async (stream: boolean) => {
    const response = await pool.request({ method: 'POST', path: '/v1/completions', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'bench', prompt, max_tokens: maxTokens, temperature: 0, stream }) });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`gateway answered ${response.statusCode}: ${text}`);
    if (!stream) return (JSON.parse(text) as { choices: Array<{ text: string }> }).choices[0]!.text.length;
    let length = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith('data: {')) continue;
      length += (JSON.parse(line.slice(6)) as { choices: Array<{ text?: string }> }).choices[0]?.text?.length ?? 0;
    }
    return length;
  };

  const sides = {
    'direct generate': async () => (await direct.generateCompletion(tokens, { maxTokens, temperature: 0 })).length,
    'backend generate': async () => (await backend.generate(request, signal)).text.length,
    'direct stream': async () => {
      let length = 0;
      await direct.generateCompletion(tokens, { maxTokens, temperature: 0, onTextChunk: (text) => (length += text.length) });
      return length;
    },
    'backend stream': async () => {
      let length = 0;
      for await (const part of backend.stream(request, signal)) if (part.type === 'text-delta') length += part.text.length;
      return length;
    },
    'gateway generate': () => viaHttp(false),
    'gateway stream': () => viaHttp(true),
  };
  const times = Object.fromEntries(Object.keys(sides).map((name) => [name, [] as number[]])) as Record<keyof typeof sides, number[]>;
  const lengths = new Set<number>();
  for (const measure of Object.values(sides)) lengths.add(await measure()); // warm-up, and the same text on every side
  if (lengths.size !== 1) throw new Error(`the sides generated different text lengths: ${[...lengths].join(', ')}`);

  const order = Object.entries(sides) as Array<[keyof typeof sides, () => Promise<number>]>;
  const started = performance.now();
  for (let round = 0; round < rounds && performance.now() - started < budgetMs; round++) {
    // Alternate the order every round so neither side always runs first after the other.
    for (const [name, measure] of round % 2 === 0 ? order : [...order].reverse()) {
      const t0 = performance.now();
      await measure();
      times[name].push(performance.now() - t0);
    }
  }
  // The median of per-round ratios shrugs off load spikes from other processes on a shared box.
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const mode of ['generate', 'stream'] as const) for (const layer of ['backend', 'gateway'] as const) {
    const ours = times[`${layer} ${mode}`];
    const theirs = times[`direct ${mode}`];
    const ratio = median(ours.map((ms, round) => theirs[round]! / ms));
    const tps = (ms: number[]) => ((ms.length * maxTokens) / (ms.reduce((sum, t) => sum + t, 0) / 1000)).toFixed(0);
    console.log(
      `${mode.padEnd(8)} ${layer === 'backend' ? 'backend       ' : 'HTTP gateway  '} ÷ node-llama-cpp tokens/s = ${ratio.toFixed(3)} ${ratio >= 0.9 ? '(target ≥ 0.90 met)' : '(BELOW the 0.90 target)'}` +
        `  [median of ${ours.length} rounds × ${maxTokens} tokens, ${threads} thread; means ${tps(ours)} vs ${tps(theirs)} tok/s]`,
    );
  }
  await pool.close();
  await gateway.shutdown(1_000);
  await backend.close();
  direct.dispose();
  await context.dispose();
  await model.dispose();
  await runtime.close();
}
