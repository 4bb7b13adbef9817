import { useEffect, useState } from 'preact/hooks';
import { getModels, getTenants, type DashboardModel, type Info, type Tenant, type Unavailable } from '../api.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState, ErrorState } from '../components/empty-state.tsx';
import { TryItBox } from '../components/try-it-box.tsx';
import { count, money, percent, rate } from '../format.ts';

function costPerM(model: DashboardModel, currency: string): string {
  const c = model.cost;
  if (c.kind === 'api') return `in ${money(c.inputPerMTok, currency)} · out ${money(c.outputPerMTok, currency)}`;
  if (c.kind === 'self-hosted') return c.perMOutputTokAtFullLoad == null ? 'self-hosted: needs measured tokens/s' : `≈ ${money(c.perMOutputTokAtFullLoad, currency)} out (full load)`;
  return 'not configured';
}

function qualityText(model: DashboardModel): string {
  const entries = Object.entries(model.quality);
  if (entries.length === 0) return model.domains.length > 0 ? `specialist: ${model.domains.join(', ')}` : '—';
  return entries.map(([domain, q]) => `${domain} ${percent(q)}`).join(' · ');
}

function Tenants() {
  const [tenants, setTenants] = useState<{ data: Tenant[] } | Unavailable | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => void getTenants().then(setTenants, setError), []);
  return (
    <div class="card" data-testid="tenants">
      <h2>Tenants</h2>
      {error ? <ErrorState error={error} /> : null}
      {tenants && 'reason' in tenants ? <EmptyState title="Not configured: no tenants.">{tenants.reason}</EmptyState> : null}
      {tenants && 'data' in tenants ? (
        <DataTable
          rows={tenants.data}
          caption="Tenants (from the portfolio)"
          rowKey={(t) => t.id}
          columns={[
            { key: 'id', label: 'Tenant', value: (t) => t.id },
            { key: 'models', label: 'May use', value: (t) => t.allowedModels.join(', ') || '(no model)' },
            { key: 'zones', label: 'Zones', value: (t) => t.zones?.join(', ') ?? 'any' },
            { key: 'rpm', label: 'Requests / min', value: (t) => (typeof t.rpm === 'number' ? t.rpm : null), numeric: true, render: (t) => (typeof t.rpm === 'number' ? count(t.rpm) : 'no limit') },
          ]}
        />
      ) : null}
    </div>
  );
}

export function PortfolioPage({ info }: { info: Info }) {
  const [data, setData] = useState<{ currency: string; models: DashboardModel[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const load = () => getModels().then(setData, setError);
    void load();
    const timer = setInterval(load, 5_000);
    return () => clearInterval(timer);
  }, []);
  if (error && !data) return <ErrorState error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  const { currency } = data;
  const columns: Column<DashboardModel>[] = [
    { key: 'id', label: 'Model', value: (m) => m.id, render: (m) => <span title={m.description ?? ''}><strong>{m.id}</strong>{m.lora ? <span class="muted small"> + {m.lora}</span> : null}</span> },
    { key: 'backend', label: 'Backend', value: (m) => m.backend, render: (m) => <span>{m.backend}{m.upstream ? <span class="muted small"> · {m.upstream}</span> : null}</span> },
    { key: 'zone', label: 'Zone', value: (m) => m.zone, render: (m) => <span class={`zone zone-${m.zone}`}>{m.zone}</span> },
    { key: 'status', label: 'Health', value: (m) => m.status, render: (m) => <span class={`status status-${m.status}`} title={m.lastError ?? ''}>{m.status}</span> },
    { key: 'breaker', label: 'Breaker', value: (m) => (m.breaker.available ? m.breaker.state : 'n/a'), render: (m) => (m.breaker.available ? m.breaker.state : <span class="muted" title={m.breaker.reason}>n/a</span>) },
    { key: 'quality', label: 'Quality per domain', value: (m) => qualityText(m) },
    { key: 'queued', label: 'Queue', value: (m) => m.queued, numeric: true },
    { key: 'active', label: 'Active', value: (m) => m.active, numeric: true },
    { key: 'tps', label: 'Tokens/s (out)', value: (m) => m.traffic.outputTokensPerSecond, numeric: true, render: (m) => rate(m.traffic.outputTokensPerSecond) },
    { key: 'requests', label: 'Requests', value: (m) => m.traffic.requests, numeric: true, render: (m) => count(m.traffic.requests) },
    { key: 'cost', label: `Cost per 1M tokens (${currency})`, value: (m) => m.cost.outputPerMTok ?? m.cost.perMOutputTokAtFullLoad ?? null, render: (m) => <span title={m.cost.source}>{costPerM(m, currency)}</span> },
  ];
  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">Portfolio</h1>
        <span class="muted">{data.models.length} models · refreshes every 5 s</span>
      </header>
      <div data-testid="models-table">
        <DataTable rows={data.models} columns={columns} caption="Models" rowKey={(m) => m.id} />
      </div>
      <p class="muted small">
        Tokens/s: output tokens per second of request time, measured live. Quality per domain: the models' <code>quality</code> in the portfolio (0–1; <code>unbundle eval publish</code> writes it from an eval run). Breaker: the executor's circuit breaker, live (open: the model's requests go to its fallbacks).
      </p>
      <TryItBox models={info.models} autoRouting={info.autoRouting} />
      <Tenants />
    </section>
  );
}
