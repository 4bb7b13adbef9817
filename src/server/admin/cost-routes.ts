import { UnbundleError } from '../../errors.ts';
import { breakeven, type TrafficShape } from '../../ledger/cost-breakeven.ts';
import { buildCostReport, parseTimeBound, type ReferenceModel } from '../../ledger/cost-report.ts';
import { groupByKeys, maxQueryLimit, type GroupBy, type LedgerFilter } from '../../ledger/ledger-store.ts';
import { measuredTraffic } from '../../ledger/measured-traffic.ts';
import type { ServerLedger } from '../../ledger/server-ledger.ts';
import type { Gateway } from '../gateway.ts';
import type { AdminRoute } from './admin-route.ts';

/**
 * Cost data for the dashboard, from the store the server writes (the same data as `unbundle cost
 * report` / `cost breakeven`):
 *   GET /admin/costs/report?since=7d&until=&by=model&vs=gpt-4o&tenant=&model=
 *   GET /admin/costs/breakeven?model=ID&vs=MODEL&since=30d[&secondsPerRequest=&inputTokens=&outputTokens=]
 *   GET /admin/ledger?since=24h&until=&limit=100&tenant=&key=&model=&status=&id=
 * Every answer is JSON; amounts carry their currency.
 */

function bad(param: string, message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `${param} ${message}.`, { param });
}

function ledgerOf(gateway: Gateway): ServerLedger {
  if (!gateway.ledger) throw new UnbundleError('UNBUNDLE_E_STORE_UNAVAILABLE', 'The ledger is off on this gateway (ledger.enabled: false): there is no cost data to show.');
  return gateway.ledger;
}

function timeParam(query: URLSearchParams, name: string, fallback: string | undefined, now: number): number | undefined {
  const text = query.get(name) ?? fallback;
  if (text === undefined) return undefined;
  const value = parseTimeBound(text, now);
  if (value === undefined) throw bad(name, `must look like 30m, 24h, 7d, 2w or a UTC date such as 2025-08-01, got "${text}"`);
  return value;
}

function numberParam(query: URLSearchParams, name: string, positive: boolean): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) throw bad(name, `must be a ${positive ? 'positive' : 'non-negative'} number, got "${text}"`);
  return value;
}

function filterFrom(query: URLSearchParams): Omit<LedgerFilter, 'since' | 'until'> {
  const filter: Omit<LedgerFilter, 'since' | 'until'> = {};
  const tenant = query.get('tenant');
  const key = query.get('key');
  const model = query.get('model');
  const id = query.get('id');
  const status = query.get('status');
  if (tenant) filter.tenant = tenant;
  if (key) filter.keyId = key;
  if (model) filter.model = model;
  if (id) filter.id = id;
  if (status) {
    if (status !== 'ok' && status !== 'error' && status !== 'cancelled') throw bad('status', `must be ok, error or cancelled, got "${status}"`);
    filter.status = status;
  }
  return filter;
}

function referenceFor(ledger: ServerLedger, name: string | null): ReferenceModel | undefined {
  if (name === null || name === '') return undefined;
  const cost = ledger.book.reference(name);
  if (!cost) throw bad('vs', `"${name}" is neither in the price table nor an API-priced model of the portfolio — try gpt-4o, claude-sonnet-4 or gemini-2.5-flash`);
  return { ...cost, name };
}

export const costRoutes: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: '/admin/costs/report',
    summary: 'cost report by model, domain, tenant, key or day (?since=7d&by=model&vs=gpt-4o)',
    async handle({ query, gateway }) {
      const ledger = ledgerOf(gateway);
      const now = Date.now();
      const since = timeParam(query, 'since', '7d', now)!;
      const until = timeParam(query, 'until', undefined, now) ?? now;
      if (since >= until) throw bad('since', 'must be before until');
      const by = (query.get('by') ?? 'model') as GroupBy;
      if (!groupByKeys.includes(by)) throw bad('by', `must be one of ${groupByKeys.join(', ')}, got "${by}"`);
      const reference = referenceFor(ledger, query.get('vs'));
      const report = await buildCostReport(ledger.store, { by, since, until, filter: filterFrom(query), ...(reference ? { reference } : {}) });
      return { body: report };
    },
  },
  {
    method: 'GET',
    path: '/admin/costs/breakeven',
    summary: 'monthly volume where a self-hosted model beats an API model (?model=&vs=)',
    async handle({ query, gateway }) {
      const ledger = ledgerOf(gateway);
      const model = query.get('model');
      if (!model) throw bad('model', 'is required: the id of a portfolio model with selfHosted costs');
      const selfHosted = ledger.book.modelCost(model);
      if (selfHosted.kind !== 'self-hosted') throw bad('model', `"${model}" has no selfHosted costs in the portfolio — add a selfHosted section to it (docs/costs.md)`);
      const api = referenceFor(ledger, query.get('vs'));
      if (!api) throw bad('vs', 'is required: an API model (price-table name or API-priced portfolio model)');
      const since = timeParam(query, 'since', '30d', Date.now())!;
      const manual = { seconds: numberParam(query, 'secondsPerRequest', true), input: numberParam(query, 'inputTokens', false), output: numberParam(query, 'outputTokens', false) };
      let traffic: TrafficShape;
      let measuredRequests = 0;
      if (manual.seconds !== undefined && manual.input !== undefined && manual.output !== undefined) {
        traffic = { computeSecondsPerRequest: manual.seconds, inputTokensPerRequest: manual.input, outputTokensPerRequest: manual.output };
      } else {
        const measured = await measuredTraffic(ledger.store, model, since);
        if (!measured) {
          throw bad('model', `"${model}" has no measured successful requests since ${new Date(since).toISOString()} — serve some traffic first, or pass secondsPerRequest, inputTokens and outputTokens`);
        }
        measuredRequests = measured.requests;
        traffic = {
          computeSecondsPerRequest: manual.seconds ?? measured.traffic.computeSecondsPerRequest,
          inputTokensPerRequest: manual.input ?? measured.traffic.inputTokensPerRequest,
          cachedInputTokensPerRequest: manual.input === undefined ? (measured.traffic.cachedInputTokensPerRequest ?? 0) : 0,
          outputTokensPerRequest: manual.output ?? measured.traffic.outputTokensPerRequest,
        };
      }
      let result;
      try {
        result = breakeven(selfHosted, api, traffic);
      } catch (error) {
        throw bad('vs', (error as Error).message);
      }
      return { body: { model, vs: api.name, since: new Date(since).toISOString(), measuredRequests, traffic, ...result } };
    },
  },
  {
    method: 'GET',
    path: '/admin/ledger',
    summary: 'recent ledger rows (?since=24h&limit=100)',
    async handle({ query, gateway }) {
      const ledger = ledgerOf(gateway);
      const now = Date.now();
      const since = timeParam(query, 'since', '24h', now)!;
      const until = timeParam(query, 'until', undefined, now);
      const limit = numberParam(query, 'limit', true) ?? 100;
      if (!Number.isInteger(limit) || limit > maxQueryLimit) throw bad('limit', `must be a whole number from 1 to ${maxQueryLimit}`);
      const rows = await ledger.store.query({ ...filterFrom(query), since, ...(until !== undefined ? { until } : {}), limit });
      return { body: { since: new Date(since).toISOString(), limit, rows } };
    },
  },
];
