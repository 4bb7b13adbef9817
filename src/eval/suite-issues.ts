import type { z } from 'zod';
import { UnbundleError } from '../errors.ts';

/** One problem in a suite file: the line (0 for the header file), the field, and what to do. */
export interface SuiteIssue {
  line: number;
  field: string;
  message: string;
}

/** `input[1].role` — a field path as it reads in the JSON. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out === '' ? '(item)' : out;
}

/** zod issues as SuiteIssues with messages that say how to fix the field. */
export function issuesFromZod(error: z.ZodError, line: number, raw: unknown): SuiteIssue[] {
  return describe(error.issues, [], line, raw);
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

function describe(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[], line: number, raw: unknown): SuiteIssue[] {
  return issues.flatMap((issue): SuiteIssue[] => {
    const at = [...prefix, ...issue.path];
    const value = valueAt(raw, at);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        line,
        field: fieldPath([...at, key]),
        message: 'unknown field — check the spelling, or put extra data under "metadata"',
      }));
    }
    const field = fieldPath(at);
    if (issue.code === 'invalid_union') {
      // A branch whose every issue lies deeper than the union matched the value's shape (a list of
      // messages, say): its issues name the real field, e.g. input[0].role.
      const matched = issue.errors.find((branch) => branch.length > 0 && branch.every((inner) => inner.path.length > 0));
      if (matched) return describe(matched, at, line, raw);
      if (value === undefined) return [{ line, field, message: 'required' }];
      if (at[0] === 'input') return [{ line, field, message: 'must be a prompt string or a list of {"role": "system"|"user"|"assistant", "content": "..."} messages' }];
      if (at[0] === 'reference') return [{ line, field, message: 'must be a string, a number, or a list of acceptable strings' }];
    }
    if (issue.code === 'invalid_type') {
      const got = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
      return [{ line, field, message: value === undefined ? `required (${issue.expected})` : `expected ${issue.expected}, got ${got}` }];
    }
    return [{ line, field, message: issue.message }];
  });
}

const shown = 20;

/** One error listing every issue (the first 20) with its line, and the way out. */
export function suiteError(source: string, issues: readonly SuiteIssue[], hint: string): UnbundleError {
  const lines = issues.slice(0, shown).map((issue) => `  ${source}${issue.line > 0 ? `:${issue.line}` : ''}: ${issue.field}: ${issue.message}`);
  if (issues.length > shown) lines.push(`  … and ${issues.length - shown} more`);
  return new UnbundleError('UNBUNDLE_E_DATA', `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'} in the suite:\n${lines.join('\n')}\n${hint}`);
}
