import { useEffect, useState } from 'preact/hooks';
import { getAdapters, promoteAdapter, rollbackAdapter, type AdapterMeta, type Adapters } from '../api.ts';
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

/** Promote a registered adapter onto a local model, or roll the last promotion back. */
function PromotePanel({ data, onChanged }: { data: Adapters; onChanged: () => void }) {
  const refs = data.adapters.map((a) => `${a.name}@${a.version}`);
  const [model, setModel] = useState(data.localModels[0]?.id ?? '');
  const [adapter, setAdapter] = useState(refs.at(-1) ?? '');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  if (data.localModels.length === 0) return <EmptyState title="No local model to promote onto.">Adapters are served by llamacpp models; add one to the portfolio.</EmptyState>;
  const act = async (action: 'promote' | 'rollback') => {
    setBusy(true);
    setMessage(null);
    try {
      const { record } = action === 'promote' ? await promoteAdapter(model, adapter) : await rollbackAdapter(model);
      setMessage({ ok: true, text: `${model} now serves ${record.adapter ?? 'the base model (no adapter)'}.` });
      onChanged();
    } catch (error) {
      setMessage({ ok: false, text: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const history = data.promotions[model] ?? [];
  return (
    <div class="card" data-testid="promote-panel">
      <h2>Promote or roll back</h2>
      <div class="form-row">
        <label>
          Local model
          <select value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)} data-testid="promote-model">
            {data.localModels.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id} ({m.serving ?? 'no adapter'})
              </option>
            ))}
          </select>
        </label>
        <label>
          Adapter
          <select value={adapter} onChange={(e) => setAdapter((e.target as HTMLSelectElement).value)} data-testid="promote-adapter">
            {refs.map((ref) => (
              <option key={ref}>{ref}</option>
            ))}
          </select>
        </label>
        <button type="button" class="primary" disabled={busy || !adapter} onClick={() => void act('promote')} data-testid="promote-button">
          Promote
        </button>
        <button type="button" disabled={busy || history.length < 2} onClick={() => void act('rollback')} data-testid="rollback-button">
          Roll back
        </button>
      </div>
      {busy ? <p class="muted small">Loading the model with the new adapter; the current one keeps serving meanwhile…</p> : null}
      {message ? (
        <p class={message.ok ? 'small' : 'error-text'} role="status" data-testid="promote-message">
          {message.text}
        </p>
      ) : null}
    </div>
  );
}

export function SpecialistsPage() {
  const [data, setData] = useState<Adapters | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => getAdapters().then(setData, setError);
  useEffect(() => void load(), []);
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
      {data.adapters.length > 0 ? <PromotePanel data={data} onChanged={() => void load()} /> : null}
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
      <p class="muted small">Promoting swaps the adapter a running local model serves without a restart (the adapter must have been trained on that model's base file); each promotion is recorded in promotions.json in the data folder.</p>
    </section>
  );
}
