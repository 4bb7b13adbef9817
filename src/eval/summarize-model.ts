import type { BoundMetric, MetricResult } from './metric.ts';
import { bootstrapCi, percentile, type BootstrapOptions, type ConfidenceInterval } from './statistics.ts';

/** What the runner records for one item answered by one model. */
export interface ItemOutcome {
  itemId: string;
  domain?: string;
  /** Results by metric label. A metric missing here is left out of that metric's statistics. */
  results: Record<string, MetricResult>;
  latencyMs?: number;
  outputTokens?: number;
  /** The request's real cost from the ledger, in USD; undefined when unknown (never 0 for unknown). */
  costUsd?: number;
  /** The call failed; the runner should still score the empty answer so the item counts as wrong. */
  error?: string;
}

export interface ModelInfo {
  id: string;
  /** Parameter count (e.g. 7_240_000_000), when known. */
  parameters?: number;
  /** e.g. "Q4_K_M", "F16"; when known. */
  quantization?: string;
}

export interface MetricSummary extends ConfidenceInterval {
  label: string;
  higherIsBetter: boolean;
  items: number;
  /** Corpus-level statistics (macro-F1, corpus perplexity), each with its own bootstrap interval. */
  corpus: Record<string, ConfidenceInterval>;
}

export interface DomainSummary extends ConfidenceInterval {
  domain: string;
  items: number;
}

export interface ModelSummary extends ConfidenceInterval {
  model: ModelInfo;
  /** The ranking metric's label; `estimate/low/high` are its mean and 95% interval. */
  primary: string;
  higherIsBetter: boolean;
  items: number;
  errors: number;
  metrics: Record<string, MetricSummary>;
  latencyMs: { p50: number; p95: number } | null;
  /** Output tokens per second of wall time, over items where both are known. */
  tokensPerSecond: number | null;
  /** USD for 1,000 items, from the items whose cost is known. */
  costPer1kItems: number | null;
  /** Primary score per USD of 1,000 items (null when free, unknown, or lower-is-better). */
  qualityPerDollar: number | null;
  /** Primary score per billion parameters (null when unknown or lower-is-better). */
  qualityPerBillionParameters: number | null;
  domains: DomainSummary[];
}

export type SummaryMetric = Pick<BoundMetric, 'label' | 'higherIsBetter' | 'corpus'>;

export interface SummarizeOptions extends BootstrapOptions {
  /** The ranking metric's label; default the first metric. */
  primary?: string;
}

function summarizeMetric(metric: SummaryMetric, outcomes: readonly ItemOutcome[], options: BootstrapOptions): MetricSummary {
  const results = outcomes.map((outcome) => outcome.results[metric.label]).filter((result): result is MetricResult => result !== undefined);
  const scores = results.map((result) => result.score);
  const corpus: Record<string, ConfidenceInterval> = {};
  for (const key of Object.keys(results.length > 0 ? metric.corpus(results) : {})) {
    corpus[key] = bootstrapCi(results, (sample) => metric.corpus(sample)[key]!, options);
  }
  return { label: metric.label, higherIsBetter: metric.higherIsBetter, items: results.length, ...bootstrapCi(scores, undefined, options), corpus };
}

const known = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value);

/** Everything a report shows for one model on one suite. */
export function summarizeModel(model: ModelInfo, outcomes: readonly ItemOutcome[], metrics: readonly SummaryMetric[], options: SummarizeOptions = {}): ModelSummary {
  const primaryMetric = metrics.find((metric) => metric.label === (options.primary ?? metrics[0]?.label));
  if (!primaryMetric) throw new RangeError(`no metric "${options.primary ?? ''}" among ${metrics.map((m) => m.label).join(', ')}`);
  const summaries = Object.fromEntries(metrics.map((metric) => [metric.label, summarizeMetric(metric, outcomes, options)]));
  const primary = summaries[primaryMetric.label]!;

  const latencies = outcomes.map((outcome) => outcome.latencyMs).filter(known);
  const timed = outcomes.filter((outcome) => known(outcome.outputTokens) && known(outcome.latencyMs) && outcome.latencyMs > 0);
  const seconds = timed.reduce((sum, outcome) => sum + outcome.latencyMs! / 1000, 0);
  const tokens = timed.reduce((sum, outcome) => sum + outcome.outputTokens!, 0);
  const costs = outcomes.map((outcome) => outcome.costUsd).filter(known);
  const costPer1kItems = costs.length === 0 ? null : (costs.reduce((a, b) => a + b, 0) / costs.length) * 1000;
  const score = primary.estimate;
  const rankable = primaryMetric.higherIsBetter && Number.isFinite(score);

  const byDomain = new Map<string, ItemOutcome[]>();
  for (const outcome of outcomes) {
    if (outcome.domain === undefined) continue;
    byDomain.set(outcome.domain, [...(byDomain.get(outcome.domain) ?? []), outcome]);
  }
  const domains = [...byDomain.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([domain, members]) => {
      const scores = members.map((outcome) => outcome.results[primaryMetric.label]?.score).filter(known);
      return { domain, items: scores.length, ...bootstrapCi(scores, undefined, options) };
    });

  return {
    model,
    primary: primaryMetric.label,
    higherIsBetter: primaryMetric.higherIsBetter,
    estimate: primary.estimate,
    low: primary.low,
    high: primary.high,
    items: outcomes.length,
    errors: outcomes.filter((outcome) => outcome.error !== undefined).length,
    metrics: summaries,
    latencyMs: latencies.length === 0 ? null : { p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
    tokensPerSecond: seconds > 0 ? tokens / seconds : null,
    costPer1kItems,
    qualityPerDollar: rankable && costPer1kItems !== null && costPer1kItems > 0 ? score / costPer1kItems : null,
    qualityPerBillionParameters: rankable && known(model.parameters) && model.parameters > 0 ? score / (model.parameters / 1e9) : null,
    domains,
  };
}
