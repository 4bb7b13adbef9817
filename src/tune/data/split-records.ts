import type { DatasetRecord } from './dataset-records.ts';
import { normalizeForDedupe } from './dedupe-records.ts';
import { recordText } from './record-text.ts';

/**
 * Deterministic train/validation split: each record goes to validation when a hash of the seed and
 * its own text falls below the ratio. The assignment depends only on the record and the seed — not
 * on its position — so adding data or reordering a file never moves an old example across the line
 * (validation stays unseen by every later training run).
 */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so similar texts spread evenly over [0, 2^32).
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function isValidationRecord(record: DatasetRecord, ratio: number, seed: number): boolean {
  return hash32(`${seed}\u0000${normalizeForDedupe(recordText(record))}`) / 2 ** 32 < ratio;
}

export function splitTrainValidation(records: readonly DatasetRecord[], ratio: number, seed: number): { train: DatasetRecord[]; validation: DatasetRecord[] } {
  const train: DatasetRecord[] = [];
  const validation: DatasetRecord[] = [];
  for (const record of records) (isValidationRecord(record, ratio, seed) ? validation : train).push(record);
  return { train, validation };
}
