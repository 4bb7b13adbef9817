import { z } from 'zod';
import { defineMetric } from '../metric.ts';
import { tokenize } from '../normalize.ts';
import { referencesOf } from '../suite-schema.ts';
import { requireReference } from './exact-match.ts';

/**
 * SQuAD-style token F1: overlap of the two bags of words. Two empty answers agree (1); one empty
 * answer against a non-empty one scores 0.
 */
export function tokenF1(predictionTokens: readonly string[], referenceTokens: readonly string[]): number {
  if (predictionTokens.length === 0 || referenceTokens.length === 0) {
    return predictionTokens.length === referenceTokens.length ? 1 : 0;
  }
  const counts = new Map<string, number>();
  for (const token of referenceTokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predictionTokens) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      common++;
      counts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predictionTokens.length;
  const recall = common / referenceTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

export const tokenF1Metric = defineMetric({
  summary: 'token-level F1 between the answer and the best-matching reference (SQuAD normalisation)',
  higherIsBetter: true,
  options: z.strictObject({ dropArticles: z.boolean().default(true) }),
  checkItem: requireReference,
  bind: (options) => (prediction, item) => {
    const predicted = tokenize(prediction, options);
    const score = Math.max(...referencesOf(item).map((reference) => tokenF1(predicted, tokenize(reference, options))));
    return { score };
  },
});
