import type { AggregateRow, GroupBy, LedgerFilter, LedgerQuery, LedgerStore } from './ledger-store.ts';
import type { AuditFilter, AuditRecord } from '../policy/audit-sink.ts';
import type { AuditRow } from './audit-row.ts';
import type { LedgerRow } from './ledger-row.ts';

/**
 * A store that may be down when the server starts (Postgres restarting, the network not up yet):
 * the server serves anyway, the writer spools rows to its journal, and every operation first
 * (re)tries the migration until it has succeeded once — so the rows land when the store is back.
 */
export class LazyMigratingStore implements LedgerStore {
  readonly kind: LedgerStore['kind'];
  private migrated = false;

  constructor(private readonly inner: LedgerStore) {
    this.kind = inner.kind;
  }

  get ready(): boolean {
    return this.migrated;
  }

  async migrate(): Promise<void> {
    if (this.migrated) return;
    await this.inner.migrate();
    this.migrated = true;
  }

  schemaVersion(): Promise<number> {
    return this.inner.schemaVersion();
  }

  async insertBatch(rows: readonly LedgerRow[]): Promise<number> {
    await this.migrate();
    return this.inner.insertBatch(rows);
  }

  async query(query: LedgerQuery): Promise<LedgerRow[]> {
    await this.migrate();
    return this.inner.query(query);
  }

  async aggregate(by: GroupBy, filter: LedgerFilter): Promise<AggregateRow[]> {
    await this.migrate();
    return this.inner.aggregate(by, filter);
  }

  async insertAudit(rows: readonly AuditRow[]): Promise<number> {
    await this.migrate();
    return this.inner.insertAudit(rows);
  }

  async queryAudit(filter: AuditFilter): Promise<AuditRecord[]> {
    await this.migrate();
    return this.inner.queryAudit(filter);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
