import type { BoundMetric, MetricResult } from './metric.ts';
import { referencesOf, type SuiteItem } from './suite-schema.ts';
import type { ItemOutcome } from './summarize-model.ts';

export const majorityBaselineId = 'baseline:majority';

/**
 * The trivial baseline every comparison shows: answer every item with the suite's most common
 * reference (the majority class, the most frequent option letter, the most frequent number).
 * A specialist that cannot beat it has learned nothing. Metrics that need a model or a sandbox
 * are not scored for it.
 */
export async function majorityBaseline(items: readonly SuiteItem[], metrics: readonly BoundMetric[]): Promise<{ answer: string; outcomes: ItemOutcome[] }> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const first = referencesOf(item)[0];
    if (first !== undefined) counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  // Ties go to the reference seen first, so the baseline does not depend on Map internals.
  let answer = '';
  let top = 0;
  for (const [reference, count] of counts) {
    if (count > top) {
      answer = reference;
      top = count;
    }
  }
  const scorable = metrics.filter((metric) => metric.needs === undefined);
  const outcomes: ItemOutcome[] = [];
  for (const item of items) {
    const results: Record<string, MetricResult> = {};
    for (const metric of scorable) results[metric.label] = await metric.score(answer, item, {});
    outcomes.push({ itemId: item.id, ...(item.domain !== undefined ? { domain: item.domain } : {}), results, costUsd: 0 });
  }
  return { answer, outcomes };
}
