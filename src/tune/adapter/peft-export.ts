import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LlamaConfig } from '../model/llama-config.ts';
import { loraFactors, type LoraAdapter } from '../model/lora.ts';
import { projections } from '../model/projections.ts';
import { ggufRowsToHf } from './hf-permute.ts';
import { encodeSafetensors } from './safetensors.ts';

/**
 * Writes an adapter as a Hugging Face PEFT LoRA folder (adapter_model.safetensors +
 * adapter_config.json), so it can also be used with transformers/vLLM on the original HF model.
 */
export interface PeftExportInfo {
  baseModel?: string;
  dropout?: number;
}

export function peftTensorPrefix(layer: number, hfModule: string): string {
  return `base_model.model.model.layers.${layer}.${hfModule}`;
}

export function writePeftAdapter(folder: string, adapter: LoraAdapter, config: LlamaConfig, info: PeftExportInfo = {}): { safetensors: string; config: string } {
  const tensors: Array<{ name: string; shape: number[]; data: Float32Array }> = [];
  const ranks = new Set<number>();
  const modules = new Set<string>();
  for (const { layer, projection, factor } of loraFactors(adapter)) {
    const hf = projections[projection].hf;
    const prefix = peftTensorPrefix(layer, hf);
    const b = projection === 'q' || projection === 'k' ? ggufRowsToHf(factor.b, factor.outDim, factor.rank, config.headDim) : factor.b;
    tensors.push({ name: `${prefix}.lora_A.weight`, shape: [factor.rank, factor.inDim], data: factor.a });
    tensors.push({ name: `${prefix}.lora_B.weight`, shape: [factor.outDim, factor.rank], data: b });
    ranks.add(factor.rank);
    modules.add(hf.split('.').pop()!);
  }
  const rank = ranks.size === 1 ? [...ranks][0]! : Math.max(...ranks);
  const rankPattern: Record<string, number> = {};
  if (ranks.size > 1) {
    for (const { layer, projection, factor } of loraFactors(adapter)) if (factor.rank !== rank) rankPattern[`model.layers.${layer}.${projections[projection].hf}`] = factor.rank;
  }
  const peftConfig = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: info.baseModel ?? null,
    r: rank,
    // llama.cpp's alpha of 0 means scale 1, which PEFT expresses as alpha = rank.
    lora_alpha: adapter.alpha === 0 ? rank : adapter.alpha,
    lora_dropout: info.dropout ?? 0,
    target_modules: [...modules],
    bias: 'none',
    fan_in_fan_out: false,
    use_rslora: false,
    inference_mode: true,
    rank_pattern: rankPattern,
    alpha_pattern: {},
  };
  mkdirSync(folder, { recursive: true });
  const files = { safetensors: path.join(folder, 'adapter_model.safetensors'), config: path.join(folder, 'adapter_config.json') };
  writeFileSync(files.safetensors, encodeSafetensors(tensors, { format: 'pt' }));
  writeFileSync(files.config, `${JSON.stringify(peftConfig, null, 2)}\n`);
  return files;
}
