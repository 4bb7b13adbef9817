import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { llamacppModelSchema, type LlamacppModelConfig } from '../../../src/portfolio/schema.ts';

/**
 * The tiny real GGUF models the llama.cpp tests run on. A missing file is a failure, never a
 * skip: these tests are the only proof that local generation works.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const candidates = [process.env.UNBUNDLE_TEST_MODELS, path.join(repoRoot, '../shared/models'), path.join(repoRoot, 'shared/models')];

export function sharedModel(name: string): string {
  for (const dir of candidates) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  throw new Error(`test model ${name} not found in ${candidates.filter(Boolean).join(' or ')} (see shared/models/SOURCES.md; set UNBUNDLE_TEST_MODELS to its folder)`);
}

export const storiesPrompt = 'Once upon a time';
/** stories260K's greedy continuation of storiesPrompt (see shared/models/SOURCES.md). */
export const storiesGreedy =
  ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.\nLily's mom said";

/** A validated model entry with test-friendly defaults (1 thread: fastest for these tiny models). */
export function modelConfig(overrides: Partial<LlamacppModelConfig> & { path: string }): LlamacppModelConfig {
  return llamacppModelSchema.parse({ id: 'stories', backend: 'llamacpp', threads: 1, contextSize: 256, ...overrides });
}

export const never = new AbortController().signal;
