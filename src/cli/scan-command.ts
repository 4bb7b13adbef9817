import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { createScanner, type ScannerOptions } from '../policy/create-scanner.ts';
import type { Detection } from '../policy/detection.ts';
import { loadScannerOptions } from '../policy/scanner-config.ts';
import { parseCommandArgs, type Command, type CommandIO } from './command.ts';

interface InputDocument {
  text: string;
  /** 1-based line in the input (JSONL), or 1 for plain text. */
  line: number;
}

async function readInput(file: string | undefined, io: CommandIO): Promise<string> {
  if (file !== undefined && file !== '-') {
    const full = path.resolve(io.cwd, file);
    try {
      return await readFile(full, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle scan: cannot read ${full}: ${reason}.`, { cause: error });
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function jsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JSONL when the first non-blank line is a JSON object (then every non-blank line must be one, with
 * a string `text`); otherwise the whole input is one plain-text document.
 */
export function splitDocuments(input: string): { documents: InputDocument[]; jsonl: boolean } {
  const lines = input.split('\n');
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first === -1 || jsonObject(lines[first]!) === undefined) return { documents: [{ text: input, line: 1 }], jsonl: false };
  const documents: InputDocument[] = [];
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const object = jsonObject(line);
    if (object === undefined) {
      throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle scan: line ${index + 1} is not a JSON object. JSONL input needs one {"text": "..."} object per line (or give plain text, which is scanned as one document).`);
    }
    if (typeof object.text !== 'string') {
      throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle scan: line ${index + 1} has no string "text" field (keys: ${Object.keys(object).join(', ') || 'none'}). Each JSONL line must look like {"text": "..."}.`);
    }
    documents.push({ text: object.text, line: index + 1 });
  });
  return { documents, jsonl: true };
}

/** Enough of a value to recognise it, not enough to leak it into a terminal's scroll-back. */
function preview(value: string): string {
  const flat = value.replace(/\s+/g, ' ');
  if (flat.length <= 4) return '*'.repeat(flat.length);
  const keep = flat.length > 12 ? 2 : 1;
  return `${flat.slice(0, keep)}${'*'.repeat(Math.min(flat.length - 2 * keep, 24))}${flat.slice(-keep)}`;
}

function humanReport(documents: InputDocument[], results: Detection[][], jsonl: boolean): string {
  const out: string[] = [];
  const counts = new Map<string, number>();
  documents.forEach((document, index) => {
    const detections = results[index]!;
    if (detections.length === 0) return;
    out.push(jsonl ? `line ${document.line}:` : 'input:');
    for (const d of detections) {
      counts.set(d.type, (counts.get(d.type) ?? 0) + 1);
      out.push(`  ${d.type.padEnd(14)} ${`${d.start}-${d.end}`.padEnd(13)} ${d.detector.padEnd(22)} ${preview(document.text.slice(d.start, d.end))}`);
    }
  });
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const byType = [...counts].map(([type, n]) => `${type} ${n}`).join(', ');
  out.push(`${documents.length} document${documents.length === 1 ? '' : 's'}, ${total} detection${total === 1 ? '' : 's'}${total > 0 ? `: ${byType}` : ''}`);
  return `${out.join('\n')}\n`;
}

export const scanCommand: Command = {
  name: 'scan',
  summary: 'Find personal data and secrets in text (e-mail, phone, card, IBAN, SSN, IP, keys, …)',
  usage: `Usage: unbundle scan [--config FILE] [--json] [FILE]

Reads FILE (or stdin, or "-") and reports sensitive data: EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN,
IP_ADDRESS, SECRET, PERSON, ADDRESS, DATE_OF_BIRTH, plus custom types from the config.
Input is JSONL with a "text" field per line (one document per line), or plain text (one document).

Options:
  --config FILE   YAML file whose policy.detectors section configures the detectors
                  (types, custom detectors, allow-list, person names; see docs/policy.md)
  --json          one JSON line per document: {"detections":[{"type","start","end"}]},
                  offsets in UTF-16 code units into that document's original text
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('scan', argv, { config: { type: 'string' }, json: { type: 'boolean' } }, true);
    if (positionals.length > 1) {
      throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle scan: give at most one FILE (got ${positionals.length}: ${positionals.join(' ')}). Run "unbundle scan --help" for usage.`);
    }
    const options: ScannerOptions = values.config === undefined ? {} : loadScannerOptions(path.resolve(io.cwd, values.config));
    const scanner = createScanner(options);
    const { documents, jsonl } = splitDocuments(await readInput(positionals[0], io));
    const results = documents.map((document) => scanner.scan(document.text));
    if (values.json) {
      const lines = results.map((detections) => JSON.stringify({ detections: detections.map(({ type, start, end }) => ({ type, start, end })) }));
      io.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    } else io.stdout.write(humanReport(documents, results, jsonl));
    return 0;
  },
};
