import { resolveModelCost } from '../ledger/cost-book.ts';
import type { Portfolio } from '../portfolio/schema.ts';
import type { RouterClassifier } from './classifier/router-file.ts';
import { compileCondition, type CompiledCondition } from './match-rule.ts';
import type { CascadeCheck } from './plan.ts';
import type { VirtualModelConfig } from './routing-schema.ts';
import type { ThresholdRouter } from './threshold/threshold-router.ts';

/** What the router knows of one model. */
export interface RoutedModel {
  id: string;
  /** Position in the portfolio: the last tie-breaker. */
  order: number;
  domains: ReadonlySet<string>;
  quality: Readonly<Record<string, number>>;
  /** Blended price per million tokens in the ledger currency; undefined when unknown. */
  price: number | undefined;
  /** Where `price` came from, for `route explain`. */
  priceSource: string;
}

export interface CompiledRule {
  name: string;
  when: CompiledCondition;
  pin?: string;
  exclude?: ReadonlySet<string>;
  prefer?: readonly string[];
  domain?: string;
}

export type CompiledStrategy =
  | { kind: 'cheapest'; minQuality: number; models: readonly string[] }
  | { kind: 'best'; maxPricePerMTok: number | undefined; models: readonly string[] }
  | { kind: 'threshold'; strong: string; weak: string; router: ThresholdRouter }
  | { kind: 'cascade'; models: readonly string[]; checks: CascadeCheck[] };

export interface VirtualModel {
  name: string;
  strategy: CompiledStrategy;
  hedgeAfterMs?: number;
}

/**
 * The routing config compiled once at start: regexes built, prices resolved, files loaded. The
 * router reads it on every routed request and never changes it.
 */
export interface RoutingTable {
  models: ReadonlyMap<string, RoutedModel>;
  virtualModels: ReadonlyMap<string, VirtualModel>;
  rules: readonly CompiledRule[];
  classifier: RouterClassifier | undefined;
  /** For unsure prompts and requests no candidate fits. */
  defaultModel: string;
  maxFallbacks: number;
}

export interface LoadedRoutingParts {
  classifier?: RouterClassifier | undefined;
  /** Threshold routers by virtual model name. */
  thresholdRouters?: ReadonlyMap<string, ThresholdRouter>;
}

/** Price the router compares: input and output blended 3:1, the usual shape of chat traffic. */
export const inputShareOfBlend = 0.75;

function routedModel(model: Portfolio['models'][number], order: number, ledger: Portfolio['ledger']): RoutedModel {
  const base = { id: model.id, order, domains: new Set(model.domains ?? []), quality: model.quality ?? {} };
  if (model.pricePerMTok !== undefined) return { ...base, price: model.pricePerMTok, priceSource: 'pricePerMTok' };
  const cost = resolveModelCost(model, ledger);
  if (cost.kind === 'api') {
    const price = inputShareOfBlend * cost.inputPerMTok + (1 - inputShareOfBlend) * cost.outputPerMTok;
    return { ...base, price, priceSource: `pricing, input:output 3:1 (${cost.source})` };
  }
  const why = cost.kind === 'self-hosted' ? 'self-hosted cost depends on measured throughput' : 'no pricing';
  return { ...base, price: undefined, priceSource: `unknown (${why}) — set pricePerMTok` };
}

/** True when the portfolio defines `auto`: a router block, or any model with domains or quality. */
export function routingConfigured(portfolio: Portfolio): boolean {
  return portfolio.router !== undefined || portfolio.models.some((m) => m.domains !== undefined || m.quality !== undefined);
}

function compileStrategy(name: string, config: VirtualModelConfig, routable: readonly string[], parts: LoadedRoutingParts): CompiledStrategy {
  switch (config.strategy) {
    case 'cheapest':
      return { kind: 'cheapest', minQuality: config.minQuality, models: config.models ?? routable };
    case 'best':
      return { kind: 'best', maxPricePerMTok: config.maxPricePerMTok, models: config.models ?? routable };
    case 'cascade':
      return { kind: 'cascade', models: config.models, checks: config.checks.map((c) => ({ ...c }) as CascadeCheck) };
    case 'threshold': {
      const router = parts.thresholdRouters?.get(name);
      if (!router) throw new RangeError(`virtual model ${name}: its threshold router was not loaded`);
      return { kind: 'threshold', strong: config.strong, weak: config.weak, router: config.threshold === undefined ? router : router.withThreshold(config.threshold) };
    }
  }
}

/** Builds the table; `undefined` when the portfolio has no routing (then `auto` is unknown). */
export function compileRouting(portfolio: Portfolio, parts: LoadedRoutingParts = {}): RoutingTable | undefined {
  if (!routingConfigured(portfolio) || portfolio.models.length === 0) return undefined;
  const router = portfolio.router;
  const models = new Map(portfolio.models.map((m, i) => [m.id, routedModel(m, i, portfolio.ledger)] as const));
  const withRouteInfo = portfolio.models.filter((m) => m.domains !== undefined || m.quality !== undefined).map((m) => m.id);
  const routable = withRouteInfo.length > 0 ? withRouteInfo : portfolio.models.map((m) => m.id);
  const virtualModels = new Map<string, VirtualModel>();
  const declared = router?.virtualModels ?? {};
  // `auto` is always defined, unless a real model is called that (a model id always means the model).
  const configs: Record<string, VirtualModelConfig> = models.has('auto') ? { ...declared } : { auto: { strategy: 'best' }, ...declared };
  for (const [name, config] of Object.entries(configs)) {
    const vm: VirtualModel = { name, strategy: compileStrategy(name, config, routable, parts) };
    if (config.hedgeAfterMs !== undefined) vm.hedgeAfterMs = config.hedgeAfterMs;
    virtualModels.set(name, vm);
  }
  const rules = (router?.rules ?? []).map((rule, i): CompiledRule => {
    const compiled: CompiledRule = { name: rule.name ?? `rules[${i}]`, when: compileCondition(rule.when) };
    if (rule.pin !== undefined) compiled.pin = rule.pin;
    if (rule.exclude !== undefined) compiled.exclude = new Set(rule.exclude);
    if (rule.prefer !== undefined) compiled.prefer = rule.prefer;
    if (rule.domain !== undefined) compiled.domain = rule.domain;
    return compiled;
  });
  let classifier = parts.classifier;
  if (classifier && router?.unsureThreshold !== undefined) classifier = classifier.withThreshold(router.unsureThreshold);
  return {
    models,
    virtualModels,
    rules,
    classifier,
    defaultModel: router?.default ?? portfolio.models[0]!.id,
    maxFallbacks: router?.maxFallbacks ?? 2,
  };
}
