import type { ModelRegistry } from '../portfolio/model-registry.ts';

const startedAt = Math.floor(Date.now() / 1000);

/** GET /v1/models in OpenAI's shape, with unbundle's own fields beside the standard ones; `allowed`: a tenant's models only. */
export function modelsBody(models: ModelRegistry, allowed?: ReadonlySet<string>): string {
  const entries = allowed === undefined ? models.list() : models.list().filter(({ config }) => allowed.has(config.id));
  const data = entries.map(({ config }) => ({
    id: config.id,
    object: 'model',
    created: startedAt,
    owned_by: 'unbundle',
    backend: config.backend,
    zone: config.zone,
  }));
  return JSON.stringify({ object: 'list', data });
}

export interface HealthBody {
  status: 'ok' | 'degraded' | 'down';
  models: Array<{ id: string; backend: string; zone: string; status: string; active: number; queued: number; lastError?: string }>;
}

/**
 * Per-model state. `degraded` when some models are failing (the gateway still answers for the
 * others, so load balancers should keep it); `down` (503) only when every model is failing.
 */
export function healthBody(models: ModelRegistry): HealthBody {
  const list = models.states().map(({ id, config, state }) => {
    const entry: HealthBody['models'][number] = { id, backend: config.backend, zone: config.zone, status: state.status, active: state.active, queued: state.queued };
    if (state.lastError !== undefined) entry.lastError = state.lastError;
    return entry;
  });
  const failing = list.filter((model) => model.status === 'error').length;
  const status = list.length > 0 && failing === list.length ? 'down' : failing > 0 ? 'degraded' : 'ok';
  return { status, models: list };
}
