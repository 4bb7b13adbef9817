import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';

/**
 * Versioned adapters: `<dir>/<name>/v<N>/adapter.gguf` plus `meta.json`. A registered version is a
 * copy, never a link, so what was measured is what gets served; versions only ever get added.
 */
export interface AdapterMeta {
  name: string;
  version: number;
  createdAt: string;
  /** 'trained' by `tune train`, 'imported' from PEFT, or 'registered' by hand. */
  source: 'trained' | 'imported' | 'registered';
  file: string;
  bytes: number;
  sha256: string;
  base: { file: string; sha256: string };
  dataset?: { file: string; sha256: string; trainExamples?: number; validationExamples?: number };
  hyperparameters?: Record<string, unknown>;
  validationLoss?: number;
  /** Metric name → score, from `unbundle eval run` results when registered with them. */
  evalScores?: Record<string, number>;
  notes?: string;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `support`, `support@3` or `support@v3` → name and (optional) version. */
export function parseAdapterRef(ref: string): { name: string; version?: number } {
  const match = /^([^@]+)(?:@v?(\d+))?$/.exec(ref);
  if (!match || !namePattern.test(match[1]!)) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `"${ref}" is not an adapter reference; use NAME or NAME@VERSION (e.g. support@2), names of letters, digits, ".", "_" and "-".`);
  }
  return match[2] === undefined ? { name: match[1]! } : { name: match[1]!, version: Number(match[2]) };
}

export class AdapterRegistry {
  constructor(readonly dir: string) {}

  /** The default registry: `<UNBUNDLE_DATA_DIR or ./.unbundle>/adapters`. */
  static at(env: NodeJS.ProcessEnv, cwd: string): AdapterRegistry {
    return new AdapterRegistry(path.resolve(cwd, env.UNBUNDLE_DATA_DIR || '.unbundle', 'adapters'));
  }

  async register(input: Omit<AdapterMeta, 'version' | 'createdAt' | 'file' | 'bytes' | 'sha256' | 'base' | 'dataset'> & {
    adapterFile: string;
    baseFile: string;
    dataFile?: string;
    dataset?: { trainExamples?: number; validationExamples?: number };
  }): Promise<AdapterMeta> {
    if (!namePattern.test(input.name)) {
      throw new UnbundleError('UNBUNDLE_E_USAGE', `adapter name "${input.name}" must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 64).`);
    }
    for (const [what, file] of [['adapter', input.adapterFile], ['base model', input.baseFile]] as const) {
      if (!existsSync(file)) throw new UnbundleError('UNBUNDLE_E_DATA', `The ${what} file ${file} does not exist.`);
    }
    const version = (this.versions(input.name).at(-1)?.version ?? 0) + 1;
    const folder = path.join(this.dir, input.name, `v${version}`);
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'adapter.gguf');
    copyFileSync(input.adapterFile, `${file}.tmp`);
    renameSync(`${file}.tmp`, file);
    const { adapterFile: _a, baseFile, dataFile, dataset, ...rest } = input;
    const meta: AdapterMeta = {
      ...rest,
      version,
      createdAt: new Date().toISOString(),
      file,
      bytes: statSync(file).size,
      sha256: await sha256File(file),
      base: { file: path.resolve(baseFile), sha256: await sha256File(baseFile) },
    };
    if (dataFile) meta.dataset = { ...dataset, file: path.resolve(dataFile), sha256: await sha256File(dataFile) };
    writeFileSync(path.join(folder, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    return meta;
  }

  /** Every version of one adapter, oldest first. */
  versions(name: string): AdapterMeta[] {
    const folder = path.join(this.dir, name);
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((entry) => /^v\d+$/.test(entry) && existsSync(path.join(folder, entry, 'meta.json')))
      .map((entry) => JSON.parse(readFileSync(path.join(folder, entry, 'meta.json'), 'utf8')) as AdapterMeta)
      .sort((a, b) => a.version - b.version);
  }

  list(): AdapterMeta[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).sort().flatMap((name) => this.versions(name));
  }

  /** NAME → its latest version; NAME@N → that version. */
  resolve(ref: string): AdapterMeta {
    const { name, version } = parseAdapterRef(ref);
    const versions = this.versions(name);
    if (versions.length === 0) {
      const known = [...new Set(this.list().map((m) => m.name))];
      throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No adapter named "${name}" in ${this.dir}. ${known.length > 0 ? `Registered: ${known.join(', ')}.` : 'Register one with "unbundle tune train --register NAME" or "unbundle tune register".'}`);
    }
    if (version === undefined) return versions.at(-1)!;
    const found = versions.find((m) => m.version === version);
    if (!found) throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `Adapter "${name}" has no version ${version}; versions: ${versions.map((m) => m.version).join(', ')}.`);
    return found;
  }
}
