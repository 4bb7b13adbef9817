import { ibanLengths, ibanValid } from '../checksums.ts';
import { detectorPriority, isWordChar, type Detector } from '../detection.ts';

/**
 * IBANs: a country code, two check digits, then the country's exact number of letters and digits,
 * written compact or in groups ("GB82 WEST 1234 …"), any case. Found from the digit run of the
 * check digits (the two letters before it must be a known country), validated by length and
 * mod 97 — a random string passes about once in 97 tries even before the length check.
 */

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

export function ibanDetector(): Detector {
  return {
    name: 'iban',
    atDigitRun(text, runStart, _runEnd, found) {
      const start = runStart - 2;
      if (start < 0 || !isLetter(text.charCodeAt(start)) || !isLetter(text.charCodeAt(start + 1))) return;
      if (start > 0 && isWordChar(text.charCodeAt(start - 1))) return;
      const country = text.slice(start, runStart).toUpperCase();
      const length = ibanLengths[country];
      if (length === undefined) return;
      let compact = '';
      let i = start;
      while (compact.length < length && i < text.length) {
        const code = text.charCodeAt(i);
        if (isAlnum(code)) {
          compact += text[i];
          i++;
        } else if ((code === 32 || code === 45) && compact.length >= 4 && isAlnum(text.charCodeAt(i + 1))) {
          i++; // one space or dash between groups
        } else break;
      }
      if (compact.length !== length || isWordChar(text.charCodeAt(i))) return;
      if (!ibanValid(compact)) return;
      found.push({ type: 'IBAN', start, end: i, detector: 'iban', priority: detectorPriority.iban });
    },
  };
}
