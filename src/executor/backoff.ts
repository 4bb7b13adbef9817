import type { RetrySettings } from './resilience-schema.ts';

/**
 * How long to wait before retry number `retry` (0-based): "full jitter" — a uniform random wait
 * in [0, min(capMs, baseMs · 2^retry)], which spreads a crowd of clients apart instead of letting
 * them retry in lock-step. An upstream's Retry-After is a floor. Returns undefined when the wait
 * is not worth it: Retry-After longer than capMs, or a wait that would end past the deadline.
 */
export function backoffDelay(retry: number, settings: RetrySettings, random: () => number, retryAfterMs: number | undefined, remainingMs: number): number | undefined {
  if (retryAfterMs !== undefined && retryAfterMs > settings.capMs) return undefined;
  const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** retry);
  const delay = Math.max(Math.floor(random() * ceiling), retryAfterMs ?? 0);
  // Leave the retry itself some time: a wait that eats the whole deadline only turns a 502 into a 504.
  return delay < remainingMs ? delay : undefined;
}
