import { apiPriceOf, hoursPerMonth, type ModelCost } from './cost-model.ts';

/**
 * At what monthly volume does a self-hosted model beat an API model?
 *
 * A self-hosted model costs its fixed share (amortisation + hosting) and idle power every hour of
 * the month, plus the extra power of the hours it is busy; an API model costs its price per
 * request and nothing else. With a measured compute time per request (processor-shared, so it
 * already reflects the batching actually achieved), both are straight lines in requests per
 * month and cross at most once.
 */

export interface TrafficShape {
  /** Measured busy seconds per request on the self-hosted model. */
  computeSecondsPerRequest: number;
  inputTokensPerRequest: number;
  cachedInputTokensPerRequest?: number;
  outputTokensPerRequest: number;
}

export interface BreakevenResult {
  currency: string;
  apiCostPerRequest: number;
  /** Fixed share + idle power for a whole month, paid whatever the traffic. */
  selfHostedMonthlyBase: number;
  /** Extra power per request (load minus idle draw over its compute time). */
  selfHostedMarginalPerRequest: number;
  /** Requests one machine share can serve in a month at 100% utilisation. */
  capacityRequestsPerMonth: number;
  /** Undefined when the self-hosted model never gets cheaper. */
  breakevenRequestsPerMonth: number | undefined;
  breakevenTokensPerMonth: number | undefined;
  /** Utilisation the self-hosted model needs to break even (above 1: more than one machine). */
  utilisationAtBreakeven: number | undefined;
  /** Self-hosted cost per request when the machine is fully busy. */
  selfHostedCostPerRequestAtFullLoad: number;
  verdict: string;
}

/** Self-hosted cost for a month with this many requests (one machine share, capped at capacity). */
export function selfHostedMonthlyCost(cost: Extract<ModelCost, { kind: 'self-hosted' }>, computeSecondsPerRequest: number, requestsPerMonth: number): number {
  const busyHours = Math.min(hoursPerMonth, (requestsPerMonth * computeSecondsPerRequest) / 3600);
  return cost.fixedPerHour * hoursPerMonth + cost.energyIdlePerHour * (hoursPerMonth - busyHours) + cost.energyLoadPerHour * busyHours;
}

export function breakeven(selfHosted: Extract<ModelCost, { kind: 'self-hosted' }>, api: Extract<ModelCost, { kind: 'api' }>, traffic: TrafficShape): BreakevenResult {
  if (selfHosted.currency !== api.currency) {
    throw new Error(`the two models are priced in different currencies (${selfHosted.currency}, ${api.currency}): set ledger.exchangeRates`);
  }
  if (!(traffic.computeSecondsPerRequest > 0)) throw new Error('compute seconds per request must be more than 0');
  const t = traffic.computeSecondsPerRequest;
  const apiCostPerRequest = apiPriceOf(
    { input: traffic.inputTokensPerRequest, cachedInput: traffic.cachedInputTokensPerRequest ?? 0, output: traffic.outputTokensPerRequest },
    api,
  );
  const base = (selfHosted.fixedPerHour + selfHosted.energyIdlePerHour) * hoursPerMonth;
  const marginal = (t / 3600) * (selfHosted.energyLoadPerHour - selfHosted.energyIdlePerHour);
  const capacity = (hoursPerMonth * 3600) / t;
  const atFullLoad = (t / 3600) * (selfHosted.fixedPerHour + selfHosted.energyLoadPerHour);
  const tokensPerRequest = traffic.inputTokensPerRequest + traffic.outputTokensPerRequest;
  const currency = api.currency;
  const money = (value: number) => `${Number(value.toPrecision(4))} ${currency}`;

  const margin = apiCostPerRequest - marginal;
  if (!(margin > 0)) {
    return {
      currency,
      apiCostPerRequest,
      selfHostedMonthlyBase: base,
      selfHostedMarginalPerRequest: marginal,
      capacityRequestsPerMonth: capacity,
      breakevenRequestsPerMonth: undefined,
      breakevenTokensPerMonth: undefined,
      utilisationAtBreakeven: undefined,
      selfHostedCostPerRequestAtFullLoad: atFullLoad,
      verdict: `never: each request costs ${money(marginal)} in extra power alone, more than the API's ${money(apiCostPerRequest)}`,
    };
  }
  const requests = base / margin;
  const utilisation = requests / capacity;
  const verdict =
    utilisation <= 1
      ? `self-hosting is cheaper above ${Math.ceil(requests).toLocaleString('en-US')} requests/month (${Math.round(utilisation * 100)}% utilisation of the machine share)`
      : atFullLoad < apiCostPerRequest
        ? `not on one machine share: it would need ${Math.round(utilisation * 100)}% utilisation; fully busy machines cost ${money(atFullLoad)} per request vs ${money(apiCostPerRequest)} on the API, so it pays only at full load across more machines`
        : `never: even fully busy, self-hosting costs ${money(atFullLoad)} per request vs ${money(apiCostPerRequest)} on the API`;
  return {
    currency,
    apiCostPerRequest,
    selfHostedMonthlyBase: base,
    selfHostedMarginalPerRequest: marginal,
    capacityRequestsPerMonth: capacity,
    breakevenRequestsPerMonth: requests,
    breakevenTokensPerMonth: requests * tokensPerRequest,
    utilisationAtBreakeven: utilisation,
    selfHostedCostPerRequestAtFullLoad: atFullLoad,
    verdict,
  };
}
