import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, describeIssue } from '../portfolio/config-error.ts';
import { portfolioSchema } from '../portfolio/schema.ts';
import type { CostedModel } from './cost-book.ts';
import { ledgerSchema, type LedgerConfig } from './cost-schema.ts';

export interface LedgerSettings {
  ledger: LedgerConfig;
  models: CostedModel[];
  /** The config file, or "defaults". */
  source: string;
}

/**
 * The ledger section and model costs for the `cost` commands. Unlike `serve`, it does not need the
 * model files to exist, so a report can run on a machine that has only the config and the ledger.
 */
export function loadLedgerSettings(configPath: string | undefined, env: NodeJS.ProcessEnv, cwd: string): LedgerSettings {
  const file = configPath ?? env.UNBUNDLE_CONFIG;
  if (file === undefined || file === '') return { ledger: ledgerSchema.parse(undefined), models: [], source: 'defaults' };
  const absolute = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(absolute, [`cannot read the config file: ${reason} — pass an existing file with --config or UNBUNDLE_CONFIG`], error);
  }
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(absolute, document.errors.map((e) => `YAML syntax error at line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`));
  }
  const raw = document.toJS() as unknown;
  const result = portfolioSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(absolute, result.error.issues.map((issue) => describeIssue(issue, raw)));
  return { ledger: result.data.ledger, models: result.data.models, source: absolute };
}
