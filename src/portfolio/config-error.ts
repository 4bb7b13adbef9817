import type { z } from 'zod';
import { UnbundleError } from '../errors.ts';
import { routerSchema } from '../router/routing-schema.ts';
import { authSchema, tenantSchema } from '../access/access-schema.ts';
import { resilienceSchema } from '../executor/resilience-schema.ts';
import { openaiCompatibleProviderNames } from './provider-presets.ts';
import { anthropicModelSchema, geminiModelSchema, llamacppModelSchema, openaiCompatibleModelSchema, portfolioSchema, serverSchema } from './schema.ts';
import { dataClasses } from '../policy/data-class.ts';
import { policyRuleSchema, policySchema, tenantPolicySchema } from '../policy/policy-schema.ts';
import { scannerConfigSchema } from '../policy/scanner-config-schema.ts';

/** Keys accepted inside `policy:`, for "did you mean" hints. */
function knownPolicyKeys(path: PropertyKey[]): string[] | undefined {
  const first = path[1];
  if (path.length === 1) return Object.keys(policySchema.shape);
  if (path.length === 2 && first === 'detectors') return Object.keys(scannerConfigSchema.shape);
  if (path.length === 2 && first === 'audit') return ['enabled', 'file'];
  const rulesAt = first === 'tenants' ? 3 : 1;
  if (first === 'tenants' && path.length === 3) return Object.keys(tenantPolicySchema.shape);
  if (path[rulesAt] !== 'rules') return undefined;
  if (path.length === rulesAt + 1) return [...dataClasses];
  if (path.length === rulesAt + 2) return Object.keys(policyRuleSchema.shape);
  return undefined;
}

/** Keys accepted at each place in the config, for "did you mean" hints. */
function knownKeysAt(path: PropertyKey[], raw: unknown): string[] | undefined {
  if (path.length === 0) return Object.keys(portfolioSchema.shape);
  if (path[0] === 'policy') return knownPolicyKeys(path);
  if (path.length === 1 && path[0] === 'server') return Object.keys(serverSchema.unwrap().shape);
  if (path.length === 1 && path[0] === 'resilience') return Object.keys(resilienceSchema.unwrap().shape);
  if (path.length === 1 && path[0] === 'auth') return Object.keys(authSchema.unwrap().shape);
  if (path.length === 2 && path[0] === 'tenants') return Object.keys(tenantSchema.shape);
  if (path.length === 1 && path[0] === 'router') return Object.keys(routerSchema.shape);
  if (path.length === 2 && path[0] === 'models' && typeof path[1] === 'number') {
    const model = (raw as { models?: Array<{ backend?: unknown }> } | undefined)?.models?.[path[1]];
    if (model?.backend === 'llamacpp') return Object.keys(llamacppModelSchema.shape);
    if (model?.backend === 'openai-compatible') return Object.keys(openaiCompatibleModelSchema.shape);
    if (model?.backend === 'anthropic') return Object.keys(anthropicModelSchema.shape);
    if (model?.backend === 'gemini') return Object.keys(geminiModelSchema.shape);
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `models[0].path` — the path as a user reads it in their YAML. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

function describeReceived(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = raw;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/** One line per problem: where it is, what is wrong, and how to fix it. */
export function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(issue.path, raw) ?? [];
      return issue.keys
        .map((key) => {
          const keyPath = formatPath([...issue.path, key]);
          if (issue.path[0] !== 'policy' && /^(api_?key|key|token|secret|password)$/i.test(key)) {
            return `${keyPath}: secrets never go in the config file — put the key in an environment variable and name it with apiKeyEnv (e.g. apiKeyEnv: OPENAI_API_KEY)`;
          }
          const guess = closest(key, known);
          const hint = guess ? `did you mean "${guess}"?` : known.length ? `known keys here: ${known.join(', ')}` : 'remove it';
          return `${keyPath}: unknown key "${key}" — ${hint}`;
        })
        .join('\n');
    }
    case 'invalid_union': {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      if (discriminator) {
        const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
        const value = valueAt(raw, issue.path);
        if (value === undefined) return `${where}: missing — set it to one of: ${options.join(', ')}`;
        const guess = typeof value === 'string' ? closest(value, options) : undefined;
        return `${where}: ${describeReceived(value)} is not a known ${discriminator} — use one of: ${options.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`;
      }
      return `${where}: ${issue.message}`;
    }
    case 'invalid_type': {
      const value = valueAt(raw, issue.path);
      const article = /^[aeiou]/.test(issue.expected) ? 'an' : 'a';
      if (value === undefined && issue.path.at(-1) === 'baseURL') {
        return `${where}: missing — set baseURL to the API root (e.g. http://127.0.0.1:8000/v1), or name a provider (${openaiCompatibleProviderNames.join(', ')}) to use its default`;
      }
      if (value === undefined) return `${where}: missing — this field is required (${article} ${issue.expected})`;
      return `${where}: expected ${article} ${issue.expected}, got ${describeReceived(value)}`;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const relation = issue.code === 'too_small' ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
      const value = valueAt(raw, issue.path);
      const what = issue.origin === 'string' ? `${relation} ${String(bound)} characters long` : issue.origin === 'array' ? `a list of ${relation} ${String(bound)} items` : `${relation} ${String(bound)}`;
      return `${where}: must be ${what}${typeof value === 'number' ? `, got ${value}` : ''}`;
    }
    case 'custom':
      return `${where}: ${issue.message}`;
    case 'invalid_key': {
      // A record key that fails its own check (e.g. a domain name): say why the key is wrong.
      const inner = issue.issues[0];
      return `${where}: bad key — ${inner ? inner.message : 'not allowed here'}`;
    }
    case 'invalid_format':
    case 'invalid_value':
    default: {
      const value = valueAt(raw, issue.path);
      // An apiKeyEnv that fails the name check is often the secret itself: never echo it.
      const secretish = issue.path.at(-1) === 'apiKeyEnv';
      const got = value === undefined || typeof value === 'object' || secretish ? '' : ` (got ${describeReceived(value)})`;
      return `${where}: ${issue.message}${got}`;
    }
  }
}

export class ConfigError extends UnbundleError {
  readonly problems: string[];
  constructor(source: string, problems: string[], cause?: unknown) {
    super(
      'UNBUNDLE_E_CONFIG',
      `Invalid config in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { cause },
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
