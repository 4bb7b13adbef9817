import os from 'node:os';
import path from 'node:path';
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { UnbundleError } from '../../errors.ts';
import type { LlamacppModelConfig } from '../../portfolio/schema.ts';
import { readGgufHeader } from '../../portfolio/gguf-header.ts';

/** The node-llama-cpp module, imported lazily: a portfolio without local models never loads it. */
export type LlamaLib = typeof import('node-llama-cpp');

export type LlamaGpuSetting = LlamacppModelConfig['gpu'];

export interface LlamaRuntimeOptions {
  /** Compute backend for the whole process (llama.cpp binds one per process). Default: CPU only. */
  gpu?: LlamaGpuSetting;
  /** Upper bound on llama.cpp threads. Default: the real core count. */
  threads?: number;
  /** Receives llama.cpp's warnings and errors (default: kept only for error messages). */
  logger?: (level: 'warn' | 'error', message: string) => void;
}

interface CachedModel {
  key: string;
  users: number;
  loading: Promise<LlamaModel>;
  model?: LlamaModel;
}

const recentLogLimit = 20;

/**
 * One llama.cpp binding per process plus a cache of loaded models. Several portfolio ids that
 * point at the same GGUF (a base model and base+LoRA specialists) share one load, ref-counted,
 * because weights are by far the largest thing in memory.
 */
export class LlamaRuntime {
  private readonly models = new Map<string, CachedModel>();
  private readonly byModel = new Map<LlamaModel, CachedModel>();
  private loads = 0;
  private closed = false;

  private constructor(
    readonly lib: LlamaLib,
    readonly llama: Llama,
    /** The most threads any context may use. */
    readonly threads: number,
    private readonly logs: string[],
  ) {}

  static async create(options: LlamaRuntimeOptions = {}): Promise<LlamaRuntime> {
    let lib: LlamaLib;
    try {
      lib = await import('node-llama-cpp');
    } catch (error) {
      throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `Cannot load node-llama-cpp (${(error as Error).message}). Reinstall dependencies with "npm ci".`, { cause: error });
    }
    // node-llama-cpp defaults to max(cores, 4) threads; on a 2-core machine that oversubscribes
    // the CPU and generation runs hundreds of times slower.
    const threads = options.threads ?? os.availableParallelism();
    const logs: string[] = [];
    const logger = (level: string, message: string) => recordLog(logs, level, message, options.logger);
    let llama: Llama;
    try {
      llama = await lib.getLlama({
        gpu: options.gpu ?? false,
        maxThreads: threads,
        // Never compile or fetch llama.cpp at runtime: the prebuilt binaries ship with the package.
        build: 'never',
        skipDownload: true,
        progressLogs: false,
        logLevel: lib.LlamaLogLevel.warn,
        logger: (level, message) => logger(level, message),
      });
    } catch (error) {
      const wanted = options.gpu ? `GPU backend "${options.gpu}"` : 'the CPU backend';
      throw new UnbundleError(
        'UNBUNDLE_E_MODEL_LOAD',
        `Cannot start llama.cpp with ${wanted}: ${(error as Error).message}. Use gpu: false (CPU) or gpu: auto in the portfolio, or reinstall node-llama-cpp for this platform.`,
        { cause: error },
      );
    }
    return new LlamaRuntime(lib, llama, threads, logs);
  }

  /** The GPU type llama.cpp runs on, or false for CPU. */
  get gpu(): string | false {
    return this.llama.gpu;
  }

  /** How many times a model file was actually read into memory (cache hits do not count). */
  get modelLoads(): number {
    return this.loads;
  }

  /** The last llama.cpp warnings and errors, newest last: they explain most load failures. */
  recentLogs(): string[] {
    return [...this.logs];
  }

  /**
   * Loads (or shares) a model. `gpu: false` keeps its layers on the CPU even when the runtime
   * has a GPU; the cache key includes that choice so the two placements never alias.
   */
  async loadModel(file: string, options: { gpu?: boolean } = {}): Promise<LlamaModel> {
    if (this.closed) throw new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', 'The llama.cpp runtime is closed.');
    const absolute = path.resolve(file);
    const offload = options.gpu !== false && this.llama.gpu !== false;
    const key = `${absolute}\u0000${offload ? 'gpu' : 'cpu'}`;
    let entry = this.models.get(key);
    if (!entry) {
      entry = { key, users: 0, loading: this.load(absolute, offload) };
      this.models.set(key, entry);
      const created = entry;
      created.loading.then(
        (model) => {
          created.model = model;
          this.byModel.set(model, created);
        },
        () => this.models.delete(key),
      );
    }
    entry.users += 1;
    try {
      return await entry.loading;
    } catch (error) {
      entry.users -= 1;
      throw error;
    }
  }

  /** Drops one user of a model; the last one frees its memory. */
  async release(model: LlamaModel): Promise<void> {
    const entry = this.byModel.get(model);
    if (!entry) return;
    entry.users -= 1;
    if (entry.users > 0) return;
    this.byModel.delete(model);
    this.models.delete(entry.key);
    await model.dispose();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.models.clear();
    this.byModel.clear();
    await this.llama.dispose();
  }

  private async load(file: string, offload: boolean): Promise<LlamaModel> {
    // Our own header check first: it names the problem (not GGUF, truncated, an adapter) where
    // llama.cpp would only say "Failed to load model".
    const header = await readGgufHeader(file);
    if (header.isAdapter) {
      throw new UnbundleError(
        'UNBUNDLE_E_MODEL_LOAD',
        `${file} is a ${header.metadata.get('adapter.type') ?? 'LoRA'} adapter, not a model. Set it as "lora:" of a model entry whose "path:" is the base model it was trained on.`,
      );
    }
    const logsBefore = this.logs.length;
    try {
      const model = await this.llama.loadModel({ modelPath: file, gpuLayers: offload ? 'auto' : 0 });
      this.loads += 1;
      return model;
    } catch (error) {
      const said = this.logs.slice(logsBefore).filter((line) => !line.startsWith('warn')).map((line) => line.replace(/^\w+: /, ''));
      const detail = said.length > 0 ? said.join(' / ') : (error as Error).message;
      throw new UnbundleError(
        'UNBUNDLE_E_MODEL_LOAD',
        `llama.cpp could not load ${file}: ${detail}. Check that the file is a complete GGUF model for an architecture this llama.cpp supports (upgrade node-llama-cpp for new architectures).`,
        { cause: error },
      );
    }
  }
}

function recordLog(logs: string[], level: string, message: string, forward: LlamaRuntimeOptions['logger']): void {
  const text = message.trim();
  if (text === '' || (level !== 'warn' && level !== 'error' && level !== 'fatal')) return;
  logs.push(`${level}: ${text}`);
  if (logs.length > recentLogLimit) logs.shift();
  forward?.(level === 'warn' ? 'warn' : 'error', text);
}

/**
 * The runtime options a portfolio implies: the GPU backend any local model asks for (llama.cpp
 * binds one per process) and no thread cap beyond the machine's cores.
 */
export function runtimeOptionsFor(models: readonly Pick<LlamacppModelConfig, 'gpu'>[]): LlamaRuntimeOptions {
  const wanted = models.map((model) => model.gpu).filter((gpu): gpu is Exclude<LlamaGpuSetting, false> => gpu !== false);
  const specific = wanted.find((gpu) => gpu !== 'auto');
  return { gpu: specific ?? (wanted.length > 0 ? 'auto' : false) };
}
