import { useEffect, useMemo, useState } from 'preact/hooks';
import { getOverview, getSpend, streamLive, type Info, type LiveEvent, type Overview, type SpendSummary, type TrafficSample, type Unavailable } from '../api.ts';
import { EmptyState, ErrorState } from '../components/empty-state.tsx';
import { LineChart } from '../components/line-chart.tsx';
import { StatCard } from '../components/stat-card.tsx';
import { count, money, ms, percent, rate } from '../format.ts';

const ranges = [
  { seconds: 60, label: '1 min' },
  { seconds: 300, label: '5 min' },
  { seconds: 900, label: '15 min' },
  { seconds: 3600, label: '1 hour' },
];

export function OverviewPage({ info, onAuth }: { info: Info; onAuth: () => void }) {
  const [range, setRange] = useState(300);
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [samples, setSamples] = useState<TrafficSample[]>([]);
  const [live, setLive] = useState<LiveEvent | null>(null);
  const [stream, setStream] = useState<'connecting' | 'live' | 'reconnecting' | 'auth'>('connecting');
  const [spend, setSpend] = useState<SpendSummary | Unavailable | null>(null);

  useEffect(() => {
    let cancelled = false;
    const load = () =>
      getOverview(range)
        .then((o) => {
          if (cancelled) return;
          setOverview(o);
          setSamples(o.samples);
        })
        .catch((e) => !cancelled && setError(e));
    const loadSpend = () => getSpend(info.counterfactual).then((s) => !cancelled && setSpend(s), (e) => !cancelled && setSpend({ available: false, reason: e instanceof Error ? e.message : String(e) }));
    void loadSpend();
    const spendTimer = setInterval(loadSpend, 15_000);
    void load();
    const timer = setInterval(load, 15_000);
    return () => {
      cancelled = true;
      clearInterval(timer);
      clearInterval(spendTimer);
    };
  }, [range]);

  useEffect(() => {
    return streamLive(
      (event) => {
        setLive(event);
        setSamples((list) => {
          const since = Date.now() - range * 1000;
          const next = list.filter((s) => s.t > since && s.t !== event.sample.t);
          next.push(event.sample);
          return next;
        });
      },
      (state) => {
        setStream(state);
        if (state === 'auth') onAuth();
      },
    );
  }, [range]);

  const xMin = (samples.at(-1)?.t ?? Date.now()) / 1000 - range;
  const data = useMemo(() => {
    const xs = samples.map((s) => s.t / 1000);
    return {
      rps: [xs, samples.map((s) => s.requestsPerSecond)],
      latency: [xs, samples.map((s) => s.p50Ms), samples.map((s) => s.p95Ms)],
    };
  }, [samples]);

  if (error && !overview) return <ErrorState error={error} />;
  if (!overview) return <p class="muted">Loading…</p>;
  const now = live?.window ?? null;
  const requestsByModel = new Map((live?.models ?? overview.models.map((m) => ({ id: m.id, requests: m.traffic.requests }))).map((m) => [m.id, m.requests]));
  const apiSpend = overview.models.reduce((sum, m) => sum + (m.traffic.apiSpend ?? 0), 0);
  const served = overview.models.filter((m) => (requestsByModel.get(m.id) ?? 0) > 0);

  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">Overview</h1>
        <div class="range" role="group" aria-label="Time range">
          {ranges.map((r) => (
            <button type="button" key={r.seconds} aria-pressed={range === r.seconds} onClick={() => setRange(r.seconds)}>
              {r.label}
            </button>
          ))}
        </div>
        <span class={`live-dot ${stream}`} data-testid="stream-state" aria-live="polite">
          {stream === 'live' ? 'live' : stream}
        </span>
      </header>

      <div class="cards">
        <StatCard testId="live-rps" label="Requests / s (last 60 s)" value={rate(now?.requestsPerSecond ?? null, 2)} note="live, every second" />
        <StatCard testId="live-p50" label="Latency p50" value={ms(now?.p50Ms)} note="last 60 s" />
        <StatCard testId="live-p95" label="Latency p95" value={ms(now?.p95Ms)} note="last 60 s" />
        <StatCard testId="live-errors" label="Error rate" value={percent(now?.errorRate)} note="HTTP ≥ 400, last 60 s" />
      </div>

      <div class="cards">
        <StatCard testId="range-requests" label={`Requests in the last ${ranges.find((r) => r.seconds === range)!.label}`} value={count(overview.window.requests)} note={`${count(overview.window.errors)} errors`} />
        <StatCard testId="api-spend" label="API spend since start" value={money(apiSpend, overview.currency)} note="live token counts × configured prices (API models)" />
        {spend === null ? (
          <StatCard testId="spend" label="Spend today / this month" value="…" />
        ) : 'available' in spend ? (
          <>
            <StatCard testId="spend" label="Spend today / this month" value="—" note={`not configured: ${spend.reason}`} />
            <StatCard testId="savings" label={`Savings vs all-API (${info.counterfactual})`} value="—" note={`not configured: ${spend.reason}`} />
          </>
        ) : (
          <>
            <StatCard
              testId="spend"
              label="Spend today / this month"
              value={`${money(spend.today?.cost ?? 0, spend.currency)} / ${money(spend.month?.cost ?? 0, spend.currency)}`}
              note={`ledger, UTC: ${count(spend.today?.requests ?? 0)} requests today, ${count(spend.month?.requests ?? 0)} this month${(spend.month?.unknownCostRequests ?? 0) > 0 ? ` (${count(spend.month!.unknownCostRequests)} with unknown cost, not counted)` : ''}`}
            />
            <StatCard
              testId="savings"
              label={`Savings this month vs all-API (${spend.vs})`}
              value={money(spend.month?.savings ?? null, spend.currency)}
              note={
                spend.month?.referenceCost != null
                  ? `${money(spend.month.referenceCost, spend.currency)} on ${spend.vs} vs ${money(spend.month.actualCost ?? 0, spend.currency)} actual (${rate(spend.month.savingsPercent ?? null, 1)} %), ${count(spend.month.comparableRequests ?? 0)} requests with known tokens and cost`
                  : 'no requests with known tokens and cost this month yet'
              }
            />
          </>
        )}
      </div>

      <div class="grid-2">
        <LineChart testId="chart-rps" title="Requests per second" xMin={xMin} xLabel="time" yLabel="requests / s" time series={[{ label: 'requests/s', color: 'var(--accent)' }]} data={data.rps} />
        <LineChart
          testId="chart-latency"
          title="Latency percentiles"
          xMin={xMin}
          xLabel="time"
          yLabel="milliseconds"
          time
          series={[
            { label: 'p50 ms', color: 'var(--accent)' },
            { label: 'p95 ms', color: 'var(--warn)' },
          ]}
          data={data.latency}
        />
      </div>

      <h2>Which models served the requests</h2>
      {served.length === 0 ? (
        <EmptyState title="No requests yet.">Send one with any OpenAI client to {location.origin}/v1, or use the try-it box on the Portfolio page.</EmptyState>
      ) : (
        <table data-testid="served-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Zone</th>
              <th class="num">Requests since start</th>
              <th class="num">Errors</th>
            </tr>
          </thead>
          <tbody>
            {served.map((m) => (
              <tr key={m.id}>
                <td>{m.id}</td>
                <td>
                  <span class={`zone zone-${m.zone}`}>{m.zone}</span>
                </td>
                <td class="num">{count(requestsByModel.get(m.id))}</td>
                <td class="num">{count(m.traffic.errors)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
