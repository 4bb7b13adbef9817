import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AuditFilter, AuditRecord } from '../policy/audit-sink.ts';
import { auditFilePath, readAuditFile } from '../policy/jsonl-audit-sink.ts';
import { readConfigDocument } from '../portfolio/load-portfolio.ts';
import { loadLedgerSettings } from './load-ledger-settings.ts';
import { openLedgerStore, resolveLedgerLocation } from './open-ledger-store.ts';

export interface AuditLogRead {
  records: AuditRecord[];
  /** Where they came from, for messages: file paths or "the SQLite ledger at ...", never a database URL. */
  sources: string[];
}

export interface AuditLogMissing {
  /** What was looked for, for the "no audit log" message. */
  missing: string;
}

/**
 * Reads the audit log where the server writes it (the rule of src/server/open-audit-sink.ts):
 * `file` (--file) or `policy.audit.file` → that JSONL file; `ledger.enabled: false` → audit.jsonl in
 * the data dir; else the ledger store (SQLite in UNBUNDLE_DATA_DIR / ledger.dataDir, Postgres when
 * UNBUNDLE_DATABASE_URL is set), plus an audit.jsonl left in the data dir from before the ledger
 * held the log, merged in time order.
 */
export async function readAuditLog(options: { file?: string; config?: string; env: NodeJS.ProcessEnv; cwd: string; filter: AuditFilter }): Promise<AuditLogRead | AuditLogMissing> {
  const { env, cwd, filter } = options;
  const jsonl = async (file: string): Promise<AuditLogRead | AuditLogMissing> => (existsSync(file) ? { records: await readAuditFile(file, filter), sources: [file] } : { missing: file });
  if (options.file !== undefined) return jsonl(path.resolve(cwd, options.file));

  const configPath = options.config ?? (env.UNBUNDLE_CONFIG || undefined);
  if (configPath !== undefined) {
    const absolute = path.resolve(cwd, configPath);
    const raw = readConfigDocument(absolute) as { policy?: { audit?: { file?: unknown } } } | undefined;
    const configured = raw?.policy?.audit?.file;
    if (typeof configured === 'string') return jsonl(path.resolve(path.dirname(absolute), configured));
  }
  const { ledger } = loadLedgerSettings(configPath, env, cwd);
  if (!ledger.enabled) return jsonl(auditFilePath(undefined, ledger.dataDir, env, cwd));

  const location = resolveLedgerLocation(ledger, env, cwd);
  const legacy = auditFilePath(undefined, ledger.dataDir, env, cwd);
  const records: AuditRecord[] = [];
  const sources: string[] = [];
  if (location.kind !== 'sqlite' || existsSync(location.file!)) {
    const store = await openLedgerStore(location, { mustExist: true });
    try {
      records.push(...(await store.queryAudit(filter)));
    } finally {
      await store.close();
    }
    sources.push(location.kind === 'sqlite' ? `the SQLite ledger at ${location.file}` : `the ${location.kind} ledger${location.urlEnv ? ` named by ${location.urlEnv}` : ''}`);
  }
  if (existsSync(legacy)) {
    records.push(...(await readAuditFile(legacy, filter)));
    sources.push(legacy);
  }
  if (sources.length === 0) return { missing: `${location.file} (or ${legacy})` };
  if (sources.length > 1) records.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  return { records, sources };
}
