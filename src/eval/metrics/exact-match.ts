import { z } from 'zod';
import { defineMetric } from '../metric.ts';
import { normalizeText, type NormalizeOptions } from '../normalize.ts';
import { referencesOf } from '../suite-schema.ts';

export const normalizeOptionsSchema = z.strictObject({
  caseSensitive: z.boolean().default(false),
  keepPunctuation: z.boolean().default(false),
  dropArticles: z.boolean().default(false),
});

export const requireReference = (item: { reference?: unknown }) =>
  item.reference === undefined ? { field: 'reference', message: 'required by this metric: add the expected answer' } : undefined;

/** 1 when the normalised prediction equals any normalised reference. */
export function exactMatch(prediction: string, references: readonly string[], options: NormalizeOptions = {}): number {
  const answer = normalizeText(prediction, options);
  return references.some((reference) => normalizeText(reference, options) === answer) ? 1 : 0;
}

export const exactMatchMetric = defineMetric({
  summary: 'normalised prediction equals a reference (case, punctuation, spacing and Unicode forms ignored)',
  higherIsBetter: true,
  options: normalizeOptionsSchema,
  checkItem: requireReference,
  bind: (options) => (prediction, item) => ({ score: exactMatch(prediction, referencesOf(item), options) }),
});
