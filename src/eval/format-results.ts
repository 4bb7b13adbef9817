import type { EvalModelInfo, EvalResults } from './eval-results.ts';
import type { ModelSummary } from './summarize-model.ts';

/** The cells the terminal table and the HTML report share, so both show the same figures. */

const finite = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);

/** Scores in 0..1 read best with 3 decimals; perplexities and other open scales with 3 significant digits. */
export function formatScore(value: number | null | undefined): string {
  if (!finite(value)) return '—';
  const text = Math.abs(value) <= 1 ? value.toFixed(3) : Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
  // A typographic minus, as formatDelta writes it.
  return text.replace(/^-/, '−');
}

export function formatInterval(summary: Pick<ModelSummary, 'estimate' | 'low' | 'high'>): string {
  if (!finite(summary.estimate)) return '—';
  if (!finite(summary.low) || !finite(summary.high)) return formatScore(summary.estimate);
  return `${formatScore(summary.estimate)} [${formatScore(summary.low)}, ${formatScore(summary.high)}]`;
}

export function formatMs(value: number | null | undefined): string {
  if (!finite(value)) return '—';
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export function formatRate(value: number | null | undefined): string {
  return finite(value) ? value.toFixed(1) : '—';
}

/** A cost in the results' currency, which the table's caption names once. */
export function formatCost(value: number | null | undefined): string {
  if (!finite(value)) return 'unknown';
  if (value === 0) return '0';
  return value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

export function formatParameters(value: number | undefined): string {
  if (!finite(value)) return '—';
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)}K`;
  return String(value);
}

export function formatBytes(value: number | undefined): string {
  if (!finite(value)) return '—';
  if (value >= 1024 ** 3) return `${(value / 1024 ** 3).toFixed(2)} GiB`;
  if (value >= 1024 ** 2) return `${(value / 1024 ** 2).toFixed(2)} MiB`;
  return `${(value / 1024).toFixed(0)} KiB`;
}

export function formatDelta(value: number | null | undefined): string {
  if (!finite(value)) return '—';
  return `${value > 0 ? '+' : value < 0 ? '−' : '±'}${formatScore(Math.abs(value))}`;
}

/** Quality per dollar or per billion parameters: open-ended, so 3 significant digits. */
export function formatRatio(value: number | null | undefined): string {
  if (!finite(value)) return '—';
  return value >= 1000 ? value.toFixed(0) : value.toPrecision(3);
}

export function formatPValue(value: number | null | undefined): string {
  if (!finite(value)) return '—';
  return value < 0.001 ? '<0.001' : value.toFixed(3);
}

export const resultsColumns = ['model', 'score [95% CI]', 'p50 ms', 'p95 ms', 'tok/s', 'cost/item', 'cost/1k items', 'score per cost/1k', 'score per B params', 'params', 'quant', 'size', 'Δ best', 'Δ baseline', 'notes'] as const;

/** One row per model and one for the baseline, in the order of `resultsColumns`. */
export function resultRows(results: EvalResults): string[][] {
  return results.comparison.rows.map((row) => {
    const summary = row.summary;
    const model = summary.model as EvalModelInfo;
    const notes = [row.best ? 'best' : '', row.onParetoFront ? 'pareto' : '', row.role === 'baseline' ? 'trivial baseline' : '', summary.errors > 0 ? `${summary.errors} errors` : '']
      .filter(Boolean)
      .join(', ');
    const costPer1k = summary.costPer1kItems;
    return [
      model.id,
      formatInterval(summary),
      formatMs(summary.latencyMs?.p50),
      formatMs(summary.latencyMs?.p95),
      formatRate(summary.tokensPerSecond),
      row.role === 'baseline' ? '—' : formatCost(finite(costPer1k) ? costPer1k / 1000 : null),
      row.role === 'baseline' ? '—' : formatCost(costPer1k),
      formatRatio(summary.qualityPerDollar),
      formatRatio(summary.qualityPerBillionParameters),
      formatParameters(model.parameters),
      model.quantization ?? '—',
      formatBytes(model.sizeBytes),
      row.role === 'baseline' ? '—' : formatDelta(row.deltaVsBest),
      formatDelta(row.deltaVsBaseline),
      notes,
    ];
  });
}
