import { z } from 'zod';
import { defineMetric } from '../metric.ts';
import { normalizeText } from '../normalize.ts';
import { referencesOf, type SuiteItem } from '../suite-schema.ts';

const letterAt = (index: number): string => String.fromCharCode(65 + index);

/**
 * The option letter a free-text answer picks, or undefined when it picks none or several.
 * Checked in order of how explicit the answer is: "the answer is (B)", a bare "B", a leading "B.",
 * one "(B)", the text of exactly one option, and finally one capital letter standing alone (an
 * "A" or "I" followed by a lower-case word other than "or"/"and" is read as an English word).
 */
export function extractChoice(prediction: string, choices?: readonly string[], optionCount = choices?.length ?? 4): string | undefined {
  const valid = new Set(Array.from({ length: optionCount }, (_, i) => letterAt(i)));
  const text = prediction.normalize('NFKC').replace(/[*_`]/g, '').trim();
  const pick = (letter: string | undefined) => (letter !== undefined && valid.has(letter.toUpperCase()) ? letter.toUpperCase() : undefined);

  const explicit = [...text.matchAll(/\b(?:answer|option|choice)(?:\s+(?:is|would\s+be)\b)?(?:\s*[:=]\s*|\s+)[([]?(?:option\s+|choice\s+)?[([]?([A-Za-z])(?![A-Za-z])/gi)];
  for (const match of explicit.reverse()) {
    const letter = match[1]!;
    // "answer is a ..." is an article unless the letter is a capital or stands alone.
    const after = text.slice(match.index! + match[0].length);
    if (letter === letter.toLowerCase() && /^\s+[a-z]/.test(after)) continue;
    const found = pick(letter);
    if (found) return found;
  }
  const bare = /^[([]?([A-Za-z])[)\].:]?$/.exec(text);
  if (bare) return pick(bare[1]);
  const leading = /^[([]?([A-Z])[)\].:](?:\s|$)/.exec(text);
  if (leading && pick(leading[1])) return pick(leading[1]);

  const parenthesised = new Set([...text.matchAll(/\(([A-Z])\)/g)].map((m) => m[1]!).filter((l) => valid.has(l)));
  if (parenthesised.size === 1) return [...parenthesised][0];

  if (choices) {
    const answer = normalizeText(text);
    const named = choices.map((choice, i) => ({ letter: letterAt(i), text: normalizeText(choice) })).filter((c) => c.text !== '');
    const exact = named.filter((c) => c.text === answer);
    if (exact.length === 1) return exact[0]!.letter;
    const mentioned = named.filter((c) => ` ${answer} `.includes(` ${c.text} `));
    if (mentioned.length === 1) return mentioned[0]!.letter;
  }

  const standalone = new Set<string>();
  for (const match of text.matchAll(/(?<![A-Za-z'’])([A-Z])(?![A-Za-z'’])/g)) {
    const letter = match[1]!;
    const after = text.slice(match.index! + 1);
    if ((letter === 'A' || letter === 'I') && /^\s+(?!or\b|and\b)[a-z]/.test(after)) continue;
    if (valid.has(letter)) standalone.add(letter);
  }
  return standalone.size === 1 ? [...standalone][0] : undefined;
}

/** The gold letter of an item: its reference as a letter, or the option whose text it is. */
export function goldLetter(item: Pick<SuiteItem, 'reference' | 'choices'>): string | undefined {
  const reference = referencesOf(item)[0]?.trim();
  if (reference === undefined) return undefined;
  if (/^[A-Za-z]$/.test(reference)) return reference.toUpperCase();
  const index = item.choices?.findIndex((choice) => normalizeText(choice) === normalizeText(reference)) ?? -1;
  return index >= 0 ? letterAt(index) : undefined;
}

export const choiceMetric = defineMetric({
  summary: 'multiple choice: extracts the option letter from the answer and compares it with the reference',
  higherIsBetter: true,
  options: z.strictObject({
    /** Options per item when an item lists no `choices` (default 4: A-D). */
    optionCount: z.number().int().min(2).max(26).default(4),
  }),
  checkItem: (item) => {
    if (item.reference === undefined) return { field: 'reference', message: 'required: the correct option letter (e.g. "B")' };
    if (goldLetter(item) === undefined) return { field: 'reference', message: 'must be an option letter (A, B, ...) or the exact text of one of the choices' };
    const count = item.choices?.length;
    const gold = goldLetter(item)!;
    if (count !== undefined && gold.charCodeAt(0) - 65 >= count) return { field: 'reference', message: `letter ${gold} is past the last of the ${count} choices` };
    return undefined;
  },
  bind: (options) => (prediction, item) => {
    const extracted = extractChoice(prediction, item.choices, item.choices?.length ?? options.optionCount);
    const gold = goldLetter(item);
    return { score: extracted !== undefined && extracted === gold ? 1 : 0, detail: { extracted: extracted ?? null, gold } };
  },
});
