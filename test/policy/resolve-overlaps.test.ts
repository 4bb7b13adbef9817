import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveOverlaps } from '../../src/policy/resolve-overlaps.ts';

describe('resolveOverlaps', () => {
  it('keeps the higher priority, then the longer, then the earlier span, and sorts by start', () => {
    const kept = resolveOverlaps([
      { start: 0, end: 10, priority: 9, id: 'long-low' },
      { start: 2, end: 6, priority: 1, id: 'short-high' },
      { start: 8, end: 12, priority: 5, id: 'tie-a' },
      { start: 7, end: 12, priority: 5, id: 'tie-longer' },
      { start: 20, end: 25, priority: 3, id: 'x' },
      { start: 20, end: 25, priority: 3, id: 'dup' },
      { start: 25, end: 30, priority: 9, id: 'touching' },
    ]);
    assert.deepEqual(kept.map((k) => k.id), ['short-high', 'tie-longer', 'x', 'touching']);
  });

  it('handles empty and single inputs', () => {
    assert.deepEqual(resolveOverlaps([]), []);
    assert.deepEqual(resolveOverlaps([{ start: 1, end: 2, priority: 0 }]), [{ start: 1, end: 2, priority: 0 }]);
  });
});
