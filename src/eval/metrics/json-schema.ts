import { z } from 'zod';
import { defineMetric } from '../metric.ts';
import { stripCodeFence } from '../normalize.ts';

type Validator = z.ZodType;
const compiled = new WeakMap<object, Validator>();

/** Compiles a JSON Schema once per schema object; throws with zod's reason when it cannot. */
export function compileJsonSchema(schema: Record<string, unknown>): Validator {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    compiled.set(schema, validator);
  }
  return validator;
}

/**
 * The JSON value in a reply: the whole reply, else the inside of a ```json fence, else the span from
 * the first "{" or "[" to the last matching closer. Models wrap JSON in prose and fences freely.
 */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const candidates = [text.trim(), stripCodeFence(text).trim()];
  const start = text.search(/[[{]/);
  if (start >= 0) {
    const closer = text[start] === '{' ? '}' : ']';
    const end = text.lastIndexOf(closer);
    if (end > start) candidates.push(text.slice(start, end + 1));
  }
  let error = 'no JSON found';
  for (const candidate of candidates) {
    if (candidate === '') continue;
    try {
      return { ok: true, value: JSON.parse(candidate) as unknown };
    } catch (cause) {
      error = (cause as Error).message;
    }
  }
  return { ok: false, error };
}

/** 1 when the reply holds JSON that the schema accepts; the detail names the first failure. */
export function jsonSchemaValidity(prediction: string, schema: Record<string, unknown> | undefined): { score: number; detail: Record<string, unknown> } {
  const parsed = extractJson(prediction);
  if (!parsed.ok) return { score: 0, detail: { valid: false, reason: `not JSON: ${parsed.error}` } };
  if (schema === undefined) return { score: 1, detail: { valid: true } };
  const result = compileJsonSchema(schema).safeParse(parsed.value);
  if (result.success) return { score: 1, detail: { valid: true } };
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return { score: 0, detail: { valid: false, reason: `${where}: ${issue.message}` } };
}

function schemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    compileJsonSchema(schema);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export const jsonSchemaMetric = defineMetric({
  summary: 'the answer is JSON valid against a JSON Schema (the item\'s `jsonSchema`, else the `schema` option; neither: any JSON)',
  higherIsBetter: true,
  options: z
    .strictObject({ schema: z.record(z.string(), z.unknown()).optional() })
    .superRefine((options, ctx) => {
      const problem = options.schema && schemaProblem(options.schema);
      if (problem) ctx.addIssue({ code: 'custom', path: ['schema'], message: `not a usable JSON Schema: ${problem}` });
    }),
  checkItem: (item) => {
    const problem = item.jsonSchema && schemaProblem(item.jsonSchema);
    return problem ? { field: 'jsonSchema', message: `not a usable JSON Schema: ${problem}` } : undefined;
  },
  bind: (options) => (prediction, item) => jsonSchemaValidity(prediction, item.jsonSchema ?? options.schema),
});
