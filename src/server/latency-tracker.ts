import type { LatencySnapshot } from '../router/rank-candidates.ts';

/**
 * An exponentially weighted moving average of each model's request latency, kept only when
 * routing is configured: the router breaks price and quality ties with it. Reading it allocates
 * nothing; the router gets the live map (a snapshot by contract: it only reads).
 */
export class LatencyTracker {
  private readonly averages = new Map<string, number>();

  /** `weight` of the newest observation; 0.1 follows a change within a few dozen requests. */
  constructor(private readonly weight = 0.1) {}

  observe(modelId: string, latencyMs: number): void {
    const previous = this.averages.get(modelId);
    this.averages.set(modelId, previous === undefined ? latencyMs : previous + this.weight * (latencyMs - previous));
  }

  snapshot(): LatencySnapshot {
    return this.averages;
  }
}
