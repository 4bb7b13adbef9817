import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';
import { openGgufFile } from '../gguf/gguf-file.ts';
import { projectionShape, readLlamaConfig, type LlamaConfig } from '../model/llama-config.ts';
import type { LoraAdapter } from '../model/lora.ts';
import { projectionByHfName, projectionNames, projections, type ProjectionName } from '../model/projections.ts';
import { hfRowsToGguf } from './hf-permute.ts';
import { readSafetensors } from './safetensors.ts';

/**
 * Converts a Hugging Face PEFT LoRA (adapter_model.safetensors + adapter_config.json) for a
 * llama model into our adapter, ready to write as GGUF: q/k rows reordered for llama.cpp's rope,
 * and per-module scales (rank_pattern, alpha_pattern, rsLoRA) folded into B where they differ from
 * the single alpha / rank rule a GGUF adapter can express.
 */
interface PeftConfig {
  peft_type?: string;
  r?: number;
  lora_alpha?: number;
  use_rslora?: boolean;
  use_dora?: boolean;
  fan_in_fan_out?: boolean;
  rank_pattern?: Record<string, number>;
  alpha_pattern?: Record<string, number>;
  base_model_name_or_path?: string | null;
}

function readPeftConfig(file: string): PeftConfig {
  if (!existsSync(file)) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `No adapter_config.json at ${file}; PEFT saves it next to adapter_model.safetensors. Pass its path with --config.`);
  }
  let config: PeftConfig;
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as PeftConfig;
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (config.peft_type !== undefined && config.peft_type !== 'LORA') throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${file}: peft_type is ${config.peft_type}; only LORA adapters convert to GGUF.`);
  if (config.use_dora) throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${file}: DoRA adapters (use_dora) cannot be expressed as a llama.cpp LoRA; merge it into the model instead.`);
  if (config.fan_in_fan_out) throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${file}: fan_in_fan_out is true, which llama models never use; is this adapter for a GPT-2 style model?`);
  if (typeof config.r !== 'number' || typeof config.lora_alpha !== 'number') throw new UnbundleError('UNBUNDLE_E_DATA', `${file} must give numbers "r" and "lora_alpha".`);
  return config;
}

/** PEFT pattern keys match a module path by suffix (e.g. "q_proj" or "layers.3.self_attn.q_proj"). */
function patternValue(pattern: Record<string, number> | undefined, modulePath: string): number | undefined {
  if (!pattern) return undefined;
  for (const [key, value] of Object.entries(pattern)) if (modulePath === key || modulePath.endsWith(`.${key}`)) return value;
  return undefined;
}

export function importPeftAdapter(safetensorsFile: string, baseFile: string, configFile?: string): { adapter: LoraAdapter; config: LlamaConfig; baseModelName: string | undefined } {
  const config = readLlamaConfig(openGgufFile(baseFile));
  const peft = readPeftConfig(configFile ?? path.join(path.dirname(safetensorsFile), 'adapter_config.json'));
  const { tensors } = readSafetensors(safetensorsFile);
  const alpha = peft.use_rslora ? peft.lora_alpha! * Math.sqrt(peft.r!) : peft.lora_alpha!;
  const adapter: LoraAdapter = { alpha, layers: Array.from({ length: config.layers }, () => ({})) };
  const found = new Map<string, { layer: number; projection: ProjectionName; modulePath: string; a?: Float32Array; b?: Float32Array; aShape?: number[]; bShape?: number[] }>();
  for (const [name, tensor] of tensors) {
    const match = /(?:^|\.)layers\.(\d+)\.((?:self_attn|mlp)\.[a-z_]+)\.lora_(A|B)(?:\.[A-Za-z0-9_-]+)?\.weight$/.exec(name);
    const projection = match ? projectionByHfName(match[2]!) : undefined;
    if (!match || !projection) {
      throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${safetensorsFile}: tensor "${name}" is not a LoRA factor of a llama attention or MLP projection (embedding, lm_head and DoRA tensors cannot go into a GGUF LoRA).`);
    }
    const layer = Number(match[1]);
    if (layer >= config.layers) throw new UnbundleError('UNBUNDLE_E_DATA', `${safetensorsFile}: "${name}" is for layer ${layer} but the base model has ${config.layers}; the adapter was made for another model.`);
    const key = `${layer}.${projection}`;
    const entry = found.get(key) ?? { layer, projection, modulePath: `model.layers.${layer}.${match[2]}` };
    if (match[3] === 'A') { entry.a = tensor.data; entry.aShape = tensor.shape; } else { entry.b = tensor.data; entry.bShape = tensor.shape; }
    found.set(key, entry);
  }
  if (found.size === 0) throw new UnbundleError('UNBUNDLE_E_DATA', `${safetensorsFile} holds no LoRA tensors.`);
  for (const entry of found.values()) {
    const where = `${safetensorsFile}: ${entry.modulePath}`;
    if (!entry.a || !entry.b) throw new UnbundleError('UNBUNDLE_E_DATA', `${where} has only one of lora_A / lora_B.`);
    const [rank, inDim] = entry.aShape as [number, number];
    const [outDim, rankB] = entry.bShape as [number, number];
    const [wantIn, wantOut] = projectionShape(config, entry.projection);
    if (rank !== rankB) throw new UnbundleError('UNBUNDLE_E_DATA', `${where}: lora_A has rank ${rank} but lora_B has rank ${rankB}.`);
    if (inDim !== wantIn || outDim !== wantOut) {
      throw new UnbundleError('UNBUNDLE_E_DATA', `${where} adapts a [${inDim} → ${outDim}] projection but ${baseFile}'s ${projections[entry.projection].gguf} is [${wantIn} → ${wantOut}]; the adapter was trained for another model.`);
    }
    const moduleRank = patternValue(peft.rank_pattern, entry.modulePath) ?? peft.r!;
    const moduleAlpha = patternValue(peft.alpha_pattern, entry.modulePath) ?? peft.lora_alpha!;
    const wanted = peft.use_rslora ? moduleAlpha / Math.sqrt(moduleRank) : moduleAlpha / moduleRank;
    const fold = wanted / (alpha / rank);
    let b = entry.projection === 'q' || entry.projection === 'k' ? hfRowsToGguf(entry.b, outDim, rank, config.headDim) : Float32Array.from(entry.b);
    if (Math.abs(fold - 1) > 1e-7) b = b.map((x) => x * fold);
    adapter.layers[entry.layer]![entry.projection] = { rank, inDim, outDim, a: Float32Array.from(entry.a), b };
  }
  // Projections in the canonical order, whatever order the safetensors header listed them in.
  adapter.layers = adapter.layers.map((layer) => Object.fromEntries(projectionNames.filter((p) => layer[p]).map((p) => [p, layer[p]!])));
  return { adapter, config, baseModelName: peft.base_model_name_or_path ?? undefined };
}
