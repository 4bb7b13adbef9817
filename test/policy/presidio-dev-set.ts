/**
 * The presidio-research synthetic PII set (MIT, github.com/microsoft/presidio-research, see
 * ../shared/data/README.md) mapped to our entity types, and the scoring the detector tests and
 * `bench/scan.bench.ts` share, so the numbers in both are computed the same way.
 *
 * Label mapping (dev-set label → ours):
 *   EMAIL_ADDRESS → EMAIL, PHONE_NUMBER → PHONE, CREDIT_CARD → CREDIT_CARD, IBAN_CODE → IBAN,
 *   US_SSN → US_SSN, IP_ADDRESS → IP_ADDRESS, STREET_ADDRESS → ADDRESS, PERSON → PERSON,
 *   DATE_TIME → DATE_OF_BIRTH only when a birth word ("born", "birth") stands in the 40 characters
 *   before it; every other label (GPE, ORGANIZATION, DATE_TIME, TITLE, AGE, NRP, ZIP_CODE,
 *   DOMAIN_NAME, US_DRIVER_LICENSE) has no type of ours, so any detection on it is a false positive.
 */
import { readFileSync } from 'node:fs';
import type { Detection } from '../../src/policy/detection.ts';
import { sharedData } from '../helpers/paths.ts';

export const devSetPath = sharedData('presidio-synth-pii', 'dev.json');

export interface GoldSpan {
  type: string;
  start: number;
  end: number;
}

export interface DevDocument {
  text: string;
  gold: GoldSpan[];
}

const labelMap: Readonly<Record<string, string>> = {
  EMAIL_ADDRESS: 'EMAIL',
  PHONE_NUMBER: 'PHONE',
  CREDIT_CARD: 'CREDIT_CARD',
  IBAN_CODE: 'IBAN',
  US_SSN: 'US_SSN',
  IP_ADDRESS: 'IP_ADDRESS',
  STREET_ADDRESS: 'ADDRESS',
  PERSON: 'PERSON',
};

interface RawRow {
  full_text: string;
  spans: Array<{ entity_type: string; entity_value: string; start_position: number; end_position: number }>;
}

export function loadDevSet(file = devSetPath): DevDocument[] {
  const rows = JSON.parse(readFileSync(file, 'utf8')) as RawRow[];
  return rows.map((row) => {
    const gold: GoldSpan[] = [];
    for (const span of row.spans) {
      let type = labelMap[span.entity_type];
      if (span.entity_type === 'DATE_TIME' && /born|birth/i.test(row.full_text.slice(Math.max(0, span.start_position - 40), span.start_position))) {
        type = 'DATE_OF_BIRTH';
      }
      if (type !== undefined) gold.push({ type, start: span.start_position, end: span.end_position });
    }
    return { text: row.full_text, gold };
  });
}

export interface TypeScore {
  type: string;
  /** Gold spans of this type / those found. */
  gold: number;
  goldFound: number;
  /** Detections of this type / those that were right. */
  predicted: number;
  predictedRight: number;
  precision: number;
  recall: number;
}

export type SpanMatch = 'exact' | 'overlap';

function matches(a: GoldSpan, b: GoldSpan, mode: SpanMatch): boolean {
  if (a.type !== b.type) return false;
  return mode === 'exact' ? a.start === b.start && a.end === b.end : a.start < b.end && b.start < a.end;
}

/**
 * Per-type precision and recall. `exact`: a detection is right only with the gold span's exact
 * start and end. `overlap`: right when it overlaps a gold span of the same type (used for ADDRESS,
 * whose gold spans cut one address into several pieces). Precision = right detections / all
 * detections of the type; recall = gold spans found / gold spans. An empty class scores 1.
 */
export function scoreDetections(documents: readonly DevDocument[], predictions: readonly Detection[][], mode: SpanMatch): Map<string, TypeScore> {
  const scores = new Map<string, TypeScore>();
  const score = (type: string): TypeScore => {
    let entry = scores.get(type);
    if (entry === undefined) {
      entry = { type, gold: 0, goldFound: 0, predicted: 0, predictedRight: 0, precision: 1, recall: 1 };
      scores.set(type, entry);
    }
    return entry;
  };
  documents.forEach((document, index) => {
    const predicted = predictions[index]!;
    for (const gold of document.gold) {
      const entry = score(gold.type);
      entry.gold++;
      if (predicted.some((p) => matches(gold, p, mode))) entry.goldFound++;
    }
    for (const p of predicted) {
      const entry = score(p.type);
      entry.predicted++;
      if (document.gold.some((gold) => matches(gold, p, mode))) entry.predictedRight++;
    }
  });
  for (const entry of scores.values()) {
    entry.precision = entry.predicted === 0 ? 1 : entry.predictedRight / entry.predicted;
    entry.recall = entry.gold === 0 ? 1 : entry.goldFound / entry.gold;
  }
  return scores;
}

/** Misses and false alarms of one type, for a failing test's message. */
export function mistakes(documents: readonly DevDocument[], predictions: readonly Detection[][], type: string, mode: SpanMatch, limit = 8): string[] {
  const out: string[] = [];
  documents.forEach((document, index) => {
    const predicted = predictions[index]!.filter((p) => p.type === type);
    for (const gold of document.gold.filter((g) => g.type === type)) {
      if (!predicted.some((p) => matches(gold, p, mode))) out.push(`missed ${JSON.stringify(document.text.slice(gold.start, gold.end))} in ${JSON.stringify(document.text.slice(Math.max(0, gold.start - 30), gold.end + 10))}`);
    }
    for (const p of predicted) {
      if (!document.gold.some((gold) => matches(gold, p, mode))) out.push(`false ${JSON.stringify(document.text.slice(p.start, p.end))} in ${JSON.stringify(document.text.slice(Math.max(0, p.start - 30), p.end + 10))}`);
    }
  });
  return out.slice(0, limit);
}
