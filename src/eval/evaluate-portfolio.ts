import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { UnbundleError } from '../errors.ts';
import { CostBook } from '../ledger/cost-book.ts';
import { createLogger } from '../logger.ts';
import { ModelRegistry } from '../portfolio/model-registry.ts';
import type { ModelConfig, Portfolio } from '../portfolio/schema.ts';
import { openServerLedger } from '../ledger/open-server-ledger.ts';
import { applyPromotions, PromotionBook } from '../tune/registry/promote-adapter.ts';
import { Gateway } from '../server/gateway.ts';
import { describeEvalModel } from './eval-model-info.ts';
import { buildEvalResults, type EvalResults } from './eval-results.ts';
import type { JudgeModel } from './metric.ts';
import type { LoadedSuite } from './load-suite.ts';
import { createLlamaTokenScorer } from './perplexity.ts';
import { renderReportHtml } from './render-report-html.ts';
import { GatewayCaller } from './gateway-caller.ts';
import { runEval, type EvalModel, type RunEvalResult } from './run-eval.ts';

/**
 * `unbundle eval run` without the command line: starts the real gateway in-process on a free
 * loopback port over the portfolio, sends the suite through it, and writes DIR/outcomes.jsonl
 * (the journal), DIR/results.json and DIR/report.html.
 */

export interface EvaluatePortfolioOptions {
  portfolio: Portfolio;
  suite: LoadedSuite;
  modelIds: readonly string[];
  outDir: string;
  limit?: number;
  concurrency?: number;
  seed?: number;
  maxTokens?: number;
  fresh?: boolean;
  /** The llm-judge metric's judge (a portfolio model id); default every portfolio model. */
  judge?: string;
  /** CPU threads for perplexity scoring (default: the model's `threads`, else 1). */
  scorerThreads?: number;
  env?: NodeJS.ProcessEnv;
  /** Where a relative UNBUNDLE_DATA_DIR (the ledger) is resolved; default process.cwd(). */
  cwd?: string;
  /** Where the in-process gateway logs warnings (default: nowhere). */
  logStream?: NodeJS.WritableStream;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface EvaluatePortfolioResult {
  results: EvalResults;
  run: RunEvalResult;
  resultsFile: string;
  reportFile: string;
  journal: string;
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

export function newRunId(): string {
  return `eval-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
}

/** Checks the model ids against the portfolio before anything starts. */
export function pickModels(portfolio: Portfolio, ids: readonly string[]): ModelConfig[] {
  if (ids.length === 0) throw new UnbundleError('UNBUNDLE_E_USAGE', '--models: name at least one model id, e.g. --models small,large');
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw new UnbundleError('UNBUNDLE_E_USAGE', `--models: "${duplicate}" is listed twice`);
  return ids.map((id) => {
    const config = portfolio.models.find((model) => model.id === id);
    if (!config) {
      const known = portfolio.models.map((model) => model.id);
      throw new UnbundleError('UNBUNDLE_E_USAGE', `--models: "${id}" is not in the portfolio; its models are ${known.length > 0 ? known.join(', ') : '(none)'}`);
    }
    return config;
  });
}

export async function evaluatePortfolio(options: EvaluatePortfolioOptions): Promise<EvaluatePortfolioResult> {
  const { portfolio } = options;
  const configs = pickModels(portfolio, options.modelIds);
  if (options.judge !== undefined && !portfolio.models.some((model) => model.id === options.judge)) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `--judge: "${options.judge}" is not in the portfolio; its models are ${portfolio.models.map((model) => model.id).join(', ')}`);
  }
  const suite: LoadedSuite = options.limit === undefined ? options.suite : { ...options.suite, items: options.suite.items.slice(0, options.limit) };
  mkdirSync(options.outDir, { recursive: true });
  const journal = path.join(options.outDir, 'outcomes.jsonl');
  const seed = options.seed ?? 0;
  const concurrency = options.concurrency ?? 1;

  const costBook = new CostBook(portfolio.models, portfolio.ledger);
  const models: EvalModel[] = configs.map((config) => (config.backend === 'llamacpp' ? { id: config.id, ggufPath: config.path } : { id: config.id }));
  const registry = await ModelRegistry.create(portfolio, options.env ?? process.env);
  // Evaluate what the server would serve: adapters promoted through the admin API included.
  await applyPromotions(registry, PromotionBook.at(options.env ?? process.env, options.cwd ?? process.cwd()));
  const logger = createLogger('warn', options.logStream ?? devNull());
  const env = options.env ?? process.env;
  // Eval traffic goes through the gateway's own pipeline, ledger included: each item's row carries
  // its `x-request-id` (run:model:item) as the client request id.
  const ledger = await openServerLedger(portfolio, { env, cwd: options.cwd ?? process.cwd(), warn: (message) => logger.warn(message) });
  const gateway = new Gateway({ portfolio, models: registry, logger, ledger, env });
  const runId = newRunId();
  let judgeCaller: GatewayCaller | undefined;
  let run: RunEvalResult;
  try {
    const { url } = await gateway.listen(0, '127.0.0.1');
    let judges: Map<string, JudgeModel> | undefined;
    if (suite.metrics.some((metric) => metric.needs === 'judge')) {
      judgeCaller = new GatewayCaller(url, { runId, seed, maxTokens: 512 });
      const caller = judgeCaller;
      const ids = options.judge !== undefined ? [options.judge] : portfolio.models.map((model) => model.id);
      judges = new Map(
        ids.map((id) => [
          id,
          {
            id,
            async generate(messages, signal) {
              const reply = await caller.chat(id, messages, signal);
              if (reply.error !== undefined) throw new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', `judge ${id} failed: ${reply.error}`);
              return reply.text;
            },
          } satisfies JudgeModel,
        ]),
      );
    }
    run = await runEval({
      suite,
      models,
      gatewayUrl: url,
      journal,
      runId,
      concurrency,
      seed,
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      ...(options.fresh !== undefined ? { fresh: options.fresh } : {}),
      ...(judges ? { judges } : {}),
      createScorer: (model) => {
        const config = configs.find((entry) => entry.id === model.id);
        const threads = options.scorerThreads ?? (config?.backend === 'llamacpp' ? config.threads : undefined) ?? 1;
        const contextSize = config?.backend === 'llamacpp' ? config.contextSize : undefined;
        // The model as the registry serves it now (a promoted adapter included).
        const served = registry.get(model.id)?.config ?? config;
        const lora = served?.backend === 'llamacpp' && served.lora !== undefined ? { lora: served.lora, loraScale: served.loraScale } : {};
        return createLlamaTokenScorer(model.ggufPath!, { threads, ...(contextSize !== undefined ? { contextSize } : {}), ...lora });
      },
      // Eval keeps the model busy, so a self-hosted model is priced at full utilisation of the
      // measured time; API models by their tokens.
      costOf: (modelId, usage, latencyMs) => costBook.costOf(modelId, { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens }, { computeSeconds: latencyMs / 1000, utilisation: 1 }).amount,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await judgeCaller?.close();
    await gateway.shutdown(1_000);
    await ledger?.close();
    await registry.close();
  }

  const results = await buildEvalResults({
    suite,
    models: configs.map(describeEvalModel),
    outcomes: run.outcomes,
    runId: run.runId,
    settings: { seed, temperature: 0, concurrency, limit: options.limit ?? null, maxTokens: options.maxTokens ?? null },
    currency: costBook.currency,
  });
  const resultsFile = path.join(options.outDir, 'results.json');
  const reportFile = path.join(options.outDir, 'report.html');
  writeAtomically(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  writeAtomically(reportFile, renderReportHtml(results));
  return { results, run, resultsFile, reportFile, journal };
}

function devNull(): NodeJS.WritableStream {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
