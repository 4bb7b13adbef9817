import { z } from 'zod';

/**
 * The executor's part of the portfolio config: server-wide defaults under `resilience:` and the
 * per-model keys that override them (`fallbacks`, `retry`, `breaker`, `timeouts`, `hedgeAfterMs`,
 * `healthCheck`). Merged into src/portfolio/schema.ts, which stays the one config schema.
 */

const positiveInt = z.number().int().positive();

const retryFields = {
  /** Extra tries on the same model after a retryable failure (0: fall back at once). */
  retries: z.number().int().min(0).max(10),
  /** Backoff before retry n is a random wait in [0, min(capMs, baseMs · 2^n)] ("full jitter"). */
  baseMs: positiveInt,
  /** Longest backoff; a Retry-After longer than this moves on to the next model instead of waiting. */
  capMs: positiveInt,
};

const breakerFields = {
  /** Failures within windowMs that open the circuit. */
  failures: positiveInt,
  windowMs: positiveInt,
  /** How long an open circuit sheds load before one probe request is let through (half-open). */
  openMs: positiveInt,
};

const healthCheckFields = {
  /** Path under baseURL that is fetched with GET (2xx = healthy). */
  path: z.string().regex(/^\//, { message: 'must start with "/", e.g. /models' }),
  intervalMs: z.number().int().min(100),
  timeoutMs: positiveInt,
};

export const resilienceSchema = z
  .strictObject({
    retry: z
      .strictObject({ retries: retryFields.retries.default(2), baseMs: retryFields.baseMs.default(100), capMs: retryFields.capMs.default(2_000) })
      .prefault({}),
    breaker: z
      .strictObject({ failures: breakerFields.failures.default(5), windowMs: breakerFields.windowMs.default(30_000), openMs: breakerFields.openMs.default(10_000) })
      .prefault({}),
    timeouts: z
      .strictObject({
        /** Default connect timeout for HTTP upstreams (a model's connectTimeoutMs overrides it). */
        connectMs: positiveInt.default(10_000),
        /** Streams: longest wait for the first part of an attempt before it counts as failed. Unset: no limit. */
        firstTokenMs: positiveInt.optional(),
        /** Whole (non-streamed) answers and embeddings: longest time one attempt may take before it is retried or falls back. Unset: no limit. */
        attemptMs: positiveInt.optional(),
      })
      .prefault({}),
    /** Active health checks of self-hosted OpenAI-compatible upstreams. */
    healthCheck: z
      .strictObject({ path: healthCheckFields.path.default('/models'), intervalMs: healthCheckFields.intervalMs.default(10_000), timeoutMs: healthCheckFields.timeoutMs.default(2_000) })
      .prefault({}),
  })
  .prefault({});

const modelId = z.string().min(1);

/** Keys every model accepts; each overrides the `resilience:` default for that model. */
export const modelResilienceFields = {
  /** Models to try, in order, when this one fails (or is shedding load). */
  fallbacks: z.array(modelId).default([]),
  retry: z.strictObject({ retries: retryFields.retries.optional(), baseMs: retryFields.baseMs.optional(), capMs: retryFields.capMs.optional() }).optional(),
  breaker: z.strictObject({ failures: breakerFields.failures.optional(), windowMs: breakerFields.windowMs.optional(), openMs: breakerFields.openMs.optional() }).optional(),
  timeouts: z
    .strictObject({
      firstTokenMs: positiveInt.optional(),
      attemptMs: positiveInt.optional(),
      /** Total time for a request whose plan starts with this model (the x-unbundle-timeout-ms header still wins). */
      totalMs: positiveInt.optional(),
    })
    .optional(),
  /** Hedging: start the next model too when this one has not answered after this many ms, or after its measured p95. */
  hedgeAfterMs: z.union([positiveInt, z.literal('p95')], { error: 'must be a whole number of milliseconds (e.g. 300) or "p95" (the model\'s measured 95th-percentile latency)' }).optional(),
};

/** Only for HTTP upstreams; on by default when the zone is not `external`. */
export const healthCheckField = {
  healthCheck: z
    .union([z.literal(false), z.strictObject({ path: healthCheckFields.path.optional(), intervalMs: healthCheckFields.intervalMs.optional(), timeoutMs: healthCheckFields.timeoutMs.optional() })], {
      error: 'must be false (no checks) or a mapping with path, intervalMs, timeoutMs',
    })
    .optional(),
};

export type ResilienceConfig = z.infer<typeof resilienceSchema>;
export type RetrySettings = ResilienceConfig['retry'];
export type BreakerSettings = ResilienceConfig['breaker'];
export type HealthCheckSettings = ResilienceConfig['healthCheck'];

/** Config problems the types cannot express: fallbacks must name other models of the portfolio. */
export function fallbackIssues(models: ReadonlyArray<{ id: string; fallbacks: readonly string[] }>): Array<{ path: Array<string | number>; message: string }> {
  const ids = new Set(models.map((model) => model.id));
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  models.forEach((model, index) => {
    const seen = new Set<string>();
    model.fallbacks.forEach((fallback, position) => {
      const path = ['models', index, 'fallbacks', position];
      if (fallback === model.id) issues.push({ path, message: `"${fallback}" is this model itself: a model cannot be its own fallback — remove it` });
      else if (!ids.has(fallback)) issues.push({ path, message: `unknown model "${fallback}" — fallbacks must be ids of other models in models[] (known: ${[...ids].join(', ')})` });
      else if (seen.has(fallback)) issues.push({ path, message: `"${fallback}" is listed twice — list each fallback once` });
      seen.add(fallback);
    });
  });
  return issues;
}
