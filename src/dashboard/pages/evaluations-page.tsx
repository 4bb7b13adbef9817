import { useEffect, useState } from 'preact/hooks';
import { getEvals, openEvalReport, type EvalRun, type Evals } from '../api.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState, ErrorState } from '../components/empty-state.tsx';
import { LineChart } from '../components/line-chart.tsx';
import { rate } from '../format.ts';

type Row = EvalRun['models'][number] & { run: string };

const columns: Column<Row>[] = [
  { key: 'run', label: 'Run', value: (r) => r.run },
  { key: 'model', label: 'Model', value: (r) => r.model },
  { key: 'metric', label: 'Metric', value: (r) => r.metric },
  { key: 'score', label: 'Score', value: (r) => r.score, numeric: true, render: (r) => rate(r.score, 4) },
  { key: 'cost', label: 'Cost / request', value: (r) => r.costPerRequest ?? null, numeric: true, render: (r) => (r.costPerRequest === undefined ? '—' : rate(r.costPerRequest, 6)) },
];

/** Points no other point beats on both axes (cheaper and at least as good). */
function paretoFront(points: Array<{ cost: number; score: number }>): Set<number> {
  const front = new Set<number>();
  points.forEach((p, i) => {
    if (!points.some((q, j) => j !== i && q.cost <= p.cost && q.score >= p.score && (q.cost < p.cost || q.score > p.score))) front.add(i);
  });
  return front;
}

export function EvaluationsPage() {
  const [data, setData] = useState<Evals | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => void getEvals().then(setData, setError), []);
  if (error) return <ErrorState error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  if (!data.available) {
    return (
      <section aria-labelledby="page-title">
        <header class="page-head">
          <h1 id="page-title">Evaluations</h1>
        </header>
        <EmptyState title="No evaluation results.">{data.reason}</EmptyState>
      </section>
    );
  }
  const rows: Row[] = data.runs.flatMap((run) => run.models.map((m) => ({ ...m, run: run.suite ?? run.file })));
  const costed = rows.filter((r) => r.costPerRequest !== undefined).map((r) => ({ cost: r.costPerRequest!, score: r.score, label: r.model }));
  costed.sort((a, b) => a.cost - b.cost);
  const front = paretoFront(costed);
  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">Evaluations</h1>
        <span class="muted small">{data.runs.length} runs from {data.dir}</span>
      </header>
      {rows.length === 0 ? <EmptyState title="The results files hold no model scores.">{data.skipped.join('; ')}</EmptyState> : <DataTable rows={rows} columns={columns} caption="Evaluation scores" rowKey={(r) => `${r.run}:${r.model}:${r.metric}`} />}
      {costed.length > 0 ? (
        <LineChart
          testId="chart-pareto"
          title="Quality vs cost (Pareto front joined)"
          xLabel="cost per request (as in the results)"
          yLabel="score"
          formatX={(v) => (v === 0 ? '0' : Math.abs(v) < 0.001 ? v.toExponential(1) : String(Number(v.toPrecision(3))))}
          series={[
            { label: 'models', color: 'var(--accent)', pointsOnly: true },
            { label: 'Pareto front', color: 'var(--warn)', spanGaps: true },
          ]}
          data={[costed.map((p) => p.cost), costed.map((p) => p.score), costed.map((p, i) => (front.has(i) ? p.score : null))]}
        />
      ) : null}
      {costed.length > 0 ? (
        <p class="small" data-testid="pareto-models">
          On the Pareto front (no other model is both cheaper and better): {costed.filter((_, i) => front.has(i)).map((p) => p.label).join(', ')}.
        </p>
      ) : (
        <p class="muted small">The quality-vs-cost scatter needs a costPerRequest per model in the results.</p>
      )}
      {data.runs.some((r) => r.report) ? (
        <p class="small" data-testid="eval-reports">
          HTML reports:{' '}
          {data.runs.filter((r) => r.report).map((r) => (
            <button type="button" class="link" key={r.report} onClick={() => void openEvalReport(r.report!).catch((error: Error) => alert(error.message))}>
              {r.report}
            </button>
          ))}
        </p>
      ) : null}
      {data.skipped.length > 0 ? <p class="muted small">Skipped: {data.skipped.join('; ')}</p> : null}
    </section>
  );
}
