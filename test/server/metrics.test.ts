import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsRegistry } from '../../src/server/metrics.ts';

test('a counter handle adds to the same series as inc with the same labels', () => {
  const registry = new MetricsRegistry();
  const requests = registry.counter('t_requests_total', 'help');
  const ok = requests.handle({ endpoint: '/v1/chat/completions', status: '200' });
  ok();
  ok(2);
  requests.inc({ endpoint: '/v1/chat/completions', status: '200' });
  requests.inc({ endpoint: '/v1/chat/completions', status: '500' });
  assert.equal(requests.get({ endpoint: '/v1/chat/completions', status: '200' }), 4);
  assert.deepEqual(requests.series(), [
    { labels: { endpoint: '/v1/chat/completions', status: '200' }, value: 4 },
    { labels: { endpoint: '/v1/chat/completions', status: '500' }, value: 1 },
  ]);
  assert.match(registry.render(), /^t_requests_total\{endpoint="\/v1\/chat\/completions",status="200"\} 4$/m);
});

test('a histogram handle observes into the same series; label values are escaped only when needed', () => {
  const registry = new MetricsRegistry();
  const latency = registry.histogram('t_seconds', 'help', [0.1, 1]);
  const observe = latency.handle({ model: 'a"b\\c\nd' });
  observe(0.05);
  latency.observe({ model: 'a"b\\c\nd' }, 0.5);
  latency.observe({ model: 'plain' }, 2);
  const series = [...latency.allSeries()];
  assert.equal(series.length, 2);
  assert.equal(series[0]!.count, 2);
  assert.deepEqual([...series[0]!.counts], [1, 1]);
  const text = registry.render();
  assert.match(text, /^t_seconds_bucket\{model="a\\"b\\\\c\\nd",le="0\.1"\} 1$/m);
  assert.match(text, /^t_seconds_count\{model="plain"\} 1$/m);
});
