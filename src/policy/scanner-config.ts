import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, closest, describeIssue, formatPath } from '../portfolio/config-error.ts';
import { entityTypes } from './detection.ts';
import { scannerConfigSchema, type ScannerConfig } from './scanner-config-schema.ts';
import type { ScannerOptions } from './create-scanner.ts';

export { scannerConfigSchema, type ScannerConfig } from './scanner-config-schema.ts';

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

/**
 * Validates a parsed YAML/JSON document's `policy.detectors` section. A `policy:` without
 * `detectors:` means the default detectors (as the server reads it); a file with no `policy:` at all
 * is most likely the wrong file, and says so.
 */
export function parseScannerConfig(document: unknown, source: string): ScannerConfig {
  const policy = (document as { policy?: { detectors?: unknown } } | null)?.policy;
  const section = policy?.detectors ?? (policy !== undefined && policy !== null ? {} : undefined);
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
