/**
 * Small, deterministic statistics for evaluation reports. Everything random takes a seed, so a
 * report computed twice from the same results shows the same intervals.
 */

export { seededRandom } from '../util/seeded-random.ts';
import { seededRandom } from '../util/seeded-random.ts';

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * The p-th percentile (0-100) by linear interpolation between closest ranks — numpy's default
 * ("linear", type 7). NaN for an empty list.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be between 0 and 100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export interface BootstrapOptions {
  /** Resamples drawn (default 2000). */
  resamples?: number;
  /** Coverage of the interval (default 0.95). */
  confidence?: number;
  seed?: number;
}

export interface ConfidenceInterval {
  /** The statistic on the data itself. */
  estimate: number;
  low: number;
  high: number;
}

/**
 * Percentile-bootstrap confidence interval of a statistic (default: the mean): resample the items
 * with replacement, recompute, and take the central `confidence` share of the results. Items are
 * resampled whole, so corpus statistics such as macro-F1 get honest intervals too.
 */
export function bootstrapCi<T = number>(
  values: readonly T[],
  statistic: (sample: readonly T[]) => number = mean as unknown as (sample: readonly T[]) => number,
  options: BootstrapOptions = {},
): ConfidenceInterval {
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, got ${confidence}`);
  const estimate = statistic(values);
  if (values.length === 0) return { estimate, low: Number.NaN, high: Number.NaN };
  const random = seededRandom(options.seed ?? 20_240_601);
  const sample = new Array<T>(values.length);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)]!;
    stats.push(statistic(sample));
  }
  const tail = ((1 - confidence) / 2) * 100;
  return { estimate, low: percentile(stats, tail), high: percentile(stats, 100 - tail) };
}

export interface ParetoPoint {
  id: string;
  quality: number;
  cost: number;
}

/**
 * The ids on the Pareto front of quality against cost: no other point is at least as good and at
 * most as costly while strictly better on one of the two. Points with an unknown (NaN) quality or
 * cost are never on the front. `higherIsBetter: false` for metrics such as perplexity.
 */
export function paretoFront(points: readonly ParetoPoint[], higherIsBetter = true): Set<string> {
  const known = points.filter((point) => Number.isFinite(point.quality) && Number.isFinite(point.cost));
  const better = (a: number, b: number) => (higherIsBetter ? a > b : a < b);
  const front = new Set<string>();
  for (const point of known) {
    const dominated = known.some(
      (other) =>
        other !== point &&
        !better(point.quality, other.quality) &&
        other.cost <= point.cost &&
        (better(other.quality, point.quality) || other.cost < point.cost),
    );
    if (!dominated) front.add(point.id);
  }
  return front;
}
