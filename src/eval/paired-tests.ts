import { mean, percentile, seededRandom, type BootstrapOptions } from './statistics.ts';

/**
 * Tests for "is model A really better than model B on this suite?", on the items both answered.
 * Pairing matters: both models saw the same items, so per-item differences cancel out the items'
 * own difficulty and the test is far sharper than comparing two separate intervals.
 */

export interface PairedBootstrapResult {
  items: number;
  /** mean(a) − mean(b) over the paired items. */
  meanDifference: number;
  low: number;
  high: number;
  /**
   * Two-sided bootstrap p-value: twice the share of resampled differences on the far side of 0
   * (capped at 1). A rough guide, not an exact test; McNemar is exact for 0/1 scores.
   */
  pValue: number;
}

/** Percentile bootstrap of the mean paired difference a[i] − b[i]. */
export function pairedBootstrap(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): PairedBootstrapResult {
  if (a.length !== b.length) throw new RangeError(`paired samples must have the same length, got ${a.length} and ${b.length}`);
  const differences = a.map((value, i) => value - b[i]!);
  const estimate = mean(differences);
  if (differences.length === 0) return { items: 0, meanDifference: Number.NaN, low: Number.NaN, high: Number.NaN, pValue: Number.NaN };
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const random = seededRandom(options.seed ?? 20_240_601);
  const stats: number[] = [];
  let atOrBelowZero = 0;
  let atOrAboveZero = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < differences.length; i++) sum += differences[Math.floor(random() * differences.length)]!;
    const value = sum / differences.length;
    stats.push(value);
    if (value <= 0) atOrBelowZero++;
    if (value >= 0) atOrAboveZero++;
  }
  const tail = ((1 - confidence) / 2) * 100;
  const pValue = Math.min(1, (2 * Math.min(atOrBelowZero, atOrAboveZero)) / resamples);
  return { items: differences.length, meanDifference: estimate, low: percentile(stats, tail), high: percentile(stats, 100 - tail), pValue };
}

export interface McNemarResult {
  /** Items A got right and B got wrong. */
  onlyA: number;
  /** Items B got right and A got wrong. */
  onlyB: number;
  /** Exact two-sided p-value (binomial test on the discordant pairs); 1 when there are none. */
  pValue: number;
}

function logFactorial(n: number): number {
  let sum = 0;
  for (let k = 2; k <= n; k++) sum += Math.log(k);
  return sum;
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2), summed in log space so n in the thousands stays exact enough. */
function binomialHalfCdf(k: number, n: number): number {
  const logN = logFactorial(n);
  const logHalfPowN = -n * Math.LN2;
  let total = 0;
  let logKFact = 0;
  let logNMinusKFact = logN;
  for (let i = 0; i <= k; i++) {
    if (i > 0) {
      logKFact += Math.log(i);
      logNMinusKFact -= Math.log(n - i + 1);
    }
    total += Math.exp(logN - logKFact - logNMinusKFact + logHalfPowN);
  }
  return total;
}

/**
 * McNemar's exact test for two models scored 0/1 on the same items. Only the discordant items
 * (one right, one wrong) carry information; under "equally good" each is a fair coin.
 */
export function mcnemarTest(a: readonly number[], b: readonly number[]): McNemarResult {
  if (a.length !== b.length) throw new RangeError(`paired samples must have the same length, got ${a.length} and ${b.length}`);
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    const right = a[i]! >= 0.5;
    const otherRight = b[i]! >= 0.5;
    if (right && !otherRight) onlyA++;
    else if (otherRight && !right) onlyB++;
  }
  const n = onlyA + onlyB;
  const pValue = n === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(onlyA, onlyB), n));
  return { onlyA, onlyB, pValue };
}

/** True when every score is exactly 0 or 1, so McNemar applies. */
export function isBinary(values: readonly number[]): boolean {
  return values.every((value) => value === 0 || value === 1);
}
