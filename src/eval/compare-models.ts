import { paretoFront } from './statistics.ts';
import type { ModelSummary } from './summarize-model.ts';

export interface ComparisonRow {
  summary: ModelSummary;
  role: 'model' | 'baseline';
  /** The best single model on the primary metric (ties: the cheaper, then the first). */
  best: boolean;
  /** On the Pareto front of primary score against cost per 1k items (models only). */
  onParetoFront: boolean;
  /** Primary score minus the best model's (0 for the best; sign follows "higher is better"). */
  deltaVsBest: number;
  /** Primary score minus the trivial baseline's, when a baseline is given. */
  deltaVsBaseline: number | null;
}

export interface DomainComparison {
  domain: string;
  /** The model with the best score in this domain: the specialist to route to. */
  best: string;
  scores: Record<string, number>;
}

export interface Comparison {
  primary: string;
  higherIsBetter: boolean;
  best: string;
  baseline: string | null;
  rows: ComparisonRow[];
  domains: DomainComparison[];
}

/**
 * Sets models side by side on one suite: the best single model, a trivial baseline beside every
 * model, the Pareto front of quality against cost, and the best model per domain.
 */
export function compareModels(models: readonly ModelSummary[], baseline?: ModelSummary): Comparison {
  if (models.length === 0) throw new RangeError('compareModels needs at least one model summary');
  const { primary, higherIsBetter } = models[0]!;
  const mismatch = models.find((model) => model.primary !== primary);
  if (mismatch) throw new RangeError(`every summary must rank by the same metric: "${mismatch.model.id}" uses "${mismatch.primary}", not "${primary}"`);
  const sign = higherIsBetter ? 1 : -1;
  const cost = (model: ModelSummary) => model.costPer1kItems ?? Number.POSITIVE_INFINITY;
  const ranked = [...models].sort((a, b) => sign * (b.estimate - a.estimate) || cost(a) - cost(b));
  const best = ranked.find((model) => Number.isFinite(model.estimate)) ?? ranked[0]!;
  const front = paretoFront(
    models.map((model) => ({ id: model.model.id, quality: model.estimate, cost: model.costPer1kItems ?? Number.NaN })),
    higherIsBetter,
  );
  const row = (summary: ModelSummary, role: ComparisonRow['role']): ComparisonRow => ({
    summary,
    role,
    best: role === 'model' && summary === best,
    onParetoFront: role === 'model' && front.has(summary.model.id),
    deltaVsBest: summary.estimate - best.estimate,
    deltaVsBaseline: baseline ? summary.estimate - baseline.estimate : null,
  });

  const domainNames = [...new Set(models.flatMap((model) => model.domains.map((domain) => domain.domain)))].sort();
  const domains = domainNames.map((domain) => {
    const scores: Record<string, number> = {};
    for (const model of models) {
      const found = model.domains.find((entry) => entry.domain === domain);
      if (found && Number.isFinite(found.estimate)) scores[model.model.id] = found.estimate;
    }
    const leader = Object.entries(scores).sort(([, a], [, b]) => sign * (b - a))[0];
    return { domain, best: leader?.[0] ?? '', scores };
  });

  return {
    primary,
    higherIsBetter,
    best: best.model.id,
    baseline: baseline?.model.id ?? null,
    rows: [...models.map((model) => row(model, 'model')), ...(baseline ? [row(baseline, 'baseline')] : [])],
    domains,
  };
}
