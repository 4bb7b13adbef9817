import type { AuditRow } from '../../src/ledger/audit-row.ts';

let counter = 0;

/** A plausible audit row (what LedgerAuditSink hands the store); override any field. */
export function makeAuditRow(overrides: Partial<AuditRow> = {}): AuditRow {
  counter++;
  return {
    id: `audit-${process.pid}-${counter}`,
    time: new Date(Date.UTC(2025, 7, 15, 12, 0, 0) + counter).toISOString(),
    requestId: `req-${counter}`,
    tenant: 'acme',
    endpoint: '/v1/chat/completions',
    dataClass: 'confidential',
    detectors: { EMAIL: 2 },
    zones: ['external'],
    models: ['cloud'],
    decision: 'redacted',
    ...overrides,
  };
}
