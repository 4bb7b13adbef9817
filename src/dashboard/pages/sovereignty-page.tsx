import { useEffect, useState } from 'preact/hooks';
import { getAuditLog, getModels, type AuditAnswer, type AuditRecord, type DashboardModel, type Info, type Unavailable } from '../api.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState, ErrorState } from '../components/empty-state.tsx';
import { StatCard } from '../components/stat-card.tsx';
import { count } from '../format.ts';

const classes = ['', 'public', 'internal', 'confidential', 'restricted'];
const decisions = ['', 'allowed', 'routed', 'redacted', 'blocked'];
const windows = ['1h', '24h', '7d', '30d'];

/** A labelled filter; the empty option reads "any". */
function FilterSelect({ label, value, options, onChange, testId }: { label: string; value: string; options: readonly string[]; onChange: (e: Event) => void; testId?: string }) {
  return (
    <label>
      {label}
      <select value={value} onChange={onChange} data-testid={testId}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o || 'any'}
          </option>
        ))}
      </select>
    </label>
  );
}

function AuditLog({ info }: { info: Info }) {
  const [filters, setFilters] = useState({ since: '7d', class: '', decision: '', tenant: '', detector: '', zone: '' });
  const [audit, setAudit] = useState<AuditAnswer | Unavailable | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { since, decision, tenant } = filters;
  const dataClass = filters.class;
  useEffect(() => {
    let cancelled = false;
    getAuditLog({ since, class: dataClass, decision, tenant }).then(
      (a) => !cancelled && (setError(null), setAudit(a)),
      (e) => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [since, dataClass, decision, tenant]);
  const set = (name: keyof typeof filters) => (e: Event) => setFilters({ ...filters, [name]: (e.target as HTMLInputElement).value });
  const columns: Column<AuditRecord>[] = [
    { key: 'time', label: 'Time', value: (r) => r.time, render: (r) => new Date(r.time).toLocaleString() },
    { key: 'class', label: 'Data class', value: (r) => r.dataClass, render: (r) => <span class={`class class-${r.dataClass}`}>{r.dataClass}</span> },
    { key: 'detectors', label: 'Detectors', value: (r) => Object.keys(r.detectors).join(' '), render: (r) => Object.entries(r.detectors).map(([label, n]) => `${label} ×${n}`).join(', ') || '—' },
    { key: 'decision', label: 'Decision', value: (r) => r.decision, render: (r) => <span class={`decision decision-${r.decision}`}>{r.decision}</span> },
    { key: 'zones', label: 'Zones reached', value: (r) => r.zones.join(' '), render: (r) => r.zones.join(', ') || 'none' },
    { key: 'models', label: 'Models', value: (r) => r.models.join(' '), render: (r) => r.models.join(', ') || '—' },
    { key: 'tenant', label: 'Tenant', value: (r) => r.tenant ?? '', render: (r) => r.tenant ?? '—' },
    { key: 'code', label: 'Error', value: (r) => r.code ?? '' },
  ];
  const records = audit && 'records' in audit ? audit.records.filter((r) => (!filters.detector || filters.detector in r.detectors) && (!filters.zone || r.zones.includes(filters.zone))) : [];
  const detectorNames = audit && 'records' in audit ? Object.keys(audit.summary.byDetector).sort() : [];
  const zoneNames = [...new Set(audit && 'records' in audit ? audit.records.flatMap((r) => r.zones) : [])].sort();
  return (
    <div class="card" data-testid="audit">
      <h2>Audit log</h2>
      <form class="form-row" onSubmit={(e) => e.preventDefault()} aria-label="Audit filters">
        <FilterSelect label="Since" value={since} options={windows} onChange={set('since')} />
        <FilterSelect label="Data class" value={dataClass} options={classes} onChange={set('class')} testId="audit-class" />
        <FilterSelect label="Decision" value={decision} options={decisions} onChange={set('decision')} testId="audit-decision" />
        <FilterSelect label="Detector" value={filters.detector} options={['', ...detectorNames]} onChange={set('detector')} />
        <FilterSelect label="Zone" value={filters.zone} options={['', ...zoneNames]} onChange={set('zone')} />
        <label>
          Tenant
          <input value={tenant} onChange={set('tenant')} placeholder="any" />
        </label>
      </form>
      {error ? <ErrorState error={error} /> : null}
      {audit === null && !error ? <p class="muted">Loading…</p> : null}
      {audit && 'reason' in audit ? (
        <EmptyState title="Not configured: there is no audit log.">{audit.reason} — with a policy, every request's data class, detectors, decision and the zones its data reached are recorded (labels and counts, never the data).</EmptyState>
      ) : null}
      {audit && 'records' in audit ? (
        <>
          <p class="verdict" data-testid="audit-statement">
            <strong>{count(audit.summary.restrictedReachedExternal)}</strong> restricted request{audit.summary.restrictedReachedExternal === 1 ? '' : 's'} reached an external zone since {new Date(audit.since).toLocaleString()}
            {audit.summary.restricted > 0 ? ` (${count(audit.summary.restricted)} restricted requests in all)` : ''}. In-house zones: {audit.inHouseZones.join(', ')}; every other zone counts as external.
          </p>
          <div class="cards">
            <StatCard testId="audit-total" label="Requests audited" value={count(audit.summary.total)} note="matching the filters" />
            <StatCard testId="audit-blocked" label="Blocked" value={count(audit.summary.byDecision.blocked)} note="refused: no allowed zone could take the data" />
            <StatCard testId="audit-redacted" label="Redacted" value={count(audit.summary.byDecision.redacted)} note="sent with placeholders instead of the values" />
            <StatCard testId="audit-routed" label="Routed in-house" value={count(audit.summary.byDecision.routed)} note="moved to a model in an allowed zone" />
          </div>
          {records.length === 0 ? (
            <EmptyState title="No audit records match.">Widen the window or clear a filter.</EmptyState>
          ) : (
            <div data-testid="audit-table">
              <DataTable rows={records} columns={columns} caption={`Newest ${count(records.length)} of ${count(audit.summary.total)} records`} rowKey={(r) => r.requestId} />
            </div>
          )}
        </>
      ) : null}
    </div>
  );
}

export function SovereigntyPage({ info }: { info: Info }) {
  const [models, setModels] = useState<DashboardModel[] | null>(null);
  useEffect(() => {
    void getModels().then((d) => setModels(d.models), () => undefined);
  }, []);
  const zones = new Map<string, DashboardModel[]>();
  for (const m of models ?? []) zones.set(m.zone, [...(zones.get(m.zone) ?? []), m]);
  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">Sovereignty</h1>
      </header>
      <AuditLog info={info} />
      <div class="card">
        <h2>Where each model sends data (from the portfolio config)</h2>
        <table data-testid="zones-table">
          <thead>
            <tr>
              <th>Zone</th>
              <th>Leaves the house?</th>
              <th>Models</th>
            </tr>
          </thead>
          <tbody>
            {[...zones].map(([zone, list]) => (
              <tr key={zone}>
                <td>
                  <span class={`zone zone-${zone}`}>{zone}</span>
                </td>
                <td>{zone === 'local' || zone === 'self-hosted' ? 'no' : 'yes'}</td>
                <td>{list.map((m) => m.id).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
