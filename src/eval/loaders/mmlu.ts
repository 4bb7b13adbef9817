import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';
import { parseCsv } from '../csv.ts';
import { validateSuite, type ItemLine, type LoadedSuite } from '../load-suite.ts';
import { isDirectory, readDataFile, type LoaderOptions } from './read-data-file.ts';

/** Broad domains for per-domain scores; subjects not listed are their own domain. */
const subjectDomains: Record<string, string> = {
  professional_accounting: 'finance',
  high_school_macroeconomics: 'finance',
  high_school_microeconomics: 'finance',
  econometrics: 'finance',
  business_ethics: 'finance',
  marketing: 'finance',
  management: 'finance',
  college_computer_science: 'code',
  high_school_computer_science: 'code',
  computer_security: 'code',
  machine_learning: 'code',
  elementary_mathematics: 'math',
  high_school_mathematics: 'math',
  college_mathematics: 'math',
  high_school_statistics: 'math',
  global_facts: 'general',
  miscellaneous: 'general',
  high_school_geography: 'general',
  nutrition: 'general',
  prehistory: 'general',
};

export const mmluSubject = (file: string): string => path.basename(file).replace(/(?:_(?:test|dev|val))?\.csv$/i, '');

/** The prompt format of the MMLU release (and of RouteLLM's MMLU prompts). */
export function mmluPrompt(question: string, options: readonly string[]): string {
  return [question, ...options.map((option, i) => `${String.fromCharCode(65 + i)}. ${option}`), 'Answer:'].join('\n');
}

export interface MmluOptions extends LoaderOptions {
  /** Subjects to keep (file names without `_test.csv`); default all. */
  subjects?: readonly string[];
}

function rowsToItems(file: string, text: string, subject: string, limit: number | undefined): ItemLine[] {
  const items: ItemLine[] = [];
  for (const [index, record] of parseCsv(text).entries()) {
    if (limit !== undefined && index >= limit) break;
    if (record.fields.length !== 6) {
      items.push({ line: record.line, value: undefined, error: `${path.basename(file)}: expected 6 columns (question, A, B, C, D, answer letter), got ${record.fields.length}` });
      continue;
    }
    const [question, a, b, c, d, answer] = record.fields as [string, string, string, string, string, string];
    items.push({
      line: record.line,
      value: {
        id: `mmlu/${subject}/${index + 1}`,
        input: mmluPrompt(question, [a, b, c, d]),
        choices: [a, b, c, d],
        reference: answer.trim(),
        domain: subjectDomains[subject] ?? subject,
        metadata: { subject },
      },
    });
  }
  return items;
}

/**
 * MMLU from the release's header-less CSVs (question, A, B, C, D, answer letter): one file, or a
 * folder of `<subject>_test.csv` files (a folder holding `test/` uses that). `limit` applies per subject.
 */
export async function loadMmlu(fileOrDir: string, options: MmluOptions = {}): Promise<LoadedSuite> {
  let files: string[];
  if (await isDirectory(fileOrDir)) {
    const dir = (await isDirectory(path.join(fileOrDir, 'test'))) ? path.join(fileOrDir, 'test') : fileOrDir;
    files = (await readdir(dir)).filter((name) => name.endsWith('.csv')).sort().map((name) => path.join(dir, name));
  } else files = [fileOrDir];
  if (options.subjects) {
    const wanted = new Set(options.subjects);
    const known = files.map(mmluSubject);
    const missing = [...wanted].filter((subject) => !known.includes(subject));
    if (missing.length > 0) throw new UnbundleError('UNBUNDLE_E_DATA', `MMLU subjects not found in ${fileOrDir}: ${missing.join(', ')}; available: ${known.join(', ')}`);
    files = files.filter((file) => wanted.has(mmluSubject(file)));
  }
  if (files.length === 0) throw new UnbundleError('UNBUNDLE_E_DATA', `no MMLU .csv files in ${fileOrDir}`);
  const items: ItemLine[] = [];
  for (const file of files) items.push(...rowsToItems(file, await readDataFile(file, 'MMLU'), mmluSubject(file), options.limit));
  const name = files.length === 1 ? `mmlu-${mmluSubject(files[0]!)}` : 'mmlu';
  const header = {
    name,
    description: 'MMLU multiple-choice questions (Hendrycks et al. 2021)',
    metrics: ['choice'],
    system: 'Answer the multiple-choice question with the letter of the correct option (A, B, C or D).',
    source: 'MMLU test split, hendrycks/test release',
    license: 'MIT',
  };
  return validateSuite(header, items, files.length === 1 ? files[0]! : fileOrDir, options);
}
