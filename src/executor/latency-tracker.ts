/**
 * Recent successful-attempt latencies of one model, for `hedgeAfterMs: p95`. A ring of the last
 * 128 samples; the percentile is recomputed every 16 samples, so reading it costs nothing.
 */
export class LatencyTracker {
  private readonly samples = new Float64Array(128);
  private count = 0;
  private cached: number | undefined;

  /** Samples needed before a percentile is trusted (until then, no hedging). */
  static readonly minSamples = 20;

  record(ms: number): void {
    this.samples[this.count % this.samples.length] = ms;
    this.count++;
    if (this.count >= LatencyTracker.minSamples && (this.cached === undefined || this.count % 16 === 0)) this.cached = this.compute(0.95);
  }

  /** The p95 latency in ms, or undefined while there are too few samples. */
  p95(): number | undefined {
    return this.cached;
  }

  private compute(q: number): number {
    const n = Math.min(this.count, this.samples.length);
    const sorted = Array.from(this.samples.subarray(0, n)).sort((a, b) => a - b);
    return sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]!;
  }
}
