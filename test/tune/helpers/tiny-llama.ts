import type { LlamaConfig } from '../../../src/tune/model/llama-config.ts';
import type { LayerWeights, LlamaModel } from '../../../src/tune/model/llama-weights.ts';
import { projectionShape } from '../../../src/tune/model/llama-config.ts';
import { projectionNames, type ProjectionName } from '../../../src/tune/model/projections.ts';
import { seededRandom } from '../../../src/tune/train/seeded-random.ts';

/** A random llama small enough for finite differences: grouped-query attention included. */
export function tinyLlama(seed = 1, overrides: Partial<LlamaConfig> = {}): LlamaModel {
  const config: LlamaConfig = {
    layers: 2,
    embd: 16,
    ffn: 24,
    heads: 4,
    kvHeads: 2,
    headDim: 4,
    vocab: 13,
    eps: 1e-5,
    contextLength: 64,
    rope: { nRot: 4, base: 10000, freqScale: 1 },
    ...overrides,
  };
  const random = seededRandom(seed);
  const fill = (n: number, scale: number, offset = 0): Float32Array => Float32Array.from({ length: n }, () => offset + (2 * random() - 1) * scale);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    const proj = {} as Record<ProjectionName, Float32Array>;
    for (const p of projectionNames) {
      const [inDim, outDim] = projectionShape(config, p);
      proj[p] = fill(inDim * outDim, 1 / Math.sqrt(inDim));
    }
    layers.push({ attnNorm: fill(config.embd, 0.2, 1), ffnNorm: fill(config.embd, 0.2, 1), proj });
  }
  return {
    config,
    tokenEmbedding: fill(config.vocab * config.embd, 1),
    outputNorm: fill(config.embd, 0.2, 1),
    output: fill(config.vocab * config.embd, 0.5),
    layers,
    source: 'tiny-llama',
  };
}

/**
 * Central differences of `loss` with respect to chosen entries of `param`, compared with the
 * analytic gradient. Returns the worst relative error.
 */
export function worstGradientError(loss: () => number, param: Float32Array, analytic: ArrayLike<number>, indices: readonly number[], eps = 1e-2): number {
  let worst = 0;
  for (const i of indices) {
    const original = param[i]!;
    param[i] = original + eps;
    const up = loss();
    const stepUp = param[i]! - original;
    param[i] = original - eps;
    const down = loss();
    const stepDown = original - param[i]!;
    param[i] = original;
    const numeric = (up - down) / (stepUp + stepDown);
    const error = Math.abs(numeric - analytic[i]!) / Math.max(1e-2, Math.abs(numeric), Math.abs(analytic[i]!));
    worst = Math.max(worst, error);
  }
  return worst;
}

export function someIndices(length: number, count: number, seed = 7): number[] {
  const random = seededRandom(seed);
  if (length <= count) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: count }, () => Math.floor(random() * length));
}
