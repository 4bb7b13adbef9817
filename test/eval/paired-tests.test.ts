import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBinary, mcnemarTest, pairedBootstrap } from '../../src/eval/paired-tests.ts';

describe('mcnemarTest', () => {
  it('counts the discordant items and gives the exact two-sided binomial p-value', () => {
    // 10 items: both right on 2, only A on 6, only B on 1, both wrong on 1.
    const a = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    const b = [1, 1, 0, 0, 0, 0, 0, 0, 1, 0];
    const result = mcnemarTest(a, b);
    assert.deepEqual([result.onlyA, result.onlyB], [6, 1]);
    // n = 7, k = 1: 2 · (C(7,0) + C(7,1)) / 2^7 = 2 · 8 / 128 = 0.125.
    assert.ok(Math.abs(result.pValue - 0.125) < 1e-12);
  });

  it('is 1 with no discordant items and caps at 1 when the split is even', () => {
    assert.equal(mcnemarTest([1, 0], [1, 0]).pValue, 1);
    assert.equal(mcnemarTest([1, 0], [0, 1]).pValue, 1);
  });

  it('stays finite for thousands of discordant items', () => {
    const a = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const b = a.map((x) => 1 - x);
    const { onlyA, onlyB, pValue } = mcnemarTest(a, b);
    assert.deepEqual([onlyA, onlyB], [2000, 1000]);
    assert.ok(pValue > 0 && pValue < 1e-10);
  });

  it('refuses samples of different lengths', () => {
    assert.throws(() => mcnemarTest([1], [1, 0]), /same length/);
  });
});

describe('pairedBootstrap', () => {
  it('estimates the mean paired difference with an interval around it, seeded', () => {
    const a = [0.9, 0.8, 0.85, 0.95, 0.7, 0.9, 0.88, 0.92];
    const b = a.map((x) => x - 0.1);
    const result = pairedBootstrap(a, b, { seed: 7 });
    assert.equal(result.items, 8);
    assert.ok(Math.abs(result.meanDifference - 0.1) < 1e-12);
    // Every difference is 0.1, so every resample is too.
    assert.ok(Math.abs(result.low - 0.1) < 1e-12 && Math.abs(result.high - 0.1) < 1e-12);
    assert.equal(result.pValue, 0);
    assert.deepEqual(pairedBootstrap(a, b, { seed: 7 }), result);
  });

  it('gives a large p-value when the models do not differ', () => {
    const a = [1, 0, 1, 0, 1, 0, 1, 0];
    const b = [0, 1, 0, 1, 0, 1, 0, 1];
    const result = pairedBootstrap(a, b, { seed: 1 });
    assert.equal(result.meanDifference, 0);
    assert.ok(result.low < 0 && result.high > 0);
    assert.ok(result.pValue > 0.5);
  });

  it('is NaN on no items', () => {
    assert.ok(Number.isNaN(pairedBootstrap([], []).meanDifference));
  });
});

describe('isBinary', () => {
  it('accepts only 0 and 1', () => {
    assert.equal(isBinary([0, 1, 1]), true);
    assert.equal(isBinary([0, 0.5]), false);
  });
});
