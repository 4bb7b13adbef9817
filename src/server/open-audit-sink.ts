import path from 'node:path';
import { LedgerAuditSink } from '../ledger/ledger-audit-sink.ts';
import type { ServerLedger } from '../ledger/server-ledger.ts';
import type { Logger } from '../logger.ts';
import type { AuditSink } from '../policy/audit-sink.ts';
import { auditFilePath, JsonlAuditSink } from '../policy/jsonl-audit-sink.ts';
import type { Portfolio } from '../portfolio/schema.ts';

/**
 * Where the server's audit log goes (docs/policy.md, "Audit log"):
 * - `policy.audit.file` set: that JSONL file, always (an explicit choice wins);
 * - else, with the ledger on: the ledger store's audit_records table (SQLite in the data dir, or
 *   Postgres when UNBUNDLE_DATABASE_URL is set), journaled in <dataDir>/audit-journal;
 * - else (`ledger.enabled: false`): audit.jsonl in $UNBUNDLE_DATA_DIR, else ledger.dataDir, else ./.unbundle.
 * `unbundle audit` follows the same rule.
 */
export function openAuditSink(
  portfolio: Portfolio,
  ledger: ServerLedger | undefined,
  options: { logger: Logger; env?: NodeJS.ProcessEnv; cwd?: string },
): AuditSink {
  const file = portfolio.policy?.audit.file;
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (file === undefined && ledger !== undefined) {
    return new LedgerAuditSink({
      store: ledger.store,
      ...(portfolio.ledger.journal ? { journalDir: auditJournalDir(ledger.location.dataDir) } : {}),
      batchSize: portfolio.ledger.batchSize,
      maxQueue: portfolio.ledger.maxQueue,
      onError: (error, context) => options.logger.warn({ err: error.message }, `audit: ${context}`),
    });
  }
  return new JsonlAuditSink(auditFilePath(file, portfolio.ledger.dataDir, env, cwd));
}

/** The audit log's own journal, beside the ledger's (`<dataDir>/journal`). */
export function auditJournalDir(dataDir: string): string {
  return path.join(dataDir, 'audit-journal');
}
