import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';
import type { ModelRegistry } from '../../portfolio/model-registry.ts';
import type { ModelConfig } from '../../portfolio/schema.ts';
import { sha256File, type AdapterMeta, type AdapterRegistry } from './adapter-registry.ts';

/**
 * Promotion: a registered adapter becomes what a local model id serves, without a restart; the
 * previous adapter (or none) stays one call away (rollback). Promotions are written to
 * `<data dir>/promotions.json` so a restarted server serves what was last promoted, not what the
 * config file said before — the start-up log names every promotion it re-applies.
 */
export interface PromotionRecord {
  model: string;
  /** `name@version`, or null for "no adapter" (a rollback to the plain base model). */
  adapter: string | null;
  lora: string | null;
  at: string;
}

export interface PromotionState {
  /** Per model id, promotions oldest first; the last one is live. */
  models: Record<string, PromotionRecord[]>;
}

export class PromotionBook {
  constructor(readonly file: string) {}

  static at(env: NodeJS.ProcessEnv, cwd: string): PromotionBook {
    return new PromotionBook(path.resolve(cwd, env.UNBUNDLE_DATA_DIR || '.unbundle', 'promotions.json'));
  }

  read(): PromotionState {
    if (!existsSync(this.file)) return { models: {} };
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as PromotionState;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.models !== 'object') throw new Error('no "models" object');
      return parsed;
    } catch (error) {
      throw new UnbundleError('UNBUNDLE_E_CONFIG', `${this.file} is not a promotions file (${(error as Error).message}); move it aside to start without promotions.`);
    }
  }

  write(state: PromotionState): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(`${this.file}.tmp`, this.file);
  }
}

function localModel(models: ModelRegistry, id: string): Extract<ModelConfig, { backend: 'llamacpp' }> {
  const entry = models.get(id);
  if (!entry) throw new UnbundleError('UNBUNDLE_E_MODEL_NOT_FOUND', `No model "${id}" in the portfolio; known: ${models.ids().join(', ') || '(none)'}.`);
  if (entry.config.backend !== 'llamacpp') {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `Model "${id}" is served by ${entry.config.backend}; adapters are promoted onto local llamacpp models only.`);
  }
  return entry.config;
}

async function sameBase(meta: AdapterMeta, basePath: string): Promise<boolean> {
  const resolved = path.resolve(basePath);
  if (resolved === meta.base.file) return true;
  if (!existsSync(resolved)) return false;
  if (existsSync(meta.base.file) && statSync(meta.base.file).size !== statSync(resolved).size) return false;
  return (await sha256File(resolved)) === meta.base.sha256;
}

export async function promoteAdapter(models: ModelRegistry, adapters: AdapterRegistry, book: PromotionBook, modelId: string, ref: string): Promise<PromotionRecord> {
  const config = localModel(models, modelId);
  const meta = adapters.resolve(ref);
  if (!(await sameBase(meta, config.path))) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `Adapter ${meta.name}@${meta.version} was trained on ${path.basename(meta.base.file)} (sha256 ${meta.base.sha256.slice(0, 12)}…), but model "${modelId}" serves ${config.path}; promote it onto a model with that base.`);
  }
  await swap(models, { ...config, lora: meta.file });
  const record: PromotionRecord = { model: modelId, adapter: `${meta.name}@${meta.version}`, lora: meta.file, at: new Date().toISOString() };
  const state = book.read();
  const history = state.models[modelId] ?? [];
  // The first promotion also remembers what the config file had, so rollback can return to it.
  if (history.length === 0) history.push({ model: modelId, adapter: null, lora: config.lora ?? null, at: record.at });
  history.push(record);
  state.models[modelId] = history;
  book.write(state);
  return record;
}

export async function rollbackAdapter(models: ModelRegistry, book: PromotionBook, modelId: string): Promise<PromotionRecord> {
  const config = localModel(models, modelId);
  const state = book.read();
  const history = state.models[modelId] ?? [];
  if (history.length < 2) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `Model "${modelId}" has no earlier promotion to roll back to.`);
  const previous = history[history.length - 2]!;
  const { lora: _drop, ...withoutLora } = config;
  await swap(models, previous.lora ? { ...withoutLora, lora: previous.lora } : withoutLora);
  history.pop();
  book.write(state);
  return previous;
}

/** At start-up: serve what was last promoted. Returns what it applied (for the log). */
export async function applyPromotions(models: ModelRegistry, book: PromotionBook): Promise<PromotionRecord[]> {
  const applied: PromotionRecord[] = [];
  for (const [modelId, history] of Object.entries(book.read().models)) {
    const live = history.at(-1);
    const entry = models.get(modelId);
    if (!live || !entry || entry.config.backend !== 'llamacpp' || (entry.config.lora ?? null) === live.lora) continue;
    if (live.lora && !existsSync(live.lora)) continue;
    const { lora: _drop, ...withoutLora } = entry.config;
    await swap(models, live.lora ? { ...withoutLora, lora: live.lora } : withoutLora);
    applied.push(live);
  }
  return applied;
}

async function swap(models: ModelRegistry, config: ModelConfig): Promise<void> {
  try {
    await models.replace(config.id, config, { rememberPrevious: false });
  } catch (error) {
    if (error instanceof UnbundleError) throw error;
    throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `Could not load ${config.id} with the new adapter: ${(error as Error).message}. The previous version keeps serving.`, { cause: error });
  }
}
