import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attentionBackward, attentionForward } from '../../src/tune/model/attention.ts';
import { crossEntropy } from '../../src/tune/model/cross-entropy.ts';
import { linearBackwardInput, linearBackwardWeight, linearForward } from '../../src/tune/model/linear.ts';
import { llamaBackward } from '../../src/tune/model/llama-backward.ts';
import { llamaForward } from '../../src/tune/model/llama-forward.ts';
import { createLoraAdapter, loraBackward, loraFactors, loraForward, type LoraFactor } from '../../src/tune/model/lora.ts';
import { projectionNames } from '../../src/tune/model/projections.ts';
import { rmsNormBackward, rmsNormForward } from '../../src/tune/model/rms-norm.ts';
import { applyRope, ropeTable } from '../../src/tune/model/rope.ts';
import { swigluBackward, swigluForward } from '../../src/tune/model/swiglu.ts';
import { seededRandom } from '../../src/tune/train/seeded-random.ts';
import { someIndices, tinyLlama, worstGradientError } from './helpers/tiny-llama.ts';

/**
 * Every op's backward pass against central finite differences. Each check uses a scalar loss
 * L = Σ out ⊙ R with a fixed random R, so ∂L/∂out = R.
 */
const random = seededRandom(42);
const rand = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (2 * random() - 1) * scale);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const tolerance = 2e-3;

describe('gradients against finite differences', () => {
  it('linear: input and weight', () => {
    const [rows, inDim, outDim] = [5, 7, 6];
    const x = rand(rows * inDim);
    const w = rand(outDim * inDim);
    const r = rand(rows * outDim);
    const loss = (): number => {
      const y = new Float32Array(rows * outDim);
      linearForward(x, rows, inDim, w, outDim, y);
      return dot(y, r);
    };
    const dx = new Float32Array(x.length);
    linearBackwardInput(r, rows, outDim, w, inDim, dx);
    const dw = new Float32Array(w.length);
    linearBackwardWeight(r, x, rows, outDim, inDim, dw);
    assert.ok(worstGradientError(loss, x, dx, someIndices(x.length, 40)) < tolerance);
    assert.ok(worstGradientError(loss, w, dw, someIndices(w.length, 40)) < tolerance);
  });

  it('rmsnorm', () => {
    const [rows, dim] = [3, 9];
    const x = rand(rows * dim);
    const weight = rand(dim, 1);
    const r = rand(rows * dim);
    const invRms = new Float32Array(rows);
    const loss = (): number => {
      const y = new Float32Array(rows * dim);
      rmsNormForward(x, rows, dim, weight, 1e-5, y, invRms);
      return dot(y, r);
    };
    loss();
    const dx = new Float32Array(x.length);
    rmsNormBackward(r, x, rows, dim, weight, invRms, dx);
    assert.ok(worstGradientError(loss, x, dx, someIndices(x.length, 27)) < tolerance);
  });

  it('rope (partial rotation, several heads)', () => {
    const [rows, heads, headDim] = [6, 3, 6];
    const table = ropeTable({ nRot: 4, base: 10000, freqScale: 0.5 }, rows);
    const x = rand(rows * heads * headDim);
    const r = rand(x.length);
    const loss = (): number => {
      const y = Float32Array.from(x);
      applyRope(y, rows, heads, headDim, table);
      return dot(y, r);
    };
    const dx = Float32Array.from(r);
    applyRope(dx, rows, heads, headDim, table, -1);
    assert.ok(worstGradientError(loss, x, dx, someIndices(x.length, 40)) < tolerance);
    // Dimensions past nRot pass through untouched.
    const y = Float32Array.from(x);
    applyRope(y, rows, heads, headDim, table);
    assert.equal(y[4], x[4]);
    assert.notEqual(y[headDim * heads + 0], x[headDim * heads + 0]);
  });

  it('causal grouped-query attention: q, k and v', () => {
    const shape = { rows: 5, heads: 4, kvHeads: 2, headDim: 3 };
    const q = rand(shape.rows * shape.heads * shape.headDim);
    const k = rand(shape.rows * shape.kvHeads * shape.headDim);
    const v = rand(k.length);
    const r = rand(q.length);
    const probs = new Float32Array(shape.heads * shape.rows * shape.rows);
    const loss = (): number => {
      const out = new Float32Array(q.length);
      attentionForward(q, k, v, shape, probs, out);
      return dot(out, r);
    };
    loss();
    const [dq, dk, dv] = [new Float32Array(q.length), new Float32Array(k.length), new Float32Array(v.length)];
    attentionBackward(r, q, k, v, probs, shape, dq, dk, dv, new Float32Array(shape.rows));
    for (const [param, grad] of [[q, dq], [k, dk], [v, dv]] as const) {
      assert.ok(worstGradientError(loss, param, grad, someIndices(param.length, 30)) < tolerance);
    }
    // Causality: the first row attends to itself only.
    loss();
    assert.equal(probs[0], 1);
    assert.equal(probs[1], 0);
  });

  it('swiglu', () => {
    const n = 20;
    const gate = rand(n, 3);
    const up = rand(n, 2);
    const r = rand(n);
    const loss = (): number => {
      const act = new Float32Array(n);
      swigluForward(gate, up, act, n);
      return dot(act, r);
    };
    const [dGate, dUp] = [new Float32Array(n), new Float32Array(n)];
    swigluBackward(r, gate, up, dGate, dUp, n);
    assert.ok(worstGradientError(loss, gate, dGate, someIndices(n, 20)) < tolerance);
    assert.ok(worstGradientError(loss, up, dUp, someIndices(n, 20)) < tolerance);
  });

  it('cross-entropy with unscored rows', () => {
    const [rows, vocab] = [4, 9];
    const logits = rand(rows * vocab, 3);
    const targets = Int32Array.from([3, -1, 0, 8]);
    const loss = (): number => crossEntropy(logits, rows, vocab, targets, 1 / 3, undefined);
    const d = new Float32Array(logits.length);
    crossEntropy(logits, rows, vocab, targets, 1 / 3, d);
    assert.ok(worstGradientError(loss, logits, d, someIndices(logits.length, 36)) < tolerance);
    assert.ok(d.subarray(vocab, 2 * vocab).every((g) => g === 0));
  });

  it('lora branch: A, B and input, with and without dropout', () => {
    for (const p of [0, 0.3]) {
      const [rows, inDim, outDim, rank] = [4, 6, 5, 3];
      const factor: LoraFactor = { rank, inDim, outDim, a: rand(rank * inDim), b: rand(outDim * rank), gradA: new Float32Array(rank * inDim), gradB: new Float32Array(outDim * rank) };
      const x = rand(rows * inDim);
      const r = rand(rows * outDim);
      // The same dropout mask on every call, as within one training step.
      const dropout = (): { p: number; random: () => number } => ({ p, random: seededRandom(5) });
      const run = () => {
        const y = new Float32Array(rows * outDim);
        const trace = loraForward(x, rows, factor, 0.7, y, dropout());
        return { value: dot(y, r), trace };
      };
      const dx = new Float32Array(x.length);
      loraBackward(r, rows, factor, 0.7, run().trace, dx);
      const loss = (): number => run().value;
      assert.ok(worstGradientError(loss, factor.a, factor.gradA!, someIndices(factor.a.length, 18)) < tolerance, `gradA p=${p}`);
      assert.ok(worstGradientError(loss, factor.b, factor.gradB!, someIndices(factor.b.length, 15)) < tolerance, `gradB p=${p}`);
      assert.ok(worstGradientError(loss, x, dx, someIndices(x.length, 24)) < tolerance, `dx p=${p}`);
    }
  });

  it('the whole llama: every LoRA factor of every projection', () => {
    const model = tinyLlama(3);
    const adapter = createLoraAdapter(model.config, projectionNames, 2, 4, seededRandom(9));
    for (const { factor } of loraFactors(adapter)) {
      // B starts at zero in training; give it values so A's gradient is not trivially zero.
      for (let i = 0; i < factor.b.length; i++) factor.b[i] = (2 * random() - 1) * 0.3;
      factor.gradA = new Float32Array(factor.a.length);
      factor.gradB = new Float32Array(factor.b.length);
    }
    const tokens = [1, 5, 2, 9, 12, 0, 7];
    const targets = Int32Array.from([5, 2, -1, 12, 0, 7, 3]);
    const { config } = model;
    const loss = (): number => crossEntropy(llamaForward(model, tokens, { adapter }).logits, tokens.length, config.vocab, targets, 1 / 6, undefined);
    const { logits, trace } = llamaForward(model, tokens, { adapter });
    const dLogits = new Float32Array(logits.length);
    crossEntropy(logits, tokens.length, config.vocab, targets, 1 / 6, dLogits);
    llamaBackward(model, trace, dLogits, { adapter });
    for (const { layer, projection, factor } of loraFactors(adapter)) {
      const errorA = worstGradientError(loss, factor.a, factor.gradA!, someIndices(factor.a.length, 6, layer));
      const errorB = worstGradientError(loss, factor.b, factor.gradB!, someIndices(factor.b.length, 6, layer));
      assert.ok(errorA < 5e-3 && errorB < 5e-3, `blk.${layer}.${projection}: A ${errorA}, B ${errorB}`);
    }
  });
});
