import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from '../../backends/types.ts';
import { parseCsv } from '../../eval/csv.ts';
import { UnbundleError } from '../../errors.ts';
import { parseDatasetLines, type DatasetRecord, type LineProblem } from './dataset-records.ts';

export type SourceFormat = 'jsonl' | 'csv' | 'text';

/** Which CSV column feeds which field; unset keys are guessed from the header. */
export interface ColumnMap {
  text?: string;
  prompt?: string;
  completion?: string;
  system?: string;
  user?: string;
  assistant?: string;
}

export interface SourceOptions {
  /** Default: from the extension (.jsonl/.json, .csv, anything else plain text). */
  format?: SourceFormat;
  columns?: ColumnMap;
  /** Plain text: one example per line (default) or per blank-line-separated paragraph. */
  textUnit?: 'line' | 'paragraph';
}

export interface SourceRead {
  format: SourceFormat;
  records: DatasetRecord[];
  problems: LineProblem[];
}

export function formatOf(file: string): SourceFormat {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.jsonl' || extension === '.json' || extension === '.ndjson') return 'jsonl';
  if (extension === '.csv') return 'csv';
  return 'text';
}

const columnKeys = ['text', 'prompt', 'completion', 'system', 'user', 'assistant'] as const;

/** Parses `prompt=question,completion=answer` (the --columns flag). */
export function parseColumnMap(spec: string): ColumnMap {
  const map: ColumnMap = {};
  for (const pair of spec.split(',')) {
    const [key, column] = pair.split('=').map((s) => s.trim());
    if (!key || !column || !(columnKeys as readonly string[]).includes(key)) {
      throw new UnbundleError('UNBUNDLE_E_USAGE', `--columns "${spec}": each entry must be FIELD=COLUMN with FIELD one of ${columnKeys.join(', ')} (e.g. prompt=question,completion=answer).`);
    }
    map[key as keyof ColumnMap] = column;
  }
  return map;
}

function guessColumns(header: readonly string[], given: ColumnMap): ColumnMap {
  const lower = header.map((h) => h.trim().toLowerCase());
  const find = (...names: string[]): string | undefined => {
    const at = lower.findIndex((h) => names.includes(h));
    return at === -1 ? undefined : header[at];
  };
  if (Object.keys(given).length > 0) return given;
  const prompt = find('prompt', 'question', 'input', 'instruction');
  const completion = find('completion', 'answer', 'output', 'response');
  if (prompt && completion) return { prompt, completion };
  const user = find('user');
  const assistant = find('assistant');
  if (user && assistant) return { user, assistant, ...(find('system') ? { system: find('system')! } : {}) };
  const text = find('text', 'content', 'body');
  if (text) return { text };
  throw new UnbundleError('UNBUNDLE_E_DATA', `cannot tell which CSV columns hold the examples (header: ${header.join(', ')}). Name them with --columns, e.g. --columns prompt=${header[0] ?? 'question'},completion=${header[1] ?? 'answer'}.`);
}

function csvRecords(content: string, source: string, given: ColumnMap): { records: DatasetRecord[]; problems: LineProblem[] } {
  const rows = parseCsv(content);
  const header = rows[0]?.fields ?? [];
  if (rows.length === 0 || header.length === 0) throw new UnbundleError('UNBUNDLE_E_DATA', `${source} is empty: a CSV needs a header row naming its columns.`);
  const columns = guessColumns(header, given);
  const index = new Map(header.map((h, i) => [h, i]));
  for (const [field, column] of Object.entries(columns)) {
    if (!index.has(column)) throw new UnbundleError('UNBUNDLE_E_DATA', `${source} has no column "${column}" (for ${field}); its columns are ${header.join(', ')}.`);
  }
  const cell = (fields: string[], column: string | undefined): string | undefined => (column === undefined ? undefined : fields[index.get(column)!]);
  const records: DatasetRecord[] = [];
  const problems: LineProblem[] = [];
  for (const row of rows.slice(1)) {
    if (row.fields.length === 1 && row.fields[0] === '') continue;
    if (row.fields.length !== header.length) {
      problems.push({ line: row.line, message: `has ${row.fields.length} fields, the header has ${header.length}` });
      continue;
    }
    if (columns.text) {
      const text = cell(row.fields, columns.text)!;
      if (text.trim() === '') problems.push({ line: row.line, message: `column "${columns.text}" is empty` });
      else records.push({ kind: 'text', line: row.line, text });
    } else if (columns.prompt || columns.completion) {
      const completion = cell(row.fields, columns.completion) ?? '';
      if (completion.trim() === '') problems.push({ line: row.line, message: `column "${columns.completion}" (the completion) is empty` });
      else records.push({ kind: 'completion', line: row.line, prompt: cell(row.fields, columns.prompt) ?? '', completion });
    } else {
      const user = cell(row.fields, columns.user) ?? '';
      const assistant = cell(row.fields, columns.assistant) ?? '';
      if (assistant.trim() === '') {
        problems.push({ line: row.line, message: `column "${columns.assistant}" (the assistant's answer) is empty` });
        continue;
      }
      const messages: ChatMessage[] = [];
      const system = cell(row.fields, columns.system);
      if (system) messages.push({ role: 'system', content: system });
      messages.push({ role: 'user', content: user }, { role: 'assistant', content: assistant });
      records.push({ kind: 'chat', line: row.line, messages });
    }
  }
  return { records, problems };
}

function paragraphRecords(content: string): DatasetRecord[] {
  const lines = content.replace(/^\ufeff/, '').split(/\r?\n/);
  const records: DatasetRecord[] = [];
  let start = -1;
  let buffer: string[] = [];
  const flush = (): void => {
    if (buffer.length > 0) records.push({ kind: 'text', line: start + 1, text: buffer.join('\n') });
    buffer = [];
  };
  lines.forEach((line, i) => {
    if (line.trim() === '') return flush();
    if (buffer.length === 0) start = i;
    buffer.push(line);
  });
  flush();
  return records;
}

/**
 * Reads one data file of any supported shape — chat JSONL (OpenAI's fine-tuning format),
 * prompt/completion JSONL, text JSONL, CSV with named columns, plain text — into records, with
 * every bad line collected (never thrown one at a time) so a user can fix a file in one pass.
 */
export function readDataSource(file: string, options: SourceOptions = {}): SourceRead {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnbundleError('UNBUNDLE_E_DATA', `Cannot read the data file ${file}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}.`, { cause: error });
  }
  const format = options.format ?? formatOf(file);
  if (format === 'csv') return { format, ...csvRecords(content, file, options.columns ?? {}) };
  if (format === 'text' && options.textUnit === 'paragraph') return { format, records: paragraphRecords(content), problems: [] };
  return { format, ...parseDatasetLines(content, format) };
}
