import type { EvalResults } from './eval-results.ts';
import { formatDelta, formatInterval, formatPValue, formatScore, resultRows, resultsColumns } from './format-results.ts';
import { escapeHtml, groupedBarsSvg, scatterSvg, type ScatterPoint } from './svg-charts.ts';

/**
 * report.html: one self-contained file (inline CSS, SVG and a few lines of script for sorting),
 * which opens offline and reads fully without scripts. Nothing is fetched from anywhere.
 */

const style = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1320px;padding:0 16px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.meta{color:#5a6475;margin:0 0 12px}.warn{background:#fff4d6;border:1px solid #f0d48a;padding:6px 10px;border-radius:4px}
table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{padding:4px 7px;border-bottom:1px solid #e7eaf0;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f4f6f9;font-weight:600;cursor:default;white-space:normal;vertical-align:bottom}
th.sortable{cursor:pointer}tr.best td{background:#eef8ee}tr.baseline td{color:#5a6475;font-style:italic}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{max-width:100%;height:auto;border:1px solid #e7eaf0;border-radius:4px}
.chart-title{font-weight:600;font-size:13px}.axis-label{font-size:12px;fill:#3a4352}.tick-label,.bar-label{font-size:11px;fill:#5a6475}
.plot-area{fill:#fbfcfd;stroke:#d5dae3}.grid{stroke:#eceff4}.tick{stroke:#8a93a3}.empty{fill:#8a93a3}
.point{stroke:#1d2330;stroke-width:1}.point.model{fill:#9fb3d1}.point.front{fill:#2f6fd0}.point.baseline{fill:none;stroke:#a04a4a;stroke-width:1.5}
.point-label{font-size:11px;fill:#1d2330}.front-line{fill:none;stroke:#2f6fd0;stroke-width:1.5;stroke-dasharray:5 3}
.series-0{fill:#2f6fd0}.series-1{fill:#e07b39}.series-2{fill:#3a9d5d}.series-3{fill:#a04a9d}.series-4{fill:#c9a227}.series-5{fill:#4aa3a0}.series-6{fill:#a04a4a}.series-7{fill:#6b7280}
.note{color:#5a6475;font-size:12px}.scroll{overflow-x:auto}
`;

// Click a header to sort a table by that column; the page is complete without it.
const script = `
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, column) {
    th.classList.add('sortable');
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var dir = th.dataset.dir === 'asc' ? -1 : 1;
      th.dataset.dir = dir === 1 ? 'asc' : 'desc';
      var key = function (row) { var text = row.cells[column].textContent.replace(/[^0-9.eE+-]/g, ' ').trim().split(' ')[0]; var n = parseFloat(text); return isNaN(n) ? row.cells[column].textContent : n; };
      rows.sort(function (a, b) { var x = key(a), y = key(b); return (x > y ? 1 : x < y ? -1 : 0) * dir; });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
`;

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, options: { id: string; rowClasses?: readonly string[] }): string {
  const head = `<thead><tr>${header.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join('')}</tr></thead>`;
  const body = rows
    .map((row, index) => {
      const cls = options.rowClasses?.[index];
      return `<tr${cls ? ` class="${cls}"` : ''}>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<div class="scroll"><table id="${options.id}" class="sortable">${head}<tbody>${body}</tbody></table></div>`;
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function charts(results: EvalResults): string {
  const { primary, higherIsBetter } = results.suite;
  const costPoints: ScatterPoint[] = [];
  const latencyPoints: ScatterPoint[] = [];
  const unknownCost: string[] = [];
  for (const row of results.comparison.rows) {
    const summary = row.summary;
    if (!finite(summary.estimate)) continue;
    const baseline = row.role === 'baseline';
    if (!baseline && finite(summary.costPer1kItems)) costPoints.push({ id: summary.model.id, x: summary.costPer1kItems, y: summary.estimate, onFront: row.onParetoFront });
    else if (!baseline) unknownCost.push(summary.model.id);
    if (!baseline && finite(summary.latencyMs?.p50)) latencyPoints.push({ id: summary.model.id, x: summary.latencyMs.p50, y: summary.estimate, onFront: row.best });
  }
  const yLabel = `${primary} (${higherIsBetter ? 'higher' : 'lower'} is better)`;
  const cost = scatterSvg(costPoints, { title: 'Quality vs cost (Pareto front joined)', xLabel: `cost per 1k items (${results.currency})`, yLabel, drawFront: true });
  const latency = scatterSvg(latencyPoints, { title: 'Quality vs latency', xLabel: 'latency p50 (ms)', yLabel });
  const note = unknownCost.length > 0 ? `<p class="note">Not on the cost plot (cost unknown — add pricing or selfHosted to the model): ${escapeHtml(unknownCost.join(', '))}.</p>` : '';
  return `<div class="charts" id="scatter-plots">${cost}${latency}</div>${note}`;
}

function domains(results: EvalResults): string {
  if (results.comparison.domains.length === 0) return '';
  const ids = results.models.map((summary) => summary.model.id);
  const rows = results.comparison.domains.map((domain) => [domain.domain, ...ids.map((id) => formatScore(domain.scores[id])), domain.best]);
  const bars = groupedBarsSvg(
    results.comparison.domains.map((domain) => ({ label: domain.domain, bars: ids.map((id) => ({ id, value: domain.scores[id] ?? Number.NaN })) })),
    ids,
    `${results.suite.primary} per domain`,
  );
  return `<h2>Per domain</h2><p class="meta">The best model per domain is the specialist to route that domain to (<code>unbundle eval publish</code> writes these scores into the portfolio).</p>${table(['domain', ...ids, 'best'], rows, { id: 'domains' })}<div class="charts">${bars}</div>`;
}

function pairwise(results: EvalResults): string {
  if (results.pairwise.length === 0) return '';
  const rows = results.pairwise.map((pair) => [
    `${pair.a} vs ${pair.b}`,
    String(pair.bootstrap.items),
    `${formatDelta(pair.bootstrap.meanDifference)} [${formatScore(pair.bootstrap.low)}, ${formatScore(pair.bootstrap.high)}]`,
    formatPValue(pair.bootstrap.pValue),
    pair.mcnemar ? `${pair.mcnemar.onlyA} / ${pair.mcnemar.onlyB}` : '—',
    pair.mcnemar ? formatPValue(pair.mcnemar.pValue) : '—',
  ]);
  return `<h2>Pairwise comparison</h2><p class="meta">Paired on the items both models answered: the mean difference of ${escapeHtml(results.suite.primary)} (a − b) with a 95% paired-bootstrap interval; for 0/1 scores, McNemar's exact test on the items only one model got right.</p>${table(['pair', 'items', 'mean diff [95% CI]', 'p (bootstrap)', 'only a / only b', 'p (McNemar)'], rows, { id: 'pairwise' })}`;
}

export function renderReportHtml(results: EvalResults): string {
  const { suite } = results;
  const rows = resultRows(results);
  const rowClasses = results.comparison.rows.map((row) => (row.role === 'baseline' ? 'baseline' : row.best ? 'best' : ''));
  const title = `unbundle eval — ${suite.name}`;
  const warnings: string[] = [];
  if (results.missing > 0) warnings.push(`${results.missing} (model, item) pairs were not answered: the run stopped early. Run the same command again to finish it.`);
  if (suite.skipped.length > 0) warnings.push(`${suite.skipped.length} invalid item problem(s) skipped (--skip-invalid): ${suite.skipped.slice(0, 5).map((issue) => `line ${issue.line}: ${issue.field}: ${issue.message}`).join('; ')}${suite.skipped.length > 5 ? '; …' : ''}`);
  const baseline = results.baseline
    ? `<p class="meta">Trivial baseline: always answer “${escapeHtml(results.baseline.answer)}” (the most common reference) — ${escapeHtml(formatInterval(results.baseline))}.</p>`
    : '<p class="meta">No trivial baseline: the primary metric needs a model to score.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title><style>${style}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(suite.description ?? '')}${suite.description ? ' · ' : ''}${suite.items} items · primary metric <b>${escapeHtml(suite.primary)}</b> (${suite.higherIsBetter ? 'higher' : 'lower'} is better) · run ${escapeHtml(results.runId)} · ${escapeHtml(results.createdAt)} · seed ${results.settings.seed}, temperature 0</p>
${warnings.map((warning) => `<p class="warn">${escapeHtml(warning)}</p>`).join('\n')}
<h2>Results</h2>
<p class="meta">Score with its 95% bootstrap confidence interval; latency as measured by the client through the gateway; cost in ${escapeHtml(results.currency)} from the portfolio's cost model. “pareto”: no other model is both at least as good and at most as costly.</p>
${table([...resultsColumns], rows, { id: 'results', rowClasses })}
${baseline}
<h2>Quality, cost and latency</h2>
${charts(results)}
${domains(results)}
${pairwise(results)}
<p class="note">Suite file: ${escapeHtml(suite.source)} · metrics: ${escapeHtml(suite.metrics.map((metric) => metric.label).join(', '))}</p>
<script>${script}</script>
</body></html>
`;
}
