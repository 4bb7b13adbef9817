import { UnbundleError } from '../../errors.ts';
import type { GgufFile } from '../gguf/gguf-file.ts';
import type { ProjectionName } from './projections.ts';
import type { RopeSettings } from './rope.ts';

/** The hyperparameters of a llama-architecture model, read from GGUF metadata. */
export interface LlamaConfig {
  layers: number;
  embd: number;
  ffn: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  eps: number;
  contextLength: number;
  rope: RopeSettings;
}

export function readLlamaConfig(file: GgufFile): LlamaConfig {
  const where = file.header.file;
  const arch = file.string('general.architecture');
  if (arch !== 'llama') {
    throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${where}: architecture "${arch ?? 'unknown'}" is not supported by the built-in trainer, which handles llama-architecture models (Llama, Mistral, TinyLlama, SmolLM...). Train it with a GPU trainer and import the adapter with "unbundle tune import".`);
  }
  if (file.header.isAdapter) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `${where} is a LoRA adapter, not a base model; pass the model it adapts as --base.`);
  }
  const need = (key: string): number => {
    const value = file.number(`llama.${key}`);
    if (value === undefined) throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `${where} lacks the metadata key llama.${key}; the file is incomplete or was not written by llama.cpp's converter.`);
    return value;
  };
  const embd = need('embedding_length');
  const heads = need('attention.head_count');
  const kvHeads = file.number('llama.attention.head_count_kv') ?? heads;
  const headDim = file.number('llama.attention.key_length') ?? embd / heads;
  const valueDim = file.number('llama.attention.value_length') ?? headDim;
  if (headDim !== valueDim || heads % kvHeads !== 0 || !Number.isInteger(headDim)) {
    throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${where}: unusual attention shape (heads ${heads}, kv heads ${kvHeads}, key ${headDim}, value ${valueDim}) is not supported.`);
  }
  const scaling = file.string('llama.rope.scaling.type') ?? 'none';
  const factor = file.number('llama.rope.scaling.factor') ?? 1;
  if (scaling !== 'none' && scaling !== 'linear') {
    throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${where}: rope scaling "${scaling}" is not supported (only none and linear).`);
  }
  for (const unsupported of ['blk.0.attn_q.bias', 'blk.0.ffn_gate_exps.weight', 'blk.0.attn_qkv.weight']) {
    if (file.has(unsupported)) {
      throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${where} has "${unsupported}" (attention biases, fused QKV or mixture of experts), which the built-in trainer does not support.`);
    }
  }
  const embedding = file.info('token_embd.weight');
  return {
    layers: need('block_count'),
    embd,
    ffn: need('feed_forward_length'),
    heads,
    kvHeads,
    headDim,
    vocab: embedding.shape[1]!,
    eps: file.number('llama.attention.layer_norm_rms_epsilon') ?? 1e-5,
    contextLength: file.number('llama.context_length') ?? 2048,
    rope: {
      nRot: file.number('llama.rope.dimension_count') ?? headDim,
      base: file.number('llama.rope.freq_base') ?? 10000,
      freqScale: scaling === 'linear' && factor > 0 ? 1 / factor : 1,
      freqFactors: file.has('rope_freqs.weight') ? file.readFloat32('rope_freqs.weight') : undefined,
    },
  };
}

/** [in, out] of a projection, which is also its GGUF shape (ggml order). */
export function projectionShape(config: LlamaConfig, projection: ProjectionName): [number, number] {
  const q = config.heads * config.headDim;
  const kv = config.kvHeads * config.headDim;
  switch (projection) {
    case 'q': return [config.embd, q];
    case 'k':
    case 'v': return [config.embd, kv];
    case 'o': return [q, config.embd];
    case 'gate':
    case 'up': return [config.embd, config.ffn];
    case 'down': return [config.ffn, config.embd];
  }
}
