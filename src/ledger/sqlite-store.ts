import Database from 'better-sqlite3';
import type { AuditFilter, AuditRecord } from '../policy/audit-sink.ts';
import { auditColumns, auditQuerySql, auditRecordFrom, auditValues, type AuditRow } from './audit-row.ts';
import type { LedgerRow } from './ledger-row.ts';
import { ledgerColumns, rowFromRecord } from './ledger-row.ts';
import { ledgerMigrations } from './ledger-migrations.ts';
import { aggregateFromRecord, aggregateSql, columnNames, sortAggregates, whereClause } from './ledger-sql.ts';
import { SqliteInsertThread } from './sqlite-insert-thread.ts';
import { queryLimit, type AggregateRow, type GroupBy, type LedgerFilter, type LedgerQuery, type LedgerStore } from './ledger-store.ts';

export interface SqliteLedgerStoreOptions {
  /** File path, or ":memory:". */
  path: string;
  /**
   * WAL with synchronous=NORMAL: a committed batch is in the OS's hands, so it survives the
   * process being killed (kill -9, OOM) but not a power cut; FULL adds an fsync per commit.
   */
  synchronous?: 'normal' | 'full';
  /** Fail instead of creating a new, empty ledger (reports). */
  mustExist?: boolean;
  /**
   * Commit inserts on a worker thread (its own connection) so that they never block the event
   * loop: the server's choice. Reads stay on this thread. Not for ":memory:".
   */
  insertThread?: boolean;
}

/** The embedded default: one file, WAL so reports read while the server writes. */
export class SqliteLedgerStore implements LedgerStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private insertMany: ((rows: readonly LedgerRow[]) => number) | undefined;
  private thread: SqliteInsertThread | undefined;
  private insertAuditMany: ((rows: readonly AuditRow[]) => number) | undefined;
  private readonly options: SqliteLedgerStoreOptions;

  constructor(options: SqliteLedgerStoreOptions) {
    this.options = options;
    this.db = new Database(options.path, { fileMustExist: options.mustExist ?? false });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // A report and the server (or two CLI runs) may briefly want the write lock at once.
    this.db.pragma('busy_timeout = 5000');
  }

  async migrate(): Promise<void> {
    const run = this.db.transaction(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS ledger_schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      const current = this.currentVersion();
      for (const migration of ledgerMigrations) {
        if (migration.version <= current) continue;
        this.db.exec(migration.sqlite);
        this.db.prepare('INSERT INTO ledger_schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.description, Date.now());
      }
    });
    // IMMEDIATE takes the write lock first, so two processes migrating at once queue up.
    run.immediate();
    this.prepareInsert();
    if (this.options.insertThread && !this.thread) {
      this.thread = new SqliteInsertThread({
        file: this.options.path,
        synchronous: this.options.synchronous ?? 'normal',
        tables: { ledger_rows: columnNames, audit_records: auditColumns },
        rowsPerStatement,
      });
    }
  }

  async schemaVersion(): Promise<number> {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_schema_version'").get();
    return exists ? this.currentVersion() : 0;
  }

  private currentVersion(): number {
    const row = this.db.prepare('SELECT MAX(version) AS version FROM ledger_schema_version').get() as { version: number | null };
    return row.version ?? 0;
  }

  private prepareInsert(): void {
    const tuple = `(${columnNames.map(() => '?').join(', ')})`;
    const insert = (rows: number) => this.db.prepare(`INSERT OR IGNORE INTO ledger_rows (${columnNames.join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')}`);
    const single = insert(1);
    // Several rows per statement: binding and stepping once per chunk instead of once per row
    // roughly doubles the rows per second of a batch.
    const chunk = insert(rowsPerStatement);
    this.insertMany = this.db.transaction((rows: readonly LedgerRow[]) => {
      let inserted = 0;
      let start = 0;
      for (; start + rowsPerStatement <= rows.length; start += rowsPerStatement) {
        const values: unknown[] = [];
        for (let i = start; i < start + rowsPerStatement; i++) pushValues(values, rows[i]!);
        inserted += chunk.run(values).changes;
      }
      for (; start < rows.length; start++) inserted += single.run(pushValues([], rows[start]!)).changes;
      return inserted;
    });
  }

  async insertBatch(rows: readonly LedgerRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    if (this.thread) {
      const values: unknown[] = [];
      for (const row of rows) pushValues(values, row);
      return this.thread.insert(values, rows.length);
    }
    if (!this.insertMany) this.prepareInsert();
    return this.insertMany!(rows);
  }

  async query(query: LedgerQuery): Promise<LedgerRow[]> {
    const where = whereClause(query, 'sqlite');
    const records = this.db
      .prepare(`SELECT ${columnNames.join(', ')} FROM ledger_rows ${where.sql} ORDER BY time DESC, id DESC LIMIT ${queryLimit(query)}`)
      .all(...where.params) as Array<Record<string, unknown>>;
    return records.map(rowFromRecord);
  }

  async aggregate(by: GroupBy, filter: LedgerFilter): Promise<AggregateRow[]> {
    const { sql, params } = aggregateSql('ledger_rows', by, filter, 'sqlite');
    const records = this.db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
    return sortAggregates(records.map(aggregateFromRecord));
  }

  async insertAudit(rows: readonly AuditRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    if (this.thread) return this.thread.insert(rows.flatMap(auditValues), rows.length, 'audit_records');
    this.insertAuditMany ??= this.db.transaction((batch: readonly AuditRow[]) => {
      const insert = this.db.prepare(`INSERT OR IGNORE INTO audit_records (${auditColumns.join(', ')}) VALUES (${auditColumns.map(() => '?').join(', ')})`);
      let inserted = 0;
      for (const row of batch) inserted += insert.run(auditValues(row)).changes;
      return inserted;
    });
    return this.insertAuditMany(rows);
  }

  async queryAudit(filter: AuditFilter): Promise<AuditRecord[]> {
    const { sql, params } = auditQuerySql('audit_records', filter, 'sqlite');
    return (this.db.prepare(sql).all(...params) as Array<Record<string, unknown>>).map(auditRecordFrom);
  }

  async close(): Promise<void> {
    await this.thread?.close();
    this.insertAuditMany = undefined;
    this.thread = undefined;
    this.insertMany = undefined;
    if (this.db.open) this.db.close();
  }
}

const rowsPerStatement = 32;

function pushValues(values: unknown[], row: LedgerRow): unknown[] {
  for (const [field] of ledgerColumns) {
    const value = row[field];
    values.push(value === undefined ? null : typeof value === 'boolean' ? (value ? 1 : 0) : value);
  }
  return values;
}
