import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';
import type { ChatMessage } from '../../backends/types.ts';

/**
 * Training data files, in the three shapes fine-tuning tools commonly accept:
 *   JSONL chat:               {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", ...}]}
 *   JSONL prompt/completion:  {"prompt": "...", "completion": "..."}
 *   JSONL text / plain text:  {"text": "..."}, or a .txt file with one example per non-empty line
 * Every bad line is reported with its line number, so a user can fix the file in one pass.
 */
export type DatasetRecord =
  | { kind: 'text'; line: number; text: string }
  | { kind: 'completion'; line: number; prompt: string; completion: string }
  | { kind: 'chat'; line: number; messages: ChatMessage[] };

const roles = new Set(['system', 'user', 'assistant', 'tool']);

function parseRecord(value: unknown, line: number): DatasetRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  const record = value as Record<string, unknown>;
  if ('messages' in record) {
    if (!Array.isArray(record.messages) || record.messages.length === 0) return '"messages" must be a non-empty array';
    const messages: ChatMessage[] = [];
    for (const [i, raw] of (record.messages as unknown[]).entries()) {
      const message = raw as Record<string, unknown> | null;
      if (typeof message !== 'object' || message === null) return `messages[${i}] must be an object`;
      if (typeof message.role !== 'string' || !roles.has(message.role)) return `messages[${i}].role must be one of system, user, assistant, tool`;
      if (typeof message.content !== 'string') return `messages[${i}].content must be a string`;
      if (message.weight !== undefined && message.weight !== 0 && message.weight !== 1) return `messages[${i}].weight must be 0 or 1 (OpenAI's fine-tuning format)`;
      messages.push({ role: message.role as ChatMessage['role'], content: message.content });
    }
    if (!messages.some((m) => m.role === 'assistant')) return 'the conversation has no assistant message to learn from';
    return { kind: 'chat', line, messages };
  }
  if ('prompt' in record || 'completion' in record) {
    if (typeof record.prompt !== 'string') return '"prompt" must be a string';
    if (typeof record.completion !== 'string' || record.completion === '') return '"completion" must be a non-empty string';
    return { kind: 'completion', line, prompt: record.prompt, completion: record.completion };
  }
  if ('text' in record) {
    if (typeof record.text !== 'string' || record.text.trim() === '') return '"text" must be a non-empty string';
    return { kind: 'text', line, text: record.text };
  }
  return 'expected "messages", "prompt"/"completion" or "text"';
}

/** A line that could not be read, with the reason; the file is reported in one pass. */
export interface LineProblem {
  line: number;
  message: string;
}

/** Parses every line, collecting bad lines instead of stopping at the first (the data commands' --skip-invalid). */
export function parseDatasetLines(content: string, format: 'jsonl' | 'text'): { records: DatasetRecord[]; problems: LineProblem[] } {
  const lines = content.replace(/^\ufeff/, '').split(/\r?\n/);
  const records: DatasetRecord[] = [];
  const problems: LineProblem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.trim() === '') continue;
    if (format === 'text') {
      records.push({ kind: 'text', line: i + 1, text });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      problems.push({ line: i + 1, message: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    const parsed = parseRecord(value, i + 1);
    if (typeof parsed === 'string') problems.push({ line: i + 1, message: parsed });
    else records.push(parsed);
  }
  return { records, problems };
}

/** "file has N bad lines: line 3: ..., line 9: ..." with at most ten shown. */
export function describeProblems(source: string, problems: readonly LineProblem[]): string {
  const shown = problems.slice(0, 10).map((p) => `line ${p.line}: ${p.message}`).join('\n  ');
  const more = problems.length > 10 ? `\n  ... and ${problems.length - 10} more` : '';
  return `${source} has ${problems.length} bad line${problems.length === 1 ? '' : 's'}:\n  ${shown}${more}`;
}

export function parseDataset(content: string, format: 'jsonl' | 'text', source: string): DatasetRecord[] {
  const { records, problems } = parseDatasetLines(content, format);
  if (problems.length > 0) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${describeProblems(source, problems)}\nFix or remove them and run again.`);
  }
  if (records.length === 0) throw new UnbundleError('UNBUNDLE_E_DATA', `${source} holds no examples.`);
  return records;
}

/** Reads a data file; `.jsonl`/`.json` are JSON Lines, anything else is plain text. */
export function loadDataset(file: string): DatasetRecord[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnbundleError('UNBUNDLE_E_DATA', `Cannot read the data file ${file}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}.`, { cause: error });
  }
  const extension = path.extname(file).toLowerCase();
  return parseDataset(content, extension === '.jsonl' || extension === '.json' ? 'jsonl' : 'text', file);
}
