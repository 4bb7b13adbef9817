import { writeFileSync } from 'node:fs';
import { UnbundleError } from '../../errors.ts';
import { openGgufFile } from '../gguf/gguf-file.ts';
import { encodeGguf, f32Tensor, type GgufWriteTensor } from '../gguf/gguf-writer.ts';
import { projectionShape, type LlamaConfig } from '../model/llama-config.ts';
import { loraFactors, type LoraAdapter, type LoraFactor } from '../model/lora.ts';
import { projectionByGgufName, projections, type ProjectionName } from '../model/projections.ts';

/**
 * GGUF LoRA adapters in llama.cpp's layout: general.type=adapter, adapter.type=lora,
 * adapter.lora.alpha, and per projection `blk.N.<proj>.weight.lora_a` (ggml shape [in, rank])
 * and `.lora_b` ([rank, out]).
 */

export interface AdapterFileInfo {
  /** e.g. the base model's name, written as general.name / general.base_model. */
  name?: string;
  baseModelName?: string;
}

export function ggufAdapterTensors(adapter: LoraAdapter): GgufWriteTensor[] {
  const tensors: GgufWriteTensor[] = [];
  for (const { layer, projection, factor } of loraFactors(adapter)) {
    const base = `blk.${layer}.${projections[projection].gguf}.weight`;
    tensors.push(f32Tensor(`${base}.lora_a`, [factor.inDim, factor.rank], factor.a));
    tensors.push(f32Tensor(`${base}.lora_b`, [factor.rank, factor.outDim], factor.b));
  }
  return tensors;
}

export function encodeGgufAdapter(adapter: LoraAdapter, info: AdapterFileInfo = {}): Buffer {
  const metadata: Array<[string, Parameters<typeof encodeGguf>[0][number][1]]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.type', { type: 'string', value: 'adapter' }],
    ['adapter.type', { type: 'string', value: 'lora' }],
    ['adapter.lora.alpha', { type: 'f32', value: adapter.alpha }],
  ];
  if (info.name) metadata.push(['general.name', { type: 'string', value: info.name }]);
  if (info.baseModelName) metadata.push(['general.base_model.0.name', { type: 'string', value: info.baseModelName }], ['general.base_model.count', { type: 'u32', value: 1 }]);
  return encodeGguf(metadata, ggufAdapterTensors(adapter));
}

export function writeGgufAdapter(file: string, adapter: LoraAdapter, info: AdapterFileInfo = {}): number {
  const bytes = encodeGgufAdapter(adapter, info);
  writeFileSync(file, bytes);
  return bytes.length;
}

/**
 * Reads a GGUF LoRA adapter. With `config` the shapes are checked against the base model, so a
 * mismatched pair fails here with a clear message rather than inside llama.cpp.
 */
export function readGgufAdapter(file: string, config?: LlamaConfig): LoraAdapter {
  const gguf = openGgufFile(file);
  const where = gguf.header.file;
  if (!gguf.header.isAdapter || (gguf.string('adapter.type') ?? 'lora') !== 'lora') {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${where} is not a GGUF LoRA adapter (general.type=adapter, adapter.type=lora).`);
  }
  const alpha = gguf.number('adapter.lora.alpha') ?? 0;
  const pending = new Map<string, { a?: Float32Array; b?: Float32Array; aShape?: number[]; bShape?: number[] }>();
  const layers: LoraAdapter['layers'] = [];
  for (const tensor of gguf.header.tensors) {
    const match = /^blk\.(\d+)\.([a-z_]+)\.weight\.lora_(a|b)$/.exec(tensor.name);
    const projection = match ? projectionByGgufName(match[2]!) : undefined;
    if (!match || !projection) {
      throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${where}: tensor "${tensor.name}" is not a LoRA factor of a llama block projection (${Object.values(projections).map((p) => p.gguf).join(', ')}).`);
    }
    const key = `${match[1]}:${projection}`;
    const entry = pending.get(key) ?? {};
    if (match[3] === 'a') { entry.a = gguf.readFloat32(tensor.name); entry.aShape = tensor.shape; } else { entry.b = gguf.readFloat32(tensor.name); entry.bShape = tensor.shape; }
    pending.set(key, entry);
  }
  for (const [key, entry] of pending) {
    const [layerText, projection] = key.split(':') as [string, ProjectionName];
    const layer = Number(layerText);
    const name = `blk.${layer}.${projections[projection].gguf}.weight`;
    if (!entry.a || !entry.b || !entry.aShape || !entry.bShape) throw new UnbundleError('UNBUNDLE_E_DATA', `${where}: "${name}" has only one of lora_a / lora_b.`);
    const [inDim, rank] = entry.aShape as [number, number];
    const [rankB, outDim] = entry.bShape as [number, number];
    if (rank !== rankB) throw new UnbundleError('UNBUNDLE_E_DATA', `${where}: "${name}" lora_a has rank ${rank} but lora_b has rank ${rankB}.`);
    if (config) {
      if (layer >= config.layers) throw new UnbundleError('UNBUNDLE_E_DATA', `${where}: "${name}" is for block ${layer} but the base model has ${config.layers} blocks.`);
      const [wantIn, wantOut] = projectionShape(config, projection);
      if (wantIn !== inDim || wantOut !== outDim) throw new UnbundleError('UNBUNDLE_E_DATA', `${where}: "${name}" adapts a [${inDim} → ${outDim}] projection but the base model's is [${wantIn} → ${wantOut}]; the adapter was made for another model.`);
    }
    while (layers.length <= layer) layers.push({});
    const factor: LoraFactor = { rank, inDim, outDim, a: entry.a, b: entry.b };
    layers[layer]![projection] = factor;
  }
  if (config) while (layers.length < config.layers) layers.push({});
  return { alpha, layers };
}
