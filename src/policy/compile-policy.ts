import { dataClasses, defaultClassOf, type DataClass } from './data-class.ts';
import type { PolicyAction, PolicyConfig, PolicyRuleConfig } from './policy-schema.ts';

/** A set of zones, or every zone ("*"). */
export interface ZoneSet {
  any: boolean;
  zones: ReadonlySet<string>;
  /** As written, for messages. */
  names: readonly string[];
}

export interface ClassRule {
  action: PolicyAction;
  /** Zones that may see the values. */
  clear: ZoneSet;
  /** Zones that may see the request with the values replaced by placeholders (redact only). */
  redacted: ZoneSet;
}

/** One tenant's effective policy, ready for the hot path. */
export interface CompiledPolicy {
  classOf(label: string): DataClass;
  rules: Readonly<Record<DataClass, ClassRule>>;
}

/** Safe defaults when the config names no rule for a class: personal data and secrets stay in-house. */
export const defaultZonesOf: Readonly<Record<DataClass, readonly string[]>> = {
  public: ['*'],
  internal: ['*'],
  confidential: ['local', 'self-hosted'],
  restricted: ['local'],
};

export function zoneSet(names: readonly string[]): ZoneSet {
  return { any: names.includes('*'), zones: new Set(names), names };
}

export function inZoneSet(set: ZoneSet, zone: string): boolean {
  return set.any || set.zones.has(zone);
}

const none = zoneSet([]);

function compileRule(dataClass: DataClass, rule: PolicyRuleConfig | undefined): ClassRule {
  const action = rule?.action ?? 'route';
  if (action === 'block') return { action, clear: none, redacted: none };
  const clear = zoneSet(rule?.zones ?? defaultZonesOf[dataClass]);
  return { action, clear, redacted: action === 'redact' ? zoneSet(rule?.redactedZones ?? ['*']) : none };
}

function compile(classes: Readonly<Record<string, DataClass>>, defaultClass: DataClass, rules: Partial<Record<DataClass, PolicyRuleConfig>>): CompiledPolicy {
  const table = new Map<string, DataClass>(Object.entries({ ...defaultClassOf, ...classes }));
  const compiled = Object.fromEntries(dataClasses.map((c) => [c, compileRule(c, rules[c])])) as Record<DataClass, ClassRule>;
  return { classOf: (label) => table.get(label) ?? defaultClass, rules: compiled };
}

/**
 * The base policy and each tenant's: a tenant's `classes` entries and `rules` entries replace the
 * base ones of the same name; everything else is inherited. Unknown tenants get the base policy.
 */
export function compilePolicies(config: PolicyConfig): (tenantId: string | undefined) => CompiledPolicy {
  const base = compile(config.classes, config.defaultClass, config.rules);
  const tenants = new Map<string, CompiledPolicy>();
  for (const [id, tenant] of Object.entries(config.tenants)) {
    tenants.set(id, compile({ ...config.classes, ...tenant.classes }, config.defaultClass, { ...config.rules, ...tenant.rules }));
  }
  if (tenants.size === 0) return () => base;
  return (tenantId) => (tenantId === undefined ? base : (tenants.get(tenantId) ?? base));
}
