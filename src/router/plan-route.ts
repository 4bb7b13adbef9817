import { UnbundleError } from '../errors.ts';
import type { DomainPrediction } from './classifier/domain-classifier.ts';
import { unsureDomain } from './classifier/labelled-data.ts';
import { conditionMatches } from './match-rule.ts';
import type { Plan } from './plan.ts';
import { rankCandidates, type LatencySnapshot, type RankedCandidate } from './rank-candidates.ts';
import type { RequestFeatures } from './request-features.ts';
import type { CompiledRule, RoutingTable, VirtualModel } from './routing-table.ts';

export interface RouteInput {
  /** The virtual model the client asked for ("auto", "auto-cheap", ...). */
  requested: string;
  features: RequestFeatures;
  table: RoutingTable;
  /** Models this request may reach (the policy's answer); undefined: all. */
  allowed?: ReadonlySet<string> | undefined;
  latency?: LatencySnapshot | undefined;
}

/** The Plan and what led to it, for `route explain` and tests. */
export interface RouteDecision {
  plan: Plan;
  virtualModel: VirtualModel;
  /** The first rule that matched, if any. */
  rule?: CompiledRule | undefined;
  prediction?: DomainPrediction | undefined;
  /** The cost/quality ranking, when a cheapest/best strategy ran with a known domain. */
  candidates?: RankedCandidate[] | undefined;
}

const fixed = (x: number, digits = 2): string => x.toFixed(digits);

function predict(table: RoutingTable, features: RequestFeatures): DomainPrediction | undefined {
  const classifier = table.classifier;
  if (!classifier) return undefined;
  if (classifier.kind === 'hashed-ngram') return classifier.predict(features.lastUserText);
  return features.embedding ? classifier.predictEmbedding(features.embedding) : undefined;
}

/**
 * The router: a pure function of (request features, routing table, allowed set, latency snapshot)
 * to a Plan. No I/O, no clock. Order: the first matching rule (pin, exclude, prefer, domain), then
 * the virtual model's strategy, then the rule's preference on top.
 */
export function decideRoute(input: RouteInput): RouteDecision {
  const { table, features, allowed, latency, requested } = input;
  const virtualModel = table.virtualModels.get(requested);
  if (!virtualModel) {
    throw new UnbundleError('UNBUNDLE_E_MODEL_NOT_FOUND', `The model '${requested}' is not a virtual model of this portfolio. Virtual models: ${[...table.virtualModels.keys()].join(', ')}.`, { param: 'model' });
  }
  const reasons: string[] = [];
  let rule: CompiledRule | undefined;
  for (const candidate of table.rules) {
    if (conditionMatches(candidate.when, features)) {
      rule = candidate;
      break;
    }
  }
  const isAllowed = (id: string): boolean => allowed === undefined || allowed.has(id);
  const usable = (id: string): boolean => isAllowed(id) && !rule?.exclude?.has(id);
  if (rule) reasons.push(`rule ${rule.name}`);
  if (rule?.exclude) reasons.push(`exclude ${[...rule.exclude].join(',')}`);

  let prediction: DomainPrediction | undefined;
  let domain = rule?.domain;

  const finish = (order: string[], extra: Partial<Plan> = {}, candidates?: RankedCandidate[]): RouteDecision => {
    if (order.length === 0) {
      throw new UnbundleError('UNBUNDLE_E_FORBIDDEN', `No model that '${requested}' may choose is allowed for this request${rule ? ` (rule ${rule.name} applies)` : ''}; ask an administrator to allow one, or name an allowed model explicitly.`, { param: 'model' });
    }
    const plan: Plan = { requested, primary: order[0]!, fallbacks: order.slice(1), reasons, ...extra };
    if (domain !== undefined) plan.domain = domain;
    if (prediction) plan.scores = prediction.scores;
    if (virtualModel.hedgeAfterMs !== undefined) plan.hedgeAfterMs = virtualModel.hedgeAfterMs;
    return { plan, virtualModel, rule, prediction, candidates };
  };

  // A pin needs no classifier: decide before running it.
  if (rule?.pin !== undefined) {
    if (isAllowed(rule.pin)) {
      reasons.push(`pin ${rule.pin}`);
      return finish([rule.pin]);
    }
    reasons.push(`pinned ${rule.pin} not allowed`);
  }

  if (rule?.domain !== undefined) reasons.push(`domain ${rule.domain} (rule)`);
  else {
    prediction = predict(table, features);
    domain = prediction?.domain;
    if (prediction) {
      reasons.push(prediction.domain === unsureDomain
        ? `domain unsure (${prediction.best} ${fixed(prediction.confidence)})`
        : `domain ${prediction.domain} (${fixed(prediction.confidence)})`);
    } else if (table.classifier) reasons.push('no embedding: domain unknown');
  }

  const bounded = (order: string[]): string[] => order.slice(0, 1 + table.maxFallbacks);
  const strategy = virtualModel.strategy;
  let order: string[];
  let candidates: RankedCandidate[] | undefined;
  let cascade: Plan['cascade'];
  switch (strategy.kind) {
    case 'threshold': {
      const decision = strategy.router.decide(features.lastUserText);
      const threshold = strategy.router.threshold;
      reasons.push(`weak advantage ${fixed(decision.weakAdvantage, 3)} ${decision.target === 'weak' ? '>=' : '<'} ${fixed(threshold, 3)}: ${decision.target}`);
      order = (decision.target === 'weak' ? [strategy.weak, strategy.strong] : [strategy.strong, strategy.weak]).filter(usable);
      break;
    }
    case 'cascade': {
      order = strategy.models.filter(usable);
      if (order.length >= 2) {
        cascade = strategy.checks;
        reasons.push(`cascade ${order.join('>')}`);
      }
      break;
    }
    default: {
      const defaultFirst = (why: string): string[] => {
        const pool = strategy.models.filter(usable).sort((a, b) => (table.models.get(a)!.price ?? Infinity) - (table.models.get(b)!.price ?? Infinity) || 0);
        const primary = usable(table.defaultModel) ? table.defaultModel : pool[0];
        reasons.push(`${why}: ${primary === table.defaultModel ? 'default' : 'cheapest allowed'} ${primary ?? 'none'}`);
        return primary === undefined ? [] : bounded([primary, ...pool.filter((id) => id !== primary)]);
      };
      if (domain === undefined || domain === unsureDomain) {
        order = defaultFirst(domain === undefined ? 'no domain' : 'unsure');
        break;
      }
      const target = strategy.kind === 'cheapest' ? { kind: 'cheapest' as const, minQuality: strategy.minQuality } : { kind: 'best' as const, maxPricePerMTok: strategy.maxPricePerMTok };
      candidates = rankCandidates(strategy.models, table.models, domain, target, usable, latency);
      if (candidates.length === 0) {
        order = defaultFirst(`no model for ${domain}`);
        break;
      }
      const top = candidates[0]!;
      const goal = strategy.kind === 'cheapest' ? `quality>=${fixed(strategy.minQuality)}` : strategy.maxPricePerMTok === undefined ? 'best quality' : `best within ${strategy.maxPricePerMTok}/MTok`;
      if (strategy.kind === 'cheapest') reasons.push(top.meets ? `cheapest with ${goal}` : `none with ${goal}: best quality`);
      else reasons.push(top.meets ? goal : `none within ${strategy.maxPricePerMTok}/MTok: cheapest`);
      reasons.push(`${top.id} q=${fixed(top.quality ?? 0)}${top.price === undefined ? '' : ` price=${fixed(top.price, 3)}`}`);
      order = bounded(candidates.map((c) => c.id));
    }
  }

  const preferred = rule?.prefer?.find(usable);
  if (preferred !== undefined) {
    reasons.push(`prefer ${preferred}`);
    if (order[0] !== preferred) cascade = undefined;
    order = bounded([preferred, ...order.filter((id) => id !== preferred)]);
  }
  return finish(order, cascade ? { cascade } : {}, candidates);
}

/** The Plan alone: what the server uses. */
export function planRoute(input: RouteInput): Plan {
  return decideRoute(input).plan;
}
