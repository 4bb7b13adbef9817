import { projectionShape, type LlamaConfig } from './llama-config.ts';
import { linearBackwardInput, linearBackwardWeight, linearForward } from './linear.ts';
import type { ProjectionName } from './projections.ts';

/**
 * LoRA as llama.cpp applies it: y = W x + (alpha / rank) · B (A x), with A [rank × in] and
 * B [out × rank] — the same orientation as PEFT's lora_A / lora_B weights. The tests pin this
 * against llama.cpp's own output with a real adapter file.
 */
export interface LoraFactor {
  rank: number;
  inDim: number;
  outDim: number;
  a: Float32Array;
  b: Float32Array;
  gradA?: Float32Array;
  gradB?: Float32Array;
}

export interface LoraAdapter {
  alpha: number;
  /** One entry per block; a projection without a factor is left alone. */
  layers: Array<Partial<Record<ProjectionName, LoraFactor>>>;
}

/** llama.cpp's rule: alpha 0 means "no scaling", otherwise alpha / rank of that tensor. */
export function loraScale(adapter: LoraAdapter, factor: LoraFactor): number {
  return adapter.alpha === 0 ? 1 : adapter.alpha / factor.rank;
}

/**
 * A fresh adapter as PEFT initialises one: A uniform in ±1/sqrt(in) (Kaiming-uniform with
 * a = sqrt(5)), B zero, so training starts from exactly the base model.
 */
export function createLoraAdapter(config: LlamaConfig, targets: readonly ProjectionName[], rank: number, alpha: number, random: () => number): LoraAdapter {
  const layers: LoraAdapter['layers'] = [];
  for (let l = 0; l < config.layers; l++) {
    const layer: Partial<Record<ProjectionName, LoraFactor>> = {};
    for (const target of targets) {
      const [inDim, outDim] = projectionShape(config, target);
      const bound = 1 / Math.sqrt(inDim);
      const a = new Float32Array(rank * inDim);
      for (let i = 0; i < a.length; i++) a[i] = (2 * random() - 1) * bound;
      layer[target] = { rank, inDim, outDim, a, b: new Float32Array(outDim * rank) };
    }
    layers.push(layer);
  }
  return { alpha, layers };
}

/** Every factor with its place, in a stable order (optimizer state and files follow it). */
export function* loraFactors(adapter: LoraAdapter): Generator<{ layer: number; projection: ProjectionName; factor: LoraFactor }> {
  for (let layer = 0; layer < adapter.layers.length; layer++) {
    const entries = Object.entries(adapter.layers[layer]!) as Array<[ProjectionName, LoraFactor]>;
    for (const [projection, factor] of entries) yield { layer, projection, factor };
  }
}

/** What the LoRA branch of one projection keeps for its backward pass. */
export interface LoraTrace {
  /** The branch input after dropout (the projection input itself when dropout is off). */
  input: Float32Array;
  /** Dropout's keep mask scaled by 1/(1-p), or undefined without dropout. */
  mask: Float32Array | undefined;
  /** A x, [rows × rank]. */
  hidden: Float32Array;
}

export interface Dropout {
  p: number;
  random: () => number;
}

/** y += scale · B (A x̃), where x̃ is x after dropout. */
export function loraForward(x: Float32Array, rows: number, factor: LoraFactor, scale: number, y: Float32Array, dropout: Dropout | undefined): LoraTrace {
  const { rank, inDim, outDim } = factor;
  let input = x;
  let mask: Float32Array | undefined;
  if (dropout && dropout.p > 0) {
    mask = new Float32Array(rows * inDim);
    input = new Float32Array(rows * inDim);
    const keep = 1 / (1 - dropout.p);
    for (let i = 0; i < input.length; i++) {
      mask[i] = dropout.random() < dropout.p ? 0 : keep;
      input[i] = x[i]! * mask[i]!;
    }
  }
  const hidden = new Float32Array(rows * rank);
  linearForward(input, rows, inDim, factor.a, rank, hidden);
  const delta = new Float32Array(rows * outDim);
  linearForward(hidden, rows, rank, factor.b, outDim, delta);
  for (let i = 0; i < delta.length; i++) y[i] += scale * delta[i]!;
  return { input, mask, hidden };
}

/** Accumulates gradA/gradB (when present) and dx += the branch's input gradient. */
export function loraBackward(dy: Float32Array, rows: number, factor: LoraFactor, scale: number, trace: LoraTrace, dx: Float32Array): void {
  const { rank, inDim, outDim } = factor;
  if (factor.gradB) {
    const scaledHidden = new Float32Array(trace.hidden.length);
    for (let i = 0; i < scaledHidden.length; i++) scaledHidden[i] = trace.hidden[i]! * scale;
    linearBackwardWeight(dy, scaledHidden, rows, outDim, rank, factor.gradB);
  }
  const dHidden = new Float32Array(rows * rank);
  linearBackwardInput(dy, rows, outDim, factor.b, rank, dHidden);
  for (let i = 0; i < dHidden.length; i++) dHidden[i] *= scale;
  if (factor.gradA) linearBackwardWeight(dHidden, trace.input, rows, rank, inDim, factor.gradA);
  if (!trace.mask) {
    linearBackwardInput(dHidden, rows, rank, factor.a, inDim, dx);
    return;
  }
  const dInput = new Float32Array(rows * inDim);
  linearBackwardInput(dHidden, rows, rank, factor.a, inDim, dInput);
  for (let i = 0; i < dInput.length; i++) dx[i] += dInput[i]! * trace.mask[i]!;
}
