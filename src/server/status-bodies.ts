import type { CircuitState } from '../executor/circuit-breaker.ts';
import type { HealthCheckResult } from '../executor/health-checker.ts';
import type { ModelRegistry } from '../portfolio/model-registry.ts';
import type { RoutingTable } from '../router/routing-table.ts';

/** What the executor knows about each model's health (circuit breaker, active checks). */
export interface ResilienceView {
  circuitStates(): Array<{ id: string; state: CircuitState }>;
  healthCheck?(id: string): HealthCheckResult | undefined;
}

const startedAt = Math.floor(Date.now() / 1000);

/**
 * GET /v1/models in OpenAI's shape, with unbundle's own fields beside the standard ones; `allowed`:
 * a tenant's models only. Virtual models (`auto`, ...) follow the real ones with `backend: "router"`.
 */
export function modelsBody(models: ModelRegistry, routing?: RoutingTable, allowed?: ReadonlySet<string>): string {
  const entries = allowed === undefined ? models.list() : models.list().filter(({ config }) => allowed.has(config.id));
  const data: Array<Record<string, unknown>> = entries.map(({ config }) => ({
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
  models: Array<{
    id: string;
    backend: string;
    zone: string;
    status: string;
    active: number;
    queued: number;
    lastError?: string;
    /** The executor's circuit breaker: `open` sheds the model's requests to fallbacks. */
    circuit?: CircuitState;
    /** The last active health check (self-hosted upstreams only). */
    healthCheck?: { ok: boolean; at: string; error?: string };
  }>;
}

/**
 * Per-model state. `degraded` when some models are failing (the gateway still answers for the
 * others, so load balancers should keep it); `down` (503) only when every model is failing.
 */
export function healthBody(models: ModelRegistry, resilience?: ResilienceView): HealthBody {
  const circuits = new Map(resilience?.circuitStates().map(({ id, state }) => [id, state]));
  const list = models.states().map(({ id, config, state }) => {
    const entry: HealthBody['models'][number] = { id, backend: config.backend, zone: config.zone, status: state.status, active: state.active, queued: state.queued };
    if (state.lastError !== undefined) entry.lastError = state.lastError;
    const circuit = circuits.get(id);
    if (circuit !== undefined) entry.circuit = circuit;
    const check = resilience?.healthCheck?.(id);
    if (check !== undefined) entry.healthCheck = { ok: check.ok, at: new Date(check.at).toISOString(), ...(check.error === undefined ? {} : { error: check.error }) };
    return entry;
  });
  // An open circuit counts as failing: the gateway is shedding that model's requests.
  const failing = list.filter((model) => model.status === 'error' || model.circuit === 'open').length;
  const status = list.length > 0 && failing === list.length ? 'down' : failing > 0 ? 'degraded' : 'ok';
  return { status, models: list };
}
