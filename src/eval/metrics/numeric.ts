import { z } from 'zod';
import { defineMetric } from '../metric.ts';
import { referencesOf } from '../suite-schema.ts';

/**
 * One number as people write it: an optional sign (ASCII or U+2212), an optional currency sign,
 * thousands separated by commas, a decimal part, an optional fraction ("3/4"). The look-behind
 * keeps the "-" of "5-3" or "x-1" from being read as a minus sign, and "1.2.3" from yielding ".3".
 */
const numberPattern = /(?<![\p{L}\p{N}.])([-−])?[$€£¥]?\s?(\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:\s?\/\s?(\d+)(?![\d.]))?/gu;

function toNumber(match: RegExpMatchArray): number | undefined {
  const sign = match[1] ? -1 : 1;
  const value = Number(match[2]!.replace(/,/g, ''));
  if (match[3] !== undefined) {
    const denominator = Number(match[3]);
    return denominator === 0 ? undefined : (sign * value) / denominator;
  }
  return Number.isFinite(value) ? sign * value : undefined;
}

function numbersIn(text: string): number[] {
  const values: number[] = [];
  for (const match of text.matchAll(numberPattern)) {
    const value = toNumber(match);
    if (value !== undefined) values.push(value);
  }
  return values;
}

/**
 * The final numeric answer in a free-text reply, or undefined. Prefers explicit markers — GSM8K's
 * "#### 42", LaTeX \boxed{42}, "the answer is 42" — and falls back to the last number in the text,
 * which is where worked solutions put their result.
 */
export function extractNumber(text: string): number | undefined {
  const plain = text.normalize('NFKC');
  const markers = [/####\s*([^\n]*)/g, /\\boxed\{([^}]*)\}/g, /\banswer\s*(?:is|was|would be|will be|[:=])\s*:?([^\n]*)/gi];
  for (const marker of markers) {
    const hits = [...plain.matchAll(marker)];
    for (const hit of hits.reverse()) {
      const first = numbersIn(hit[1]!)[0];
      if (first !== undefined) return first;
    }
  }
  return numbersIn(plain).at(-1);
}

export interface Tolerance {
  /** Largest allowed |prediction - reference| (default 1e-6). */
  absolute?: number;
  /** Largest allowed |prediction - reference| / |reference| (default 0). */
  relative?: number;
}

export function numbersMatch(predicted: number, expected: number, tolerance: Tolerance = {}): boolean {
  const difference = Math.abs(predicted - expected);
  return difference <= (tolerance.absolute ?? 1e-6) || difference <= (tolerance.relative ?? 0) * Math.abs(expected);
}

export const numericMetric = defineMetric({
  summary: 'extracts the final number of the answer (commas, currency, units, fractions handled) and compares it within a tolerance',
  higherIsBetter: true,
  options: z.strictObject({
    absoluteTolerance: z.number().min(0).default(1e-6),
    relativeTolerance: z.number().min(0).default(0),
  }),
  checkItem: (item) => {
    const references = referencesOf(item);
    if (references.length === 0) return { field: 'reference', message: 'required: the expected number' };
    const bad = references.find((reference) => extractNumber(reference) === undefined);
    return bad === undefined ? undefined : { field: 'reference', message: `"${bad.slice(0, 40)}" holds no number` };
  },
  bind: (options) => (prediction, item) => {
    const extracted = extractNumber(prediction);
    const expected = referencesOf(item).map((reference) => extractNumber(reference)!);
    const tolerance = { absolute: options.absoluteTolerance, relative: options.relativeTolerance };
    const correct = extracted !== undefined && expected.some((value) => numbersMatch(extracted, value, tolerance));
    return { score: correct ? 1 : 0, detail: { extracted: extracted ?? null, expected: expected.length === 1 ? expected[0] : expected } };
  },
});
