/**
 * Undoes cheap obfuscation before detectors run: zero-width and bidi-control characters are
 * dropped, full-width ASCII and other-script digits become ASCII, exotic spaces and dashes become
 * ' ' and '-'. Replacements are one unit for one unit, so only dropped characters move offsets;
 * their positions are kept (a short sorted list) to map spans back to the original exactly. Text
 * with none of these characters (nearly all of it) is returned as is.
 */

export interface ScanText {
  /** What the detectors see. */
  readonly text: string;
  /** For each dropped character, the normalised index where it stood; undefined when none was dropped. */
  readonly drops: readonly number[] | undefined;
}

/** Characters that might need work: a superset of what `replacement` changes, with few ranges (cheap
 * to search) that still skips Latin-1 letters and typographic quotes, bullets and ellipses. */
const candidates = /[\u00A0-\u00AD\u034F-\u2015\u2024\u2028-\uFFFF]/g;
/** V8 answers this at once for strings stored one byte per character, which can only hold two of
 * the characters to change (U+00A0, U+00AD). */
const wide = /[\u0100-\uFFFF]/;

/** The replacement for one code unit: a string of length 1, '' to drop it, or undefined to keep. */
function replacement(code: number): string | undefined {
  if (code >= 0xff01 && code <= 0xff5e) return String.fromCharCode(code - 0xfee0);
  if (code >= 0x0660 && code <= 0x0669) return String.fromCharCode(48 + code - 0x0660);
  if (code >= 0x06f0 && code <= 0x06f9) return String.fromCharCode(48 + code - 0x06f0);
  if (code >= 0x0966 && code <= 0x096f) return String.fromCharCode(48 + code - 0x0966);
  if (code >= 0x09e6 && code <= 0x09ef) return String.fromCharCode(48 + code - 0x09e6);
  if (code === 0x00ad || code === 0x034f || code === 0x061c || code === 0x180e || code === 0xfeff) return '';
  if ((code >= 0x200b && code <= 0x200f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2060 && code <= 0x2069)) return '';
  if (code === 0x00a0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x202f || code === 0x205f || code === 0x3000) return ' ';
  if ((code >= 0x2010 && code <= 0x2015) || code === 0x2212 || code === 0xfe58 || code === 0xfe63) return '-';
  if (code === 0x2028 || code === 0x2029) return '\n';
  if (code === 0x2024) return '.';
  if (code === 0xfe6b) return '@';
  return undefined;
}

/** Finds characters that may need work, from left to right; each search resumes where the last
 * one stopped, so a text full of them is still read once (two indexOf cursors for one-byte text). */
function candidateFinder(text: string): () => number {
  if (wide.test(text)) {
    candidates.lastIndex = 0;
    return () => (candidates.test(text) ? candidates.lastIndex - 1 : -1);
  }
  let nbsp = text.indexOf('\u00A0');
  let shy = text.indexOf('\u00AD');
  return () => {
    if (nbsp === -1 && shy === -1) return -1;
    if (shy === -1 || (nbsp !== -1 && nbsp < shy)) {
      const at = nbsp;
      nbsp = text.indexOf('\u00A0', at + 1);
      return at;
    }
    const at = shy;
    shy = text.indexOf('\u00AD', at + 1);
    return at;
  };
}

export function normalizeForScan(original: string): ScanText {
  const next = candidateFinder(original);
  let parts: string[] | undefined;
  let length = 0;
  let drops: number[] | undefined;
  let copyFrom = 0;
  for (let i = next(); i !== -1; i = next()) {
    const swap = replacement(original.charCodeAt(i));
    if (swap === undefined) continue;
    (parts ??= []).push(original.slice(copyFrom, i), swap);
    length += i - copyFrom + swap.length;
    copyFrom = i + 1;
    if (swap === '') (drops ??= []).push(length);
  }
  if (parts === undefined) return { text: original, drops: undefined };
  parts.push(original.slice(copyFrom));
  // join() builds one flat string; repeated += would leave a rope that every indexOf re-walks.
  return { text: parts.join(''), drops };
}

/** How many characters were dropped at or before normalised index `index`. */
function dropsUpTo(drops: readonly number[], index: number): number {
  let lo = 0;
  let hi = drops.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (drops[mid]! <= index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Start offset in the original text of normalised index `start`. */
export function originalStart(scan: ScanText, start: number): number {
  return scan.drops === undefined ? start : start + dropsUpTo(scan.drops, start);
}

/** End offset (exclusive) in the original text of a normalised span ending at `end`. */
export function originalEnd(scan: ScanText, end: number): number {
  if (scan.drops === undefined || end === 0) return end;
  return end + dropsUpTo(scan.drops, end - 1);
}
