/**
 * Deterministic randomness for training. Every random stream (init, data order per epoch,
 * dropout per step) is derived from the user's seed and its position, so a run resumed from a
 * checkpoint draws exactly the numbers an uninterrupted run would.
 */
export { seededRandom, shuffleInPlace } from '../../util/seeded-random.ts';

/** Mixes a seed with stream identifiers (murmur3's finaliser): distinct inputs, unrelated seeds. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = seed >>> 0;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}
