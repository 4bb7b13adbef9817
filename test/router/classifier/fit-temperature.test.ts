import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitTemperature, negativeLogLikelihood } from '../../../src/router/classifier/fit-temperature.ts';
import { seededRandom } from '../../../src/util/seeded-random.ts';

/** Labels drawn from softmax(logits / trueT): the fitted temperature should recover trueT. */
function sample(trueT: number, count: number): { logits: Float64Array[]; labels: number[] } {
  const random = seededRandom(11);
  const logits: Float64Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const row = Float64Array.from({ length: 4 }, () => (random() - 0.5) * 8);
    const weights = Array.from(row, (z) => Math.exp(z / trueT));
    const total = weights.reduce((a, b) => a + b, 0);
    let r = random() * total;
    let label = 0;
    while (r > weights[label]! && label < 3) r -= weights[label++]!;
    logits.push(row);
    labels.push(label);
  }
  return { logits, labels };
}

test('recovers the temperature that generated the labels', () => {
  for (const trueT of [0.5, 1, 2.5]) {
    const { logits, labels } = sample(trueT, 4000);
    const fitted = fitTemperature(logits, labels);
    assert.ok(Math.abs(fitted - trueT) / trueT < 0.1, `true ${trueT}, fitted ${fitted}`);
  }
});

test('the fitted temperature minimises held-out NLL', () => {
  const { logits, labels } = sample(2, 1000);
  const t = fitTemperature(logits, labels);
  const best = negativeLogLikelihood(logits, labels, t);
  for (const other of [t * 0.8, t * 1.25, 1]) assert.ok(best <= negativeLogLikelihood(logits, labels, other) + 1e-9);
});

test('no examples leave the temperature at 1', () => {
  assert.equal(fitTemperature([], []), 1);
});
