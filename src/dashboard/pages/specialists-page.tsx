import { useEffect, useState } from 'preact/hooks';
import { getAdapters, type AdapterMeta, type Adapters } from '../api.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState, ErrorState } from '../components/empty-state.tsx';
import { bytes, count, rate } from '../format.ts';

const columns: Column<AdapterMeta>[] = [
  { key: 'name', label: 'Adapter', value: (a) => `${a.name}@${a.version}`, render: (a) => <strong>{a.name}@{a.version}</strong> },
  { key: 'source', label: 'Source', value: (a) => a.source },
  { key: 'created', label: 'Created', value: (a) => a.createdAt, render: (a) => new Date(a.createdAt).toLocaleString() },
  { key: 'base', label: 'Base model', value: (a) => a.base.file.split('/').pop() ?? '', render: (a) => <span title={`sha256 ${a.base.sha256}`}>{a.base.file.split('/').pop()}</span> },
  { key: 'data', label: 'Train / val examples', value: (a) => a.dataset?.trainExamples ?? null, numeric: true, render: (a) => (a.dataset ? `${count(a.dataset.trainExamples)} / ${count(a.dataset.validationExamples)}` : '—') },
  { key: 'loss', label: 'Validation loss', value: (a) => a.validationLoss ?? null, numeric: true, render: (a) => rate(a.validationLoss, 4) },
  { key: 'eval', label: 'Eval scores', value: (a) => Object.keys(a.evalScores ?? {}).join(' '), render: (a) => (a.evalScores ? Object.entries(a.evalScores).map(([k, v]) => `${k} ${rate(v, 3)}`).join(', ') : '—') },
  { key: 'size', label: 'Size', value: (a) => a.bytes, numeric: true, render: (a) => bytes(a.bytes) },
];

export function SpecialistsPage() {
  const [data, setData] = useState<Adapters | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => void getAdapters().then(setData, setError), []);
  if (error) return <ErrorState error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  const promoted = Object.entries(data.promotions);
  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">Specialists</h1>
        <span class="muted small">registry: {data.dir}</span>
      </header>
      {data.adapters.length === 0 ? (
        <EmptyState title="No adapters registered.">Train one with “unbundle tune train --register NAME”, or add a file with “unbundle tune register”.</EmptyState>
      ) : (
        <div data-testid="adapters-table">
          <DataTable rows={data.adapters} columns={columns} caption="Adapters" rowKey={(a) => `${a.name}@${a.version}`} />
        </div>
      )}
      <h2>Promotions</h2>
      {promoted.length === 0 ? (
        <EmptyState title="Nothing promoted yet.">Every local model serves the adapter its config names.</EmptyState>
      ) : (
        <table data-testid="promotions-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Serving now</th>
              <th>History (newest first)</th>
            </tr>
          </thead>
          <tbody>
            {promoted.map(([model, list]) => (
              <tr key={model}>
                <td>{model}</td>
                <td>
                  <strong>{list.at(-1)?.adapter ?? 'base model (no adapter)'}</strong>
                </td>
                <td class="small">
                  {list
                    .slice()
                    .reverse()
                    .map((p) => `${p.adapter ?? 'no adapter'} (${new Date(p.at).toLocaleString()})`)
                    .join(' ← ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="muted small">Promoting and rolling back swap the adapter a running local model serves; they are admin actions that arrive with the admin API, not in this read-only view.</p>
    </section>
  );
}
