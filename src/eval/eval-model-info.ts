import { statSync } from 'node:fs';
import { readGgufHeaderSync } from '../portfolio/gguf-header.ts';
import type { ModelConfig } from '../portfolio/schema.ts';
import type { EvalModelInfo } from './eval-results.ts';

/**
 * What the report says about a model besides its scores. For local models the GGUF header gives
 * the parameter count and quantisation, read without loading the weights.
 */
export function describeEvalModel(config: ModelConfig): EvalModelInfo {
  const info: EvalModelInfo = { id: config.id, backend: config.backend, zone: config.zone };
  if (config.backend !== 'llamacpp') return info;
  info.file = config.path;
  try {
    info.sizeBytes = statSync(config.path).size;
    const header = readGgufHeaderSync(config.path);
    info.parameters = header.parameterCount;
    if (header.quantization !== undefined) info.quantization = header.quantization;
  } catch {
    // The gateway reports an unreadable model when it is used; the report then shows "—".
  }
  return info;
}
