import { jsonSchemaValidity, extractJson } from '../eval/metrics/json-schema.ts';
import type { CascadeCheck } from '../router/plan.ts';

/**
 * Runs a cascade step's checks on an answer. Returns undefined when every check passes, else a
 * short reason naming the first failed check (it goes into the attempt log). Pure.
 */
export function failedCascadeCheck(text: string, checks: readonly CascadeCheck[]): string | undefined {
  for (const check of checks) {
    const reason = runCheck(text, check);
    if (reason !== undefined) return `${check.kind}: ${reason}`;
  }
  return undefined;
}

function runCheck(text: string, check: CascadeCheck): string | undefined {
  switch (check.kind) {
    case 'json': {
      const parsed = extractJson(text);
      return parsed.ok ? undefined : `not JSON (${parsed.error})`;
    }
    case 'json-schema': {
      const { score, detail } = jsonSchemaValidity(text, check.schema);
      return score === 1 ? undefined : String(detail.reason ?? 'does not match the schema');
    }
    case 'regex':
      return new RegExp(check.pattern, check.flags).test(text) ? undefined : `does not match /${check.pattern}/${check.flags ?? ''}`;
    case 'min-length':
      return text.trim().length >= check.chars ? undefined : `shorter than ${check.chars} characters`;
    case 'confidence': {
      const stated = statedConfidence(text);
      if (stated === undefined) return 'no confidence stated';
      return stated >= check.min ? undefined : `confidence ${stated} below ${check.min}`;
    }
  }
}

/**
 * The confidence a model was asked to state: a JSON field `"confidence": 0.8`, or a line such as
 * `Confidence: 80%` / `confidence = 0.8`. Percentages become 0..1. The last one stated wins.
 */
export function statedConfidence(text: string): number | undefined {
  const pattern = /"?confidence"?\s*[:=]\s*"?(\d+(?:\.\d+)?)\s*(%?)/gi;
  let found: number | undefined;
  for (const match of text.matchAll(pattern)) {
    let value = Number(match[1]);
    if (match[2] === '%' || value > 1) value /= 100;
    if (value >= 0 && value <= 1) found = value;
  }
  return found;
}
