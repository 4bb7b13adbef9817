import type { ModelEntry } from '../portfolio/model-registry.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { LatencyTracker } from './latency-tracker.ts';
import type { ResilienceConfig, RetrySettings } from './resilience-schema.ts';

/** One model's resolved resilience settings and live state (breaker, measured latency). */
export interface ModelPolicy {
  entry: ModelEntry;
  breaker: CircuitBreaker;
  retry: RetrySettings;
  /** Streams: first-part deadline per attempt. */
  firstTokenMs: number | undefined;
  /** Non-streamed answers and embeddings: per-attempt deadline. */
  attemptMs: number | undefined;
  hedge: number | 'p95' | undefined;
  /** Present only when the model hedges on p95 (nothing is measured otherwise). */
  latency: LatencyTracker | undefined;
}

/** The model's own keys over the `resilience:` defaults. */
export function modelPolicy(entry: ModelEntry, defaults: ResilienceConfig, now: () => number): ModelPolicy {
  const { config } = entry;
  const retry = { ...defaults.retry, ...definedOnly(config.retry) };
  const breaker = new CircuitBreaker({ ...defaults.breaker, ...definedOnly(config.breaker) }, now);
  const hedge = config.hedgeAfterMs;
  return {
    entry,
    breaker,
    retry,
    firstTokenMs: config.timeouts?.firstTokenMs ?? defaults.timeouts.firstTokenMs,
    attemptMs: config.timeouts?.attemptMs ?? defaults.timeouts.attemptMs,
    hedge,
    latency: hedge === 'p95' ? new LatencyTracker() : undefined,
  };
}

/** The keys of a partial override that are actually set. */
export function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
