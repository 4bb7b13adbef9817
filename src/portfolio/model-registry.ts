import type { Backend, BackendState } from '../backends/backend.ts';
import { createBackend, type BackendDeps } from '../backends/create-backend.ts';
import type { LlamaRuntime } from '../backends/llamacpp/llama-runtime.ts';
import type { ModelConfig, Portfolio } from './schema.ts';

export interface ModelEntry {
  config: ModelConfig;
  backend: Backend;
}

/**
 * The running portfolio: one backend per model id. Backends are constructed at start (cheap);
 * weights and connection pools are loaded lazily on first use, or eagerly through `warmAll`.
 */
export class ModelRegistry {
  private readonly entries = new Map<string, ModelEntry>();
  private readonly idList: string[] = [];
  private runtime: Promise<LlamaRuntime> | undefined;

  private constructor(private readonly portfolio: Portfolio | undefined) {}

  static async create(portfolio: Portfolio, env: NodeJS.ProcessEnv = process.env): Promise<ModelRegistry> {
    const registry = new ModelRegistry(portfolio);
    const deps: BackendDeps = { env, llamaRuntime: () => registry.llamaRuntime() };
    for (const config of portfolio.models) {
      registry.entries.set(config.id, { config, backend: await createBackend(config, deps) });
      registry.idList.push(config.id);
    }
    return registry;
  }

  /** Tests and embedders can register a ready-made backend (e.g. a deterministic fake). */
  static fromBackends(list: ModelEntry[]): ModelRegistry {
    const registry = new ModelRegistry(undefined);
    for (const entry of list) {
      registry.entries.set(entry.config.id, entry);
      registry.idList.push(entry.config.id);
    }
    return registry;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): readonly string[] {
    return this.idList;
  }

  fallbacksOf(id: string): readonly string[] {
    return this.entries.get(id)?.config.fallbacks ?? [];
  }

  get(id: string): ModelEntry | undefined {
    return this.entries.get(id);
  }

  list(): ModelEntry[] {
    return this.idList.map((id) => this.entries.get(id)!);
  }

  states(): Array<{ id: string; config: ModelConfig; state: BackendState }> {
    return this.list().map(({ config, backend }) => ({ id: config.id, config, state: backend.state() }));
  }

  async warmAll(): Promise<void> {
    await Promise.all(this.list().map(({ backend }) => backend.warm?.()));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.list().map(({ backend }) => backend.close()));
    if (this.runtime) await (await this.runtime).close();
  }

  private llamaRuntime(): Promise<LlamaRuntime> {
    // One runtime for all local models; its GPU choice follows the models' `gpu` settings.
    const local = (this.portfolio?.models ?? []).filter((model) => model.backend === 'llamacpp');
    this.runtime ??= import('../backends/llamacpp/llama-runtime.ts').then(({ LlamaRuntime, runtimeOptionsFor }) => LlamaRuntime.create(runtimeOptionsFor(local)));
    return this.runtime;
  }
}
