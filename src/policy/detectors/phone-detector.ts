import { detectorPriority, digitsAhead, isWordChar, textBefore, type Detector } from '../detection.ts';

/**
 * Phone numbers in international and national formats: `+41 (0)96 471 07 95`, `(579)888-3058`,
 * `001-518-640-0854`, `0490 75 40 81`, `03.93.92.16.85`, `345-899-3560x4587`. A number this loose
 * in shape needs evidence, so a match is accepted when
 *   - its format is one only phone numbers use (international `+`, NANP `(NXX) NXX-XXXX`, or a
 *     national trunk `0` with 9+ digits in groups), or
 *   - a phone word stands just before it ("Phone:", "call me at", "fax") or just after it
 *     ("… office", "-Fax").
 * Dates (`2015-12-22`), times and numbers glued to letters are never phones. When a long match
 * fails, a stray trailing group of up to 3 digits may be dropped ("call 555 123 4567 2 times" →
 * `555 123 4567`), but never a real part of a longer number (a card's last four).
 */

const body = /(?:\+ ?)?(?:\(\d{1,5}\) ?\d+|\d+)(?:(?:[ \-./]| - | -|- )\d+| ?\(\d{1,4}\) ?\d+)*/y;
const extension = / ?(?:x|ext\.?|extension) ?\d{1,6}/y;
const nanp = /^(?:\+?1[ .-]?)?(?:\([2-9]\d\d\) ?|[2-9]\d\d[-. ])[2-9]\d\d[-. ]\d{4}$/;
const phoneWordBefore =
  /phone|\btel\b|\btel\.|mobile|\bmob\b|\bcell|\bfax|\bdesk|office|\bcall|\bring\b|\btext(?:ing)?\b|\bsms\b|messag|whats\s?app|\bsignal\b|answering|\breach|contact|\bdial|registered|hotline|\b(?:my|your|his|her|their|our)\s+(?:new\s+)?(?:number|no\.?)(?:\s|$)|☎|📞|📱/i;
const phoneWordAfter = /^\s?[-,(]?\s?(?:office|fax|mobile|cell|home|work|tel|phone|desk)\b/i;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `2015-12-22`, `24.12.2023`, `7/30/1964`: a calendar date, not a phone number. */
function isDateLike(value: string): boolean {
  let m = /^(\d{4})([-./])(\d{1,2})\2(\d{1,2})(?!\d)/.exec(value);
  if (m !== null) return Number(m[3]) >= 1 && Number(m[3]) <= 12 && Number(m[4]) >= 1 && Number(m[4]) <= 31;
  m = /^(\d{1,2})([-./])(\d{1,2})\2(\d{4}|\d{2})(?!\d)/.exec(value);
  if (m === null) return false;
  const a = Number(m[1]);
  const b = Number(m[3]);
  return a >= 1 && b >= 1 && ((a <= 31 && b <= 12) || (a <= 12 && b <= 31));
}

function hasStrongFormat(value: string, digits: number): boolean {
  if (value.charCodeAt(0) === 43) return digits >= 8; // '+': international
  if (nanp.test(value)) return true;
  const firstDigit = value.charCodeAt(0) === 40 ? value.charCodeAt(1) : value.charCodeAt(0);
  return firstDigit === 48 && digits >= 9 && /\D/.test(value); // national trunk prefix, grouped
}

// Scratch arrays reused across calls: scanning is synchronous, and this runs for most digit runs.
const ends: number[] = [];
const digitsSoFar: number[] = [];
const singlesSoFar: number[] = [];

export function phoneDetector(): Detector {
  return {
    name: 'phone',
    atDigitRun(text, runStart, runEnd, found) {
      // Seven digits are needed: one run that long, or more digits after separators.
      if (runEnd - runStart < 7 && !digitsAhead(text, runEnd, 7 - (runEnd - runStart))) return;
      let start = runStart;
      const before = text.charCodeAt(runStart - 1);
      if (before === 40 || before === 43) start = runStart - 1; // '(' or '+'
      if (start > 0) {
        const prev = text.charCodeAt(start - 1);
        if (isWordChar(prev)) return;
        // The middle of a grouped number is not where a phone number starts.
        if ((prev === 32 || prev === 45 || prev === 46 || prev === 41 || prev === 47) && start > 1 && (isDigit(text.charCodeAt(start - 2)) || text.charCodeAt(start - 2) === 41)) return;
      }
      body.lastIndex = start;
      if (!body.test(text)) return;
      const bodyEnd = body.lastIndex;
      // One walk over the match: where each digit group ends, with running digit and
      // single-digit-group counts, so no candidate needs a substring until it is likely.
      ends.length = digitsSoFar.length = singlesSoFar.length = 0;
      let digits = 0;
      let singles = 0;
      let groupStart = -1;
      for (let i = start; i < bodyEnd; i++) {
        if (!isDigit(text.charCodeAt(i))) continue;
        if (groupStart === -1) groupStart = i;
        digits++;
        if (i + 1 < bodyEnd && isDigit(text.charCodeAt(i + 1))) continue;
        const trunkZero = text.charCodeAt(groupStart - 1) === 40 && text.charCodeAt(i + 1) === 41; // "(0)"
        const countryCode = groupStart === start + 1 && text.charCodeAt(start) === 43; // "+1"
        if (i === groupStart && !trunkZero && !countryCode) singles++;
        ends.push(i + 1);
        digitsSoFar.push(digits);
        singlesSoFar.push(singles);
        groupStart = -1;
      }
      if (digits < 7) return;
      let context: boolean | undefined;
      for (let g = ends.length - 1; g >= 0 && g >= ends.length - 6; g--) {
        let end = ends[g]!;
        const count = digitsSoFar[g]!;
        if (count < 7 || digits - count > 3) break; // drop a stray trailing group, not a number's half
        if (count > 15 || singlesSoFar[g]! > 1) continue; // "0 1 2 3 4 5 6 7" is a list
        const value = text.slice(start, end);
        if (isDateLike(value)) break;
        const after = text.charCodeAt(end);
        if (end === bodyEnd) {
          extension.lastIndex = end;
          if (extension.test(text)) end = extension.lastIndex;
          else if (isWordChar(after) || after === 58) break; // glued to a word, or a time "…12:30"
        }
        if (!hasStrongFormat(value, count)) {
          context ??= phoneWordBefore.test(textBefore(text, start, 40)) || phoneWordAfter.test(text.slice(bodyEnd, bodyEnd + 16));
          if (!context) continue;
        }
        found.push({ type: 'PHONE', start, end, detector: 'phone', priority: detectorPriority.phone });
        return;
      }
    },
  };
}
