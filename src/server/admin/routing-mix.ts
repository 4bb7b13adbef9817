import { maxQueryLimit, type LedgerStore } from '../../ledger/ledger-store.ts';

/**
 * What the Routing page draws from the ledger: the domain mix over time (hourly buckets up to two
 * days, daily beyond), which model served which domain, and the router's reasons. Read from the
 * newest `maxQueryLimit` rows of the window; `truncated` says when there were more.
 */
export interface RoutingMix {
  since: string;
  rows: number;
  truncated: boolean;
  bucket: 'hour' | 'day';
  domains: string[];
  /** One point per bucket start (epoch ms), empty buckets included: requests per domain. */
  series: Array<{ t: number; counts: Record<string, number> }>;
  servedBy: Array<{ domain: string; model: string; requests: number; errors: number; cost: number | null; currency: string }>;
  reasons: Array<{ reason: string; requests: number }>;
}

/** The domain of a row the router did not classify. */
export const noDomain = '(none)';

export async function routingMix(store: LedgerStore, since: number, now: number): Promise<RoutingMix> {
  const rows = await store.query({ since, until: now + 1, limit: maxQueryLimit });
  const bucket = now - since > 48 * 3600_000 ? 'day' : 'hour';
  const size = bucket === 'day' ? 24 * 3600_000 : 3600_000;
  const buckets = new Map<number, Record<string, number>>();
  // Every bucket of the window, empty ones too, so the chart's time axis is the window (up to 1,000 buckets).
  const first = Math.floor(since / size) * size;
  if ((now - first) / size <= 1_000) for (let t = first; t <= now; t += size) buckets.set(t, {});
  const served = new Map<string, RoutingMix['servedBy'][number]>();
  const reasons = new Map<string, number>();
  const domains = new Set<string>();
  for (const row of rows) {
    const domain = row.domain ?? noDomain;
    domains.add(domain);
    const t = Math.floor(row.time / size) * size;
    const counts = buckets.get(t) ?? {};
    counts[domain] = (counts[domain] ?? 0) + 1;
    buckets.set(t, counts);
    const model = row.model ?? '(no model answered)';
    const key = `${domain}\u0000${model}\u0000${row.currency}`;
    let entry = served.get(key);
    if (!entry) served.set(key, (entry = { domain, model, requests: 0, errors: 0, cost: 0, currency: row.currency }));
    entry.requests++;
    if (row.status !== 'ok') entry.errors++;
    if (row.cost === undefined) entry.cost = null;
    else if (entry.cost !== null) entry.cost += row.cost;
    const reason = row.routeReason ?? '(explicit model)';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return {
    since: new Date(since).toISOString(),
    rows: rows.length,
    truncated: rows.length >= maxQueryLimit,
    bucket,
    domains: [...domains].sort(),
    series: [...buckets].sort((a, b) => a[0] - b[0]).map(([t, counts]) => ({ t, counts })),
    servedBy: [...served.values()].sort((a, b) => b.requests - a.requests),
    reasons: [...reasons].map(([reason, requests]) => ({ reason, requests })).sort((a, b) => b.requests - a.requests),
  };
}
