import type { Usage } from '../backends/types.ts';

/**
 * What one request cost. API models: tokens × the provider's prices. Self-hosted and local models:
 * the compute time the request actually used, priced at what the machine costs per hour — fixed
 * costs (amortisation, hosting) spread over the *measured* busy time, so a faster model, better
 * batching or a busier machine each lower the cost of a request. Unknown inputs give an unknown
 * cost, never 0.
 */

export type CostBasis = 'api-price' | 'self-hosted' | 'unknown';

/** A model's cost, resolved from config and already converted into the accounting currency. */
export type ModelCost =
  | { kind: 'api'; inputPerMTok: number; outputPerMTok: number; cachedInputPerMTok: number; currency: string; source: string }
  | {
      kind: 'self-hosted';
      /** This model's share of amortisation + hosting, per hour of wall time. */
      fixedPerHour: number;
      /** This model's share of the electricity bill per hour at load / at idle. */
      energyLoadPerHour: number;
      energyIdlePerHour: number;
      currency: string;
      source: string;
    }
  | { kind: 'none'; currency: string; reason: string };

export interface RequestTiming {
  /** Busy seconds this request used on its model (its share when batched with others). */
  computeSeconds?: number | undefined;
  /** Measured busy fraction (0..1] of the model over the utilisation window. */
  utilisation?: number | undefined;
}

export interface CostResult {
  amount: number | undefined;
  currency: string;
  basis: CostBasis;
  /** How the figure was reached, with units, for humans and the ledger's detail view. */
  detail: string;
}

export const hoursPerMonth = (365 * 24) / 12;

const perMillion = 1_000_000;

function figure(value: number): string {
  if (value === 0) return '0';
  return Math.abs(value) >= 1 ? String(Number(value.toFixed(4))) : String(Number(value.toPrecision(4)));
}

function apiCost(usage: Usage, cost: Extract<ModelCost, { kind: 'api' }>): CostResult {
  const unit = `${cost.currency}/MTok`;
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  // A count nobody reported is unknown — unless its price is 0, when it cannot change the total.
  const missing: string[] = [];
  if (input === undefined && (cost.inputPerMTok > 0 || cost.cachedInputPerMTok > 0)) missing.push('input');
  if (output === undefined && cost.outputPerMTok > 0) missing.push('output');
  if (missing.length > 0) {
    return { amount: undefined, currency: cost.currency, basis: 'unknown', detail: `${missing.join(' and ')} tokens not reported by the backend; ${cost.source}` };
  }
  // Input tokens include the cached ones (OpenAI's convention); an unreported cached count means
  // none were cached, which can only over-state the cost.
  const inputCount = input ?? 0;
  const cached = Math.min(usage.cachedInputTokens ?? 0, inputCount);
  const fresh = inputCount - cached;
  const outputCount = output ?? 0;
  const amount = (fresh * cost.inputPerMTok + cached * cost.cachedInputPerMTok + outputCount * cost.outputPerMTok) / perMillion;
  // The detail is only read by humans (debug views, tests): build it when asked, not per request.
  return {
    amount,
    currency: cost.currency,
    basis: 'api-price',
    get detail() {
      const parts = [`${fresh} input × ${figure(cost.inputPerMTok)} ${unit}`];
      if (cached > 0) parts.push(`${cached} cached input × ${figure(cost.cachedInputPerMTok)} ${unit}`);
      parts.push(`${outputCount} output × ${figure(cost.outputPerMTok)} ${unit}`);
      return `${parts.join(' + ')} (${cost.source})`;
    },
  };
}

function selfHostedCost(timing: RequestTiming, cost: Extract<ModelCost, { kind: 'self-hosted' }>): CostResult {
  const { computeSeconds, utilisation } = timing;
  if (computeSeconds === undefined || !Number.isFinite(computeSeconds) || computeSeconds < 0) {
    return { amount: undefined, currency: cost.currency, basis: 'unknown', detail: `compute time not measured; ${cost.source}` };
  }
  if (utilisation === undefined || !(utilisation > 0) || utilisation > 1) {
    return { amount: undefined, currency: cost.currency, basis: 'unknown', detail: `utilisation not measured; ${cost.source}` };
  }
  const busyHours = computeSeconds / 3600;
  // Each busy hour carries its own load energy, plus the fixed cost and idle energy of the idle
  // time around it: at utilisation u, (1 - u) / u idle hours per busy hour.
  const idlePerBusy = (1 - utilisation) / utilisation;
  const fixed = (busyHours * cost.fixedPerHour) / utilisation;
  const energy = busyHours * (cost.energyLoadPerHour + idlePerBusy * cost.energyIdlePerHour);
  return {
    amount: fixed + energy,
    currency: cost.currency,
    basis: 'self-hosted',
    get detail() {
      return (
        `${figure(computeSeconds)} s compute at ${figure(utilisation * 100)}% utilisation: ` +
        `fixed ${figure(cost.fixedPerHour)} ${cost.currency}/h ÷ utilisation + energy ${figure(cost.energyLoadPerHour)} ${cost.currency}/h at load, ` +
        `${figure(cost.energyIdlePerHour)} ${cost.currency}/h idle (${cost.source})`
      );
    },
  };
}

/** The cost of one request; pure, so reports and tests can recompute it. */
export function costOf(usage: Usage, timing: RequestTiming, cost: ModelCost): CostResult {
  switch (cost.kind) {
    case 'api':
      return apiCost(usage, cost);
    case 'self-hosted':
      return selfHostedCost(timing, cost);
    case 'none':
      return { amount: undefined, currency: cost.currency, basis: 'unknown', detail: cost.reason };
  }
}

/** Price of a token mix on an API model (for counterfactuals and budget estimates). */
export function apiPriceOf(tokens: { input: number; cachedInput?: number; output: number }, cost: Extract<ModelCost, { kind: 'api' }>): number {
  const cached = Math.min(tokens.cachedInput ?? 0, tokens.input);
  return ((tokens.input - cached) * cost.inputPerMTok + cached * cost.cachedInputPerMTok + tokens.output * cost.outputPerMTok) / perMillion;
}
