import type { DomainExplanation } from './domain-classifier.ts';
import type { EvaluationReport } from './evaluate-classifier.ts';

const percent = (value: number): string => `${(value * 100).toFixed(2)}%`;
const fixed = (value: number): string => value.toFixed(3);

/** The human-readable report of `unbundle route test`. */
export function formatEvaluation(report: EvaluationReport, latency?: { p50: number; p99: number }): string {
  const lines: string[] = [];
  lines.push(`examples ${report.examples}   accuracy ${percent(report.accuracy)}   macro-F1 ${fixed(report.macroF1)}   calibration error (ECE) ${fixed(report.expectedCalibrationError)}`);
  const { unsure } = report;
  const sure = unsure.accuracyWhenSure === null ? 'no confident answers' : `accuracy when sure ${percent(unsure.accuracyWhenSure)}`;
  lines.push(`unsure below ${unsure.threshold.toFixed(2)}: ${unsure.count} (${percent(unsure.rate)}), ${sure}`);
  if (latency) lines.push(`decision latency: p50 ${latency.p50.toFixed(1)} µs, p99 ${latency.p99.toFixed(1)} µs (in-process)`);
  if (report.unknownDomains.length > 0) {
    lines.push(`warning: the data has domains the router was not trained on (always wrong): ${report.unknownDomains.join(', ')}`);
  }

  const labels = report.confusion.labels;
  const width = Math.max(8, ...labels.map((l) => l.length));
  lines.push('', `${'domain'.padEnd(width)}  precision  recall     f1  support`);
  for (const label of labels) {
    const m = report.perDomain[label]!;
    lines.push(`${label.padEnd(width)}  ${fixed(m.precision).padStart(9)}  ${fixed(m.recall).padStart(6)}  ${fixed(m.f1).padStart(5)}  ${String(m.support).padStart(7)}`);
  }

  lines.push('', 'confusion matrix (rows: true domain, columns: predicted)');
  const cell = Math.max(6, ...labels.map((l) => l.length), ...report.confusion.matrix.flat().map((n) => String(n).length));
  lines.push(`${''.padEnd(width)}  ${labels.map((l) => l.padStart(cell)).join(' ')}`);
  report.confusion.matrix.forEach((row, i) => {
    lines.push(`${labels[i]!.padEnd(width)}  ${row.map((n) => String(n).padStart(cell)).join(' ')}`);
  });
  return lines.join('\n') + '\n';
}

/** The human-readable answer of `unbundle route explain`. */
export function formatExplanation(explanation: DomainExplanation, threshold: number): string {
  const { prediction } = explanation;
  const lines: string[] = [];
  const verdict = prediction.domain === prediction.best ? prediction.best : `unsure (best guess ${prediction.best}, below the ${threshold.toFixed(2)} threshold)`;
  lines.push(`domain: ${verdict}`, `confidence: ${prediction.confidence.toFixed(4)}`);
  const ranked = Object.entries(prediction.scores).sort((a, b) => b[1] - a[1]);
  lines.push(`scores: ${ranked.map(([domain, p]) => `${domain} ${p.toFixed(4)}`).join(', ')}`);
  const list = (title: string, items: DomainExplanation['for']): void => {
    lines.push('', title);
    if (items.length === 0) lines.push('  (none)');
    for (const f of items) lines.push(`  ${(f.weight >= 0 ? '+' : '') + f.weight.toFixed(3)}  ${f.kind.padEnd(4)}  ${JSON.stringify(f.feature)}`);
  };
  if (explanation.for.length === 0 && explanation.against.length === 0) {
    lines.push('', 'no n-gram features to show (an embedding router, or a prompt with no features)');
  } else {
    list(`features for ${prediction.best} (n-gram, contribution to its score):`, explanation.for);
    list(`features against ${prediction.best}:`, explanation.against);
  }
  return lines.join('\n') + '\n';
}
