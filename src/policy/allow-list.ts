import { UnbundleError } from '../errors.ts';

/**
 * Values that are never reported: the company's own support address, documentation IPs, test card
 * numbers. A rule is an exact value (case-insensitive) or a regex tested against the detected value;
 * either may be limited to one type.
 */

export type AllowRule =
  | string
  | { value: string; type?: string }
  | { pattern: string | RegExp; flags?: string; type?: string };

export type AllowCheck = (type: string, values: readonly string[]) => boolean;

interface CompiledRule {
  type: string | undefined;
  test(value: string): boolean;
}

function compile(rule: AllowRule, index: number): CompiledRule {
  if (typeof rule === 'string') {
    const exact = rule.toLowerCase();
    return { type: undefined, test: (value) => value.toLowerCase() === exact };
  }
  if ('value' in rule) {
    const exact = rule.value.toLowerCase();
    return { type: rule.type, test: (value) => value.toLowerCase() === exact };
  }
  const source = typeof rule.pattern === 'string' ? rule.pattern : rule.pattern.source;
  const flags = (rule.flags ?? (typeof rule.pattern === 'string' ? '' : rule.pattern.flags)).replace(/[gy]/g, '');
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `Allow-list rule ${index}: pattern is not a valid regular expression: ${(error as Error).message}`, { cause: error });
  }
  return { type: rule.type, test: (value) => regex.test(value) };
}

/** Returns undefined when there are no rules, so the scanner can skip the check entirely. */
export function compileAllowList(rules: readonly AllowRule[] | undefined): AllowCheck | undefined {
  if (rules === undefined || rules.length === 0) return undefined;
  const compiled = rules.map(compile);
  return (type, values) => compiled.some((rule) => (rule.type === undefined || rule.type === type) && values.some((value) => rule.test(value)));
}
