import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';
import { CsvSyntaxError, parseCsv } from './parse-csv.ts';

/** One training or test example: a prompt and the domain it belongs to. */
export interface LabelledExample {
  text: string;
  domain: string;
}

export type DataFormat = 'jsonl' | 'csv';

/** The classifier's own answer when it is not confident; no domain may take this name. */
export const unsureDomain = 'unsure';

const maxReported = 10;
const maxDomainLength = 64;

/** Reads a JSONL or CSV file of `{text, domain}` examples; the format comes from the extension or the content. */
export function readLabelledExamples(file: string, format?: DataFormat): LabelledExample[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new UnbundleError('UNBUNDLE_E_DATA', `Cannot read the data file ${file}: ${reason}.`, { cause: error });
  }
  return parseLabelledExamples(content, file, format ?? detectFormat(file, content));
}

export function detectFormat(file: string, content: string): DataFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return content.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/**
 * Parses examples from text. Every bad row is reported with its line number (up to ten at once),
 * so a user fixes the file in one pass instead of one error per run.
 */
export function parseLabelledExamples(content: string, source: string, format: DataFormat): LabelledExample[] {
  const problems: string[] = [];
  const examples = format === 'csv' ? parseCsvExamples(content, source, problems) : parseJsonlExamples(content, problems);
  if (problems.length > 0) {
    const shown = problems.slice(0, maxReported).map((p) => `  ${p}`);
    if (problems.length > maxReported) shown.push(`  … and ${problems.length - maxReported} more`);
    throw new UnbundleError('UNBUNDLE_E_DATA', `${source}: ${problems.length} bad row${problems.length === 1 ? '' : 's'}:\n${shown.join('\n')}`);
  }
  if (examples.length === 0) {
    const shape = format === 'csv' ? 'a header "text,domain" and one row per example' : 'one {"text": ..., "domain": ...} object per line';
    throw new UnbundleError('UNBUNDLE_E_DATA', `${source}: no examples found; the file needs ${shape}.`);
  }
  return examples;
}

function parseJsonlExamples(content: string, problems: string[]): LabelledExample[] {
  const examples: LabelledExample[] = [];
  const lines = content.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '') continue;
    const at = `line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push(`${at}: not valid JSON (${(error as Error).message}); each line must be one {"text": ..., "domain": ...} object`);
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${at}: expected a JSON object with "text" and "domain", got ${Array.isArray(value) ? 'an array' : typeof value}`);
      continue;
    }
    const record = value as Record<string, unknown>;
    const example = checkExample(record.text, record.domain, at, problems);
    if (example) examples.push(example);
  }
  return examples;
}

function parseCsvExamples(content: string, source: string, problems: string[]): LabelledExample[] {
  let records;
  try {
    records = parseCsv(content);
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new UnbundleError('UNBUNDLE_E_DATA', `${source}: CSV syntax error at line ${error.line}: ${error.reason}.`, { cause: error });
    }
    throw error;
  }
  const [header, ...rows] = records;
  if (!header) return [];
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const textColumn = names.indexOf('text');
  const domainColumn = names.indexOf('domain');
  if (textColumn < 0 || domainColumn < 0) {
    throw new UnbundleError(
      'UNBUNDLE_E_DATA',
      `${source}: the first line must be a header naming the "text" and "domain" columns (found: ${header.fields.map((f) => JSON.stringify(f)).join(', ')}).`,
    );
  }
  const examples: LabelledExample[] = [];
  for (const row of rows) {
    const at = `line ${row.line}`;
    if (row.fields.length !== header.fields.length) {
      problems.push(`${at}: ${row.fields.length} field${row.fields.length === 1 ? '' : 's'} but the header has ${header.fields.length}; quote a text that contains commas ("like, this")`);
      continue;
    }
    const example = checkExample(row.fields[textColumn], row.fields[domainColumn], at, problems);
    if (example) examples.push(example);
  }
  return examples;
}

function checkExample(text: unknown, domain: unknown, at: string, problems: string[]): LabelledExample | undefined {
  if (typeof text !== 'string' || text.trim() === '') {
    problems.push(`${at}: "text" must be a non-empty string`);
    return undefined;
  }
  if (typeof domain !== 'string' || domain.trim() === '') {
    problems.push(`${at}: "domain" must be a non-empty string`);
    return undefined;
  }
  const name = domain.trim();
  if (name.length > maxDomainLength) {
    problems.push(`${at}: domain names are at most ${maxDomainLength} characters`);
    return undefined;
  }
  if (name.toLowerCase() === unsureDomain) {
    problems.push(`${at}: "${unsureDomain}" is reserved for the classifier's low-confidence answer; name the domain differently`);
    return undefined;
  }
  return { text, domain: name };
}
