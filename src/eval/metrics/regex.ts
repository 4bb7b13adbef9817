import { z } from 'zod';
import { defineMetric } from '../metric.ts';
import { referencesOf } from '../suite-schema.ts';

const flagsSchema = z.string().regex(/^[imsuv]*$/, { message: 'use only the flags i, m, s, u, v' });

function compile(pattern: string, flags: string): RegExp | string {
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    return (error as Error).message;
  }
}

/** 1 when the prediction matches the pattern. */
export function regexMatch(prediction: string, pattern: RegExp): number {
  return pattern.test(prediction.normalize('NFKC')) ? 1 : 0;
}

export const regexMetric = defineMetric({
  summary: 'the prediction matches a regular expression (the `pattern` option, else each item\'s reference)',
  higherIsBetter: true,
  options: z
    .strictObject({ pattern: z.string().min(1).optional(), flags: flagsSchema.default('') })
    .superRefine((options, ctx) => {
      if (options.pattern === undefined) return;
      const compiled = compile(options.pattern, options.flags);
      if (typeof compiled === 'string') ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${compiled}` });
    }),
  checkItem: (item, options) => {
    if (options.pattern !== undefined) return undefined;
    const references = referencesOf(item);
    if (references.length === 0) return { field: 'reference', message: 'required: the regex metric has no `pattern` option, so each item\'s reference is its pattern' };
    for (const reference of references) {
      const compiled = compile(reference, options.flags);
      if (typeof compiled === 'string') return { field: 'reference', message: `not a valid regular expression: ${compiled}` };
    }
    return undefined;
  },
  bind: (options) => {
    const fixed = options.pattern === undefined ? undefined : (compile(options.pattern, options.flags) as RegExp);
    return (prediction, item) => {
      const patterns = fixed ? [fixed] : referencesOf(item).map((reference) => compile(reference, options.flags) as RegExp);
      return { score: patterns.some((pattern) => regexMatch(prediction, pattern) === 1) ? 1 : 0 };
    };
  },
});
