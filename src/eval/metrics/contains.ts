import { z } from 'zod';
import { defineMetric } from '../metric.ts';
import { normalizeText, type NormalizeOptions } from '../normalize.ts';
import { referencesOf } from '../suite-schema.ts';
import { requireReference } from './exact-match.ts';

export interface ContainsOptions extends NormalizeOptions {
  /** Match whole words only (default), so reference "4" is not found in "42". */
  wholeWords?: boolean;
}

/** 1 when any normalised reference occurs in the normalised prediction. */
export function contains(prediction: string, references: readonly string[], options: ContainsOptions = {}): number {
  const wholeWords = options.wholeWords ?? true;
  const answer = normalizeText(prediction, options);
  const found = references.some((reference) => {
    const wanted = normalizeText(reference, options);
    if (wanted === '') return false;
    return wholeWords ? ` ${answer} `.includes(` ${wanted} `) : answer.includes(wanted);
  });
  return found ? 1 : 0;
}

export const containsMetric = defineMetric({
  summary: 'a normalised reference occurs in the prediction (whole words by default)',
  higherIsBetter: true,
  options: z.strictObject({
    caseSensitive: z.boolean().default(false),
    keepPunctuation: z.boolean().default(false),
    dropArticles: z.boolean().default(false),
    wholeWords: z.boolean().default(true),
  }),
  checkItem: requireReference,
  bind: (options) => (prediction, item) => ({ score: contains(prediction, referencesOf(item), options) }),
});
