import { z } from 'zod';
import { defineMetric, type MetricResult } from '../metric.ts';
import { normalizeText } from '../normalize.ts';
import { referencesOf } from '../suite-schema.ts';

/** Labels compare with case, punctuation, "_" and "-" ignored: "card_arrival" = "Card arrival". */
export const labelKey = (label: string): string => normalizeText(label.replace(/[_-]+/g, ' '));

const keyCache = new WeakMap<readonly string[], Set<string>>();
const labelKeys = (labels: readonly string[]): Set<string> => {
  let keys = keyCache.get(labels);
  if (!keys) keyCache.set(labels, (keys = new Set(labels.map(labelKey))));
  return keys;
};

/**
 * The label a reply names: the reply itself when it is a known label (or no label list is given),
 * else the one known label it mentions as whole words (the longest, when one contains another).
 */
export function extractLabel(prediction: string, labels?: readonly string[]): string {
  const answer = labelKey(prediction);
  if (!labels || labels.length === 0) return answer;
  const known = labelKeys(labels);
  if (known.has(answer)) return answer;
  const keys = [...known];
  const mentioned = keys.filter((key) => key !== '' && ` ${answer} `.includes(` ${key} `));
  if (mentioned.length === 0) return answer;
  const longest = mentioned.reduce((a, b) => (b.length > a.length ? b : a));
  // Another mention that the longest does not contain is a second, different answer.
  return mentioned.every((key) => longest.includes(key)) ? longest : answer;
}

export interface LabelPair {
  gold: string;
  predicted: string;
}

/**
 * Macro-averaged F1 over the classes: the given label list, else every gold label seen. A predicted
 * label outside those classes costs recall of the gold class but is not averaged as a class of its
 * own. A class never predicted has precision 0 (scikit-learn's zero_division=0).
 */
export function macroF1(pairs: readonly LabelPair[], labels?: readonly string[]): number {
  const classes = new Set(labels && labels.length > 0 ? labels : pairs.map((pair) => pair.gold));
  if (classes.size === 0) return Number.NaN;
  // One pass of counts, not one per class: bootstrap intervals call this thousands of times.
  const predicted = new Map<string, number>();
  const gold = new Map<string, number>();
  const correct = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const pair of pairs) {
    bump(predicted, pair.predicted);
    bump(gold, pair.gold);
    if (pair.gold === pair.predicted) bump(correct, pair.gold);
  }
  let total = 0;
  for (const label of classes) {
    const truePositive = correct.get(label) ?? 0;
    const precision = truePositive === 0 ? 0 : truePositive / predicted.get(label)!;
    const recall = truePositive === 0 ? 0 : truePositive / gold.get(label)!;
    total += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  return total / classes.size;
}

export const classificationMetric = defineMetric({
  summary: 'classification: accuracy per item (label extracted from the reply), macro-F1 over the suite',
  higherIsBetter: true,
  options: z.strictObject({
    /** The label set; replies are matched against it and macro-F1 averages over it. */
    labels: z.array(z.string().min(1)).min(2).optional(),
  }),
  checkItem: (item, options) => {
    const gold = referencesOf(item);
    if (gold.length !== 1) return { field: 'reference', message: 'required: exactly one gold label' };
    if (options.labels && !labelKeys(options.labels).has(labelKey(gold[0]!))) {
      return { field: 'reference', message: `"${gold[0]}" is not one of the metric's labels` };
    }
    return undefined;
  },
  bind: (options) => (prediction, item) => {
    const gold = labelKey(referencesOf(item)[0]!);
    const predicted = extractLabel(prediction, options.labels);
    return { score: predicted === gold ? 1 : 0, detail: { gold, predicted } };
  },
  corpus: (results: readonly MetricResult[], options) => {
    const pairs = results.map((result) => result.detail as unknown as LabelPair);
    return { macroF1: macroF1(pairs, options.labels?.map(labelKey)) };
  },
});
