import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, closest, describeIssue, formatPath } from '../portfolio/config-error.ts';
import { entityTypes } from './detection.ts';
import { compileCustomPattern, customValidators, labelPattern } from './detectors/custom-detector.ts';
import type { ScannerOptions } from './create-scanner.ts';

/**
 * The detector settings as they appear in YAML under `policy.detectors` (the key the portfolio
 * file will carry). One zod schema whose output is the config type; every object is strict, so a
 * misspelt key is an error naming its path.
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

const knownKeys = Object.keys(scannerConfigSchema.shape);

function problems(error: z.ZodError, raw: unknown): string[] {
  return error.issues.map((issue) => {
    const full = { ...issue, path: ['policy', 'detectors', ...issue.path] } as z.core.$ZodIssue;
    if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
      return issue.keys
        .map((key) => {
          const guess = closest(key, knownKeys);
          return `${formatPath(['policy', 'detectors', key])}: unknown key "${key}" — ${guess ? `did you mean "${guess}"?` : `known keys here: ${knownKeys.join(', ')}`}`;
        })
        .join('\n');
    }
    if (issue.code === 'invalid_value' && issue.path[0] === 'types') {
      const value = (raw as { policy?: { detectors?: { types?: unknown[] } } }).policy?.detectors?.types?.[issue.path[1] as number];
      return `${formatPath(full.path)}: "${String(value)}" is not a detector type — use one of ${entityTypes.join(', ')}`;
    }
    return describeIssue(full, raw);
  });
}

/** Validates a parsed YAML/JSON document's `policy.detectors` section. */
export function parseScannerConfig(document: unknown, source: string): ScannerConfig {
  const section = (document as { policy?: { detectors?: unknown } } | null)?.policy?.detectors;
  if (section === undefined) {
    throw new ConfigError(source, ['policy.detectors: missing — put the detector settings under "policy:" then "detectors:" (see docs/policy.md)']);
  }
  const parsed = scannerConfigSchema.safeParse(section ?? {});
  if (!parsed.success) throw new ConfigError(source, problems(parsed.error, document), parsed.error);
  return parsed.data;
}

/** Turns validated config into scanner options, reading the person-name file (relative to the
 * config file) if one is named. */
export function scannerOptionsFromConfig(config: ScannerConfig, configFile: string): ScannerOptions {
  const options: ScannerOptions = { custom: config.custom, allow: config.allow };
  if (config.types !== undefined) options.types = config.types;
  if (config.highEntropy !== undefined) options.highEntropy = config.highEntropy;
  if (config.boundaryWindow !== undefined) options.boundaryWindow = config.boundaryWindow;
  if (config.personNames !== undefined) {
    const names = [...config.personNames.names];
    if (config.personNames.file !== undefined) {
      const file = path.resolve(path.dirname(path.resolve(configFile)), config.personNames.file);
      if (!existsSync(file)) throw new ConfigError(configFile, [`policy.detectors.personNames.file: ${file} does not exist — give a text file with one name per line`]);
      names.push(...readFileSync(file, 'utf8').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#')));
    }
    options.personNames = names;
  }
  return options;
}

/** Reads a YAML (or JSON) file and returns scanner options from its `policy.detectors` section. */
export function loadScannerOptions(file: string): ScannerOptions {
  if (!existsSync(file)) throw new ConfigError(file, [`the file does not exist — check the path given to --config`]);
  const document = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(file, document.errors.map((error) => `not valid YAML: ${error.message}`));
  }
  return scannerOptionsFromConfig(parseScannerConfig(document.toJS(), file), file);
}
