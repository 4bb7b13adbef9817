import { apiPriceOf, type ModelCost } from './cost-model.ts';
import type { AggregateRow, GroupBy, GroupSums, LedgerFilter, LedgerStore } from './ledger-store.ts';

/**
 * The cost report behind `unbundle cost report` and the admin API: spend grouped by model, domain,
 * tenant, key, status or day, and the counterfactual — what the same tokens would have cost on a
 * reference API model — with the savings.
 */

export type ReferenceModel = Extract<ModelCost, { kind: 'api' }> & { name: string };

export interface CostReportRow extends GroupSums {
  /** The group's value under the name of the grouping (`model`, `tenant`, `day`, ...). */
  [group: string]: string | number | null;
}

export interface Counterfactual {
  referenceModel: string;
  /** Requests with known tokens and known cost: both sides are priced on exactly these. */
  comparableRequests: number;
  /** What those requests cost. */
  actualCost: number | null;
  /** What the same tokens would have cost on the reference model; null across currencies. */
  referenceCost: number | null;
  /** referenceCost − actualCost: positive when the portfolio was cheaper. */
  savings: number | null;
  savingsPercent: number | null;
}

export interface CostReport {
  by: GroupBy;
  since: string;
  until: string;
  rows: Array<CostReportRow & Partial<Counterfactual>>;
  totals: Array<CostReportRow & Partial<Counterfactual>>;
  reference?: { name: string; source: string; currency: string };
}

export interface CostReportOptions {
  by: GroupBy;
  since: number;
  until?: number;
  filter?: Omit<LedgerFilter, 'since' | 'until'>;
  reference?: ReferenceModel;
}

export async function buildCostReport(store: LedgerStore, options: CostReportOptions): Promise<CostReport> {
  const until = options.until ?? Date.now();
  const groups = await store.aggregate(options.by, { ...options.filter, since: options.since, until });
  const withReference = (group: AggregateRow, row: CostReportRow) => (options.reference ? { ...row, ...counterfactual(group, options.reference) } : row);
  const rows = groups.map((group) => withReference(group, toRow(options.by, group)));
  const totals = sumByCurrency(groups).map((group) => withReference(group, toRow(options.by, group)));
  const report: CostReport = { by: options.by, since: new Date(options.since).toISOString(), until: new Date(until).toISOString(), rows, totals };
  if (options.reference) report.reference = { name: options.reference.name, source: options.reference.source, currency: options.reference.currency };
  return report;
}

/** Same tokens on the reference model, priced only where both sides are known. */
export function counterfactual(group: AggregateRow, reference: ReferenceModel): Counterfactual {
  const actualCost = group.comparableCost;
  if (group.currency !== reference.currency) {
    return { referenceModel: reference.name, comparableRequests: group.comparableRequests, actualCost, referenceCost: null, savings: null, savingsPercent: null };
  }
  const referenceCost = apiPriceOf(
    { input: group.comparableInputTokens, cachedInput: group.comparableCachedInputTokens, output: group.comparableOutputTokens },
    reference,
  );
  const savings = referenceCost - actualCost;
  return {
    referenceModel: reference.name,
    comparableRequests: group.comparableRequests,
    actualCost,
    referenceCost,
    savings,
    savingsPercent: referenceCost > 0 ? (savings / referenceCost) * 100 : null,
  };
}

function toRow(by: GroupBy, group: AggregateRow): CostReportRow {
  return {
    [by]: group.key,
    requests: group.requests,
    errors: group.errors,
    inputTokens: group.inputTokens,
    outputTokens: group.outputTokens,
    cachedInputTokens: group.cachedInputTokens,
    unknownUsageRequests: group.unknownUsageRequests,
    cost: group.cost,
    unknownCostRequests: group.unknownCostRequests,
    currency: group.currency,
    computeSeconds: group.computeSeconds,
    avgLatencyMs: group.avgLatencyMs,
  };
}

/** One total per currency: amounts in different currencies are never added together. */
function sumByCurrency(groups: readonly AggregateRow[]): AggregateRow[] {
  const totals = new Map<string, AggregateRow>();
  for (const group of groups) {
    const total = totals.get(group.currency);
    if (!total) {
      totals.set(group.currency, { ...group, key: 'total' });
      continue;
    }
    const requests = total.requests + group.requests;
    total.avgLatencyMs = requests > 0 ? (total.avgLatencyMs * total.requests + group.avgLatencyMs * group.requests) / requests : 0;
    total.requests = requests;
    for (const field of [
      'errors',
      'inputTokens',
      'outputTokens',
      'cachedInputTokens',
      'unknownUsageRequests',
      'cost',
      'unknownCostRequests',
      'computeSeconds',
      'comparableRequests',
      'comparableInputTokens',
      'comparableCachedInputTokens',
      'comparableOutputTokens',
      'comparableCost',
    ] as const) {
      total[field] += group[field];
    }
  }
  return [...totals.values()];
}

const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * `7d`, `24h`, `30m`, `2w` (that long before `now`), or a date / date-time (`2025-08-01`,
 * `2025-08-01T12:00:00Z`, read as UTC when it has no zone). Undefined when unreadable.
 */
export function parseTimeBound(text: string, now: number): number | undefined {
  const relative = /^(\d+(?:\.\d+)?)\s*([mhdw])$/.exec(text.trim());
  if (relative) return now - Number(relative[1]) * units[relative[2]!]!;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const iso = /T.*(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : /T/.test(text) ? `${text}Z` : `${text}T00:00:00Z`;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? undefined : time;
}
