import { sequencesOf } from './build-examples.ts';
import type { DatasetRecord } from './dataset-records.ts';
import type { TuneTokenizer } from './tune-tokenizer.ts';

/**
 * Token statistics with the base model's own tokenizer: what training will actually see. A
 * sequence longer than the context is split into windows by the trainer; here it counts as
 * truncated so the user can choose a longer --max-length or shorter examples.
 */
export interface DatasetStats {
  records: number;
  sequences: number;
  tokens: number;
  /** Tokens the loss is computed on (completions / assistant turns; all of a plain text). */
  scoredTokens: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
  contextSize: number;
  /** Sequences longer than the context size. */
  overContext: number;
  /** Sequence length histogram: upper bound (inclusive, powers of two) → count. */
  histogram: { upTo: number; count: number }[];
  byKind: Record<string, number>;
}

export function datasetStats(records: readonly DatasetRecord[], tokenizer: TuneTokenizer, contextSize: number): DatasetStats {
  const lengths: number[] = [];
  let scored = 0;
  const byKind: Record<string, number> = {};
  for (const record of records) {
    byKind[record.kind] = (byKind[record.kind] ?? 0) + 1;
    for (const sequence of sequencesOf(record, tokenizer)) {
      lengths.push(sequence.tokens.length);
      scored += sequence.scored.filter(Boolean).length;
    }
  }
  const sorted = [...lengths].sort((a, b) => a - b);
  const at = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  const total = lengths.reduce((a, b) => a + b, 0);
  const histogram: { upTo: number; count: number }[] = [];
  for (let upTo = 16; sorted.length > 0; upTo *= 2) {
    const lower = upTo === 16 ? 0 : upTo / 2;
    const count = sorted.filter((n) => n > lower && n <= upTo).length;
    histogram.push({ upTo, count });
    if (upTo >= sorted[sorted.length - 1]!) break;
  }
  return {
    records: records.length,
    sequences: lengths.length,
    tokens: total,
    scoredTokens: scored,
    min: sorted[0] ?? 0,
    p50: at(0.5),
    p95: at(0.95),
    max: sorted[sorted.length - 1] ?? 0,
    mean: lengths.length === 0 ? 0 : Math.round((total / lengths.length) * 10) / 10,
    contextSize,
    overContext: lengths.filter((n) => n > contextSize).length,
    histogram,
    byKind,
  };
}
