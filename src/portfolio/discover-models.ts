import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { UnbundleError, isUnbundleError } from '../errors.ts';
import { readGgufHeader } from './gguf-header.ts';
import type { llamacppModelSchema } from './schema.ts';

/** A local model entry as written in portfolio.yaml (defaults not yet applied). */
export type LlamacppModelConfigInput = z.input<typeof llamacppModelSchema>;

export interface DiscoverOptions {
  /** Told about every .gguf file that is not served, and why (adapters, broken files). */
  onSkip?: (file: string, reason: string) => void;
}

/** `model-00002-of-00003.gguf`: llama.cpp loads the first part and finds the rest itself. */
const splitPart = /-(\d{5})-of-(\d{5})\.gguf$/i;

/**
 * Zero-config discovery: every GGUF model in `dir` becomes a llama.cpp portfolio entry whose id
 * is the file name without `.gguf`. LoRA adapters, vision projectors, vocabulary-only files and
 * unreadable files are skipped (and reported through `onSkip`), since none can answer alone.
 * A missing folder holds no models; a path that is not a folder is a configuration error.
 */
export async function discoverLocalModels(dir: string, options: DiscoverOptions = {}): Promise<LlamacppModelConfigInput[]> {
  const folder = path.resolve(dir);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') {
      throw new UnbundleError('UNBUNDLE_E_CONFIG', `The model folder ${folder} is a file, not a folder. Set UNBUNDLE_MODEL_DIR to a folder that holds .gguf files.`);
    }
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `Cannot list the model folder ${folder}: ${(error as Error).message}`, { cause: error });
  }
  const models: LlamacppModelConfigInput[] = [];
  const taken = new Set<string>();
  for (const name of names.filter((entry) => entry.toLowerCase().endsWith('.gguf')).sort()) {
    const file = path.join(folder, name);
    const part = splitPart.exec(name);
    if (part && Number(part[1]) !== 1) continue;
    if (!(await stat(file).catch(() => undefined))?.isFile()) continue;
    const reason = await whyNotServable(file);
    if (reason !== undefined) {
      options.onSkip?.(file, reason);
      continue;
    }
    const stem = part ? name.slice(0, part.index) : name.slice(0, -'.gguf'.length);
    const id = uniqueId(modelIdFromFileName(stem), taken);
    models.push({ id, backend: 'llamacpp', path: file });
  }
  return models;
}

async function whyNotServable(file: string): Promise<string | undefined> {
  try {
    const header = await readGgufHeader(file);
    if (header.isAdapter) return 'it is a LoRA adapter: list it as "lora:" of its base model in a portfolio.yaml';
    if (header.type === 'mmproj' || header.architecture === 'clip') return 'it is a vision projector (mmproj), not a language model';
    if (header.tensorCount === 0) return 'it holds only a vocabulary, no weights';
    return undefined;
  } catch (error) {
    if (isUnbundleError(error)) return error.message;
    throw error;
  }
}

/** Portfolio ids allow letters, digits and . _ : / - (at most 128), starting with a letter or digit. */
export function modelIdFromFileName(stem: string): string {
  const id = stem
    .replace(/[^A-Za-z0-9._:/-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128)
    .replace(/[-_.]+$/, '');
  return id === '' ? 'model' : id;
}

function uniqueId(id: string, taken: Set<string>): string {
  let candidate = id;
  for (let n = 2; taken.has(candidate); n++) candidate = `${id.slice(0, 120)}-${n}`;
  taken.add(candidate);
  return candidate;
}
