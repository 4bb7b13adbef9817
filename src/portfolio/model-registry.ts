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
  private env: NodeJS.ProcessEnv = process.env;
  /** Per model id, the configs it served before each replacement (newest last): rollback pops one. */
  private readonly history = new Map<string, ModelConfig[]>();

  private constructor(private readonly portfolio: Portfolio | undefined) {}

  static async create(portfolio: Portfolio, env: NodeJS.ProcessEnv = process.env): Promise<ModelRegistry> {
    const registry = new ModelRegistry(portfolio);
    registry.env = env;
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

  /**
   * Swaps the backend behind `id` without a restart (promotion of a new specialist, or rollback).
   * The new backend is built and warmed first, so a bad file fails here and the old one keeps
   * serving; requests already running finish on the old backend, which is closed once idle.
   */
  async replace(id: string, config: ModelConfig, options: { drainMs?: number; rememberPrevious?: boolean } = {}): Promise<{ previous: ModelConfig }> {
    const current = this.entries.get(id);
    if (!current) throw new Error(`no model "${id}" to replace`);
    if (config.id !== id) throw new Error(`replacement config has id "${config.id}", expected "${id}"`);
    const backend = await createBackend(config, { env: this.env, llamaRuntime: () => this.llamaRuntime() });
    try {
      await backend.warm?.();
    } catch (error) {
      await backend.close().catch(() => undefined);
      throw error;
    }
    // In place: the executor's per-model state (breaker, latency) holds this entry object.
    const previous = { config: current.config, backend: current.backend };
    current.config = config;
    current.backend = backend;
    if (options.rememberPrevious ?? true) {
      const list = this.history.get(id) ?? [];
      list.push(previous.config);
      this.history.set(id, list);
    }
    void drainThenClose(previous.backend, options.drainMs ?? 60_000);
    return { previous: previous.config };
  }

  /** The config `id` served before its last replacement, if any. */
  previousConfig(id: string): ModelConfig | undefined {
    return this.history.get(id)?.at(-1);
  }

  /** Undoes the last replacement of `id`. */
  async rollback(id: string): Promise<{ restored: ModelConfig }> {
    const previous = this.history.get(id)?.at(-1);
    if (!previous) throw new Error(`model "${id}" has not been replaced since the server started; nothing to roll back`);
    await this.replace(id, previous, { rememberPrevious: false });
    this.history.get(id)!.pop();
    return { restored: previous };
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
    const local = (this.portfolio?.models ?? this.list().map((e) => e.config)).filter((model) => model.backend === 'llamacpp');
    this.runtime ??= import('../backends/llamacpp/llama-runtime.ts').then(({ LlamaRuntime, runtimeOptionsFor }) => LlamaRuntime.create(runtimeOptionsFor(local)));
    return this.runtime;
  }
}

/** Closes a replaced backend once its running requests are done (or after `drainMs`). */
async function drainThenClose(backend: Backend, drainMs: number): Promise<void> {
  const deadline = Date.now() + drainMs;
  while (Date.now() < deadline) {
    const { active, queued } = backend.state();
    if (active === 0 && queued === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50).unref());
  }
  await backend.close().catch(() => undefined);
}
