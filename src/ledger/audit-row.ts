import { z } from 'zod';
import type { AuditFilter, AuditRecord } from '../policy/audit-sink.ts';
import { dataClasses } from '../policy/data-class.ts';
import type { Dialect, SqlText } from './ledger-sql.ts';

/**
 * An audit record as the ledger store keeps it: the record plus a generated `id`, so that a
 * journal replayed twice (a crash between commit and journal cleanup) stores it once. The
 * request id is not the key: a client's x-request-id may repeat.
 */
export type AuditRow = AuditRecord & { id: string };

const label = z.string().min(1).max(128);

/** Validates journal lines on replay: labels, counts and zone/model ids, no free text. */
export const auditRowSchema = z.strictObject({
  id: z.string().min(1).max(128),
  time: z.iso.datetime(),
  requestId: z.string().min(1).max(512),
  tenant: z.string().max(512).nullable(),
  endpoint: z.string().max(512),
  dataClass: z.enum(dataClasses),
  detectors: z.record(label, z.number().int().min(0)),
  zones: z.array(label),
  models: z.array(z.string().max(512)),
  decision: z.enum(['allowed', 'routed', 'redacted', 'blocked']),
  code: z.string().max(128).optional(),
});

/** Column order shared by the SQL stores. */
export const auditColumns = ['id', 'time', 'request_id', 'tenant', 'endpoint', 'data_class', 'detectors', 'zones', 'models', 'decision', 'code'] as const;

export function auditValues(row: AuditRow): unknown[] {
  return [
    row.id,
    Date.parse(row.time),
    row.requestId,
    row.tenant,
    row.endpoint,
    row.dataClass,
    JSON.stringify(row.detectors),
    JSON.stringify(row.zones),
    JSON.stringify(row.models),
    row.decision,
    row.code ?? null,
  ];
}

/** Rebuilds the record (without the storage id) from a SQL result. */
export function auditRecordFrom(record: Record<string, unknown>): AuditRecord {
  const out: AuditRecord = {
    time: new Date(Number(record.time)).toISOString(),
    requestId: String(record.request_id),
    tenant: record.tenant === null || record.tenant === undefined ? null : String(record.tenant),
    endpoint: String(record.endpoint),
    dataClass: record.data_class as AuditRecord['dataClass'],
    detectors: JSON.parse(String(record.detectors)) as Record<string, number>,
    zones: JSON.parse(String(record.zones)) as string[],
    models: JSON.parse(String(record.models)) as string[],
    decision: record.decision as AuditRecord['decision'],
  };
  if (record.code !== null && record.code !== undefined) out.code = String(record.code);
  return out;
}

/** The record as `query` returns it: the storage id dropped. */
export function auditRecordOf(row: AuditRow): AuditRecord {
  const { id: _id, ...record } = row;
  return record;
}

const filterColumns: ReadonlyArray<[keyof AuditFilter, string, string]> = [
  ['since', 'time', '>='],
  ['until', 'time', '<'],
  ['dataClass', 'data_class', '='],
  ['tenant', 'tenant', '='],
  ['decision', 'decision', '='],
];

/** SELECT over `table` in time order (oldest first, like the JSONL file), filtered. */
export function auditQuerySql(table: string, filter: AuditFilter, dialect: Dialect): SqlText {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [field, column, op] of filterColumns) {
    const value = filter[field];
    if (value === undefined) continue;
    params.push(value);
    parts.push(`${column} ${op} ${dialect === 'sqlite' ? '?' : `$${params.length}`}`);
  }
  const where = parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '';
  return { sql: `SELECT ${auditColumns.join(', ')} FROM ${table} ${where} ORDER BY time, id`, params };
}
