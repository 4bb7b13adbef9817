import { useEffect, useState } from 'preact/hooks';
import { getAuditLog, getModels, type DashboardModel, type Unavailable } from '../api.ts';
import { EmptyState } from '../components/empty-state.tsx';

/** Zones that keep data in the house; anything else is treated as leaving it. */
const internalZones = new Set(['local', 'self-hosted']);

export function SovereigntyPage() {
  const [audit, setAudit] = useState<Unavailable | null>(null);
  const [models, setModels] = useState<DashboardModel[] | null>(null);
  useEffect(() => {
    void getAuditLog().then(setAudit, () => undefined);
    void getModels().then((d) => setModels(d.models), () => undefined);
  }, []);
  const zones = new Map<string, DashboardModel[]>();
  for (const m of models ?? []) zones.set(m.zone, [...(zones.get(m.zone) ?? []), m]);
  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">Sovereignty</h1>
      </header>
      <div class="card">
        <h2>Audit log</h2>
        <EmptyState title="No audit log available.">
          {audit?.reason ?? '…'} — once the policy writes its audit log, this page lists every decision with filters (data class, detector, zone, decision), counts blocked and redacted requests, and states how many restricted requests reached an external zone.
        </EmptyState>
      </div>
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
                <td>{internalZones.has(zone) ? 'no' : 'yes'}</td>
                <td>{list.map((m) => m.id).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
