import type { DataClass } from './data-class.ts';
import type { PolicyDecision } from './request-policy.ts';

/**
 * One audit line per request that went through the policy. It proves where data went without
 * holding any of it: labels and counts, never values.
 */
export interface AuditRecord {
  /** ISO time the request finished. */
  time: string;
  requestId: string;
  tenant: string | null;
  endpoint: string;
  dataClass: DataClass;
  /** Detector label → count. */
  detectors: Record<string, number>;
  /** Zones that received the request's data (in clear or redacted), in order. */
  zones: string[];
  /** Models that received it, in attempt order. */
  models: string[];
  decision: PolicyDecision;
  /** The error code when the request failed (a policy refusal or anything else). */
  code?: string;
}

export interface AuditFilter {
  /** Epoch ms, inclusive. */
  since?: number;
  until?: number;
  dataClass?: DataClass;
  tenant?: string;
  decision?: PolicyDecision;
}

/**
 * Where audit records go. Narrow on purpose, so a ledger-store implementation can replace the JSONL
 * file: `append` must return at once (the hot path calls it) and never throw.
 */
export interface AuditSink {
  append(record: AuditRecord): void;
  query(filter: AuditFilter): Promise<AuditRecord[]>;
  /** Writes what is pending and releases the file (or connection). */
  close(): Promise<void>;
}

export function matchesAuditFilter(record: AuditRecord, filter: AuditFilter): boolean {
  const time = Date.parse(record.time);
  return (
    (filter.since === undefined || time >= filter.since) &&
    (filter.until === undefined || time < filter.until) &&
    (filter.dataClass === undefined || record.dataClass === filter.dataClass) &&
    (filter.tenant === undefined || record.tenant === filter.tenant) &&
    (filter.decision === undefined || record.decision === filter.decision)
  );
}

/** For tests and embedders that want the records in memory. */
export class MemoryAuditSink implements AuditSink {
  readonly records: AuditRecord[] = [];
  append(record: AuditRecord): void {
    this.records.push(record);
  }
  async query(filter: AuditFilter): Promise<AuditRecord[]> {
    return this.records.filter((r) => matchesAuditFilter(r, filter));
  }
  async close(): Promise<void> {}
}
