import { attentionForward } from './attention.ts';
import { linearForward } from './linear.ts';
import type { LlamaModel } from './llama-weights.ts';
import { loraForward, loraScale, type Dropout, type LoraAdapter, type LoraTrace } from './lora.ts';
import type { ProjectionName } from './projections.ts';
import { rmsNormForward } from './rms-norm.ts';
import { applyRope, ropeTable, type RopeTable } from './rope.ts';
import { swigluForward } from './swiglu.ts';

/** Activations of one block, kept for the backward pass. */
export interface BlockTrace {
  input: Float32Array;
  attnInvRms: Float32Array;
  attnNormed: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  probs: Float32Array;
  attnOut: Float32Array;
  mid: Float32Array;
  ffnInvRms: Float32Array;
  ffnNormed: Float32Array;
  gate: Float32Array;
  up: Float32Array;
  act: Float32Array;
  lora: Partial<Record<ProjectionName, LoraTrace>>;
}

export interface ForwardTrace {
  rows: number;
  blocks: BlockTrace[];
  final: Float32Array;
  finalInvRms: Float32Array;
  finalNormed: Float32Array;
  rope: RopeTable;
}

export interface ForwardOptions {
  adapter?: LoraAdapter | undefined;
  /** Multiplies the adapter's alpha/rank, like llama.cpp's per-adapter scale (default 1). */
  adapterScale?: number;
  dropout?: Dropout | undefined;
}

const ropeCache = new WeakMap<LlamaModel, RopeTable>();

function ropeFor(model: LlamaModel, rows: number): RopeTable {
  const cached = ropeCache.get(model);
  if (cached && cached.positions >= rows) return cached;
  const table = ropeTable(model.config.rope, Math.max(rows, 2 * (cached?.positions ?? 64)));
  ropeCache.set(model, table);
  return table;
}

/**
 * Runs the tokens (positions 0..n-1, one causal sequence) through the model and returns the
 * logits [n × vocab] with everything the backward pass needs.
 */
export function llamaForward(model: LlamaModel, tokens: ArrayLike<number>, options: ForwardOptions = {}): { logits: Float32Array; trace: ForwardTrace } {
  const { config } = model;
  const T = tokens.length;
  const E = config.embd;
  const qDim = config.heads * config.headDim;
  const kvDim = config.kvHeads * config.headDim;
  const rope = ropeFor(model, T);
  let x: Float32Array = new Float32Array(T * E);
  for (let t = 0; t < T; t++) {
    const token = tokens[t]!;
    if (!(token >= 0 && token < config.vocab)) throw new RangeError(`token ${token} is outside the vocabulary (0..${config.vocab - 1})`);
    x.set(model.tokenEmbedding.subarray(token * E, token * E + E), t * E);
  }
  const blocks: BlockTrace[] = [];
  for (let l = 0; l < config.layers; l++) {
    const weights = model.layers[l]!;
    const loraLayer = options.adapter?.layers[l];
    const lora: BlockTrace['lora'] = {};
    const project = (name: ProjectionName, input: Float32Array, inDim: number, outDim: number): Float32Array => {
      const y = new Float32Array(T * outDim);
      linearForward(input, T, inDim, weights.proj[name], outDim, y);
      const factor = loraLayer?.[name];
      if (factor && options.adapter) {
        lora[name] = loraForward(input, T, factor, loraScale(options.adapter, factor) * (options.adapterScale ?? 1), y, options.dropout);
      }
      return y;
    };
    const attnInvRms = new Float32Array(T);
    const attnNormed = new Float32Array(T * E);
    rmsNormForward(x, T, E, weights.attnNorm, config.eps, attnNormed, attnInvRms);
    const q = project('q', attnNormed, E, qDim);
    const k = project('k', attnNormed, E, kvDim);
    const v = project('v', attnNormed, E, kvDim);
    applyRope(q, T, config.heads, config.headDim, rope);
    applyRope(k, T, config.kvHeads, config.headDim, rope);
    const probs = new Float32Array(config.heads * T * T);
    const attnOut = new Float32Array(T * qDim);
    attentionForward(q, k, v, { rows: T, heads: config.heads, kvHeads: config.kvHeads, headDim: config.headDim }, probs, attnOut);
    const mid = project('o', attnOut, qDim, E);
    for (let i = 0; i < mid.length; i++) mid[i] += x[i]!;
    const ffnInvRms = new Float32Array(T);
    const ffnNormed = new Float32Array(T * E);
    rmsNormForward(mid, T, E, weights.ffnNorm, config.eps, ffnNormed, ffnInvRms);
    const gate = project('gate', ffnNormed, E, config.ffn);
    const up = project('up', ffnNormed, E, config.ffn);
    const act = new Float32Array(T * config.ffn);
    swigluForward(gate, up, act, act.length);
    const out = project('down', act, config.ffn, E);
    for (let i = 0; i < out.length; i++) out[i] += mid[i]!;
    blocks.push({ input: x, attnInvRms, attnNormed, q, k, v, probs, attnOut, mid, ffnInvRms, ffnNormed, gate, up, act, lora });
    x = out;
  }
  const finalInvRms = new Float32Array(T);
  const finalNormed = new Float32Array(T * E);
  rmsNormForward(x, T, E, model.outputNorm, config.eps, finalNormed, finalInvRms);
  const logits = new Float32Array(T * config.vocab);
  linearForward(finalNormed, T, E, model.output, config.vocab, logits);
  return { logits, trace: { rows: T, blocks, final: x, finalInvRms, finalNormed, rope } };
}
