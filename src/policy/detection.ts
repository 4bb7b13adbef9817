/**
 * What a scan reports, and the contract every detector implements. Offsets are UTF-16 code units
 * (JavaScript string indices) into the ORIGINAL text, end exclusive, so redaction can splice the
 * original string without re-scanning.
 */

/** The built-in entity types. Custom detectors add their own labels (UPPER_SNAKE_CASE). */
export const entityTypes = [
  'EMAIL',
  'PHONE',
  'CREDIT_CARD',
  'IBAN',
  'US_SSN',
  'IP_ADDRESS',
  'SECRET',
  'PERSON',
  'ADDRESS',
  'DATE_OF_BIRTH',
] as const;

export type EntityType = (typeof entityTypes)[number];

export function isEntityType(value: string): value is EntityType {
  return (entityTypes as readonly string[]).includes(value);
}

export interface Detection {
  /** A built-in EntityType or a custom detector's label. */
  type: string;
  start: number;
  end: number;
  /** Which detector found it (e.g. `credit-card`, `github-token`, `custom:EMPLOYEE_ID`): for audit and tuning. */
  detector: string;
  /** Set by scanMany when the value only shows up once two neighbouring texts are joined. */
  crossesBoundary?: true;
}

/**
 * Overlap priority: when two candidates overlap, the lower number wins (then the longer span, then
 * the earlier). Explicit, validated detectors rank above heuristic ones, so a Luhn-valid card is
 * never half-eaten by a phone guess and a generic high-entropy token never hides an IBAN.
 */
export const detectorPriority = {
  custom: 0,
  secret: 1,
  email: 2,
  iban: 3,
  creditCard: 4,
  usSsn: 5,
  ipAddress: 6,
  dateOfBirth: 7,
  // An address's house numbers ("03262 2437 Main St") can pass for a phone number; the street
  // word after them is the stronger evidence.
  address: 8,
  phone: 9,
  person: 10,
  recognizer: 11,
  highEntropy: 12,
} as const;

/** A detection in the scanned (normalised) text, before overlaps are resolved. */
export interface Candidate {
  type: string;
  start: number;
  end: number;
  detector: string;
  priority: number;
}

/**
 * A detector looks at the text in one or both of two ways: `scan` over the whole text (each detector
 * finds its own cheap anchors: an '@', a ':' , a known prefix), or `atDigitRun`, called by the
 * scanner once per maximal run of ASCII digits so that all number-shaped detectors share one pass.
 */
export interface Detector {
  readonly name: string;
  scan?(text: string, found: Candidate[]): void;
  atDigitRun?(text: string, runStart: number, runEnd: number, found: Candidate[]): void;
}

/**
 * The seam for a named-entity model (or any other source of spans): the scanner calls it on the
 * normalised text and treats what it returns like any other candidate. Synchronous by design, so
 * a scan stays in-process and cheap; a model-backed recognizer precomputes or caches.
 */
export interface EntityRecognizer {
  readonly name: string;
  recognize(text: string): ReadonlyArray<{ type: string; start: number; end: number }>;
}

/** True when the code unit is an ASCII letter or digit. */
export function isAsciiAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

const letterOrDigit = /[\p{L}\p{N}]/u;

/** True when the code unit is a letter, digit or '_' in any script (cheap for ASCII, regex otherwise). */
export function isWordChar(code: number): boolean {
  if (code < 128) return isAsciiAlnum(code) || code === 95;
  return letterOrDigit.test(String.fromCharCode(code));
}

/**
 * The text before `start`, at most `size` characters, never beginning mid-word: context words
 * are matched with \b, and "string" cut to "ring" must not read as a phone word.
 */
export function textBefore(text: string, start: number, size: number): string {
  let from = Math.max(0, start - size);
  while (from > 0 && from < start && isWordChar(text.charCodeAt(from - 1)) && isWordChar(text.charCodeAt(from))) from++;
  return text.slice(from, start);
}

/**
 * Whether at least `want` digits follow `from`, allowing runs of up to three separators
 * (" -./()") between them: a cheap gate before a number-shaped regex runs ("3.5" never reaches the
 * phone pattern).
 */
export function digitsAhead(text: string, from: number, want: number): boolean {
  let digits = 0;
  let gap = 0;
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      if (++digits >= want) return true;
      gap = 0;
    } else if ((code === 32 || code === 45 || code === 46 || code === 47 || code === 40 || code === 41) && ++gap <= 3) continue;
    else return false;
  }
  return false;
}
