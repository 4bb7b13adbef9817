import { matchesAuditFilter, type AuditFilter, type AuditRecord } from '../policy/audit-sink.ts';
import { auditRecordOf, type AuditRow } from './audit-row.ts';
import type { LedgerRow } from './ledger-row.ts';
import { latestLedgerVersion } from './ledger-migrations.ts';
import { sortAggregates } from './ledger-sql.ts';
import { queryLimit, type AggregateRow, type GroupBy, type LedgerFilter, type LedgerQuery, type LedgerStore } from './ledger-store.ts';

/** The ledger in a Map: for tests and `ledger.store: memory`; nothing survives the process. */
export class MemoryLedgerStore implements LedgerStore {
  readonly kind = 'memory';
  private readonly rows = new Map<string, LedgerRow>();
  private readonly audit = new Map<string, AuditRow>();
  private closed = false;
  /** Tests flip this to play a store that is down. */
  failing: Error | undefined;

  async migrate(): Promise<void> {
    this.check();
  }

  async schemaVersion(): Promise<number> {
    return latestLedgerVersion;
  }

  async insertBatch(rows: readonly LedgerRow[]): Promise<number> {
    this.check();
    let inserted = 0;
    for (const row of rows) {
      if (this.rows.has(row.id)) continue;
      // Stored like the SQL stores store it: an unknown field is absent, not present-but-undefined.
      this.rows.set(row.id, Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined)) as LedgerRow);
      inserted++;
    }
    return inserted;
  }

  async query(query: LedgerQuery): Promise<LedgerRow[]> {
    this.check();
    const matching = [...this.rows.values()].filter((row) => matches(row, query));
    matching.sort((a, b) => b.time - a.time || (a.id < b.id ? 1 : -1));
    return matching.slice(0, queryLimit(query)).map((row) => structuredClone(row));
  }

  async aggregate(by: GroupBy, filter: LedgerFilter): Promise<AggregateRow[]> {
    this.check();
    const groups = new Map<string, AggregateRow & { latencyTotal: number }>();
    for (const row of this.rows.values()) {
      if (!matches(row, filter)) continue;
      const key = groupKey(row, by);
      const id = `${key ?? '\u0000'}\u0001${row.currency}`;
      let group = groups.get(id);
      if (!group) {
        group = { ...emptyAggregate(key, row.currency), latencyTotal: 0 };
        groups.set(id, group);
      }
      add(group, row);
    }
    return sortAggregates(
      [...groups.values()].map(({ latencyTotal, ...group }) => ({ ...group, avgLatencyMs: group.requests > 0 ? latencyTotal / group.requests : 0 })),
    );
  }

  async insertAudit(rows: readonly AuditRow[]): Promise<number> {
    this.check();
    let inserted = 0;
    for (const row of rows) {
      if (this.audit.has(row.id)) continue;
      this.audit.set(row.id, structuredClone(row));
      inserted++;
    }
    return inserted;
  }

  async queryAudit(filter: AuditFilter): Promise<AuditRecord[]> {
    this.check();
    const matching = [...this.audit.values()].filter((row) => matchesAuditFilter(row, filter));
    matching.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || (a.id < b.id ? -1 : 1));
    return matching.map((row) => structuredClone(auditRecordOf(row)));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new Error('the memory ledger store is closed');
    if (this.failing) throw this.failing;
  }
}

function matches(row: LedgerRow, filter: LedgerFilter): boolean {
  return (
    (filter.since === undefined || row.time >= filter.since) &&
    (filter.until === undefined || row.time < filter.until) &&
    (filter.id === undefined || row.id === filter.id) &&
    (filter.tenant === undefined || row.tenant === filter.tenant) &&
    (filter.keyId === undefined || row.keyId === filter.keyId) &&
    (filter.model === undefined || row.model === filter.model) &&
    (filter.status === undefined || row.status === filter.status)
  );
}

function groupKey(row: LedgerRow, by: GroupBy): string | null {
  const value = {
    model: row.model,
    requested: row.requestedModel,
    domain: row.domain,
    tenant: row.tenant,
    key: row.keyId,
    status: row.status,
    day: new Date(row.time).toISOString().slice(0, 10),
  }[by];
  return value ?? null;
}

function emptyAggregate(key: string | null, currency: string): AggregateRow {
  return {
    key,
    currency,
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    unknownUsageRequests: 0,
    cost: 0,
    unknownCostRequests: 0,
    computeSeconds: 0,
    avgLatencyMs: 0,
    comparableRequests: 0,
    comparableInputTokens: 0,
    comparableCachedInputTokens: 0,
    comparableOutputTokens: 0,
    comparableCost: 0,
  };
}

function add(group: AggregateRow & { latencyTotal: number }, row: LedgerRow): void {
  group.requests++;
  if (row.status !== 'ok') group.errors++;
  group.inputTokens += row.inputTokens ?? 0;
  group.outputTokens += row.outputTokens ?? 0;
  group.cachedInputTokens += row.cachedInputTokens ?? 0;
  if (row.inputTokens === undefined || row.outputTokens === undefined) group.unknownUsageRequests++;
  if (row.cost === undefined) group.unknownCostRequests++;
  else group.cost += row.cost;
  group.computeSeconds += (row.computeMs ?? 0) / 1000;
  group.latencyTotal += row.latencyMs;
  if (row.inputTokens !== undefined && row.outputTokens !== undefined && row.cost !== undefined) {
    group.comparableRequests++;
    group.comparableInputTokens += row.inputTokens;
    group.comparableCachedInputTokens += row.cachedInputTokens ?? 0;
    group.comparableOutputTokens += row.outputTokens;
    group.comparableCost += row.cost;
  }
}
