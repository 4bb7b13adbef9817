import path from 'node:path';
import { ConfigError, describeIssue } from '../portfolio/config-error.ts';
import { readConfigDocument } from '../portfolio/load-portfolio.ts';
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
  const raw = readConfigDocument(absolute);
  const result = portfolioSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(absolute, result.error.issues.map((issue) => describeIssue(issue, raw)));
  return { ledger: result.data.ledger, models: result.data.models, source: absolute };
}
