import type { GatewayMetrics } from '../gateway-metrics.ts';

/** One second (or so) of API traffic, as the dashboard's Overview charts it. */
export interface TrafficSample {
  /** Epoch milliseconds at the end of the interval. */
  t: number;
  requestsPerSecond: number;
  /** Fraction of the interval's requests answered with HTTP >= 400; null when there were none. */
  errorRate: number | null;
  /** Interpolated from the latency histogram's buckets; null when there were no requests. */
  p50Ms: number | null;
  p95Ms: number | null;
  inFlight: number;
}

export interface TrafficWindow {
  seconds: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

interface Reading {
  t: number;
  requests: number;
  errors: number;
  buckets: Float64Array;
  /** Observations above the last bucket. */
  overflow: number;
}

interface Stored {
  sample: TrafficSample;
  requests: number;
  errors: number;
  buckets: Float64Array;
  overflow: number;
}

/** Only the OpenAI/Anthropic API is "traffic": the dashboard's own requests are not counted. */
function isApi(endpoint: string | undefined): boolean {
  return endpoint !== undefined && endpoint.startsWith('/v1/');
}

/**
 * Reads the gateway's counters once per interval and keeps the differences, so the Overview can
 * chart requests/s, latency percentiles and error rate. It runs only once a dashboard has asked
 * for data (a gateway nobody watches pays nothing) and reads the same counters /metrics renders:
 * nothing is added to the request path.
 */
export class TrafficSampler {
  private readonly ring: Stored[] = [];
  private last: Reading | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(sample: TrafficSample) => void>();

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly inFlight: () => number,
    readonly intervalMs = 1_000,
    private readonly keep = 3_600,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.last = this.read();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  subscribe(listener: (sample: TrafficSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Samples of the last `seconds`, oldest first. */
  history(seconds: number): TrafficSample[] {
    const since = Date.now() - seconds * 1000;
    return this.ring.filter((entry) => entry.sample.t > since).map((entry) => entry.sample);
  }

  /** Totals and percentiles over the last `seconds` of samples. */
  window(seconds: number): TrafficWindow {
    const since = Date.now() - seconds * 1000;
    let requests = 0;
    let errors = 0;
    let overflow = 0;
    const buckets = new Float64Array(this.metrics.latency.buckets.length);
    let covered = 0;
    for (const entry of this.ring) {
      if (entry.sample.t <= since) continue;
      requests += entry.requests;
      errors += entry.errors;
      overflow += entry.overflow;
      for (let i = 0; i < buckets.length; i++) buckets[i]! += entry.buckets[i]!;
      covered++;
    }
    const span = Math.max(1, (covered * this.intervalMs) / 1000);
    return {
      seconds,
      requests,
      errors,
      requestsPerSecond: requests / span,
      errorRate: requests > 0 ? errors / requests : null,
      p50Ms: this.quantileMs(buckets, overflow, 0.5),
      p95Ms: this.quantileMs(buckets, overflow, 0.95),
    };
  }

  /** Takes a sample now (the timer calls this; tests may too). */
  tick(now = Date.now()): TrafficSample {
    const reading = this.read(now);
    const previous = this.last ?? reading;
    this.last = reading;
    const requests = Math.max(0, reading.requests - previous.requests);
    const errors = Math.max(0, reading.errors - previous.errors);
    const buckets = new Float64Array(reading.buckets.length);
    for (let i = 0; i < buckets.length; i++) buckets[i] = Math.max(0, reading.buckets[i]! - previous.buckets[i]!);
    const overflow = Math.max(0, reading.overflow - previous.overflow);
    const seconds = Math.max(0.001, (reading.t - previous.t) / 1000);
    const sample: TrafficSample = {
      t: reading.t,
      requestsPerSecond: reading === previous ? 0 : requests / seconds,
      errorRate: requests > 0 ? errors / requests : null,
      p50Ms: this.quantileMs(buckets, overflow, 0.5),
      p95Ms: this.quantileMs(buckets, overflow, 0.95),
      // The dashboards' own event streams are in flight too; they are not traffic.
      inFlight: Math.max(0, this.inFlight() - this.listeners.size),
    };
    this.ring.push({ sample, requests, errors, buckets, overflow });
    if (this.ring.length > this.keep) this.ring.shift();
    for (const listener of this.listeners) listener(sample);
    return sample;
  }

  private read(t = Date.now()): Reading {
    let requests = 0;
    let errors = 0;
    for (const { labels, value } of this.metrics.requests.series()) {
      if (!isApi(labels.endpoint)) continue;
      requests += value;
      if (Number(labels.status) >= 400) errors += value;
    }
    const buckets = new Float64Array(this.metrics.latency.buckets.length);
    let overflow = 0;
    for (const series of this.metrics.latency.allSeries()) {
      if (!isApi(series.labels.endpoint)) continue;
      let inBuckets = 0;
      for (let i = 0; i < buckets.length; i++) {
        buckets[i]! += series.counts[i]!;
        inBuckets += series.counts[i]!;
      }
      overflow += series.count - inBuckets;
    }
    return { t, requests, errors, buckets, overflow };
  }

  /** Linear interpolation inside the bucket holding the quantile (Prometheus' histogram_quantile). */
  private quantileMs(buckets: Float64Array, overflow: number, q: number): number | null {
    const bounds = this.metrics.latency.buckets;
    let total = overflow;
    for (const count of buckets) total += count;
    if (total === 0) return null;
    const rank = q * total;
    let cumulative = 0;
    for (let i = 0; i < buckets.length; i++) {
      const count = buckets[i]!;
      if (cumulative + count >= rank && count > 0) {
        const lower = i === 0 ? 0 : bounds[i - 1]!;
        const upper = bounds[i]!;
        return (lower + ((rank - cumulative) / count) * (upper - lower)) * 1000;
      }
      cumulative += count;
    }
    return bounds[bounds.length - 1]! * 1000;
  }
}
