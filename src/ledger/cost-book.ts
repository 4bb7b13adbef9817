import type { Usage } from '../backends/types.ts';
import { apiPriceOf, costOf, hoursPerMonth, type CostResult, type ModelCost, type RequestTiming } from './cost-model.ts';
import type { LedgerConfig, PricingConfig, SelfHostedCostConfig } from './cost-schema.ts';
import { defaultPriceTable, lookupPrice, priceTableAsOf, type ApiPrice } from './price-table.ts';

/** The parts of a portfolio model the cost model reads (both model kinds fit). */
export interface CostedModel {
  id: string;
  backend: string;
  /** Upstream model name (OpenAI-compatible models), used to find a price-table entry. */
  model?: string | undefined;
  pricing?: PricingConfig | undefined;
  selfHosted?: SelfHostedCostConfig | undefined;
}

type MoneyConfig = Pick<LedgerConfig, 'currency' | 'exchangeRates' | 'prices'>;

function rateFor(currency: string, money: MoneyConfig): number | undefined {
  return currency === money.currency ? 1 : money.exchangeRates[currency];
}

function apiCost(price: ApiPrice, source: string, money: MoneyConfig): ModelCost {
  const rate = rateFor(price.currency, money);
  if (rate === undefined) {
    return { kind: 'none', currency: money.currency, reason: `${source} is in ${price.currency} and ledger.exchangeRates has no ${price.currency} rate` };
  }
  return {
    kind: 'api',
    inputPerMTok: price.inputPerMTok * rate,
    outputPerMTok: price.outputPerMTok * rate,
    cachedInputPerMTok: (price.cachedInputPerMTok ?? price.inputPerMTok) * rate,
    currency: money.currency,
    source: rate === 1 ? source : `${source}, converted at ${rate} ${money.currency}/${price.currency}`,
  };
}

function selfHostedCost(config: SelfHostedCostConfig, money: MoneyConfig): ModelCost {
  const rate = rateFor(config.currency, money);
  if (rate === undefined) {
    return { kind: 'none', currency: money.currency, reason: `selfHosted cost is in ${config.currency} and ledger.exchangeRates has no ${config.currency} rate` };
  }
  const share = config.machineShare;
  const amortisationPerHour = config.hardwarePrice / (config.amortisationMonths * hoursPerMonth);
  const hostingPerHour = config.hostingPerMonth / hoursPerMonth;
  const kWhPrice = config.electricityPerKWh * rate;
  return {
    kind: 'self-hosted',
    fixedPerHour: share * (amortisationPerHour + hostingPerHour) * rate,
    energyLoadPerHour: (share * config.powerWattsLoad * kWhPrice) / 1000,
    energyIdlePerHour: (share * config.powerWattsIdle * kWhPrice) / 1000,
    currency: money.currency,
    source: `self-hosted: ${config.hardwarePrice} ${config.currency} over ${config.amortisationMonths} months, share ${share}`,
  };
}

/** Resolves one model's cost config into per-token or per-hour figures in the accounting currency. */
export function resolveModelCost(model: CostedModel, money: MoneyConfig): ModelCost {
  const table = { ...defaultPriceTable, ...money.prices };
  if (model.selfHosted) return selfHostedCost(model.selfHosted, money);
  const pricing = model.pricing;
  if (pricing?.table !== undefined) {
    const price = lookupPrice(pricing.table, table);
    if (price === undefined) return { kind: 'none', currency: money.currency, reason: `price table has no "${pricing.table}"` };
    return apiCost(price, tableSource(pricing.table, money), money);
  }
  if (pricing?.inputPerMTok !== undefined && pricing.outputPerMTok !== undefined) {
    const price: ApiPrice = { inputPerMTok: pricing.inputPerMTok, outputPerMTok: pricing.outputPerMTok, currency: pricing.currency ?? 'USD' };
    if (pricing.cachedInputPerMTok !== undefined) price.cachedInputPerMTok = pricing.cachedInputPerMTok;
    return apiCost(price, `pricing of ${model.id}`, money);
  }
  // An API model named like a price-table entry is priced from the table without being told to.
  if (model.backend !== 'llamacpp') {
    const name = model.model ?? model.id;
    const price = lookupPrice(name, table);
    if (price !== undefined) return apiCost(price, tableSource(name, money), money);
  }
  return {
    kind: 'none',
    currency: money.currency,
    reason: `no cost configured for ${model.id} — add pricing (API) or selfHosted (your machine) to it`,
  };
}

function tableSource(name: string, money: MoneyConfig): string {
  return Object.hasOwn(money.prices, name) ? `ledger.prices["${name}"]` : `price table "${name}" as of ${priceTableAsOf}`;
}

/**
 * Every model's resolved cost, built once at start: the server asks it for the cost of each
 * request and for the worst-case cost a budget must reserve.
 */
export class CostBook {
  readonly currency: string;
  private readonly costs = new Map<string, ModelCost>();
  private readonly money: MoneyConfig;

  constructor(models: readonly CostedModel[], money: MoneyConfig) {
    this.money = money;
    this.currency = money.currency;
    for (const model of models) this.costs.set(model.id, resolveModelCost(model, money));
  }

  modelCost(modelId: string): ModelCost {
    return this.costs.get(modelId) ?? { kind: 'none', currency: this.currency, reason: `model ${modelId} is not in the portfolio` };
  }

  costOf(modelId: string, usage: Usage, timing: RequestTiming = {}): CostResult {
    return costOf(usage, timing, this.modelCost(modelId));
  }

  /**
   * The most a request can cost before it runs, for budget reservations; `undefined` when it
   * cannot be bounded from tokens (self-hosted models are priced by compute time).
   */
  maxCostOf(modelId: string, inputTokens: number, maxOutputTokens: number): number | undefined {
    const cost = this.modelCost(modelId);
    return cost.kind === 'api' ? apiPriceOf({ input: inputTokens, output: maxOutputTokens }, cost) : undefined;
  }

  /** A reference API model for counterfactuals: a portfolio model id or a price-table name. */
  reference(name: string): Extract<ModelCost, { kind: 'api' }> | undefined {
    const own = this.costs.get(name);
    if (own?.kind === 'api') return own;
    const price = lookupPrice(name, { ...defaultPriceTable, ...this.money.prices });
    if (price === undefined) return undefined;
    const cost = apiCost(price, tableSource(name, this.money), this.money);
    return cost.kind === 'api' ? cost : undefined;
  }
}
