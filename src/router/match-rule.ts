import type { RequestFeatures } from './request-features.ts';
import type { RuleCondition } from './routing-schema.ts';

/** A rule's condition with its regex compiled and its value lists as sets, built at config load. */
export interface CompiledCondition {
  tenant?: ReadonlySet<string>;
  user?: ReadonlySet<string>;
  metadata?: ReadonlyArray<readonly [string, ReadonlySet<string>]>;
  headers?: ReadonlyArray<readonly [string, ReadonlySet<string>]>;
  minTokens?: number;
  maxTokens?: number;
  tools?: boolean;
  images?: boolean;
  json?: boolean;
  pattern?: RegExp;
}

const asSet = (value: string | string[]): ReadonlySet<string> => new Set(typeof value === 'string' ? [value] : value);

export function compileCondition(when: RuleCondition): CompiledCondition {
  const out: CompiledCondition = {};
  if (when.tenant !== undefined) out.tenant = asSet(when.tenant);
  if (when.user !== undefined) out.user = asSet(when.user);
  if (when.metadata !== undefined) out.metadata = Object.entries(when.metadata).map(([key, value]) => [key, asSet(value)] as const);
  if (when.headers !== undefined) out.headers = Object.entries(when.headers).map(([key, value]) => [key, asSet(value)] as const);
  if (when.minTokens !== undefined) out.minTokens = when.minTokens;
  if (when.maxTokens !== undefined) out.maxTokens = when.maxTokens;
  if (when.tools !== undefined) out.tools = when.tools;
  if (when.images !== undefined) out.images = when.images;
  if (when.json !== undefined) out.json = when.json;
  // Never the `g` or `y` flag: a stateful lastIndex would make the same rule match every other request.
  if (when.pattern !== undefined) out.pattern = new RegExp(when.pattern, when.flags ?? '');
  return out;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** True when every condition holds; an empty condition matches every request. */
export function conditionMatches(when: CompiledCondition, f: RequestFeatures): boolean {
  if (when.tenant && (f.tenantId === undefined || !when.tenant.has(f.tenantId))) return false;
  if (when.user && (f.user === undefined || !when.user.has(f.user))) return false;
  if (when.minTokens !== undefined && f.promptTokens < when.minTokens) return false;
  if (when.maxTokens !== undefined && f.promptTokens > when.maxTokens) return false;
  if (when.tools !== undefined && f.hasTools !== when.tools) return false;
  if (when.images !== undefined && f.hasImages !== when.images) return false;
  if (when.json !== undefined && f.json !== when.json) return false;
  if (when.metadata) {
    for (const [key, values] of when.metadata) {
      const value = f.metadata === undefined ? undefined : scalar(f.metadata[key]);
      if (value === undefined || !values.has(value)) return false;
    }
  }
  if (when.headers) {
    for (const [name, values] of when.headers) {
      const raw = f.headers?.[name];
      const value = Array.isArray(raw) ? raw[0] : raw;
      if (value === undefined || !values.has(value)) return false;
    }
  }
  if (when.pattern && !when.pattern.test(f.lastUserText)) return false;
  return true;
}
