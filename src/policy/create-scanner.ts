import { UnbundleError } from '../errors.ts';
import { compileAllowList, type AllowRule } from './allow-list.ts';
import { detectorPriority, entityTypes, isEntityType, type Candidate, type Detection, type Detector, type EntityRecognizer, type EntityType } from './detection.ts';
import { addressDetector } from './detectors/address-detector.ts';
import { cardDetector } from './detectors/card-detector.ts';
import { customDetector, type CustomDetectorSpec } from './detectors/custom-detector.ts';
import { dateOfBirthDetector } from './detectors/date-of-birth-detector.ts';
import { emailDetector } from './detectors/email-detector.ts';
import { ibanDetector } from './detectors/iban-detector.ts';
import { ipDetector } from './detectors/ip-detector.ts';
import { personDetector } from './detectors/person-detector.ts';
import { phoneDetector } from './detectors/phone-detector.ts';
import { defaultHighEntropy, secretDetector, type HighEntropyOptions } from './detectors/secret-detector.ts';
import { ssnDetector } from './detectors/ssn-detector.ts';
import { normalizeForScan, originalEnd, originalStart } from './normalize-for-scan.ts';
import { resolveOverlaps } from './resolve-overlaps.ts';

export interface ScannerOptions {
  /** Built-in types to look for; default all. PERSON finds names only with `personNames` or a recognizer. */
  types?: readonly EntityType[];
  custom?: readonly CustomDetectorSpec[];
  /** Values never reported (exact, case-insensitive) or regexes tested against the detected value. */
  allow?: readonly AllowRule[];
  /** Names (first names, surnames, full names) that make PERSON detections. */
  personNames?: Iterable<string>;
  /** Extra span sources, e.g. a local NER model; their types are reported as they say. */
  recognizers?: readonly EntityRecognizer[];
  /** Flag long random-looking tokens as SECRET; `false` turns it off. Default 20 chars, 4.0 bits/char. */
  highEntropy?: Partial<HighEntropyOptions> | false;
  /** Characters taken from each side of a boundary when scanMany joins neighbours (default 512). */
  boundaryWindow?: number;
}

export interface Scanner {
  /** Detections in `text`, sorted by start, non-overlapping, UTF-16 offsets into `text` itself. */
  scan(text: string): Detection[];
  /**
   * Scans each text, and also each pair of neighbours joined end to start, so a value split across
   * two messages ("sk-proj-Ab…" | "…x9Z") is reported in both, marked `crossesBoundary`.
   */
  scanMany(texts: readonly string[]): Detection[][];
  /** The types this scanner can report (built-ins enabled plus custom labels). */
  readonly types: readonly string[];
}

interface Ranked extends Detection {
  priority: number;
}

const firstDigit = /[0-9]/g;

function builtInDetectors(types: ReadonlySet<EntityType>, options: ScannerOptions): Detector[] {
  const detectors: Detector[] = [];
  const entropy = options.highEntropy === false ? false : { ...defaultHighEntropy, ...options.highEntropy };
  if (types.has('SECRET')) detectors.push(secretDetector(entropy));
  if (types.has('EMAIL')) detectors.push(emailDetector());
  if (types.has('IBAN')) detectors.push(ibanDetector());
  if (types.has('CREDIT_CARD')) detectors.push(cardDetector());
  if (types.has('US_SSN')) detectors.push(ssnDetector());
  if (types.has('IP_ADDRESS')) detectors.push(ipDetector());
  if (types.has('DATE_OF_BIRTH')) detectors.push(dateOfBirthDetector());
  if (types.has('PHONE')) detectors.push(phoneDetector());
  if (types.has('ADDRESS')) detectors.push(addressDetector());
  if (types.has('PERSON') && options.personNames !== undefined) detectors.push(personDetector(options.personNames));
  return detectors;
}

/** A local detection of the same type, at least as trusted, that covers `part` entirely. */
function alreadyFound(local: readonly Ranked[], part: Ranked): boolean {
  return local.some((d) => d.type === part.type && d.priority <= part.priority && d.start <= part.start && d.end >= part.end);
}

function strip(detection: Ranked): Detection {
  const out: Detection = { type: detection.type, start: detection.start, end: detection.end, detector: detection.detector };
  if (detection.crossesBoundary) out.crossesBoundary = true;
  return out;
}

export function createScanner(options: ScannerOptions = {}): Scanner {
  for (const type of options.types ?? []) {
    if (!isEntityType(type)) throw new UnbundleError('UNBUNDLE_E_CONFIG', `Unknown detector type "${String(type)}": use one of ${entityTypes.join(', ')}.`);
  }
  const enabled = new Set<EntityType>(options.types ?? entityTypes);
  const detectors = [...(options.custom ?? []).map(customDetector), ...builtInDetectors(enabled, options)];
  const whole = detectors.filter((d) => d.scan !== undefined);
  const numeric = detectors.filter((d) => d.atDigitRun !== undefined);
  const recognizers = options.recognizers ?? [];
  const allowed = compileAllowList(options.allow);
  const window = options.boundaryWindow ?? 512;
  const types = [...new Set([...(options.custom ?? []).map((c) => c.label), ...enabled])];

  function scanRanked(original: string): Ranked[] {
    const normalised = normalizeForScan(original);
    const text = normalised.text;
    const found: Candidate[] = [];
    for (const detector of whole) detector.scan!(text, found);
    if (numeric.length > 0) {
      // test() finds the next digit without allocating a match array; the run's end is walked by hand.
      firstDigit.lastIndex = 0;
      while (firstDigit.test(text)) {
        const start = firstDigit.lastIndex - 1;
        let end = firstDigit.lastIndex;
        while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
        for (const detector of numeric) detector.atDigitRun!(text, start, end, found);
        firstDigit.lastIndex = end;
      }
    }
    for (const recognizer of recognizers) {
      for (const span of recognizer.recognize(text)) {
        if (!Number.isInteger(span.start) || !Number.isInteger(span.end) || span.start < 0 || span.end > text.length || span.start >= span.end) continue;
        found.push({ type: span.type, start: span.start, end: span.end, detector: recognizer.name, priority: detectorPriority.recognizer });
      }
    }
    const out: Ranked[] = [];
    for (const candidate of resolveOverlaps(found)) {
      const start = originalStart(normalised, candidate.start);
      const end = originalEnd(normalised, candidate.end);
      if (allowed !== undefined && allowed(candidate.type, [original.slice(start, end), text.slice(candidate.start, candidate.end)])) continue;
      out.push({ type: candidate.type, start, end, detector: candidate.detector, priority: candidate.priority });
    }
    return out;
  }

  function scanMany(texts: readonly string[]): Detection[][] {
    const perText: Ranked[][] = texts.map((text) => scanRanked(text));
    let extra = false;
    for (let i = 0; i + 1 < texts.length; i++) {
      const left = texts[i]!;
      const right = texts[i + 1]!;
      if (left.length === 0 || right.length === 0) continue;
      const tail = left.slice(-window);
      const split = tail.length;
      for (const d of scanRanked(tail + right.slice(0, window))) {
        if (d.start >= split || d.end <= split) continue;
        const head = { ...d, start: left.length - split + d.start, end: left.length, crossesBoundary: true as const };
        const rest = { ...d, start: 0, end: d.end - split, crossesBoundary: true as const };
        // A value complete on one side, merely run on into the neighbour ("…sk-proj-…" + "Thanks"),
        // is no new finding: only report a join that reveals more than either side did alone.
        if (alreadyFound(perText[i]!, head) || alreadyFound(perText[i + 1]!, rest)) continue;
        perText[i]!.push(head);
        perText[i + 1]!.push(rest);
        extra = true;
      }
    }
    if (!extra) return perText.map((list) => list.map(strip));
    // Same rules as within one text (priority, then length), except that between equals the joined
    // detection wins: it saw the whole value, each half only saw a part.
    return perText.map((list) => resolveOverlaps(list.map((d) => ({ ...d, priority: d.priority * 2 + (d.crossesBoundary ? 0 : 1) }))).map(strip));
  }

  return {
    scan: (text) => scanRanked(text).map(strip),
    scanMany,
    types,
  };
}
