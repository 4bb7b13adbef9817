import { luhnValid } from '../checksums.ts';
import { detectorPriority, digitsAhead, isWordChar, textBefore, type Candidate, type Detector } from '../detection.ts';

/**
 * Payment card numbers: 12–19 digits in any grouping ("4111 1111 1111 1111", "4111-1111-…",
 * "4 1 1 1 …", " - " between groups), accepted only when the issuer prefix allows that length and
 * the Luhn check passes. A card may only end where a digit group ends, so a card followed by more
 * digits ("… 1111 2024") is still found, while a 25-digit order id is not mined for a Luhn-valid
 * prefix.
 */

/** Issuer prefix (IIN) ranges and the lengths each allows. */
function issuerAllows(digits: string, length: number): boolean {
  const d1 = digits.charCodeAt(0) - 48;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if (d1 === 4) return length === 13 || length === 16 || length === 19;
  if (two >= 51 && two <= 55) return length === 16;
  if (four >= 2221 && four <= 2720) return length === 16;
  if (two === 34 || two === 37) return length === 15;
  const three = Number(digits.slice(0, 3));
  if ((three >= 300 && three <= 305) || four === 3095 || two === 36 || two === 38 || two === 39) return length >= 14 && length <= 19;
  if (two === 35) return length >= 16 && length <= 19; // JCB (3528–3589; generators use all of 35xx)
  if (four === 6011 || (three >= 644 && three <= 649) || two === 65 || two === 62) return length >= 16 && length <= 19;
  if (two === 50 || (two >= 56 && two <= 69)) return length >= 12 && length <= 19; // Maestro
  if (four === 1800 || four === 2131) return length === 15; // JCB, 15-digit
  return false;
}

/** Short Maestro numbers collide with ordinary ids, so they need a word about cards nearby. */
const cardContext = /card|\bcc\b|visa|master|maestro|amex|credit|debit|payment|\bpan\b/i;

const maxSeparator = 3;

function isSeparator(code: number): boolean {
  return code === 32 || code === 45 || code === 46;
}

// Scratch arrays reused across calls (scanning is synchronous).
const ends: number[] = [];
const counts: number[] = [];

export function cardDetector(): Detector {
  return {
    name: 'credit-card',
    atDigitRun(text, runStart, runEnd, found: Candidate[]) {
      if (runStart > 0 && isWordChar(text.charCodeAt(runStart - 1))) return;
      if (runEnd - runStart < 12 && !(isSeparator(text.charCodeAt(runEnd)) && digitsAhead(text, runEnd, 12 - (runEnd - runStart)))) return;
      // Walk the groups, noting where each ends and how many digits precede that end.
      ends.length = counts.length = 0;
      let count = 0;
      let i = runStart;
      for (;;) {
        const code = text.charCodeAt(i);
        if (code >= 48 && code <= 57) {
          i++;
          if (++count > 19) break;
          continue;
        }
        ends.push(i);
        counts.push(count);
        let j = i;
        while (j < text.length && j - i < maxSeparator && isSeparator(text.charCodeAt(j))) j++;
        const next = text.charCodeAt(j);
        if (j === i || !(next >= 48 && next <= 57)) break;
        i = j;
      }
      if (count < 12) return;
      let digits: string | undefined;
      for (let g = ends.length - 1; g >= 0; g--) {
        const end = ends[g]!;
        const count = counts[g]!;
        if (count < 12 || count > 19) continue;
        digits ??= text.slice(runStart, end).replace(/\D/g, '');
        const candidate = digits.slice(0, count);
        if (!issuerAllows(candidate, count) || !luhnValid(candidate)) continue;
        if (count === 12 && !cardContext.test(textBefore(text, runStart, 40))) continue;
        if (isWordChar(text.charCodeAt(end))) continue;
        found.push({ type: 'CREDIT_CARD', start: runStart, end, detector: 'credit-card', priority: detectorPriority.creditCard });
        return;
      }
    },
  };
}
