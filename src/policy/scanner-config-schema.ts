import { z } from 'zod';
import { entityTypes } from './detection.ts';
import { compileCustomPattern, customValidators, labelPattern } from './detectors/custom-detector.ts';

/**
 * The detector settings as they appear in YAML under `policy.detectors`. One zod schema whose
 * output is the config type; every object is strict, so a misspelt key is an error naming its
 * path. Kept apart from the loading code (scanner-config.ts) so the portfolio schema can import it
 * without an import cycle.
 */

const customDetectorSchema = z
  .strictObject({
    label: z.string().regex(labelPattern, { message: 'must be UPPER_SNAKE_CASE, e.g. EMPLOYEE_ID' }),
    pattern: z.string().min(1, { message: 'must be a non-empty regular expression' }),
    flags: z.string().optional(),
    validator: z.enum(customValidators).optional(),
    group: z.number().int().min(0).optional(),
  })
  .superRefine((spec, ctx) => {
    const compiled = compileCustomPattern(spec);
    if (typeof compiled === 'string') ctx.addIssue({ code: 'custom', path: ['pattern'], message: compiled });
  });

const allowRuleSchema = z.union([
  z.string().min(1),
  z.strictObject({ value: z.string().min(1), type: z.string().optional() }),
  z
    .strictObject({ pattern: z.string().min(1), flags: z.string().optional(), type: z.string().optional() })
    .superRefine((rule, ctx) => {
      try {
        new RegExp(rule.pattern, (rule.flags ?? '').replace(/[gy]/g, ''));
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${(error as Error).message}` });
      }
    }),
]);

export const scannerConfigSchema = z.strictObject({
  /** Built-in types to look for; default all. */
  types: z.array(z.enum(entityTypes)).optional(),
  custom: z.array(customDetectorSchema).default([]),
  allow: z.array(allowRuleSchema).default([]),
  /** Names for PERSON: inline, and/or a file with one name per line (relative to the config file). */
  personNames: z
    .strictObject({ names: z.array(z.string().min(1)).default([]), file: z.string().min(1).optional() })
    .optional(),
  highEntropy: z
    .union([z.literal(false), z.strictObject({ minLength: z.number().int().min(8).optional(), minBitsPerChar: z.number().min(1).max(8).optional() })])
    .optional(),
  boundaryWindow: z.number().int().min(16).max(65_536).optional(),
});

export type ScannerConfig = z.infer<typeof scannerConfigSchema>;
