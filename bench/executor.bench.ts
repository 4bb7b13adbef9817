/**
 * The executor's cost on the hot path: one successful attempt through `Executor.generate` and
 * `Executor.stream` against an instant in-process backend, side by side with the bare minimum
 * (the backend call under the same deadline timer). Interleaved rounds; prints the ratio and the
 * added time per request. Nothing fails here, so retries, breakers and hedging must cost ~nothing.
 */
import type { Backend } from '../src/backends/backend.ts';
import type { GenerateRequest, GenerateResult, StreamPart } from '../src/backends/types.ts';
import { Executor } from '../src/executor/executor.ts';
import { portfolioFromObject } from '../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../src/portfolio/model-registry.ts';
import type { Plan } from '../src/router/plan.ts';
import { formatRow } from './support/measure.ts';

const result: GenerateResult = { text: 'hi', toolCalls: [], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } };
const parts: StreamPart[] = [{ type: 'text-delta', text: 'hi' }, { type: 'finish', finishReason: 'stop' }];
const backend: Backend = {
  specVersion: 'v1',
  modelId: 'instant',
  kind: 'openai-compatible',
  generate: async () => result,
  async *stream() {
    yield* parts;
  },
  state: () => ({ status: 'ready', active: 0, queued: 0 }),
  close: async () => {},
};
const request: GenerateRequest = { kind: 'chat', messages: [{ role: 'user', content: 'x' }] };
const plan: Plan = { requested: 'instant', primary: 'instant', fallbacks: [], reasons: [] };

async function bare(controller: AbortController): Promise<void> {
  const timer = setTimeout(() => controller.abort(), 60_000);
  try {
    await backend.generate(request, controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function bareStream(controller: AbortController): Promise<void> {
  const timer = setTimeout(() => controller.abort(), 60_000);
  try {
    const iterator = backend.stream(request, controller.signal)[Symbol.asyncIterator]();
    for (let next = await iterator.next(); !next.done; next = await iterator.next());
  } finally {
    clearTimeout(timer);
  }
}

async function time(n: number, one: () => Promise<void>): Promise<number> {
  const began = performance.now();
  for (let i = 0; i < n; i++) await one();
  return (performance.now() - began) / n;
}

export async function run(): Promise<void> {
  const config = portfolioFromObject({ models: [{ id: 'instant', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1' }] }).models[0]!;
  const executor = new Executor(ModelRegistry.fromBackends([{ config, backend }]));
  const viaExecutor = async (controller: AbortController) => {
    await executor.generate(plan, request, { signal: controller.signal, controller, timeoutMs: 60_000, startedAt: performance.now(), attemptLog: [] });
  };
  const viaExecutorStream = async (controller: AbortController) => {
    const execution = await executor.stream(plan, request, { signal: controller.signal, controller, timeoutMs: 60_000, startedAt: performance.now(), attemptLog: [] });
    for (let next = await execution.parts.next(); !next.done; next = await execution.parts.next());
    execution.done();
  };
  const n = Number(process.env.EXECUTOR_BENCH_N ?? 50_000);
  const rows: Array<[string, (c: AbortController) => Promise<void>, (c: AbortController) => Promise<void>]> = [
    ['generate', bare, viaExecutor],
    ['stream', bareStream, viaExecutorStream],
  ];
  console.log(`\nOne successful attempt, ${n} sequential calls per round, 3 interleaved rounds:`);
  const widths = [10, 14, 14, 10, 16];
  console.log(formatRow(['path', 'bare µs/call', 'executor µs', 'ratio', 'added µs/call'], widths));
  for (const [name, base, ours] of rows) {
    let b = 0;
    let o = 0;
    await time(2_000, () => base(new AbortController()));
    await time(2_000, () => ours(new AbortController()));
    for (let round = 0; round < 3; round++) {
      b += await time(n, () => base(new AbortController()));
      o += await time(n, () => ours(new AbortController()));
    }
    console.log(formatRow([name, ((b / 3) * 1000).toFixed(2), ((o / 3) * 1000).toFixed(2), (o / b).toFixed(2), (((o - b) / 3) * 1000).toFixed(2)], widths));
  }
}
