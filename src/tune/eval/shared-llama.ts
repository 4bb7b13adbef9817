import type { Llama } from 'node-llama-cpp';
import { UnbundleError } from '../../errors.ts';

let shared: Promise<Llama> | undefined;

/**
 * One CPU llama.cpp binding for the tune tools, created on first use: getLlama costs seconds,
 * and the trainer, tokenizer and scorers would otherwise each pay it. Models and contexts are
 * disposed by their owners; the binding lives as long as the process.
 */
export function sharedLlama(): Promise<Llama> {
  shared ??= (async () => {
    try {
      const lib = await import('node-llama-cpp');
      return await lib.getLlama({ gpu: false, maxThreads: 1, logLevel: lib.LlamaLogLevel.error, skipDownload: true });
    } catch (error) {
      shared = undefined;
      throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `Cannot start node-llama-cpp: ${(error as Error).message}. Reinstall dependencies with "npm ci".`, { cause: error });
    }
  })();
  return shared;
}
