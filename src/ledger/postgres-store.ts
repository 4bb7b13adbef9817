import pg from 'pg';
import type { AuditFilter, AuditRecord } from '../policy/audit-sink.ts';
import { auditColumns, auditQuerySql, auditRecordFrom, auditValues, type AuditRow } from './audit-row.ts';
import type { LedgerRow } from './ledger-row.ts';
import { ledgerColumns, rowFromRecord } from './ledger-row.ts';
import { ledgerMigrations } from './ledger-migrations.ts';
import { aggregateFromRecord, aggregateSql, columnNames, sortAggregates, whereClause } from './ledger-sql.ts';
import { queryLimit, type AggregateRow, type GroupBy, type LedgerFilter, type LedgerQuery, type LedgerStore } from './ledger-store.ts';

export interface PostgresLedgerStoreOptions {
  /** postgres://user:password@host:5432/database */
  url: string;
  /** Schema holding the ledger tables (created when missing). */
  schema?: string;
  poolSize?: number;
  connectTimeoutMs?: number;
  /** Connection errors on idle pooled clients (a database restart): logged, never a crash. */
  onError?: (error: Error) => void;
}

/** Postgres array type of each column, for the one-statement unnest() batch insert. */
const columnTypes: Record<string, string> = {
  time: 'int8',
  attempts: 'int4',
  stream: 'bool',
  input_tokens: 'int8',
  output_tokens: 'int8',
  cached_input_tokens: 'int8',
  reasoning_tokens: 'int8',
  latency_ms: 'float8',
  ttft_ms: 'float8',
  compute_ms: 'float8',
  http_status: 'int4',
  cost: 'float8',
};

/** For many gateway replicas sharing one ledger. */
export class PostgresLedgerStore implements LedgerStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly table: string;

  constructor(options: PostgresLedgerStoreOptions) {
    const schema = options.schema ?? 'public';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid Postgres schema name "${schema}": use lower-case letters, digits and _`);
    this.schema = `"${schema}"`;
    this.table = `${this.schema}.ledger_rows`;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    });
    this.pool.on('error', (error) => options.onError?.(error));
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Replicas starting together: one migrates, the others wait here and then find nothing to do.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`unbundle-ledger-${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.schema}.ledger_schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const current = await this.versionWith(client);
      for (const migration of ledgerMigrations) {
        if (migration.version <= current) continue;
        await client.query(migration.postgres(this.schema));
        await client.query(`INSERT INTO ${this.schema}.ledger_schema_version (version, description) VALUES ($1, $2)`, [migration.version, migration.description]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async schemaVersion(): Promise<number> {
    const exists = await this.pool.query('SELECT to_regclass($1) AS name', [`${this.schema}.ledger_schema_version`]);
    return exists.rows[0]?.name ? this.versionWith(this.pool) : 0;
  }

  private async versionWith(client: pg.Pool | pg.PoolClient): Promise<number> {
    const result = await client.query(`SELECT COALESCE(MAX(version), 0)::int AS version FROM ${this.schema}.ledger_schema_version`);
    return (result.rows[0] as { version: number }).version;
  }

  async insertBatch(rows: readonly LedgerRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    // One array parameter per column: a single statement and round trip whatever the batch size.
    const arrays = ledgerColumns.map(([field]) => rows.map((row) => row[field] ?? null));
    const unnest = columnNames.map((column, index) => `$${index + 1}::${columnTypes[column] ?? 'text'}[]`).join(', ');
    const result = await this.pool.query(
      `INSERT INTO ${this.table} (${columnNames.join(', ')}) SELECT * FROM unnest(${unnest}) ON CONFLICT (id) DO NOTHING`,
      arrays,
    );
    return result.rowCount ?? 0;
  }

  async query(query: LedgerQuery): Promise<LedgerRow[]> {
    const where = whereClause(query, 'postgres');
    const result = await this.pool.query(
      `SELECT ${columnNames.join(', ')} FROM ${this.table} ${where.sql} ORDER BY time DESC, id DESC LIMIT ${queryLimit(query)}`,
      where.params,
    );
    return result.rows.map((record: Record<string, unknown>) => rowFromRecord(normalise(record)));
  }

  async aggregate(by: GroupBy, filter: LedgerFilter): Promise<AggregateRow[]> {
    const { sql, params } = aggregateSql(this.table, by, filter, 'postgres');
    const result = await this.pool.query(sql, params);
    return sortAggregates(result.rows.map((record: Record<string, unknown>) => aggregateFromRecord(record)));
  }

  async insertAudit(rows: readonly AuditRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const values = rows.map(auditValues);
    const arrays = auditColumns.map((_, index) => values.map((row) => row[index]));
    const unnest = auditColumns.map((column, index) => `$${index + 1}::${column === 'time' ? 'int8' : 'text'}[]`).join(', ');
    const result = await this.pool.query(
      `INSERT INTO ${this.schema}.audit_records (${auditColumns.join(', ')}) SELECT * FROM unnest(${unnest}) ON CONFLICT (id) DO NOTHING`,
      arrays,
    );
    return result.rowCount ?? 0;
  }

  async queryAudit(filter: AuditFilter): Promise<AuditRecord[]> {
    const { sql, params } = auditQuerySql(`${this.schema}.audit_records`, filter, 'postgres');
    const result = await this.pool.query(sql, params);
    return result.rows.map((record: Record<string, unknown>) => auditRecordFrom(record));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** int8 columns arrive as text from node-postgres; token counts fit easily in a double. */
function normalise(record: Record<string, unknown>): Record<string, unknown> {
  for (const column of ['time', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'reasoning_tokens']) {
    const value = record[column];
    if (typeof value === 'string') record[column] = Number(value);
  }
  return record;
}
