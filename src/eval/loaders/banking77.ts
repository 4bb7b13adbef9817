import { existsSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';
import { parseCsv } from '../csv.ts';
import { validateSuite, type ItemLine, type LoadedSuite } from '../load-suite.ts';
import { readDataFile, type LoaderOptions } from './read-data-file.ts';

export interface Banking77Options extends LoaderOptions {
  /** The label list; default `categories.json` beside the CSV, else the labels seen in the file. */
  categoriesFile?: string;
}

async function readCategories(file: string): Promise<string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readDataFile(file, 'BANKING77 categories'));
  } catch (error) {
    if (error instanceof UnbundleError) throw error;
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length < 2 || !parsed.every((label) => typeof label === 'string')) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${file} must hold a JSON list of label names, e.g. ["card_arrival", "card_linking"]`);
  }
  return parsed as string[];
}

/** BANKING77 from its CSV (header `text,category`): intent classification over 77 labels. */
export async function loadBanking77(file: string, options: Banking77Options = {}): Promise<LoadedSuite> {
  const records = parseCsv(await readDataFile(file, 'BANKING77'));
  const [head, ...rows] = records;
  // A wrong header means a wrong file, not a bad row: nothing to skip.
  if (!head || head.fields[0] !== 'text' || head.fields[1] !== 'category') {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${file}:1: expected the header row "text,category", got "${head?.fields.join(',') ?? ''}" — is this the BANKING77 CSV?`);
  }
  const items: ItemLine[] = [];
  for (const record of rows.slice(0, options.limit)) {
    if (record.fields.length !== 2) {
      items.push({ line: record.line, value: undefined, error: `expected 2 columns (text, category), got ${record.fields.length}` });
      continue;
    }
    const [text, category] = record.fields as [string, string];
    items.push({ line: record.line, value: { id: `banking77/${record.line}`, input: text, reference: category, domain: 'banking' } });
  }
  const categoriesFile = options.categoriesFile ?? path.join(path.dirname(file), 'categories.json');
  const labels = options.categoriesFile !== undefined || existsSync(categoriesFile)
    ? await readCategories(categoriesFile)
    : [...new Set(rows.map((record) => record.fields[1]).filter((label): label is string => typeof label === 'string' && label !== ''))].sort();
  const header = {
    name: 'banking77',
    description: 'BANKING77 customer-support intent classification (Casanueva et al. 2020)',
    metrics: [labels.length >= 2 ? { metric: 'classification', labels } : 'classification'],
    system: `Classify the customer's message into exactly one of these intents and reply with the intent name only: ${labels.join(', ')}.`,
    source: 'PolyAI-LDN/task-specific-datasets',
    license: 'CC-BY-4.0',
  };
  return validateSuite(header, items, file, options);
}
