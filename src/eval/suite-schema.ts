import { z } from 'zod';

/**
 * The shape of one suite item and of the suite header, as zod schemas whose inferred types are the
 * types the rest of the harness uses. Objects are strict so a misspelt key is reported, not ignored;
 * anything an item wants to carry beyond the known fields goes under `metadata`.
 */

export const suiteMessageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

/** Python tests for code-with-tests suites (HumanEval, MBPP). */
export const codeTestsSchema = z.strictObject({
  language: z.literal('python').default('python'),
  /** Code placed before the model's answer (HumanEval: the prompt with the signature). */
  prefix: z.string().optional(),
  /** Code run before everything else (MBPP's test_setup_code). */
  setup: z.string().optional(),
  /** The tests: asserts, or a `check(candidate)` function when `entryPoint` is set. */
  code: z.string().min(1, { message: 'must hold the test code' }),
  /** When set, `check(<entryPoint>)` is called after the tests are defined (HumanEval). */
  entryPoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be a Python identifier' }).optional(),
});

const nonEmptyText = z.string().min(1, { message: 'must not be empty' });

export const suiteItemSchema = z.strictObject({
  /** Stable id for reports; default `line-<n>`. */
  id: nonEmptyText.max(200).optional(),
  /** A plain prompt, or chat messages (the runner sends a prompt as one user message). */
  input: z.union([nonEmptyText, z.array(suiteMessageSchema).min(1, { message: 'needs at least one message' })]),
  /** The expected answer; several strings mean "any of these". Numbers are kept as their text. */
  reference: z
    .union([z.string(), z.number().transform((n) => String(n)), z.array(z.string()).min(1, { message: 'needs at least one reference' })])
    .optional(),
  /** Options of a multiple-choice item, in letter order (A, B, C, ...). */
  choices: z.array(nonEmptyText).min(2, { message: 'needs at least two choices' }).max(26).optional(),
  /** Groups items for per-domain scores (e.g. finance, code, math). */
  domain: nonEmptyText.max(100).optional(),
  tests: codeTestsSchema.optional(),
  /** JSON Schema the answer must satisfy (the json-schema metric); overrides the metric's own. */
  jsonSchema: z.record(z.string(), z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export type SuiteItemInput = z.input<typeof suiteItemSchema>;
export type SuiteItem = z.infer<typeof suiteItemSchema> & { id: string };
export type SuiteMessage = z.infer<typeof suiteMessageSchema>;
export type CodeTests = z.infer<typeof codeTestsSchema>;

/**
 * A metric as written in a header: its name alone, or an object with `metric`, an optional `label`
 * (to use one metric twice with different options) and the metric's own options.
 */
export const metricSpecSchema = z.union([
  z.string().min(1),
  z.looseObject({ metric: z.string().min(1), label: z.string().min(1).max(64).optional() }),
]);
export type MetricSpec = z.infer<typeof metricSpecSchema>;

export const suiteHeaderSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, {
    message: 'must start with a letter or digit and use only letters, digits, ".", "_", ":", "/" and "-"',
  }),
  description: z.string().optional(),
  version: z.union([z.string(), z.number()]).optional(),
  metrics: z.array(metricSpecSchema).min(1, { message: 'name at least one metric, e.g. metrics: [exact-match]' }),
  /** The metric (by label) that ranks models; default the first one. */
  primary: z.string().optional(),
  /** A system prompt the runner puts before every item's input. */
  system: z.string().optional(),
  /** Items file, relative to the header file (YAML/JSON headers only). */
  items: z.string().min(1).optional(),
  /** Where the items came from and under which licence, for reports. */
  source: z.string().optional(),
  license: z.string().optional(),
});

export type SuiteHeader = z.infer<typeof suiteHeaderSchema>;

export interface Suite {
  header: SuiteHeader;
  items: SuiteItem[];
}

/** Every reference of an item as a list (empty when it has none). */
export function referencesOf(item: Pick<SuiteItem, 'reference'>): string[] {
  if (item.reference === undefined) return [];
  return Array.isArray(item.reference) ? item.reference : [item.reference];
}

/** The item's prompt as text: the prompt itself, or the last user message. */
export function inputText(item: Pick<SuiteItem, 'input'>): string {
  if (typeof item.input === 'string') return item.input;
  const users = item.input.filter((message) => message.role === 'user');
  return (users.at(-1) ?? item.input.at(-1))!.content;
}
