import { UnbundleError } from '../../errors.ts';
import { argmax, calibratedFit } from './calibrated-fit.ts';
import type { DomainPrediction, TrainingSummary } from './domain-classifier.ts';
import { unsureDomain, type LabelledExample } from './labelled-data.ts';
import { softmax } from './linear-model.ts';
import { seededRandom, shuffleInPlace } from '../../util/seeded-random.ts';

export interface EmbeddingClassifierParts {
  /** Portfolio id of the model whose embeddings this classifier reads. */
  embedModel: string;
  domains: readonly string[];
  dimensions: number;
  /** dimensions x classes, dimension-major. */
  weights: Float32Array;
  bias: Float32Array;
  temperature: number;
  threshold: number;
  training?: TrainingSummary;
}

/**
 * The embedding-based variant: a calibrated softmax regression over the (unit-length) embedding
 * of a prompt, made by any model in the portfolio that can embed. Like the hashed classifier it is
 * pure and synchronous once built; the caller computes the embedding (I/O) and passes it in.
 */
export class EmbeddingClassifier {
  readonly kind = 'embedding';
  readonly embedModel: string;
  readonly domains: readonly string[];
  readonly dimensions: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly temperature: number;
  readonly threshold: number;
  readonly training: TrainingSummary | undefined;
  private readonly logits: Float64Array;
  private readonly probs: Float64Array;

  constructor(parts: EmbeddingClassifierParts) {
    if (parts.weights.length !== parts.dimensions * parts.domains.length || parts.bias.length !== parts.domains.length) {
      throw new RangeError('weights must hold dimensions x domains values and bias one per domain');
    }
    this.embedModel = parts.embedModel;
    this.domains = Object.freeze([...parts.domains]);
    this.dimensions = parts.dimensions;
    this.weights = parts.weights;
    this.bias = parts.bias;
    this.temperature = parts.temperature;
    this.threshold = parts.threshold;
    this.training = parts.training;
    this.logits = new Float64Array(this.domains.length);
    this.probs = new Float64Array(this.domains.length);
  }

  predictEmbedding(vector: ArrayLike<number>): DomainPrediction {
    const probs = softmax(this.rawLogits(vector), this.temperature, this.probs);
    const best = argmax(probs);
    const scores: Record<string, number> = {};
    this.domains.forEach((domain, c) => (scores[domain] = probs[c]!));
    const confidence = probs[best]!;
    return { domain: confidence >= this.threshold ? this.domains[best]! : unsureDomain, best: this.domains[best]!, confidence, scores };
  }

  /** Logits before temperature; the array is reused by the next call. */
  rawLogits(vector: ArrayLike<number>): Float64Array {
    if (vector.length !== this.dimensions) {
      throw new UnbundleError('UNBUNDLE_E_CONFIG', `The router expects ${this.dimensions}-dimensional embeddings from "${this.embedModel}" but got ${vector.length}; it was trained with another embedding model. Retrain it with "unbundle route train --embed-model".`);
    }
    return denseLogits(this.weights, this.bias, unitLength(vector), this.logits);
  }

  withThreshold(threshold: number): EmbeddingClassifier {
    const { embedModel, domains, dimensions, weights, bias, temperature, training } = this;
    return new EmbeddingClassifier({ embedModel, domains, dimensions, weights, bias, temperature, threshold, ...(training ? { training } : {}) });
  }
}

export interface EmbeddingTrainOptions {
  embedModel: string;
  threshold?: number;
  seed?: number;
  epochs?: number;
  calibrationShare?: number;
}

/** Trains on examples and their embeddings (same order). */
export function trainEmbeddingClassifier(examples: readonly LabelledExample[], vectors: readonly ArrayLike<number>[], options: EmbeddingTrainOptions): EmbeddingClassifier {
  const domains = [...new Set(examples.map((e) => e.domain))].sort();
  if (domains.length < 2) throw new UnbundleError('UNBUNDLE_E_DATA', `Training needs examples of at least two domains; found ${domains.length === 0 ? 'none' : `only "${domains[0]}"`}.`);
  const dimensions = vectors[0]?.length ?? 0;
  if (vectors.length !== examples.length || dimensions === 0 || vectors.some((v) => v.length !== dimensions)) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `Embedding model "${options.embedModel}" must return one vector of the same length per example.`);
  }
  const seed = options.seed ?? 1;
  const epochs = options.epochs ?? 30;
  const items = examples.map((e, i) => ({ vector: unitLength(vectors[i]!), label: domains.indexOf(e.domain) }));
  const k = domains.length;
  const { model, temperature, calibration } = calibratedFit(
    items,
    k,
    options.calibrationShare ?? 0.1,
    seed,
    (subset) => trainDense(subset, k, dimensions, epochs, seed),
    (m, item) => Float64Array.from(denseLogits(m.weights, m.bias, item.vector, new Float64Array(k))),
  );
  const perDomain: Record<string, number> = {};
  for (const e of examples) perDomain[e.domain] = (perDomain[e.domain] ?? 0) + 1;
  return new EmbeddingClassifier({
    embedModel: options.embedModel,
    domains,
    dimensions,
    ...model,
    temperature,
    threshold: options.threshold ?? 0.5,
    training: { examples: examples.length, perDomain, calibration, trainedAt: new Date().toISOString() },
  });
}

/** Softmax regression by AdaGrad over dense unit vectors, with class weights as the hashed trainer. */
function trainDense(items: Array<{ vector: Float32Array; label: number }>, k: number, dims: number, epochs: number, seed: number): { weights: Float32Array; bias: Float32Array } {
  const weights = new Float32Array(dims * k);
  const bias = new Float32Array(k);
  const g2 = new Float32Array(dims * k);
  const b2 = new Float64Array(k);
  const counts = new Float64Array(k);
  for (const item of items) counts[item.label]!++;
  const classWeight = Array.from(counts, (n) => (n > 0 ? Math.sqrt(items.length / k / n) : 0));
  const logits = new Float64Array(k);
  const grad = new Float64Array(k);
  const random = seededRandom(seed);
  const order = items.map((_, i) => i);
  const lr = 0.1;
  const l2 = 1e-4;
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, random);
    for (const index of order) {
      const { vector, label } = items[index]!;
      softmax(denseLogits(weights, bias, vector, logits), 1, logits);
      for (let c = 0; c < k; c++) {
        grad[c] = (logits[c]! - (c === label ? 1 : 0)) * classWeight[label]!;
        b2[c] += grad[c]! * grad[c]!;
        bias[c] -= (lr * grad[c]!) / Math.sqrt(b2[c]! + 1e-8);
      }
      for (let d = 0; d < dims; d++) {
        const x = vector[d]!;
        for (let c = 0; c < k; c++) {
          const at = d * k + c;
          const g = grad[c]! * x + l2 * weights[at]!;
          g2[at] += g * g;
          weights[at] -= (lr * g) / Math.sqrt(g2[at]! + 1e-10);
        }
      }
    }
  }
  return { weights, bias };
}

function denseLogits(weights: Float32Array, bias: Float32Array, vector: ArrayLike<number>, out: Float64Array): Float64Array {
  const k = bias.length;
  for (let c = 0; c < k; c++) out[c] = bias[c]!;
  for (let d = 0; d < vector.length; d++) {
    const x = vector[d]!;
    if (x === 0) continue;
    for (let c = 0; c < k; c++) out[c] += weights[d * k + c]! * x;
  }
  return out;
}

/** Embedding models differ in scale; only the direction is compared. */
function unitLength(vector: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return Float32Array.from(vector as ArrayLike<number>, (x) => x * scale);
}
