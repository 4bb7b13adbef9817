import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adamWStep, clipGradientNorm, createAdamWState } from '../../src/tune/train/adamw.ts';
import { learningRateAt } from '../../src/tune/train/lr-schedule.ts';
import { formatDuration, formatProgress } from '../../src/tune/train/progress-line.ts';

describe('optimizer and schedule', () => {
  it('warms up linearly, then decays along a cosine to the floor', () => {
    const lr = (step: number): number => learningRateAt(step, 110, 1e-3, 10);
    assert.equal(lr(0), 1e-4);
    assert.equal(lr(9), 1e-3);
    assert.equal(lr(10), 1e-3);
    assert.ok(Math.abs(lr(60) - 5e-4) < 1e-12);
    assert.ok(lr(109) < 1e-6);
    assert.ok(Math.abs(learningRateAt(110, 110, 1e-3, 10, 0.1) - 1e-4) < 1e-12);
    for (let s = 11; s < 110; s++) assert.ok(lr(s) <= lr(s - 1));
  });

  it('AdamW takes bias-corrected steps of about lr and decays weights apart from the gradient', () => {
    const data = Float32Array.of(1, -1, 0.5);
    const grad = Float32Array.of(0.2, -3, 0);
    const state = createAdamWState([{ data, grad }]);
    adamWStep([{ data, grad }], state, 0.1, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5 });
    // First step: m̂ = g, v̂ = g², so the update is lr·sign(g) plus lr·wd·w.
    assert.ok(Math.abs(data[0]! - (1 - 0.1 - 0.05)) < 1e-6);
    assert.ok(Math.abs(data[1]! - (-1 + 0.1 + 0.05)) < 1e-6);
    assert.ok(Math.abs(data[2]! - (0.5 - 0.025)) < 1e-6);
    assert.equal(state.t, 1);
  });

  it('clips the global gradient norm', () => {
    const grads = [Float32Array.of(3, 0), Float32Array.of(0, 4)];
    const norm = clipGradientNorm(grads.map((grad) => ({ data: new Float32Array(2), grad })), 1);
    assert.equal(norm, 5);
    assert.ok(Math.abs(grads[0]![0]! - 0.6) < 1e-7 && Math.abs(grads[1]![1]! - 0.8) < 1e-7);
  });

  it('formats a progress line with loss, tokens/s and ETA', () => {
    assert.equal(formatDuration(65), '1m05s');
    assert.equal(formatDuration(3725), '1h02m');
    const line = formatProgress({ kind: 'step', step: 5, totalSteps: 20, epoch: 1, epochs: 2, loss: 2.5, learningRate: 1e-3, tokensPerSecond: 812.4, elapsedSeconds: 10, etaSeconds: 30 });
    assert.equal(line, '[#####...............]  25% step 5/20 | epoch 1/2 | loss 2.5000 | lr 1.00e-3 | 812 tok/s | ETA 30s');
    assert.match(formatProgress({ kind: 'epoch', step: 10, totalSteps: 20, epoch: 1, epochs: 2, loss: 2, validationLoss: 1, learningRate: 0, tokensPerSecond: 0, elapsedSeconds: 61, etaSeconds: 0 }), /epoch 1\/2 done \| train loss 2\.0000 \| validation loss 1\.0000 \(ppl 2\.72\) \| 1m01s elapsed/);
  });
});
