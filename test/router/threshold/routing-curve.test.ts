import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelOutcome } from '../../../src/router/threshold/model-outcomes.ts';
import { randomRoutingAccuracy, randomStrongShareFor, routingCurve, strongShareFor } from '../../../src/router/threshold/routing-curve.ts';
import { thresholdForStrongShare } from '../../../src/router/threshold/train-threshold-router.ts';

const o = (weakCorrect: boolean, strongCorrect: boolean): ModelOutcome => ({ text: `${weakCorrect}-${strongCorrect}`, weakCorrect, strongCorrect });

// Four prompts: weak 2/4 right, strong 3/4 right.
const outcomes = [o(true, true), o(false, true), o(false, false), o(true, false)];

test('the curve sends the lowest weak advantage to the strong model first', () => {
  // Scores put the only-strong prompt first: one strong call recovers the whole gap.
  const curve = routingCurve([0.5, -0.9, 0, 0.9], outcomes);
  assert.equal(curve.weakAccuracy, 0.5);
  assert.equal(curve.strongAccuracy, 0.5);
  assert.deepEqual(curve.points.map((p) => [p.strongShare, p.accuracy]), [[0, 0.5], [0.25, 0.75], [0.5, 0.75], [0.75, 0.75], [1, 0.5]]);
});

test('strong share needed for a target, against random routing, and APGR', () => {
  const graded = [o(true, true), o(false, true), o(false, true), o(false, false)];
  const good = routingCurve([0.9, -0.5, -0.4, 0], graded);
  assert.equal(good.weakAccuracy, 0.25);
  assert.equal(good.strongAccuracy, 0.75);
  assert.equal(strongShareFor(good, 0.75), 0.5);
  assert.equal(randomStrongShareFor(good, 0.75), 1);
  assert.equal(randomStrongShareFor(good, 0.5), 0.5);
  assert.equal(randomStrongShareFor(good, 0.2), 0);
  assert.equal(randomStrongShareFor(good, 0.8), undefined);
  assert.equal(strongShareFor(good, 0.8), undefined);
  assert.equal(randomRoutingAccuracy(good, 0.5), 0.5);
  // gap recovered at shares 0, .25, .5, .75, 1: 0, .5, 1, 1, 1 -> mean 0.7
  assert.ok(Math.abs(good.apgr - 0.7) < 1e-12);
  const bad = routingCurve([-0.9, 0.5, 0.4, 0], graded);
  assert.ok(bad.apgr < 0.5, `a backwards ranking recovers less than random: ${bad.apgr}`);
});

test('the threshold for a strong share is the matching quantile of scores', () => {
  const scores = [-0.4, -0.2, 0, 0.1, 0.3];
  assert.equal(thresholdForStrongShare(scores, 0.4), 0);
  assert.equal(thresholdForStrongShare(scores, 0), -Infinity);
  assert.equal(thresholdForStrongShare(scores, 1), Infinity);
  assert.equal(scores.filter((s) => s < thresholdForStrongShare(scores, 0.4)).length, 2);
});
