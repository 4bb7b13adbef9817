/**
 * Makes spans non-overlapping, as redaction needs: candidates are taken by priority (lower number
 * first), then the longer span, then the earlier one; a candidate that overlaps one already taken
 * is dropped whole — never trimmed, since half a phone number is no phone number. Returns the kept
 * spans sorted by start.
 */

export interface RankedSpan {
  start: number;
  end: number;
  priority: number;
}

export function resolveOverlaps<T extends RankedSpan>(candidates: readonly T[]): T[] {
  if (candidates.length <= 1) return candidates.slice();
  const ranked = candidates.slice().sort((a, b) => a.priority - b.priority || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: T[] = [];
  for (const candidate of ranked) {
    // kept is sorted by start: find the first kept span that starts at or after candidate.start.
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (kept[mid]!.start < candidate.start) lo = mid + 1;
      else hi = mid;
    }
    const before = kept[lo - 1];
    const after = kept[lo];
    if (before !== undefined && before.end > candidate.start) continue;
    if (after !== undefined && after.start < candidate.end) continue;
    kept.splice(lo, 0, candidate);
  }
  return kept;
}
