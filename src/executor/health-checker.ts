import { request } from 'undici';
import type { OpenAICompatibleModelConfig } from '../portfolio/schema.ts';
import type { ModelEntry } from '../portfolio/model-registry.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import { definedOnly } from './model-policy.ts';
import type { HealthCheckSettings } from './resilience-schema.ts';

export interface HealthCheckResult {
  ok: boolean;
  /** Date.now() of the check. */
  at: number;
  error?: string;
}

interface Target {
  id: string;
  url: string;
  headers: Record<string, string>;
  settings: HealthCheckSettings;
  breaker: CircuitBreaker;
}

/**
 * Active health checks for self-hosted HTTP upstreams (openai-compatible, zone not `external`):
 * a periodic GET of `<baseURL><path>` (default /models). A failed check opens the model's circuit
 * at once (requests shed to fallbacks instead of discovering the outage one timeout at a time);
 * a passing check lets an open circuit probe again without waiting out `openMs`. Local llama.cpp
 * models and external APIs are not polled. Timers are unref'd and stopped with `stop()`.
 */
export class HealthChecker {
  private readonly targets: Target[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly results = new Map<string, HealthCheckResult>();
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  constructor(entries: readonly ModelEntry[], defaults: HealthCheckSettings, breakerOf: (id: string) => CircuitBreaker | undefined, env: NodeJS.ProcessEnv = process.env) {
    for (const { config } of entries) {
      if (config.backend !== 'openai-compatible' || config.zone === 'external' || config.healthCheck === false) continue;
      const breaker = breakerOf(config.id);
      if (breaker === undefined) continue;
      const settings = { ...defaults, ...definedOnly(config.healthCheck) };
      this.targets.push({ id: config.id, url: checkUrl(config.baseURL, settings.path), headers: checkHeaders(config, env), settings, breaker });
    }
  }

  /** Model ids that are polled. */
  ids(): string[] {
    return this.targets.map((target) => target.id);
  }

  start(): void {
    if (this.timers.length > 0 || this.stopped) return;
    for (const target of this.targets) {
      const timer = setInterval(() => void this.check(target), target.settings.intervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    for (const controller of this.inFlight) controller.abort();
  }

  result(id: string): HealthCheckResult | undefined {
    return this.results.get(id);
  }

  /** Runs every check once now (tests, and `serve --warm`-style callers). */
  async checkAll(): Promise<void> {
    await Promise.all(this.targets.map((target) => this.check(target)));
  }

  private async check(target: Target): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${target.settings.timeoutMs} ms`)), target.settings.timeoutMs);
    this.inFlight.add(controller);
    let error: string | undefined;
    try {
      const response = await request(target.url, { method: 'GET', headers: target.headers, signal: controller.signal });
      await response.body.dump();
      if (response.statusCode < 200 || response.statusCode >= 300) error = `HTTP ${response.statusCode}`;
    } catch (thrown) {
      error = controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason.message : (thrown as Error).message;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
    if (this.stopped) return;
    const result: HealthCheckResult = { ok: error === undefined, at: Date.now() };
    if (error !== undefined) {
      result.error = `GET ${target.settings.path} failed: ${error}`;
      target.breaker.trip();
    } else target.breaker.healthy();
    this.results.set(target.id, result);
  }
}

function checkUrl(baseURL: string, path: string): string {
  const url = new URL(baseURL);
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  return url.toString();
}

function checkHeaders(config: OpenAICompatibleModelConfig, env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'unbundle-health' };
  for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
  const key = config.apiKeyEnv === undefined ? undefined : env[config.apiKeyEnv];
  if (key) headers.authorization = `Bearer ${key}`;
  return headers;
}
