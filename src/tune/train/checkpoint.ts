import { renameSync, writeFileSync } from 'node:fs';
import { UnbundleError } from '../../errors.ts';
import { ggufAdapterTensors } from '../adapter/gguf-adapter.ts';
import { openGgufFile } from '../gguf/gguf-file.ts';
import { encodeGguf, f32Tensor } from '../gguf/gguf-writer.ts';
import type { LoraAdapter } from '../model/lora.ts';
import { loraFactors } from '../model/lora.ts';
import { projectionByGgufName, projections } from '../model/projections.ts';
import type { TrainState } from './trainer.ts';
import type { TrainingExample, TrainSettings } from './train-settings.ts';

/**
 * Training checkpoints: a GGUF file holding the adapter, AdamW's moments, the step, and what the
 * run was (settings, a fingerprint of base model and data). A resume must see the same run, or
 * its learning-rate schedule and data order would silently differ.
 */

export interface CheckpointIdentity {
  settings: TrainSettings;
  /** e.g. "stories260K.gguf:292800" — which base model. */
  base: string;
  /** Hash of the tokenised training and validation data. */
  data: string;
}

/** FNV-1a over every token and target: changes when the data or its tokenisation changes. */
export function fingerprintExamples(...sets: ReadonlyArray<readonly TrainingExample[]>): string {
  let h = 0x811c9dc5;
  const mix = (n: number): void => {
    h = Math.imul(h ^ (n & 0xffff), 0x01000193);
    h = Math.imul(h ^ (n >>> 16), 0x01000193);
  };
  for (const examples of sets) {
    mix(examples.length);
    for (const { tokens, targets } of examples) {
      mix(tokens.length);
      for (let i = 0; i < tokens.length; i++) { mix(tokens[i]!); mix(targets[i]!); }
    }
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function writeCheckpoint(file: string, state: TrainState, identity: CheckpointIdentity): void {
  const tensors = ggufAdapterTensors(state.adapter);
  let p = 0;
  for (const { layer, projection } of loraFactors(state.adapter)) {
    const base = `blk.${layer}.${projections[projection].gguf}.weight`;
    for (const side of ['a', 'b'] as const) {
      const m = state.optimizer.m[p]!;
      const v = state.optimizer.v[p]!;
      tensors.push(f32Tensor(`${base}.lora_${side}.adam_m`, [m.length], m), f32Tensor(`${base}.lora_${side}.adam_v`, [v.length], v));
      p++;
    }
  }
  const bytes = encodeGguf(
    [
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['general.type', { type: 'string', value: 'unbundle-checkpoint' }],
      ['adapter.lora.alpha', { type: 'f32', value: state.adapter.alpha }],
      ['unbundle.checkpoint.step', { type: 'u64', value: state.step }],
      ['unbundle.checkpoint.adam_t', { type: 'u64', value: state.optimizer.t }],
      ['unbundle.checkpoint.settings', { type: 'string', value: JSON.stringify(identity.settings) }],
      ['unbundle.checkpoint.base', { type: 'string', value: identity.base }],
      ['unbundle.checkpoint.data', { type: 'string', value: identity.data }],
    ],
    tensors,
  );
  // Write then rename, so an interrupted save never leaves a half-written checkpoint behind.
  writeFileSync(`${file}.partial`, bytes);
  renameSync(`${file}.partial`, file);
}

export function readCheckpoint(file: string, expected: CheckpointIdentity): TrainState {
  const gguf = openGgufFile(file);
  if (gguf.string('general.type') !== 'unbundle-checkpoint') {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${file} is not a training checkpoint written by "unbundle tune train".`);
  }
  const differences: string[] = [];
  const saved = JSON.parse(gguf.string('unbundle.checkpoint.settings') ?? '{}') as Record<string, unknown>;
  for (const [key, value] of Object.entries(expected.settings)) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(value)) differences.push(`${key} was ${JSON.stringify(saved[key])}, now ${JSON.stringify(value)}`);
  }
  if (gguf.string('unbundle.checkpoint.base') !== expected.base) differences.push(`base model was ${gguf.string('unbundle.checkpoint.base')}, now ${expected.base}`);
  if (gguf.string('unbundle.checkpoint.data') !== expected.data) differences.push('the training data (or its tokenisation) changed');
  if (differences.length > 0) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `Cannot resume from ${file}: ${differences.join('; ')}. Resume with the same options and data, or start a new run without --resume.`);
  }
  const adapter: LoraAdapter = { alpha: gguf.number('adapter.lora.alpha') ?? 0, layers: [] };
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (const tensor of gguf.header.tensors) {
    const match = /^blk\.(\d+)\.([a-z_]+)\.weight\.lora_a$/.exec(tensor.name);
    const projection = match ? projectionByGgufName(match[2]!) : undefined;
    if (!match || !projection) continue;
    const layer = Number(match[1]);
    const base = tensor.name.slice(0, -'.lora_a'.length);
    const [inDim, rank] = tensor.shape as [number, number];
    const outDim = gguf.info(`${base}.lora_b`).shape[1]!;
    while (adapter.layers.length <= layer) adapter.layers.push({});
    adapter.layers[layer]![projection] = { rank, inDim, outDim, a: gguf.readFloat32(`${base}.lora_a`), b: gguf.readFloat32(`${base}.lora_b`) };
    for (const side of ['a', 'b']) {
      m.push(gguf.readFloat32(`${base}.lora_${side}.adam_m`));
      v.push(gguf.readFloat32(`${base}.lora_${side}.adam_v`));
    }
  }
  return { adapter, optimizer: { t: gguf.number('unbundle.checkpoint.adam_t') ?? 0, m, v }, step: gguf.number('unbundle.checkpoint.step') ?? 0 };
}
