import { z } from 'zod';
import { unsureDomain } from './classifier/labelled-data.ts';

/**
 * Config schemas for routing: the per-model keys (`domains`, `quality`, `pricePerMTok`) and the
 * top-level `router:` block (classifier, unsure default, rules, virtual models). Cross-references
 * (model ids, regexes) are checked by `routingConfigIssues` once the whole portfolio is parsed.
 */

const domainName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'must be a lower-case domain name such as support or code' })
  .refine((name) => name !== unsureDomain, { message: `"${unsureDomain}" is reserved for the classifier's low-confidence answer` });

const modelRef = z.string().min(1);
const modelRefs = z.array(modelRef).min(1);
const fraction = z.number().min(0, { message: 'must be from 0 to 1' }).max(1, { message: 'must be from 0 to 1' });
const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Routing keys every model may carry. */
export const modelRouteFields = {
  /** Domains this model is a specialist for (a declared specialist is trusted until `quality` says otherwise). */
  domains: z.array(domainName).optional(),
  /** Measured or hand-set quality per domain, 0..1 (`eval publish` writes it). */
  quality: z.record(domainName, fraction).optional(),
  /** The price the router compares, per million tokens in the ledger currency; default: derived from pricing. */
  pricePerMTok: z.number().finite().min(0, { message: 'must be zero or more' }).optional(),
};

const cascadeCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('json') }),
  z.strictObject({ kind: z.literal('json-schema'), schema: z.record(z.string(), z.unknown()) }),
  z.strictObject({ kind: z.literal('regex'), pattern: z.string().min(1), flags: z.string().regex(/^[imsu]*$/, { message: 'may only use the flags i, m, s and u' }).optional() }),
  z.strictObject({ kind: z.literal('min-length'), chars: z.number().int().positive() }),
  z.strictObject({ kind: z.literal('confidence'), min: fraction }),
]);

const commonVirtualFields = {
  /** Start the next model too when an attempt has not answered within this many ms. */
  hedgeAfterMs: z.number().int().positive().optional(),
};

const virtualModelSchema = z.discriminatedUnion('strategy', [
  z.strictObject({
    strategy: z.literal('cheapest'),
    /** The cheapest model whose expected quality for the domain is at least this. */
    minQuality: fraction,
    /** Restrict the candidates; default: every model that declares domains or quality. */
    models: modelRefs.optional(),
    ...commonVirtualFields,
  }),
  z.strictObject({
    strategy: z.literal('best'),
    /** The best model for the domain whose price per million tokens is at most this; absent: no cap. */
    maxPricePerMTok: z.number().finite().min(0).optional(),
    models: modelRefs.optional(),
    ...commonVirtualFields,
  }),
  z.strictObject({
    strategy: z.literal('threshold'),
    strong: modelRef,
    weak: modelRef,
    /** A threshold-router file written by `unbundle route train-threshold`. */
    file: z.string().min(1),
    /** Overrides the file's threshold on the weak model's expected advantage (-1..1). */
    threshold: z.number().min(-1).max(1).optional(),
    ...commonVirtualFields,
  }),
  z.strictObject({
    strategy: z.literal('cascade'),
    /** Answer with the first; escalate to the next when a check fails. */
    models: z.array(modelRef).min(2, { message: 'a cascade needs at least two models: [small, big]' }),
    checks: z.array(cascadeCheckSchema).min(1, { message: 'a cascade needs at least one check, e.g. [{ kind: json }]' }),
    ...commonVirtualFields,
  }),
]);

const ruleConditionSchema = z.strictObject({
  /** ctx.tenantId (set by access control). */
  tenant: oneOrMany.optional(),
  /** The request's `user` field. */
  user: oneOrMany.optional(),
  /** Every key must be present in the request's `metadata` with one of the values. */
  metadata: z.record(z.string().min(1), oneOrMany).optional(),
  /** Every `x-unbundle-*` header must be present with one of the values. */
  headers: z
    .record(z.string().regex(/^x-unbundle-[a-z0-9-]+$/, { message: 'rules may only match lower-case x-unbundle-* headers' }), oneOrMany)
    .optional(),
  /** Prompt length in estimated tokens (characters / 4). */
  minTokens: z.number().int().min(0).optional(),
  maxTokens: z.number().int().min(0).optional(),
  tools: z.boolean().optional(),
  images: z.boolean().optional(),
  /** JSON mode: response_format json_object or json_schema. */
  json: z.boolean().optional(),
  /** A regular expression searched in the last user message. */
  pattern: z.string().min(1).optional(),
  /** Its flags (i, m, s, u). */
  flags: z.string().regex(/^[imsu]*$/, { message: 'may only use the flags i, m, s and u' }).optional(),
});

const ruleSchema = z.strictObject({
  /** Shown in the reason header and the log line; default: rules[N]. */
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1 to 64 letters, digits, ".", "_" or "-"' }).optional(),
  /** All conditions must hold; an empty `when` matches every request. */
  when: ruleConditionSchema.default({}),
  /** Answer with this model (no classifier). */
  pin: modelRef.optional(),
  /** Never choose these models for matching requests. */
  exclude: modelRefs.optional(),
  /** Choose the first of these that is allowed, ahead of the strategy's pick. */
  prefer: modelRefs.optional(),
  /** Treat the request as this domain (skips the classifier). */
  domain: domainName.optional(),
});

export const routerSchema = z.strictObject({
  /** A router file written by `unbundle route train` (relative to the config file). */
  classifier: z.string().min(1).optional(),
  /** Below this confidence the domain is "unsure"; default: the file's threshold. */
  unsureThreshold: fraction.optional(),
  /** The model for unsure prompts and for requests no candidate fits; default: the first model. */
  default: modelRef.optional(),
  /** How many fallbacks a routed Plan carries. */
  maxFallbacks: z.number().int().min(0).max(8).default(2),
  rules: z.array(ruleSchema).default([]),
  /** Names clients may send as `model`; `auto` is always defined (default: strategy best). */
  virtualModels: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, { message: 'must be a model-like name such as auto-cheap' }), virtualModelSchema).default({}),
});

export type RouterConfig = z.infer<typeof routerSchema>;
export type VirtualModelConfig = z.infer<typeof virtualModelSchema>;
export type RuleConfig = z.infer<typeof ruleSchema>;
export type RuleCondition = z.infer<typeof ruleConditionSchema>;

interface RoutingCheckInput {
  models: ReadonlyArray<{ id: string; domains?: string[] | undefined; quality?: Record<string, number> | undefined }>;
  router?: RouterConfig | undefined;
}

/** Compiles a rule's or check's regex; the error message when it does not compile. */
export function regexProblem(pattern: string, flags: string | undefined): string | undefined {
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Checks that need the whole config: every model id a router names exists, virtual names do not
 * shadow models, and every regex compiles. Each issue names its path and the fix.
 */
export function routingConfigIssues(config: RoutingCheckInput): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const router = config.router;
  if (!router) return issues;
  const ids = new Set(config.models.map((m) => m.id));
  const known = config.models.length > 0 ? config.models.map((m) => m.id).join(', ') : '(none configured)';
  const ref = (id: string, path: PropertyKey[]) => {
    if (!ids.has(id)) issues.push({ path, message: `unknown model "${id}" — use the id of a model under models (known: ${known})` });
  };
  const refs = (list: readonly string[] | undefined, path: PropertyKey[]) => list?.forEach((id, i) => ref(id, [...path, i]));

  if (router.default !== undefined) ref(router.default, ['router', 'default']);
  for (const [name, vm] of Object.entries(router.virtualModels)) {
    const at: PropertyKey[] = ['router', 'virtualModels', name];
    if (ids.has(name)) issues.push({ path: at, message: `"${name}" is also a model id — give the virtual model another name (a model id always means that model)` });
    if (vm.strategy === 'cheapest' || vm.strategy === 'best') refs(vm.models, [...at, 'models']);
    if (vm.strategy === 'threshold') {
      ref(vm.strong, [...at, 'strong']);
      ref(vm.weak, [...at, 'weak']);
      if (vm.strong === vm.weak) issues.push({ path: [...at, 'weak'], message: 'weak and strong are the same model — name two different models' });
    }
    if (vm.strategy === 'cascade') {
      refs(vm.models, [...at, 'models']);
      vm.checks.forEach((check, i) => {
        if (check.kind !== 'regex') return;
        const problem = regexProblem(check.pattern, check.flags);
        if (problem) issues.push({ path: [...at, 'checks', i, 'pattern'], message: `not a valid regular expression (${problem}) — fix the pattern` });
      });
    }
  }
  router.rules.forEach((rule, i) => {
    const at: PropertyKey[] = ['router', 'rules', i];
    if (rule.pin !== undefined) ref(rule.pin, [...at, 'pin']);
    refs(rule.exclude, [...at, 'exclude']);
    refs(rule.prefer, [...at, 'prefer']);
    if (rule.pin === undefined && rule.exclude === undefined && rule.prefer === undefined && rule.domain === undefined) {
      issues.push({ path: at, message: 'a rule needs an action — add pin, exclude, prefer or domain' });
    }
    if (rule.pin !== undefined && (rule.exclude !== undefined || rule.prefer !== undefined)) {
      issues.push({ path: [...at, 'pin'], message: 'pin chooses the model outright — drop exclude/prefer from this rule, or use prefer instead of pin' });
    }
    const { pattern, flags, minTokens, maxTokens } = rule.when;
    if (pattern !== undefined) {
      const problem = regexProblem(pattern, flags);
      if (problem) issues.push({ path: [...at, 'when', 'pattern'], message: `not a valid regular expression (${problem}) — fix the pattern` });
    } else if (flags !== undefined) issues.push({ path: [...at, 'when', 'flags'], message: 'flags without a pattern — add pattern or remove flags' });
    if (minTokens !== undefined && maxTokens !== undefined && minTokens > maxTokens) {
      issues.push({ path: [...at, 'when', 'minTokens'], message: `minTokens (${minTokens}) is above maxTokens (${maxTokens}) — the rule could never match` });
    }
  });
  return issues;
}
