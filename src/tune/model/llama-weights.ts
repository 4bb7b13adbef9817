import { UnbundleError } from '../../errors.ts';
import { openGgufFile } from '../gguf/gguf-file.ts';
import { projectionShape, readLlamaConfig, type LlamaConfig } from './llama-config.ts';
import { projectionNames, projections, type ProjectionName } from './projections.ts';

/** Frozen base weights in float32; a projection is [out × in], as GGUF stores it. */
export interface LayerWeights {
  attnNorm: Float32Array;
  ffnNorm: Float32Array;
  proj: Record<ProjectionName, Float32Array>;
}

export interface LlamaModel {
  config: LlamaConfig;
  tokenEmbedding: Float32Array;
  outputNorm: Float32Array;
  /** The output head; the token embedding itself when the model ties them. */
  output: Float32Array;
  layers: LayerWeights[];
  /** Where the weights came from, for messages. */
  source: string;
}

/** Loads a llama GGUF into float32 (quantised tensors are decoded once here). */
export function loadLlamaModel(file: string): LlamaModel {
  const gguf = openGgufFile(file);
  const config = readLlamaConfig(gguf);
  const tensor = (name: string, shape: readonly number[]): Float32Array => {
    const info = gguf.info(name);
    if (info.shape.length !== shape.length || info.shape.some((n, i) => n !== shape[i])) {
      throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `${gguf.header.file}: tensor "${name}" has shape [${info.shape.join(', ')}] but the metadata implies [${shape.join(', ')}].`);
    }
    return gguf.readFloat32(name);
  };
  const tokenEmbedding = tensor('token_embd.weight', [config.embd, config.vocab]);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    const proj = {} as Record<ProjectionName, Float32Array>;
    for (const p of projectionNames) proj[p] = tensor(`blk.${l}.${projections[p].gguf}.weight`, projectionShape(config, p));
    layers.push({
      attnNorm: tensor(`blk.${l}.attn_norm.weight`, [config.embd]),
      ffnNorm: tensor(`blk.${l}.ffn_norm.weight`, [config.embd]),
      proj,
    });
  }
  return {
    config,
    tokenEmbedding,
    outputNorm: tensor('output_norm.weight', [config.embd]),
    output: gguf.has('output.weight') ? tensor('output.weight', [config.embd, config.vocab]) : tokenEmbedding,
    layers,
    source: gguf.header.file,
  };
}
