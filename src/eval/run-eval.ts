import { createHash } from 'node:crypto';
import { UnbundleError } from '../errors.ts';
import { evalRequestId, GatewayCaller, messagesFor } from './gateway-caller.ts';
import type { JudgeModel, MetricContext, MetricResult, TokenScorer } from './metric.ts';
import { scoreItem } from './metric-registry.ts';
import type { LoadedSuite } from './load-suite.ts';
import { OutcomeLogWriter, outcomeKey, readOutcomeLog, type RunHeader, type StoredOutcome } from './outcome-log.ts';
import type { SuiteItem } from './suite-schema.ts';

/**
 * The evaluation runner: every (model, item) pair answered through the gateway, scored, and
 * journalled at once, with K requests in flight. A rerun over the same journal skips what is
 * already scored, so an interrupted run resumes without calling a model twice for one item.
 */

export interface EvalModel {
  id: string;
  /** A local GGUF file: the perplexity metric scores tokens with it. */
  ggufPath?: string;
}

export interface ScorerFactory {
  (model: EvalModel): Promise<TokenScorer & { close(): Promise<void> }>;
}

export interface RunEvalOptions {
  suite: LoadedSuite;
  models: readonly EvalModel[];
  /** The gateway's base URL (http://127.0.0.1:PORT). */
  gatewayUrl: string;
  /** The JSONL journal (DIR/outcomes.jsonl). */
  journal: string;
  /** Used for a fresh journal; a resumed run keeps the journal's own id. */
  runId: string;
  /** Requests in flight at once (default 1). */
  concurrency?: number;
  seed?: number;
  maxTokens?: number;
  /** Ignore the journal and start over. */
  fresh?: boolean;
  judges?: ReadonlyMap<string, JudgeModel>;
  sandbox?: MetricContext['sandbox'];
  /** Creates a model's token scorer for the perplexity metric (local GGUF models only). */
  createScorer?: ScorerFactory;
  /** The cost of one answer in the accounting currency, or undefined when unknown. */
  costOf?: (modelId: string, usage: { inputTokens?: number; outputTokens?: number }, latencyMs: number) => number | undefined;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface RunEvalResult {
  runId: string;
  /** Per model, in suite item order. */
  outcomes: Map<string, StoredOutcome[]>;
  /** Pairs taken from the journal (not re-run). */
  reused: number;
  /** Pairs answered in this run. */
  ran: number;
  /** True when the signal stopped the run before every pair was done. */
  aborted: boolean;
}

/**
 * Whether the items must be sent to the models at all: a suite that only measures the perplexity
 * of its references needs the models' token probabilities, not their answers.
 */
export function needsGeneration(suite: Pick<LoadedSuite, 'header'>): boolean {
  return !suite.header.metrics.every((spec) => {
    if (typeof spec === 'string') return spec === 'perplexity';
    return spec.metric === 'perplexity' && (spec as { target?: unknown }).target !== 'prediction';
  });
}

/** What an item's answer depends on: the item, the system prompt, the metrics and the sampling. */
export function itemFingerprint(item: SuiteItem, suite: Pick<LoadedSuite, 'header'>, settings: { seed: number; maxTokens?: number }): string {
  const basis = JSON.stringify([item, suite.header.system ?? null, suite.header.metrics, settings.seed, settings.maxTokens ?? null]);
  return createHash('sha256').update(basis).digest('base64url').slice(0, 22);
}

export async function runEval(options: RunEvalOptions): Promise<RunEvalResult> {
  const { suite, models } = options;
  const seed = options.seed ?? 0;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const settings = { seed, ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}) };
  const generate = needsGeneration(suite);
  const needsScorer = suite.metrics.some((metric) => metric.needs === 'scorer');
  if (needsScorer) {
    const remote = models.filter((model) => model.ggufPath === undefined).map((model) => model.id);
    if (remote.length > 0) {
      throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `the perplexity metric needs a local GGUF model, and ${remote.join(', ')} is not one — evaluate only llamacpp models with this suite`);
    }
    if (!options.createScorer) throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', 'the perplexity metric needs a token scorer: pass createScorer');
  }

  const log = options.fresh ? undefined : readOutcomeLog(options.journal);
  const header: RunHeader = log?.header ?? { format: 'unbundle-eval-outcomes/1', runId: options.runId, suite: suite.header.name, startedAt: new Date().toISOString() };
  if (log?.header && log.header.suite !== suite.header.name) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `${options.journal} holds a run of suite "${log.header.suite}", not "${suite.header.name}" — use another --out folder, or --fresh to overwrite it`);
  }

  const hashes = suite.items.map((item) => itemFingerprint(item, suite, settings));
  const done = new Map<string, StoredOutcome>();
  const tasks: Array<{ model: EvalModel; item: SuiteItem; index: number }> = [];
  // Item-major order: every model sees the early items first, so a stopped run is comparable.
  suite.items.forEach((item, index) => {
    for (const model of models) {
      const previous = log?.outcomes.get(outcomeKey(model.id, item.id));
      if (previous && previous.itemHash === hashes[index]) done.set(outcomeKey(model.id, item.id), previous);
      else tasks.push({ model, item, index });
    }
  });
  const reused = done.size;
  const total = suite.items.length * models.length;

  const writer = OutcomeLogWriter.open(options.journal, header, options.fresh === true || log?.header === undefined);
  const caller = generate && tasks.length > 0 ? new GatewayCaller(options.gatewayUrl, { runId: header.runId, seed, ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}), connections: concurrency }) : undefined;
  const scorers = new Map<string, Promise<TokenScorer & { close(): Promise<void> }>>();
  const scorerFor = (model: EvalModel) => {
    let scorer = scorers.get(model.id);
    if (!scorer) scorers.set(model.id, (scorer = options.createScorer!(model)));
    return scorer;
  };

  let ran = 0;
  let next = 0;
  const signal = options.signal;
  options.onProgress?.(reused, total);

  async function runTask({ model, item, index }: (typeof tasks)[number]): Promise<void> {
    const context: MetricContext = {
      ...(options.judges ? { judges: options.judges } : {}),
      ...(options.sandbox ? { sandbox: options.sandbox } : {}),
      ...(signal ? { signal } : {}),
    };
    let answer = '';
    let latencyMs: number;
    const outcome: Partial<StoredOutcome> = {};
    if (caller) {
      const reply = await caller.chat(model.id, messagesFor(item, suite.header.system), signal, evalRequestId(header.runId, model.id, item.id));
      answer = reply.text;
      latencyMs = reply.latencyMs;
      if (reply.error !== undefined) outcome.error = reply.error;
      if (reply.inputTokens !== undefined) outcome.inputTokens = reply.inputTokens;
      if (reply.outputTokens !== undefined) outcome.outputTokens = reply.outputTokens;
      if (reply.answeredBy !== undefined) outcome.answeredBy = reply.answeredBy;
      if (reply.requestId !== undefined) outcome.requestId = reply.requestId;
    }
    if (needsScorer) context.scorer = await scorerFor(model);
    const scoringStart = performance.now();
    const results: Record<string, MetricResult> = await scoreItem(answer, item, suite.metrics, context);
    // Without generation the model's work is the scoring itself: that is its latency.
    latencyMs ??= performance.now() - scoringStart;
    signal?.throwIfAborted();
    const cost = outcome.error === undefined ? options.costOf?.(model.id, { ...(outcome.inputTokens !== undefined ? { inputTokens: outcome.inputTokens } : {}), ...(outcome.outputTokens !== undefined ? { outputTokens: outcome.outputTokens } : {}) }, latencyMs) : undefined;
    const stored: StoredOutcome = {
      model: model.id,
      itemId: item.id,
      ...(item.domain !== undefined ? { domain: item.domain } : {}),
      itemHash: hashes[index]!,
      answer,
      results,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      ...outcome,
      ...(cost !== undefined ? { costUsd: cost } : {}),
    };
    writer.append(stored);
    done.set(outcomeKey(model.id, item.id), stored);
    ran++;
    options.onProgress?.(reused + ran, total);
  }

  let failure: unknown;
  async function worker(): Promise<void> {
    while (next < tasks.length && !signal?.aborted && failure === undefined) {
      const task = tasks[next++]!;
      try {
        await runTask(task);
      } catch (error) {
        // A stopped run is not a failure; anything else stops the other workers too.
        if (!signal?.aborted) failure ??= error;
      }
    }
  }

  let aborted: boolean;
  try {
    // Every worker settles before the journal closes, so no answer is written to a closed file.
    await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, () => worker()));
  } finally {
    aborted = signal?.aborted === true && reused + ran < total;
    writer.close();
    await caller?.close();
    await Promise.allSettled([...scorers.values()].map(async (scorer) => (await scorer).close()));
  }
  if (failure !== undefined) throw failure;

  const outcomes = new Map<string, StoredOutcome[]>();
  for (const model of models) {
    outcomes.set(
      model.id,
      suite.items.map((item) => done.get(outcomeKey(model.id, item.id))).filter((outcome): outcome is StoredOutcome => outcome !== undefined),
    );
  }
  return { runId: header.runId, outcomes, reused, ran, aborted };
}
