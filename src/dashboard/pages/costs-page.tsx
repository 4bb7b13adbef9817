import { useEffect, useState } from 'preact/hooks';
import { getBreakeven, getCostReport, getModels, type BreakevenAnswer, type CostBy, type CostReport, type CostRow, type DashboardModel, type Info, type Unavailable } from '../api.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState, ErrorState } from '../components/empty-state.tsx';
import { LineChart } from '../components/line-chart.tsx';
import { count, money, percent, rate } from '../format.ts';

function BreakevenPanel() {
  const [query, setQuery] = useState({ model: '', vs: '', seconds: '', input: '', output: '' });
  const [answer, setAnswer] = useState<(BreakevenAnswer & { currency: string }) | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = (q: typeof query) =>
    getBreakeven(q).then(
      (a) => {
        setError(null);
        setAnswer(a);
      },
      setError,
    );
  useEffect(() => void load(query), []);
  const field = (name: keyof typeof query) => (e: Event) => setQuery({ ...query, [name]: (e.target as HTMLInputElement).value });
  const submit = (e: Event) => {
    e.preventDefault();
    void load(query);
  };
  const selfHosted = answer && 'selfHosted' in answer ? (answer.selfHosted ?? []) : [];
  const apiModels = answer && 'apiModels' in answer ? (answer.apiModels ?? []) : [];
  return (
    <div class="card" data-testid="breakeven">
      <h2>Break-even: when does self-hosting pay?</h2>
      <form class="form-row" onSubmit={submit}>
        <label>
          Self-hosted model
          <select value={query.model || (answer && 'model' in answer ? answer.model : '') || ''} onChange={field('model')}>
            {selfHosted.length === 0 ? <option value="">(none configured)</option> : selfHosted.map((id) => <option key={id}>{id}</option>)}
          </select>
        </label>
        <label>
          Versus API model
          <input list="api-models" value={query.vs} placeholder={(answer && 'vs' in answer ? answer.vs : '') || 'gpt-4o-mini'} onInput={field('vs')} />
          <datalist id="api-models">{apiModels.map((id) => <option key={id} value={id} />)}</datalist>
        </label>
        <label>
          Seconds / request
          <input inputMode="decimal" value={query.seconds} placeholder={answer?.available ? rate(answer.traffic.computeSecondsPerRequest, 4) : 'measured'} onInput={field('seconds')} />
        </label>
        <label>
          Input tokens
          <input inputMode="numeric" value={query.input} placeholder={answer?.available ? rate(answer.traffic.inputTokensPerRequest, 0) : 'measured'} onInput={field('input')} />
        </label>
        <label>
          Output tokens
          <input inputMode="numeric" value={query.output} placeholder={answer?.available ? rate(answer.traffic.outputTokensPerRequest, 0) : 'measured'} onInput={field('output')} />
        </label>
        <button type="submit" class="primary">Compute</button>
      </form>
      {error ? <ErrorState error={error} /> : null}
      {answer && !answer.available ? <EmptyState title="No break-even to show yet.">{answer.reason}</EmptyState> : null}
      {answer?.available ? (
        <>
          <p class="verdict" data-testid="breakeven-verdict">
            <strong>{answer.model}</strong> vs <strong>{answer.vs}</strong>: {answer.result.verdict}.
          </p>
          <p class="muted small">
            {answer.measured ? 'Traffic shape measured live on this gateway (request time per request)' : 'Traffic shape as entered'}: {rate(answer.traffic.computeSecondsPerRequest, 4)} s, {rate(answer.traffic.inputTokensPerRequest, 0)} input and {rate(answer.traffic.outputTokensPerRequest, 0)} output tokens per request. API: {money(answer.result.apiCostPerRequest, answer.currency)} per request; self-hosted base {money(answer.result.selfHostedMonthlyBase, answer.currency)} per month; capacity {count(answer.result.capacityRequestsPerMonth)} requests/month.
            {answer.result.utilisationAtBreakeven !== undefined ? ` Utilisation at break-even: ${percent(answer.result.utilisationAtBreakeven)}.` : ''}
          </p>
          <LineChart
            testId="chart-breakeven"
            title="Monthly cost by volume"
            xLabel="requests / month"
            yLabel={`${answer.currency} / month`}
            formatX={(v) => (v >= 1e6 ? `${rate(v / 1e6)}M` : v >= 1e3 ? `${rate(v / 1e3)}k` : rate(v, 0))}
            series={[
              { label: `API (${answer.vs})`, color: 'var(--warn)' },
              { label: `self-hosted (${answer.model})`, color: 'var(--accent)' },
            ]}
            data={[answer.points.map((p) => p.requestsPerMonth), answer.points.map((p) => p.api), answer.points.map((p) => p.selfHosted)]}
          />
        </>
      ) : null}
    </div>
  );
}

const groupings: Array<{ by: CostBy; label: string }> = [
  { by: 'model', label: 'Model' },
  { by: 'domain', label: 'Domain' },
  { by: 'tenant', label: 'Tenant' },
  { by: 'day', label: 'Day (UTC)' },
];
const windows = ['24h', '7d', '30d'];

/** The day rows of a by=day report with the days that had no requests filled in (cost 0), so the chart's axis is the window. */
function everyDay(report: CostReport): Array<{ day: string; cost: number; referenceCost: number | null }> {
  const byDay = new Map(report.rows.filter((r) => typeof r.day === 'string').map((r) => [String(r.day), r]));
  const out: Array<{ day: string; cost: number; referenceCost: number | null }> = [];
  const last = Date.parse(report.until);
  for (let t = Date.parse(report.since.slice(0, 10) + 'T00:00:00Z'); t <= last && out.length < 400; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const row = byDay.get(day);
    out.push({ day, cost: row?.cost ?? 0, referenceCost: row ? (row.referenceCost ?? null) : report.reference ? 0 : null });
  }
  return out;
}

/** The ledger's cost report: spend by model / domain / tenant / day and what the same tokens would have cost on an API model. */
function LedgerReport({ info }: { info: Info }) {
  const [by, setBy] = useState<CostBy>('model');
  const [since, setSince] = useState('7d');
  const [vs, setVs] = useState(info.counterfactual);
  const [report, setReport] = useState<CostReport | Unavailable | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let cancelled = false;
    getCostReport(by, since, vs.trim() || undefined).then(
      (r) => {
        if (cancelled) return;
        setError(null);
        setReport(r);
      },
      (e) => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [by, since, vs]);
  const label = groupings.find((g) => g.by === by)!.label;
  const columns: Column<CostRow>[] = [
    { key: 'group', label, value: (r) => (r[by] as string | null) ?? '(none)' },
    { key: 'requests', label: 'Requests', value: (r) => r.requests, numeric: true, render: (r) => count(r.requests) },
    { key: 'errors', label: 'Errors', value: (r) => r.errors, numeric: true, render: (r) => count(r.errors) },
    { key: 'tokens', label: 'Tokens in / out', value: (r) => r.inputTokens + r.outputTokens, numeric: true, render: (r) => `${count(r.inputTokens)} / ${count(r.outputTokens)}` },
    { key: 'cost', label: 'Cost', value: (r) => r.cost, numeric: true, render: (r) => <span title={r.unknownCostRequests > 0 ? `${r.unknownCostRequests} requests with unknown cost are not counted` : ''}>{money(r.cost, r.currency)}{r.unknownCostRequests > 0 ? ' *' : ''}</span> },
    { key: 'reference', label: `Same tokens on ${vs || '—'}`, value: (r) => r.referenceCost ?? null, numeric: true, render: (r) => money(r.referenceCost, r.currency) },
    { key: 'savings', label: 'Savings', value: (r) => r.savings ?? null, numeric: true, render: (r) => (r.savings == null ? '—' : `${money(r.savings, r.currency)} (${rate(r.savingsPercent ?? null, 1)} %)`) },
    { key: 'latency', label: 'Avg latency', value: (r) => r.avgLatencyMs, numeric: true, render: (r) => `${rate(r.avgLatencyMs, 0)} ms` },
  ];
  const days = report && 'rows' in report && by === 'day' ? everyDay(report) : [];
  const currency = report && 'rows' in report ? (report.totals[0]?.currency ?? '') : '';
  return (
    <div class="card" data-testid="ledger-report">
      <h2>By model, domain, tenant and day · counterfactual and savings</h2>
      <form class="form-row" onSubmit={(e) => e.preventDefault()}>
        <label>
          Group by
          <select value={by} onChange={(e) => setBy((e.target as HTMLSelectElement).value as CostBy)} data-testid="cost-by">
            {groupings.map((g) => (
              <option key={g.by} value={g.by}>
                {g.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Since
          <select value={since} onChange={(e) => setSince((e.target as HTMLSelectElement).value)}>
            {windows.map((w) => (
              <option key={w}>{w}</option>
            ))}
          </select>
        </label>
        <label>
          Versus API model
          <input value={vs} onChange={(e) => setVs((e.target as HTMLInputElement).value)} placeholder="gpt-4o" />
        </label>
      </form>
      {error ? <ErrorState error={error} /> : null}
      {report === null ? <p class="muted">Loading…</p> : null}
      {report && 'available' in report ? <EmptyState title="Not configured: the ledger is off.">{report.reason} — these views read its rows (one per request).</EmptyState> : null}
      {report && 'rows' in report ? (
        report.rows.length === 0 ? (
          <EmptyState title="No requests in the ledger in this window.">Send traffic to /v1 (or widen the window); every request writes one ledger row.</EmptyState>
        ) : (
          <>
            <div data-testid="ledger-table">
              <DataTable rows={report.rows} columns={columns} caption={`Ledger since ${report.since}`} rowKey={(r) => `${String(r[by])}-${r.currency}`} />
            </div>
            {report.totals.map((t) => (
              <p class="verdict" key={t.currency} data-testid="ledger-totals">
                Total: {count(t.requests)} requests, {money(t.cost, t.currency)}
                {t.referenceCost != null ? ` — the same tokens on ${report.reference?.name} would have cost ${money(t.referenceCost, t.currency)}: ${(t.savings ?? 0) < 0 ? `cost ${money(-(t.savings ?? 0), t.currency)} more` : `saved ${money(t.savings ?? null, t.currency)}`} (${rate(t.savingsPercent ?? null, 1)} %).` : '.'}
              </p>
            ))}
            {days.length > 0 ? (
              <LineChart
                testId="chart-cost-day"
                title="Cost per day"
                xLabel="day (UTC)"
                yLabel={`${currency} / day`}
                time
                series={[
                  { label: 'actual', color: 'var(--accent)' },
                  { label: `on ${report.reference?.name ?? 'reference'}`, color: 'var(--warn)', dash: [4, 4] },
                ]}
                data={[days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000), days.map((d) => d.cost), days.map((d) => d.referenceCost)]}
              />
            ) : null}
          </>
        )
      ) : null}
    </div>
  );
}

export function CostsPage({ info }: { info: Info }) {
  const [data, setData] = useState<{ currency: string; models: DashboardModel[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    void getModels().then(setData, setError);
  }, []);
  if (error && !data) return <ErrorState error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  const { currency } = data;
  const columns: Column<DashboardModel>[] = [
    { key: 'id', label: 'Model', value: (m) => m.id },
    { key: 'kind', label: 'Priced as', value: (m) => m.cost.kind, render: (m) => <span title={m.cost.source}>{m.cost.kind === 'none' ? 'not configured' : m.cost.kind}</span> },
    { key: 'in', label: `Input per 1M (${currency})`, value: (m) => m.cost.inputPerMTok ?? null, numeric: true, render: (m) => money(m.cost.inputPerMTok, currency) },
    { key: 'out', label: `Output per 1M (${currency})`, value: (m) => m.cost.outputPerMTok ?? m.cost.perMOutputTokAtFullLoad ?? null, numeric: true, render: (m) => (m.cost.kind === 'self-hosted' ? (m.cost.perMOutputTokAtFullLoad == null ? '—' : `≈ ${money(m.cost.perMOutputTokAtFullLoad, currency)}`) : money(m.cost.outputPerMTok, currency)) },
    { key: 'base', label: `Fixed per month (${currency})`, value: (m) => m.cost.monthlyBase ?? null, numeric: true, render: (m) => money(m.cost.monthlyBase, currency) },
    { key: 'tokens', label: 'Tokens in / out', value: (m) => m.traffic.inputTokens + m.traffic.outputTokens, numeric: true, render: (m) => `${count(m.traffic.inputTokens)} / ${count(m.traffic.outputTokens)}` },
    { key: 'spend', label: `API spend since start (${currency})`, value: (m) => m.traffic.apiSpend, numeric: true, render: (m) => money(m.traffic.apiSpend, currency) },
  ];
  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">Costs</h1>
      </header>
      <div data-testid="cost-table">
        <DataTable rows={data.models} columns={columns} caption="Model costs" rowKey={(m) => m.id} />
      </div>
      <p class="muted small">Self-hosted output cost per 1M tokens assumes the machine share is fully busy at the tokens/s measured live. Hover a model's pricing for its source.</p>
      <LedgerReport info={info} />
      <BreakevenPanel />
    </section>
  );
}
