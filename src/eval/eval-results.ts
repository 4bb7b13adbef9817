import { compareModels, type Comparison } from './compare-models.ts';
import type { LoadedSuite } from './load-suite.ts';
import { majorityBaseline, majorityBaselineId } from './majority-baseline.ts';
import type { StoredOutcome } from './outcome-log.ts';
import { isBinary, mcnemarTest, pairedBootstrap, type McNemarResult, type PairedBootstrapResult } from './paired-tests.ts';
import type { SuiteIssue } from './suite-issues.ts';
import { summarizeModel, type ModelInfo, type ModelSummary } from './summarize-model.ts';

/**
 * results.json: everything a report, a comparison or `eval publish` needs from one run. NaN
 * (no data) is written as null by JSON.
 */

export const evalResultsFormat = 'unbundle-eval-results/1';

/** What the report shows about a model beside its scores. */
export interface EvalModelInfo extends ModelInfo {
  backend: string;
  zone?: string;
  /** Local models: the GGUF file and its size on disk. */
  file?: string;
  sizeBytes?: number;
}

export interface PairwiseComparison {
  a: string;
  b: string;
  metric: string;
  /** Paired bootstrap of mean(a) − mean(b) on the items both models answered. */
  bootstrap: PairedBootstrapResult;
  /** McNemar's exact test, when every primary score is 0 or 1. */
  mcnemar: McNemarResult | null;
}

export interface EvalResults {
  format: typeof evalResultsFormat;
  runId: string;
  createdAt: string;
  suite: {
    name: string;
    description?: string;
    source: string;
    items: number;
    skipped: SuiteIssue[];
    primary: string;
    higherIsBetter: boolean;
    metrics: Array<{ label: string; metric: string; higherIsBetter: boolean }>;
  };
  settings: { seed: number; temperature: 0; concurrency: number; limit: number | null; maxTokens: number | null };
  /** The currency of every cost figure (the ledger's accounting currency). */
  currency: string;
  /** One summary per model, in the order asked; `summary.model` carries the EvalModelInfo. */
  models: ModelSummary[];
  /** The trivial baseline (the majority answer), when the primary metric can score it. */
  baseline: (ModelSummary & { answer: string }) | null;
  comparison: Comparison;
  pairwise: PairwiseComparison[];
  /** Pairs that were not answered (a stopped run): the summaries cover only the rest. */
  missing: number;
}

export interface BuildResultsInput {
  suite: LoadedSuite;
  models: readonly EvalModelInfo[];
  outcomes: ReadonlyMap<string, readonly StoredOutcome[]>;
  runId: string;
  settings: EvalResults['settings'];
  currency: string;
  seed?: number;
}

export async function buildEvalResults(input: BuildResultsInput): Promise<EvalResults> {
  const { suite } = input;
  const bootstrap = { primary: suite.primary, ...(input.seed !== undefined ? { seed: input.seed } : {}) };
  const summaries = input.models.map((model) => summarizeModel(model, input.outcomes.get(model.id) ?? [], suite.metrics, bootstrap));
  const primaryMetric = suite.metrics.find((metric) => metric.label === suite.primary)!;

  let baseline: EvalResults['baseline'] = null;
  if (primaryMetric.needs === undefined) {
    const { answer, outcomes } = await majorityBaseline(suite.items, suite.metrics);
    const scorable = suite.metrics.filter((metric) => metric.needs === undefined);
    baseline = { ...summarizeModel({ id: majorityBaselineId }, outcomes, scorable, bootstrap), answer };
  }

  const pairwise: PairwiseComparison[] = [];
  for (let i = 0; i < input.models.length; i++) {
    for (let j = i + 1; j < input.models.length; j++) {
      const a = input.models[i]!.id;
      const b = input.models[j]!.id;
      const scoresB = new Map((input.outcomes.get(b) ?? []).map((outcome) => [outcome.itemId, outcome.results[suite.primary]?.score]));
      const left: number[] = [];
      const right: number[] = [];
      for (const outcome of input.outcomes.get(a) ?? []) {
        const x = outcome.results[suite.primary]?.score;
        const y = scoresB.get(outcome.itemId);
        if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)) {
          left.push(x);
          right.push(y);
        }
      }
      pairwise.push({
        a,
        b,
        metric: suite.primary,
        bootstrap: pairedBootstrap(left, right, input.seed !== undefined ? { seed: input.seed } : {}),
        mcnemar: left.length > 0 && isBinary(left) && isBinary(right) ? mcnemarTest(left, right) : null,
      });
    }
  }

  const answered = [...input.outcomes.values()].reduce((sum, list) => sum + list.length, 0);
  return {
    format: evalResultsFormat,
    runId: input.runId,
    createdAt: new Date().toISOString(),
    suite: {
      name: suite.header.name,
      ...(suite.header.description !== undefined ? { description: suite.header.description } : {}),
      source: suite.source,
      items: suite.items.length,
      skipped: suite.skipped,
      primary: suite.primary,
      higherIsBetter: primaryMetric.higherIsBetter,
      metrics: suite.metrics.map((metric) => ({ label: metric.label, metric: metric.metric, higherIsBetter: metric.higherIsBetter })),
    },
    settings: input.settings,
    currency: input.currency,
    models: summaries,
    baseline,
    comparison: compareModels(summaries, baseline ?? undefined),
    pairwise,
    missing: suite.items.length * input.models.length - answered,
  };
}
