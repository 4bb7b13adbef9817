import type { DatasetRecord } from './dataset-records.ts';
import { recordText } from './record-text.ts';

/**
 * Exact and near-duplicate removal. Exact: the same text after case folding and whitespace
 * collapsing. Near: MinHash signatures over word 3-shingles (character 5-grams for texts under
 * three words) with locality-sensitive hashing in bands, candidates confirmed by their estimated
 * Jaccard similarity — linear in the data, so a million lines is seconds, not a quadratic crawl.
 * The first occurrence is kept; every dropped line names the line it duplicates.
 */

export interface DuplicateOf {
  record: DatasetRecord;
  /** The earlier record it duplicates (kept). */
  original: DatasetRecord;
  line: number;
  of: number;
  /** Estimated Jaccard similarity of the shingle sets (1 for exact duplicates). */
  similarity: number;
}

export interface DedupeResult {
  kept: DatasetRecord[];
  exact: DuplicateOf[];
  near: DuplicateOf[];
}

export interface DedupeOptions {
  near: boolean;
  /** Jaccard similarity at or above which two records are near duplicates (default 0.8). */
  threshold?: number;
}

const hashCount = 128;
const bands = 32; // 4 rows per band: pairs at similarity 0.8 collide in some band with p > 0.999

export function normalizeForDedupe(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function shingles(normalized: string): Set<number> {
  // Punctuation does not make a different example: "forgot it?" and "forgot it please?" share shingles.
  const words = normalized.replace(/[\p{P}\p{S}]+/gu, ' ').trim().split(/\s+/);
  const out = new Set<number>();
  if (words.length >= 3) {
    for (let i = 0; i + 3 <= words.length; i++) out.add(fnv1a(`${words[i]} ${words[i + 1]} ${words[i + 2]}`));
  } else {
    for (let i = 0; i + 5 <= normalized.length; i++) out.add(fnv1a(normalized.slice(i, i + 5)));
    if (out.size === 0) out.add(fnv1a(normalized));
  }
  return out;
}

// Fixed odd multipliers and offsets: signatures are comparable across runs.
const multipliers = Uint32Array.from({ length: hashCount }, (_, i) => (fnv1a(`m${i}`) | 1) >>> 0);
const offsets = Uint32Array.from({ length: hashCount }, (_, i) => fnv1a(`o${i}`));

function signature(set: Set<number>): Uint32Array {
  const sig = new Uint32Array(hashCount).fill(0xffffffff);
  for (const value of set) {
    for (let k = 0; k < hashCount; k++) {
      const h = (Math.imul(value ^ offsets[k]!, multipliers[k]!) ^ (value >>> 15)) >>> 0;
      if (h < sig[k]!) sig[k] = h;
    }
  }
  return sig;
}

function similarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let k = 0; k < hashCount; k++) if (a[k] === b[k]) same++;
  return same / hashCount;
}

export function dedupeRecords(records: readonly DatasetRecord[], options: DedupeOptions): DedupeResult {
  const threshold = options.threshold ?? 0.8;
  const firstByText = new Map<string, DatasetRecord>();
  const kept: DatasetRecord[] = [];
  const exact: DuplicateOf[] = [];
  const near: DuplicateOf[] = [];
  const signatures: Uint32Array[] = [];
  const buckets = new Map<string, number[]>();
  const rows = hashCount / bands;
  for (const record of records) {
    const normalized = normalizeForDedupe(recordText(record));
    const first = firstByText.get(normalized);
    if (first !== undefined) {
      exact.push({ record, original: first, line: record.line, of: first.line, similarity: 1 });
      continue;
    }
    firstByText.set(normalized, record);
    if (options.near) {
      const sig = signature(shingles(normalized));
      const keys: string[] = [];
      let match: DuplicateOf | undefined;
      for (let band = 0; band < bands; band++) {
        const key = `${band}:${Array.from(sig.subarray(band * rows, band * rows + rows)).join(',')}`;
        keys.push(key);
        if (match) continue;
        for (const candidate of buckets.get(key) ?? []) {
          const s = similarity(sig, signatures[candidate]!);
          if (s >= threshold) {
            match = { record, original: kept[candidate]!, line: record.line, of: kept[candidate]!.line, similarity: Math.round(s * 1000) / 1000 };
            break;
          }
        }
      }
      if (match) {
        near.push(match);
        continue;
      }
      const index = kept.length;
      signatures.push(sig);
      for (const key of keys) {
        const bucket = buckets.get(key);
        if (bucket) bucket.push(index);
        else buckets.set(key, [index]);
      }
    }
    kept.push(record);
  }
  return { kept, exact, near };
}
