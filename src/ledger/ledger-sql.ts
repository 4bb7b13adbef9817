import { ledgerColumns } from './ledger-row.ts';
import type { AggregateRow, GroupBy, LedgerFilter } from './ledger-store.ts';

/** SQL shared by the SQLite and Postgres stores; only placeholders and a few functions differ. */

export type Dialect = 'sqlite' | 'postgres';

export interface SqlText {
  sql: string;
  params: unknown[];
}

const filterColumns: ReadonlyArray<[keyof LedgerFilter, string, string]> = [
  ['since', 'time', '>='],
  ['until', 'time', '<'],
  ['id', 'id', '='],
  ['tenant', 'tenant', '='],
  ['keyId', 'key_id', '='],
  ['model', 'model', '='],
  ['status', 'status', '='],
];

export function whereClause(filter: LedgerFilter, dialect: Dialect): SqlText {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [field, column, op] of filterColumns) {
    const value = filter[field];
    if (value === undefined) continue;
    params.push(value);
    parts.push(`${column} ${op} ${dialect === 'sqlite' ? '?' : `$${params.length}`}`);
  }
  return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}

function groupExpression(by: GroupBy, dialect: Dialect): string {
  switch (by) {
    case 'model':
      return 'model';
    case 'requested':
      return 'requested_model';
    case 'domain':
      return 'domain';
    case 'tenant':
      return 'tenant';
    case 'key':
      return 'key_id';
    case 'status':
      return 'status';
    case 'day':
      return dialect === 'sqlite' ? "strftime('%Y-%m-%d', time / 1000, 'unixepoch')" : "to_char(to_timestamp(time / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
  }
}

const comparable = 'input_tokens IS NOT NULL AND output_tokens IS NOT NULL AND cost IS NOT NULL';

/** Every sum in one pass over the time range. */
export function aggregateSql(table: string, by: GroupBy, filter: LedgerFilter, dialect: Dialect): SqlText {
  // Postgres sums bigints into numeric, which node-postgres returns as text: ask for float8.
  const n = (expression: string) => (dialect === 'postgres' ? `(${expression})::float8` : expression);
  const where = whereClause(filter, dialect);
  const sql = `SELECT ${groupExpression(by, dialect)} AS key, currency,
      ${n('COUNT(*)')} AS requests,
      ${n("SUM(CASE WHEN status <> 'ok' THEN 1 ELSE 0 END)")} AS errors,
      ${n('COALESCE(SUM(input_tokens), 0)')} AS input_tokens,
      ${n('COALESCE(SUM(output_tokens), 0)')} AS output_tokens,
      ${n('COALESCE(SUM(cached_input_tokens), 0)')} AS cached_input_tokens,
      ${n('SUM(CASE WHEN input_tokens IS NULL OR output_tokens IS NULL THEN 1 ELSE 0 END)')} AS unknown_usage,
      ${n('COALESCE(SUM(cost), 0)')} AS cost,
      ${n('SUM(CASE WHEN cost IS NULL THEN 1 ELSE 0 END)')} AS unknown_cost,
      ${n('COALESCE(SUM(compute_ms), 0)')} AS compute_ms,
      ${n('AVG(latency_ms)')} AS avg_latency_ms,
      ${n(`SUM(CASE WHEN ${comparable} THEN 1 ELSE 0 END)`)} AS cmp_requests,
      ${n(`COALESCE(SUM(CASE WHEN ${comparable} THEN input_tokens END), 0)`)} AS cmp_input,
      ${n(`COALESCE(SUM(CASE WHEN ${comparable} THEN COALESCE(cached_input_tokens, 0) END), 0)`)} AS cmp_cached,
      ${n(`COALESCE(SUM(CASE WHEN ${comparable} THEN output_tokens END), 0)`)} AS cmp_output,
      ${n(`COALESCE(SUM(CASE WHEN ${comparable} THEN cost END), 0)`)} AS cmp_cost
    FROM ${table} ${where.sql}
    GROUP BY 1, 2`;
  return { sql, params: where.params };
}

export function aggregateFromRecord(record: Record<string, unknown>): AggregateRow {
  const num = (column: string) => Number(record[column] ?? 0);
  const key = record.key;
  return {
    key: key === null || key === undefined ? null : String(key),
    currency: String(record.currency),
    requests: num('requests'),
    errors: num('errors'),
    inputTokens: num('input_tokens'),
    outputTokens: num('output_tokens'),
    cachedInputTokens: num('cached_input_tokens'),
    unknownUsageRequests: num('unknown_usage'),
    cost: num('cost'),
    unknownCostRequests: num('unknown_cost'),
    computeSeconds: num('compute_ms') / 1000,
    avgLatencyMs: num('avg_latency_ms'),
    comparableRequests: num('cmp_requests'),
    comparableInputTokens: num('cmp_input'),
    comparableCachedInputTokens: num('cmp_cached'),
    comparableOutputTokens: num('cmp_output'),
    comparableCost: num('cmp_cost'),
  };
}

/** Groups in a stable order: by key, rows without a key last, then by currency. */
export function sortAggregates(rows: AggregateRow[]): AggregateRow[] {
  return rows.sort((a, b) => {
    if (a.key !== b.key) {
      if (a.key === null) return 1;
      if (b.key === null) return -1;
      return a.key < b.key ? -1 : 1;
    }
    return a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0;
  });
}

export const columnNames = ledgerColumns.map(([, column]) => column);
