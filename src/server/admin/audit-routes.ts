import { UnbundleError } from '../../errors.ts';
import { parseTimeBound } from '../../ledger/cost-report.ts';
import type { AuditFilter, AuditRecord, AuditSink } from '../../policy/audit-sink.ts';
import { dataClasses, isDataClass } from '../../policy/data-class.ts';
import type { PolicyDecision } from '../../policy/request-policy.ts';
import type { Gateway } from '../gateway.ts';
import type { AdminRoute } from './admin-route.ts';

/**
 * The policy audit for the dashboard's Sovereignty page:
 *   GET /admin/audit?since=7d&until=&class=restricted&tenant=&decision=blocked&limit=200
 * Newest records first (at most `limit`), with counts over every matching record and the statement
 * the audit supports: how many restricted requests reached a zone outside the house.
 */

const decisions: readonly PolicyDecision[] = ['allowed', 'routed', 'redacted', 'blocked'];
/** Zones that keep data in the house (the zone names docs/policy.md uses for it); every other zone is external. */
export const inHouseZones: ReadonlySet<string> = new Set(['local', 'self-hosted']);
const defaultLimit = 200;
const maxLimit = 5_000;

function bad(param: string, message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `${param} ${message}.`, { param });
}

function auditOf(gateway: Gateway): AuditSink {
  if (gateway.audit) return gateway.audit;
  const reason = gateway.options.portfolio.policy === undefined ? 'no data policy is configured (add a policy: section, docs/policy.md)' : 'the policy audit is off (policy.audit.enabled: false)';
  throw new UnbundleError('UNBUNDLE_E_STORE_UNAVAILABLE', `There is no audit log on this gateway: ${reason}.`);
}

function time(query: URLSearchParams, name: string, fallback: string | undefined, now: number): number | undefined {
  const text = query.get(name) || fallback;
  if (text === undefined) return undefined;
  const value = parseTimeBound(text, now);
  if (value === undefined) throw bad(name, `must look like 30m, 24h, 7d, 2w or a UTC date such as 2025-08-01, got "${text}"`);
  return value;
}

export function auditFilterFrom(query: URLSearchParams, now: number): AuditFilter & { since: number } {
  const filter: AuditFilter & { since: number } = { since: time(query, 'since', '7d', now)! };
  const until = time(query, 'until', undefined, now);
  if (until !== undefined) filter.until = until;
  const dataClass = query.get('class');
  if (dataClass) {
    if (!isDataClass(dataClass)) throw bad('class', `must be one of ${dataClasses.join(', ')}, got "${dataClass}"`);
    filter.dataClass = dataClass;
  }
  const tenant = query.get('tenant');
  if (tenant) filter.tenant = tenant;
  const decision = query.get('decision');
  if (decision) {
    if (!decisions.includes(decision as PolicyDecision)) throw bad('decision', `must be one of ${decisions.join(', ')}, got "${decision}"`);
    filter.decision = decision as PolicyDecision;
  }
  return filter;
}

export interface AuditSummary {
  total: number;
  byDecision: Record<PolicyDecision, number>;
  byClass: Record<string, number>;
  /** Detector label → requests it fired on. */
  byDetector: Record<string, number>;
  restricted: number;
  /** Restricted requests whose data (in clear or redacted) went to a zone outside the house. */
  restrictedReachedExternal: number;
  oldest: string | null;
}

export function summarizeAudit(records: readonly AuditRecord[]): AuditSummary {
  const byDecision: Record<PolicyDecision, number> = { allowed: 0, routed: 0, redacted: 0, blocked: 0 };
  const byClass: Record<string, number> = {};
  const byDetector: Record<string, number> = {};
  let restricted = 0;
  let restrictedReachedExternal = 0;
  let oldest: string | null = null;
  for (const record of records) {
    byDecision[record.decision] = (byDecision[record.decision] ?? 0) + 1;
    byClass[record.dataClass] = (byClass[record.dataClass] ?? 0) + 1;
    for (const label of Object.keys(record.detectors)) byDetector[label] = (byDetector[label] ?? 0) + 1;
    if (record.dataClass === 'restricted') {
      restricted++;
      if (record.zones.some((zone) => !inHouseZones.has(zone))) restrictedReachedExternal++;
    }
    if (oldest === null || record.time < oldest) oldest = record.time;
  }
  return { total: records.length, byDecision, byClass, byDetector, restricted, restrictedReachedExternal, oldest };
}

export const auditRoutes: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: '/admin/audit',
    summary: 'policy audit records, newest first, with counts (?since=7d&class=&tenant=&decision=&limit=200)',
    async handle({ query, gateway }) {
      const sink = auditOf(gateway);
      const filter = auditFilterFrom(query, Date.now());
      const limitText = query.get('limit');
      const limit = limitText === null || limitText === '' ? defaultLimit : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) throw bad('limit', `must be a whole number from 1 to ${maxLimit}, got "${limitText}"`);
      const records = await sink.query(filter);
      const newestFirst = records.slice().sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
      return {
        body: {
          since: new Date(filter.since).toISOString(),
          ...(filter.until !== undefined ? { until: new Date(filter.until).toISOString() } : {}),
          inHouseZones: [...inHouseZones],
          summary: summarizeAudit(records),
          limit,
          records: newestFirst.slice(0, limit),
        },
      };
    },
  },
];
