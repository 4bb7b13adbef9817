import { renderTable } from '../ledger/cost-format.ts';
import type { EvalResults } from './eval-results.ts';
import { formatDelta, formatInterval, formatPValue, formatScore, resultRows, resultsColumns } from './format-results.ts';

/** The terminal view of a run: models side by side, per-domain scores, and pairwise tests. */
export function renderResultsTable(results: EvalResults): string {
  const direction = results.suite.higherIsBetter ? 'higher is better' : 'lower is better';
  const out = [`Suite ${results.suite.name}: ${results.suite.items} items, primary metric ${results.suite.primary} (${direction}), costs in ${results.currency}, run ${results.runId}\n`];
  if (results.missing > 0) out.push(`${results.missing} (model, item) pairs were not answered: the run stopped early. Run the same command again to finish it.\n`);
  out.push(renderTable([...resultsColumns], resultRows(results)));

  if (results.comparison.domains.length > 0) {
    const ids = results.models.map((summary) => summary.model.id);
    const rows = results.comparison.domains.map((domain) => [domain.domain, ...ids.map((id) => formatScore(domain.scores[id])), domain.best]);
    out.push(`\nPer domain (${results.suite.primary}):\n`, renderTable(['domain', ...ids, 'best'], rows));
  }
  if (results.pairwise.length > 0) {
    const rows = results.pairwise.map((pair) => [
      `${pair.a} vs ${pair.b}`,
      String(pair.bootstrap.items),
      `${formatDelta(pair.bootstrap.meanDifference)} [${formatScore(pair.bootstrap.low)}, ${formatScore(pair.bootstrap.high)}]`,
      formatPValue(pair.bootstrap.pValue),
      pair.mcnemar ? `${pair.mcnemar.onlyA}/${pair.mcnemar.onlyB}` : '—',
      pair.mcnemar ? formatPValue(pair.mcnemar.pValue) : '—',
    ]);
    out.push(`\nPairwise (paired on the same items):\n`, renderTable(['pair', 'items', 'mean diff [95% CI]', 'p (bootstrap)', 'only a/only b', 'p (McNemar)'], rows));
  }
  if (results.baseline) out.push(`\nBaseline: always answer "${results.baseline.answer}" (the most common reference): ${formatInterval(results.baseline)}.\n`);
  return out.join('');
}
