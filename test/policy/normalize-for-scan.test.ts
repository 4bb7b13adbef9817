import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeForScan, originalEnd, originalStart } from '../../src/policy/normalize-for-scan.ts';

describe('normalizeForScan', () => {
  it('returns plain text untouched and without an offset map', () => {
    for (const text of ['hello 123', 'café “quoted” … • ok', '']) {
      const scan = normalizeForScan(text);
      assert.equal(scan.text, text);
      assert.equal(scan.drops, undefined);
      assert.deepEqual([originalStart(scan, 2), originalEnd(scan, 4)], [2, 4]);
    }
  });

  it('drops zero-width and bidi controls, maps full-width, Arabic-Indic and Devanagari digits, spaces and dashes', () => {
    const text = `a\u200B１\u00A0٢—३\uFEFF＠\u202Eb\u00ADc`;
    const scan = normalizeForScan(text);
    assert.equal(scan.text, 'a1 2-3@bc');
    // Every normalised character maps back to the original one it came from.
    assert.deepEqual([...scan.text].map((_, i) => originalStart(scan, i)), [0, 2, 3, 4, 5, 6, 8, 10, 12]);
    assert.deepEqual([...scan.text].map((_, i) => originalEnd(scan, i + 1)), [1, 3, 4, 5, 6, 7, 9, 11, 13]);
  });

  it('maps spans back exactly, including over dropped characters inside the span', () => {
    const text = `x 4111\u200B1111 y`;
    const scan = normalizeForScan(text);
    const start = scan.text.indexOf('4');
    const end = start + '41111111'.length;
    assert.equal(text.slice(originalStart(scan, start), originalEnd(scan, end)), '4111\u200B1111');
  });

  it('keeps Latin-1 one-byte text fast but still catches a no-break space or soft hyphen', () => {
    assert.equal(normalizeForScan('555\u00A01234').text, '555 1234');
    assert.equal(normalizeForScan('555\u00AD1234').text, '5551234');
  });
});
