import type { AuditFilter, AuditRecord } from '../policy/audit-sink.ts';
import type { AuditRow } from './audit-row.ts';
import type { LedgerRow, LedgerStatus } from './ledger-row.ts';

/**
 * The one storage contract behind the ledger: memory (tests), SQLite (embedded default) and
 * Postgres (many replicas) all pass the same contract test.
 */

export const groupByKeys = ['model', 'requested', 'domain', 'tenant', 'key', 'status', 'day'] as const;
export type GroupBy = (typeof groupByKeys)[number];

export interface LedgerFilter {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  id?: string;
  tenant?: string;
  keyId?: string;
  model?: string;
  status?: LedgerStatus;
}

export interface LedgerQuery extends LedgerFilter {
  /** Newest first; default 100, at most 10,000. */
  limit?: number;
}

/** The sums every grouped view shows. Sums skip unknowns; the `unknown*` counts say how many were skipped. */
export interface GroupSums {
  currency: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Requests whose input or output token count is unknown: their tokens are not in the sums. */
  unknownUsageRequests: number;
  cost: number;
  /** Requests whose cost is unknown: not in `cost`, never counted as 0. */
  unknownCostRequests: number;
  computeSeconds: number;
  avgLatencyMs: number;
}

/** Sums for one group, as a store returns them. */
export interface AggregateRow extends GroupSums {
  /** The group's value (model id, tenant, UTC day "YYYY-MM-DD", ...); null when the rows had none. */
  key: string | null;
  /** Requests with known tokens AND known cost: the like-for-like base of a counterfactual. */
  comparableRequests: number;
  comparableInputTokens: number;
  comparableCachedInputTokens: number;
  comparableOutputTokens: number;
  comparableCost: number;
}

export interface LedgerStore {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  /** Creates or upgrades the schema; safe to call from several processes at once. */
  migrate(): Promise<void>;
  schemaVersion(): Promise<number>;
  /** Inserts all rows in one transaction, ignoring ids already stored; returns how many were new. */
  insertBatch(rows: readonly LedgerRow[]): Promise<number>;
  query(query: LedgerQuery): Promise<LedgerRow[]>;
  aggregate(by: GroupBy, filter: LedgerFilter): Promise<AggregateRow[]>;
  /**
   * Appends policy audit records in one transaction, ignoring ids already stored; returns how many
   * were new. The audit table is append-only: no store has an update or delete path, and the SQL
   * stores refuse UPDATE/DELETE on it with a trigger.
   */
  insertAudit(rows: readonly AuditRow[]): Promise<number>;
  /** Audit records matching the filter, oldest first. */
  queryAudit(filter: AuditFilter): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

export const maxQueryLimit = 10_000;

export function queryLimit(query: LedgerQuery): number {
  return Math.max(1, Math.min(maxQueryLimit, Math.floor(query.limit ?? 100)));
}
