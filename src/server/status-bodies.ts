import type { ModelRegistry } from '../portfolio/model-registry.ts';
import type { RoutingTable } from '../router/routing-table.ts';

const startedAt = Math.floor(Date.now() / 1000);

/**
 * GET /v1/models in OpenAI's shape, with unbundle's own fields beside the standard ones. Virtual
 * models (`auto`, ...) follow the real ones with `backend: "router"` and their strategy.
 */
export function modelsBody(models: ModelRegistry, routing?: RoutingTable): string {
  const data: Array<Record<string, unknown>> = models.list().map(({ config }) => ({
    id: config.id,
    object: 'model',
    created: startedAt,
    owned_by: 'unbundle',
    backend: config.backend,
    zone: config.zone,
  }));
  for (const vm of routing?.virtualModels.values() ?? []) {
    data.push({ id: vm.name, object: 'model', created: startedAt, owned_by: 'unbundle', backend: 'router', strategy: vm.strategy.kind });
  }
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
