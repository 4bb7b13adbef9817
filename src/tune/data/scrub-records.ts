import type { Scanner } from '../../policy/create-scanner.ts';
import type { DatasetRecord } from './dataset-records.ts';
import { mapRecordText, recordText } from './record-text.ts';

/**
 * Removes sensitive values before data reaches training (an adapter can memorise them): each
 * detection from the policy's scanner is replaced by its type in angle brackets (`<EMAIL>`), or the
 * whole record is dropped. Counts per type are reported; the values themselves never are.
 */
export type ScrubMode = 'replace' | 'drop';

export interface ScrubResult {
  kept: DatasetRecord[];
  /** Detections per entity type, over all records. */
  counts: Record<string, number>;
  /** Records that held at least one detection. */
  affected: number;
  /** Records dropped (mode `drop`). */
  dropped: DatasetRecord[];
  /** For each kept record, the input record it came from (same order). */
  origins: DatasetRecord[];
}

export function scrubText(text: string, scanner: Scanner, counts: Record<string, number>): string {
  const detections = scanner.scan(text);
  if (detections.length === 0) return text;
  let out = '';
  let at = 0;
  for (const d of detections) {
    counts[d.type] = (counts[d.type] ?? 0) + 1;
    out += `${text.slice(at, d.start)}<${d.type}>`;
    at = d.end;
  }
  return out + text.slice(at);
}

export function scrubRecords(records: readonly DatasetRecord[], scanner: Scanner, mode: ScrubMode): ScrubResult {
  const counts: Record<string, number> = {};
  const kept: DatasetRecord[] = [];
  const dropped: DatasetRecord[] = [];
  const origins: DatasetRecord[] = [];
  let affected = 0;
  for (const record of records) {
    if (mode === 'drop') {
      const found = scanner.scan(recordText(record));
      if (found.length > 0) {
        affected++;
        for (const d of found) counts[d.type] = (counts[d.type] ?? 0) + 1;
        dropped.push(record);
      } else {
        kept.push(record);
        origins.push(record);
      }
      continue;
    }
    const before = Object.values(counts).reduce((a, b) => a + b, 0);
    const scrubbed = mapRecordText(record, (text) => scrubText(text, scanner, counts));
    if (Object.values(counts).reduce((a, b) => a + b, 0) > before) affected++;
    kept.push(scrubbed);
    origins.push(record);
  }
  return { kept, counts, affected, dropped, origins };
}
