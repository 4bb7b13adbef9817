import { uuidV7 } from '../util/uuid-v7.ts';
import type { AuditFilter, AuditRecord, AuditSink } from '../policy/audit-sink.ts';
import { auditRowSchema, type AuditRow } from './audit-row.ts';
import { readJournalFile } from './ledger-journal.ts';
import type { LedgerStore } from './ledger-store.ts';
import { LedgerWriter } from './ledger-writer.ts';

export interface LedgerAuditSinkOptions {
  store: LedgerStore;
  /** Folder for the audit journal (its own, beside the ledger's); without it a crash loses uncommitted records. */
  journalDir?: string;
  batchSize?: number;
  flushIntervalMs?: number;
  maxQueue?: number;
  /** Longest `query` waits for pending records to commit first (default 2 s). */
  queryFlushMs?: number;
  onError?: (error: Error, context: string) => void;
}

/**
 * The audit log in the ledger store (table audit_records). Records travel the way ledger rows do:
 * `append` journals and queues (it never waits for the store and never throws), batches commit
 * off the request path, and records survive a store outage or kill -9 in the journal, replayed
 * idempotently (each record carries a generated id) by the next writer on the same folder.
 */
export class LedgerAuditSink implements AuditSink {
  readonly writer: LedgerWriter<AuditRow>;
  private readonly store: LedgerStore;
  private readonly queryFlushMs: number;

  constructor(options: LedgerAuditSinkOptions) {
    this.store = options.store;
    this.queryFlushMs = options.queryFlushMs ?? 2_000;
    const store = options.store;
    this.writer = new LedgerWriter<AuditRow>({
      store: { insertBatch: (rows) => store.insertAudit(rows) },
      readJournal: (file) => readJournalFile(file, auditRowSchema),
      ...(options.journalDir !== undefined ? { journalDir: options.journalDir } : {}),
      batchSize: options.batchSize ?? 500,
      flushIntervalMs: options.flushIntervalMs ?? 100,
      maxQueue: options.maxQueue ?? 10_000,
      onError: options.onError ?? ((error, context) => process.stderr.write(`unbundle audit: ${context}: ${error.message}\n`)),
    });
  }

  append(record: AuditRecord): void {
    // Records of one event-loop turn share one journal write; the promise never rejects.
    void this.writer.recordDurable({ id: uuidV7(), ...record });
  }

  /** Commits what is pending (briefly; a down store does not hold the query), then reads the store. */
  async query(filter: AuditFilter): Promise<AuditRecord[]> {
    await this.writer.flush(this.queryFlushMs);
    return this.store.queryAudit(filter);
  }

  /** Commits what it can; the rest stays in the journal for the next start. The store is its owner's to close. */
  async close(timeoutMs = 5_000): Promise<void> {
    // While the store is down there is nothing to wait for: the records are in the journal.
    await this.writer.close(this.writer.stats().storeHealthy ? timeoutMs : 0);
  }

  /** Resolves true once everything appended so far is in the store. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    return this.writer.flush(timeoutMs);
  }
}
