import { detectorPriority, isWordChar, textBefore, type Detector } from '../detection.ts';

/**
 * Dates of birth: a real calendar date (`7/30/1964`, `1964-07-30`, `30.07.1964`, `30 July 1964`,
 * `July 30th, 1964`) with a birth word shortly before it ("born on", "date of birth", "DOB:").
 * A date on its own is not personal data, so without the context nothing is reported.
 */

const months = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
const monthIndex: Readonly<Record<string, number>> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

const numericDate = /(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})/y;
const dayMonthYear = new RegExp(`(\\d{1,2})(?:st|nd|rd|th)?(?:\\s+of)?\\s+(${months})\\.?,?\\s+(\\d{4})`, 'iy');
const monthDayYear = new RegExp(`(${months})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})`, 'iy');
const monthWord = new RegExp(`^(?:${months})$`, 'i');

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}
const birthContext = /\bborn\b|birth|\bdob\b|d\.o\.b|\bb-?day\b|geboren|nacimiento|naissance/i;

function validDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days && (year < 100 || (year >= 1850 && year <= 2150));
}

function monthOf(name: string): number {
  return monthIndex[name.slice(0, 3).toLowerCase()] ?? 0;
}

/** Returns the end of a valid numeric or day-month-year date starting at `start`, or -1. */
function dateAt(text: string, start: number, length: number): number {
  const next = text.charCodeAt(start + length);
  if ((length <= 2 || length === 4) && (next === 45 || next === 47 || next === 46)) {
    numericDate.lastIndex = start;
    const n = numericDate.exec(text);
    if (n !== null) {
      const [a, b, c] = [n[1]!, n[3]!, n[4]!];
      const [x, y, z] = [Number(a), Number(b), Number(c)];
      const ok =
        a.length === 4
          ? c.length <= 2 && validDay(x, y, z)
          : a.length <= 2 && (c.length === 4 || c.length === 2) && (validDay(z, y, x) || validDay(z, x, y));
      if (ok) return numericDate.lastIndex;
    }
    return -1;
  }
  // "13 April 1978", "13th of April": a day, then a space or an ordinal suffix.
  if (length > 2 || (next !== 32 && next !== 115 && next !== 110 && next !== 114 && next !== 116)) return -1;
  dayMonthYear.lastIndex = start;
  const d = dayMonthYear.exec(text);
  if (d !== null && validDay(Number(d[3]), monthOf(d[2]!), Number(d[1]))) return dayMonthYear.lastIndex;
  return -1;
}

/** "April 13, 1978": a day of one or two digits after a month name (checked in place, no regex
 * unless the word before starts like a month). */
function monthFirstAt(text: string, runStart: number, length: number): [number, number] | undefined {
  if (length > 2 || text.charCodeAt(runStart - 1) !== 32) return undefined;
  let end = runStart - 1;
  if (text.charCodeAt(end - 1) === 46) end--; // "Apr. 13"
  let start = end;
  while (start > 0 && end - start <= 9 && isAsciiLetter(text.charCodeAt(start - 1))) start--;
  if (end - start < 3 || (start > 0 && isWordChar(text.charCodeAt(start - 1)))) return undefined;
  if (monthOf(text.slice(start, start + 3)) === 0 || !monthWord.test(text.slice(start, end))) return undefined;
  monthDayYear.lastIndex = start;
  const m = monthDayYear.exec(text);
  if (m === null || !validDay(Number(m[3]), monthOf(m[1]!), Number(m[2]))) return undefined;
  return [start, monthDayYear.lastIndex];
}

export function dateOfBirthDetector(): Detector {
  return {
    name: 'date-of-birth',
    atDigitRun(text, runStart, runEnd, found) {
      if (runStart > 0 && isWordChar(text.charCodeAt(runStart - 1))) return;
      const length = runEnd - runStart;
      if (length === 3 || length > 4) return;
      let start = runStart;
      let end = dateAt(text, runStart, length);
      if (end === -1) {
        const monthFirst = monthFirstAt(text, runStart, length);
        if (monthFirst === undefined) return;
        [start, end] = monthFirst;
      }
      if (isWordChar(text.charCodeAt(end))) return;
      if (!birthContext.test(textBefore(text, start, 40))) return;
      found.push({ type: 'DATE_OF_BIRTH', start, end, detector: 'date-of-birth', priority: detectorPriority.dateOfBirth });
    },
  };
}
