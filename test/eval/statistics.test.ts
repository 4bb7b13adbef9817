import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootstrapCi, mean, paretoFront, percentile, seededRandom } from '../../src/eval/statistics.ts';

describe('seeded random numbers', () => {
  it('repeat for a seed, differ across seeds, and stay in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(first, Array.from({ length: 1000 }, () => b()));
    assert.notDeepEqual(first.slice(0, 10), Array.from({ length: 10 }, () => c()));
    assert.ok(first.every((x) => x >= 0 && x < 1));
    assert.ok(Math.abs(mean(first) - 0.5) < 0.05);
  });
});

describe('percentiles', () => {
  it('interpolate linearly between ranks like numpy', () => {
    assert.equal(percentile([4, 1, 3, 2], 50), 2.5);
    assert.ok(Math.abs(percentile([1, 2, 3, 4], 95) - 3.85) < 1e-12); // rank 2.85
    assert.equal(percentile([1, 2, 3, 4], 0), 1);
    assert.equal(percentile([1, 2, 3, 4], 100), 4);
    assert.equal(percentile([7], 95), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.throws(() => percentile([1], 101), RangeError);
  });
});

describe('bootstrap confidence intervals', () => {
  const coinFlips = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 1 : 0));

  it('are deterministic for a seed', () => {
    const spread = Array.from({ length: 50 }, (_, i) => Math.sin(i));
    assert.deepEqual(bootstrapCi(spread, undefined, { seed: 7 }), bootstrapCi(spread, undefined, { seed: 7 }));
    assert.notDeepEqual(bootstrapCi(spread, undefined, { seed: 7 }), bootstrapCi(spread, undefined, { seed: 8 }));
  });

  it('match the normal approximation for a proportion', () => {
    // p = 0.5, n = 100: standard error 0.05, so roughly 0.5 ± 0.098.
    const ci = bootstrapCi(coinFlips);
    assert.equal(ci.estimate, 0.5);
    assert.ok(ci.low > 0.38 && ci.low < 0.42, `low ${ci.low}`);
    assert.ok(ci.high > 0.58 && ci.high < 0.62, `high ${ci.high}`);
  });

  it('narrow with more items and collapse for constant scores', () => {
    const small = bootstrapCi(coinFlips.slice(0, 20));
    const large = bootstrapCi(Array.from({ length: 2000 }, (_, i) => i % 2));
    assert.ok(large.high - large.low < small.high - small.low);
    assert.deepEqual(bootstrapCi([1, 1, 1]), { estimate: 1, low: 1, high: 1 });
    const empty = bootstrapCi([]);
    assert.ok(Number.isNaN(empty.estimate) && Number.isNaN(empty.low) && Number.isNaN(empty.high));
  });

  it('resample whole items for any statistic', () => {
    const pairs = [
      { x: 1, y: 2 },
      { x: 2, y: 4 },
      { x: 3, y: 6 },
    ];
    const ratio = bootstrapCi(pairs, (sample) => sample.reduce((s, p) => s + p.y, 0) / sample.reduce((s, p) => s + p.x, 0));
    assert.deepEqual(ratio, { estimate: 2, low: 2, high: 2 });
    assert.throws(() => bootstrapCi([1], undefined, { confidence: 1.5 }), RangeError);
  });
});

describe('Pareto front', () => {
  it('keeps the points no other point beats on both quality and cost', () => {
    const points = [
      { id: 'big-api', quality: 0.9, cost: 10 },
      { id: 'mid', quality: 0.8, cost: 2 },
      { id: 'worse-and-dearer', quality: 0.7, cost: 3 },
      { id: 'tiny', quality: 0.5, cost: 0.1 },
      { id: 'same-as-mid-but-dearer', quality: 0.8, cost: 2.5 },
      { id: 'unknown-cost', quality: 0.95, cost: Number.NaN },
    ];
    assert.deepEqual([...paretoFront(points)].sort(), ['big-api', 'mid', 'tiny']);
  });

  it('keeps exact ties together and handles lower-is-better metrics', () => {
    assert.deepEqual([...paretoFront([{ id: 'a', quality: 1, cost: 1 }, { id: 'b', quality: 1, cost: 1 }])].sort(), ['a', 'b']);
    const perplexities = [
      { id: 'good', quality: 5, cost: 2 },
      { id: 'cheap', quality: 20, cost: 1 },
      { id: 'bad', quality: 30, cost: 3 },
    ];
    assert.deepEqual([...paretoFront(perplexities, false)].sort(), ['cheap', 'good']);
    assert.deepEqual([...paretoFront([])], []);
  });
});
