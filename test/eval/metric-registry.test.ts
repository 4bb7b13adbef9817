import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { metricNames, metricRegistry, resolveMetric, resolveMetrics, scoreItem } from '../../src/eval/metric-registry.ts';
import { repoRoot } from '../helpers/paths.ts';

describe('metric registry', () => {
  it('has exactly one definition per metric name', () => {
    assert.deepEqual(Object.keys(metricRegistry).sort(), [...metricNames].sort());
    for (const name of metricNames) assert.ok(metricRegistry[name].summary.length > 10, `${name} has a summary`);
  });

  it('is documented metric by metric in docs/eval.md', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/eval.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z0-9-]+)` \| (?:higher|lower) \|/gm)].map((match) => match[1]);
    assert.deepEqual(documented.sort(), [...metricNames].sort());
    for (const name of metricNames) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`))!;
      assert.ok(row.includes(metricRegistry[name].higherIsBetter ? '| higher |' : '| lower |'), `${name}: documented direction`);
    }
  });

  it('returns every problem of an entry instead of throwing', () => {
    assert.deepEqual(resolveMetric('bleu', 2), [{ path: 'metrics[2]', message: `unknown metric "bleu"; known: ${metricNames.join(', ')}` }]);
    const issues = resolveMetric({ metric: 'numeric', absoluteTolerance: -1, relativeTolerance: 'x' }, 0);
    assert.ok(Array.isArray(issues));
    assert.deepEqual(issues.map((issue) => issue.path).sort(), ['metrics[0].absoluteTolerance', 'metrics[0].relativeTolerance']);
  });

  it('scores an item with every metric, keyed by label', async () => {
    const bound = resolveMetrics(['exact-match', { metric: 'contains', label: 'loose' }]);
    const results = await scoreItem('Paris, of course', { id: 'x', input: 'Capital?', reference: 'Paris' }, bound);
    assert.deepEqual(results, { 'exact-match': { score: 0 }, loose: { score: 1 } });
  });
});
