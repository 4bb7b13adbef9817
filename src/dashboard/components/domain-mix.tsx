import { useEffect, useState } from 'preact/hooks';
import { getDomainMix, type RoutingMix, type Unavailable } from '../api.ts';
import { count, money } from '../format.ts';
import { DataTable, type Column } from './data-table.tsx';
import { EmptyState, ErrorState } from './empty-state.tsx';
import { LineChart } from './line-chart.tsx';

/** Readable on both themes; domains beyond the palette reuse it dashed. */
const palette = ['#2f7de1', '#e07a1f', '#2a9d5b', '#c2417a', '#7a5af0', '#8c8c1a', '#1aa3a3', '#b0533b'];

type Served = RoutingMix['servedBy'][number];

/** The Routing page's history, from the ledger: domain mix over time, which model served which domain, the reasons. */
export function DomainMix() {
  const [since, setSince] = useState('24h');
  const [mix, setMix] = useState<RoutingMix | Unavailable | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let cancelled = false;
    getDomainMix(since).then(
      (m) => !cancelled && (setError(null), setMix(m)),
      (e) => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [since]);
  const columns: Column<Served>[] = [
    { key: 'domain', label: 'Domain', value: (r) => r.domain },
    { key: 'model', label: 'Served by', value: (r) => r.model },
    { key: 'requests', label: 'Requests', value: (r) => r.requests, numeric: true, render: (r) => count(r.requests) },
    { key: 'errors', label: 'Errors', value: (r) => r.errors, numeric: true, render: (r) => count(r.errors) },
    { key: 'cost', label: 'Cost', value: (r) => r.cost, numeric: true, render: (r) => money(r.cost, r.currency) },
  ];
  return (
    <div class="card" data-testid="domain-mix">
      <h2>Domain mix over time · which model served which domain</h2>
      <form class="form-row" onSubmit={(e) => e.preventDefault()}>
        <label>
          Since
          <select value={since} onChange={(e) => setSince((e.target as HTMLSelectElement).value)}>
            {['1h', '24h', '7d', '30d'].map((w) => (
              <option key={w}>{w}</option>
            ))}
          </select>
        </label>
      </form>
      {error ? <ErrorState error={error} /> : null}
      {mix === null && !error ? <p class="muted">Loading…</p> : null}
      {mix && 'reason' in mix ? <EmptyState title="Not configured: no routing history.">{mix.reason}</EmptyState> : null}
      {mix && 'rows' in mix ? (
        mix.rows === 0 ? (
          <EmptyState title="No requests in the ledger in this window.">Send traffic to /v1 with model "auto" (or any model); each request's domain and model are recorded.</EmptyState>
        ) : (
          <>
            <LineChart
              testId="chart-domain-mix"
              title={`Requests per ${mix.bucket} by domain`}
              xLabel={`time (${mix.bucket}s, UTC)`}
              yLabel={`requests / ${mix.bucket}`}
              time
              series={mix.domains.map((domain, i) => ({ label: domain, color: palette[i % palette.length]!, ...(i >= palette.length ? { dash: [4, 4] } : {}) }))}
              data={[mix.series.map((p) => p.t / 1000), ...mix.domains.map((domain) => mix.series.map((p) => p.counts[domain] ?? 0))]}
            />
            <div data-testid="served-by-table">
              <DataTable rows={mix.servedBy} columns={columns} caption="Which model served which domain" rowKey={(r) => `${r.domain}/${r.model}/${r.currency}`} />
            </div>
            <h3>Why: the router's reasons</h3>
            <table data-testid="reasons-table">
              <thead>
                <tr>
                  <th>Reason</th>
                  <th class="num">Requests</th>
                </tr>
              </thead>
              <tbody>
                {mix.reasons.map((r) => (
                  <tr key={r.reason}>
                    <td>{r.reason}</td>
                    <td class="num">{count(r.requests)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted small">
              From {count(mix.rows)} ledger rows since {new Date(mix.since).toLocaleString()}
              {mix.truncated ? ' (the newest rows only: narrow the window for all of them)' : ''}. "(none)": the request named its model, so no domain was classified.
            </p>
          </>
        )
      ) : null}
    </div>
  );
}
