import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { UnbundleError } from '../errors.ts';
import type { BoundMetric } from './metric.ts';
import { resolveMetric } from './metric-registry.ts';
import { issuesFromZod, suiteError, type SuiteIssue } from './suite-issues.ts';
import { suiteHeaderSchema, suiteItemSchema, type Suite, type SuiteHeader, type SuiteItem } from './suite-schema.ts';

export interface LoadSuiteOptions {
  /** Skip items that fail validation (and report them) instead of refusing the suite. */
  skipInvalid?: boolean;
}

export interface LoadedSuite extends Suite {
  metrics: BoundMetric[];
  /** The metric that ranks models (its label). */
  primary: string;
  /** Items left out because of `skipInvalid`, with their problems. */
  skipped: SuiteIssue[];
  source: string;
}

/** One item as read from a file: the 1-based line it starts on, and its value or why it has none. */
export interface ItemLine {
  line: number;
  value: unknown;
  /** Why the line could not be read (bad JSON, wrong column count); the item is then invalid. */
  error?: string;
}

function bindHeader(rawHeader: unknown, source: string): { header: SuiteHeader; metrics: BoundMetric[]; primary: string } {
  const parsed = suiteHeaderSchema.safeParse(rawHeader);
  const fail = (issues: SuiteIssue[]) => suiteError(source, issues, 'Fix the suite header (see docs/eval.md).');
  if (!parsed.success) throw fail(issuesFromZod(parsed.error, 0, rawHeader).map((issue) => ({ ...issue, field: `header.${issue.field}` })));
  const header = parsed.data;
  const issues: SuiteIssue[] = [];
  const metrics: BoundMetric[] = [];
  header.metrics.forEach((spec, index) => {
    const bound = resolveMetric(spec, index);
    if (Array.isArray(bound)) issues.push(...bound.map((issue) => ({ line: 0, field: `header.${issue.path}`, message: issue.message })));
    else metrics.push(bound);
  });
  const labels = metrics.map((metric) => metric.label);
  labels.forEach((label, index) => {
    if (labels.indexOf(label) !== index) issues.push({ line: 0, field: 'header.metrics', message: `"${label}" appears twice: give one of them a "label"` });
  });
  const primary = header.primary ?? labels[0]!;
  if (issues.length === 0 && !labels.includes(primary)) {
    issues.push({ line: 0, field: 'header.primary', message: `"${primary}" is not one of the metrics: ${labels.join(', ')}` });
  }
  if (issues.length > 0) throw fail(issues);
  return { header, metrics, primary };
}

/**
 * Validates a header and its items: every item against the item schema and against what each
 * metric needs (a reference, tests, choices...). Problems carry the line number and the field.
 */
export function validateSuite(rawHeader: unknown, lines: readonly ItemLine[], source: string, options: LoadSuiteOptions = {}, headerSource = source): LoadedSuite {
  const { header, metrics, primary } = bindHeader(rawHeader, headerSource);
  const items: SuiteItem[] = [];
  const skipped: SuiteIssue[] = [];
  const seen = new Map<string, number>();
  for (const { line, value, error } of lines) {
    const issues: SuiteIssue[] = [];
    if (error !== undefined) {
      issues.push({ line, field: '(line)', message: error });
    } else {
      const parsed = suiteItemSchema.safeParse(value);
      if (!parsed.success) issues.push(...issuesFromZod(parsed.error, line, value));
      else {
        const item: SuiteItem = { ...parsed.data, id: parsed.data.id ?? `line-${line}` };
        const first = seen.get(item.id);
        if (first !== undefined) issues.push({ line, field: 'id', message: `"${item.id}" is already the id of line ${first}: ids must be unique` });
        for (const metric of metrics) {
          const problem = metric.checkItem(item);
          if (problem) issues.push({ line, field: problem.field, message: `${problem.message} (metric ${metric.label})` });
        }
        if (issues.length === 0) {
          seen.set(item.id, line);
          items.push(item);
        }
      }
    }
    skipped.push(...issues);
  }
  if (skipped.length > 0 && !options.skipInvalid) {
    throw suiteError(source, skipped, 'Fix these items, or pass --skip-invalid (skipInvalid) to leave them out.');
  }
  if (items.length === 0) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${source}: the suite has no valid items — add one JSON object per line after the header`);
  }
  return { header, items, metrics, primary, skipped, source };
}

/** Splits JSONL text into parsed lines, keeping line numbers and skipping blank lines. */
export function readJsonLines(text: string, firstLine = 1): ItemLine[] {
  const out: ItemLine[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === '') return;
    const line = index + firstLine;
    try {
      out.push({ line, value: JSON.parse(raw) as unknown });
    } catch (error) {
      out.push({ line, value: undefined, error: `not valid JSON: ${(error as Error).message}` });
    }
  });
  return out;
}

/** A suite held in one JSONL text whose first line is `{"suite": {...header}}`. */
export function parseSuiteJsonl(text: string, source: string, options: LoadSuiteOptions = {}): LoadedSuite {
  const [first, ...items] = readJsonLines(text);
  const header = first?.value as { suite?: unknown } | undefined;
  if (!first || first.error !== undefined || typeof header !== 'object' || header === null || !('suite' in header)) {
    throw new UnbundleError(
      'UNBUNDLE_E_DATA',
      `${source}:${first?.line ?? 1}: the first line must be the suite header, e.g. {"suite": {"name": "my-suite", "metrics": ["exact-match"]}} — or use a suite.yaml that names its items file`,
    );
  }
  return validateSuite(header.suite, items, source, options);
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new UnbundleError('UNBUNDLE_E_DATA', `cannot read the ${what} ${file}: ${reason}`, { cause: error });
  }
}

/**
 * Loads a suite from a `.jsonl` file (header on the first line) or from a `.yaml`/`.json` header
 * whose `items` names a JSONL file relative to it.
 */
export async function loadSuite(file: string, options: LoadSuiteOptions = {}): Promise<LoadedSuite> {
  const absolute = path.resolve(file);
  const text = await readText(absolute, 'suite file');
  if (/\.jsonl$/i.test(absolute)) return parseSuiteJsonl(text, absolute, options);
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    throw new UnbundleError('UNBUNDLE_E_DATA', `${absolute}:${error.linePos?.[0]?.line ?? '?'}: not valid YAML/JSON: ${error.message.split('\n')[0]}`);
  }
  const header = document.toJS() as { items?: unknown } | null;
  if (header === null || typeof header !== 'object' || typeof header.items !== 'string') {
    throw new UnbundleError('UNBUNDLE_E_DATA', `${absolute}: a suite header file needs "items: <file>.jsonl" naming its items (relative to this file)`);
  }
  const itemsFile = path.resolve(path.dirname(absolute), header.items);
  const lines = readJsonLines(await readText(itemsFile, 'items file'));
  return validateSuite(header, lines, itemsFile, options, absolute);
}

/** A suite as one JSONL text (header line first), the format loadSuite reads back. */
export function suiteToJsonl(suite: Suite): string {
  const { items: _itemsFile, ...header } = suite.header;
  return [JSON.stringify({ suite: header }), ...suite.items.map((item) => JSON.stringify(item))].join('\n') + '\n';
}
