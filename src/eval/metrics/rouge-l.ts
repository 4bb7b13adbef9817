import { z } from 'zod';
import { defineMetric } from '../metric.ts';
import { tokenize } from '../normalize.ts';
import { referencesOf } from '../suite-schema.ts';
import { requireReference } from './exact-match.ts';

/** Length of the longest common subsequence, in two rolling rows (memory O(min(n, m))). */
export function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  let previous = new Uint32Array(short.length + 1);
  let current = new Uint32Array(short.length + 1);
  for (let i = 1; i <= long.length; i++) {
    for (let j = 1; j <= short.length; j++) {
      current[j] = long[i - 1] === short[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    }
    [previous, current] = [current, previous];
  }
  return previous[short.length]!;
}

/**
 * ROUGE-L F-measure (β = 1, as in Google's rouge-score): LCS-based precision and recall. Two empty
 * texts agree (1); one empty text scores 0.
 */
export function rougeL(predictionTokens: readonly string[], referenceTokens: readonly string[]): number {
  if (predictionTokens.length === 0 || referenceTokens.length === 0) {
    return predictionTokens.length === referenceTokens.length ? 1 : 0;
  }
  const lcs = longestCommonSubsequence(predictionTokens, referenceTokens);
  if (lcs === 0) return 0;
  const precision = lcs / predictionTokens.length;
  const recall = lcs / referenceTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

export const rougeLMetric = defineMetric({
  summary: 'ROUGE-L F1 (longest common subsequence of words) against the best-matching reference',
  higherIsBetter: true,
  options: z.strictObject({}),
  checkItem: requireReference,
  bind: () => (prediction, item) => {
    const predicted = tokenize(prediction);
    return { score: Math.max(...referencesOf(item).map((reference) => rougeL(predicted, tokenize(reference)))) };
  },
});
