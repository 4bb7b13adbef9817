import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CostBook } from '../../ledger/cost-book.ts';
import { hoursPerMonth, type ModelCost } from '../../ledger/cost-model.ts';
import type { Gateway } from '../gateway.ts';
import { healthBody } from '../status-bodies.ts';

/**
 * The JSON the dashboard reads, computed from what the running gateway has: its config, the model
 * registry, the live metrics. Sources another part of the house will provide (ledger rows, audit
 * log, tenants, breaker state) are reported as unavailable with the reason — never invented.
 */

export interface Unavailable {
  available: false;
  reason: string;
}

export interface ModelTraffic {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  /** Output tokens per second of request time (null before the first answer). */
  outputTokensPerSecond: number | null;
  /** API-priced models only: live token counts × the configured price. */
  apiSpend: number | null;
}

export interface CostView {
  kind: ModelCost['kind'];
  source: string;
  inputPerMTok?: number;
  outputPerMTok?: number;
  cachedInputPerMTok?: number;
  /** Self-hosted: this model's share of fixed costs per hour, and power at load / idle. */
  fixedPerHour?: number;
  energyLoadPerHour?: number;
  energyIdlePerHour?: number;
  monthlyBase?: number;
  /** Self-hosted: cost per 1M output tokens when fully busy at the measured tokens/s. */
  perMOutputTokAtFullLoad?: number | null;
}

export interface DashboardModel {
  id: string;
  backend: string;
  zone: string;
  status: string;
  active: number;
  queued: number;
  lastError?: string;
  description?: string;
  lora?: string;
  upstream?: string;
  breaker: Unavailable;
  cost: CostView;
  traffic: ModelTraffic;
}

const costBooks = new WeakMap<Gateway, CostBook>();

export function costBookOf(gateway: Gateway): CostBook {
  let book = costBooks.get(gateway);
  if (!book) {
    const { portfolio } = gateway.options;
    book = new CostBook(portfolio.models.length > 0 ? portfolio.models : gateway.options.models.list().map((e) => e.config), portfolio.ledger);
    costBooks.set(gateway, book);
  }
  return book;
}

function trafficByModel(gateway: Gateway): Map<string, Omit<ModelTraffic, 'apiSpend' | 'outputTokensPerSecond'> & { seconds: number }> {
  const out = new Map<string, Omit<ModelTraffic, 'apiSpend' | 'outputTokensPerSecond'> & { seconds: number }>();
  const entry = (model: string) => {
    let found = out.get(model);
    if (!found) out.set(model, (found = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, seconds: 0 }));
    return found;
  };
  const { metrics } = gateway;
  for (const { labels, value } of metrics.requests.series()) {
    if (!labels.endpoint?.startsWith('/v1/') || labels.model === undefined) continue;
    const e = entry(labels.model);
    e.requests += value;
    if (Number(labels.status) >= 400) e.errors += value;
  }
  for (const { labels, value } of metrics.tokens.series()) {
    if (labels.model === undefined) continue;
    if (labels.direction === 'input') entry(labels.model).inputTokens += value;
    else if (labels.direction === 'output') entry(labels.model).outputTokens += value;
  }
  for (const series of metrics.latency.allSeries()) {
    if (!series.labels.endpoint?.startsWith('/v1/') || series.labels.model === undefined) continue;
    entry(series.labels.model).seconds += series.sum;
  }
  return out;
}

function costView(cost: ModelCost, tokensPerSecond: number | null): CostView {
  switch (cost.kind) {
    case 'api':
      return { kind: 'api', source: cost.source, inputPerMTok: cost.inputPerMTok, outputPerMTok: cost.outputPerMTok, cachedInputPerMTok: cost.cachedInputPerMTok };
    case 'self-hosted': {
      const perHour = cost.fixedPerHour + cost.energyLoadPerHour;
      return {
        kind: 'self-hosted',
        source: cost.source,
        fixedPerHour: cost.fixedPerHour,
        energyLoadPerHour: cost.energyLoadPerHour,
        energyIdlePerHour: cost.energyIdlePerHour,
        monthlyBase: (cost.fixedPerHour + cost.energyIdlePerHour) * hoursPerMonth,
        perMOutputTokAtFullLoad: tokensPerSecond && tokensPerSecond > 0 ? (perHour / (tokensPerSecond * 3600)) * 1_000_000 : null,
      };
    }
    case 'none':
      return { kind: 'none', source: cost.reason };
  }
}

export function dashboardModels(gateway: Gateway): DashboardModel[] {
  const book = costBookOf(gateway);
  const traffic = trafficByModel(gateway);
  const health = new Map(healthBody(gateway.options.models).models.map((m) => [m.id, m]));
  return gateway.options.models.list().map(({ config }) => {
    const h = health.get(config.id)!;
    const t = traffic.get(config.id) ?? { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, seconds: 0 };
    const cost = book.modelCost(config.id);
    const tokensPerSecond = t.seconds > 0 && t.outputTokens > 0 ? t.outputTokens / t.seconds : null;
    const apiSpend = cost.kind === 'api' ? (t.inputTokens * cost.inputPerMTok + t.outputTokens * cost.outputPerMTok) / 1_000_000 : null;
    const model: DashboardModel = {
      id: config.id,
      backend: config.backend,
      zone: config.zone,
      status: h.status,
      active: h.active,
      queued: h.queued,
      breaker: { available: false, reason: 'circuit breakers are not part of this build' },
      cost: costView(cost, tokensPerSecond),
      traffic: { requests: t.requests, errors: t.errors, inputTokens: t.inputTokens, outputTokens: t.outputTokens, outputTokensPerSecond: tokensPerSecond, apiSpend },
    };
    if (h.lastError !== undefined) model.lastError = h.lastError;
    if (config.description !== undefined) model.description = config.description;
    if (config.backend === 'llamacpp' && config.lora !== undefined) model.lora = path.basename(config.lora);
    if (config.backend === 'openai-compatible') model.upstream = new URL(config.baseURL).host;
    return model;
  });
}

/** Evaluation results: every *.json under the eval folder with a `models` array of scores. */
export interface EvalRun {
  file: string;
  modifiedAt: string;
  suite?: string;
  models: Array<{ model: string; metric: string; score: number; costPerRequest?: number; latencyMs?: number }>;
  report?: string;
}

export function evalRuns(dir: string | undefined): { available: true; dir: string; runs: EvalRun[]; skipped: string[] } | Unavailable {
  if (dir === undefined || !existsSync(dir)) {
    return { available: false, reason: `no eval results folder${dir ? ` at ${dir}` : ''}: run "unbundle eval run" with its output there, or set UNBUNDLE_EVAL_DIR` };
  }
  const runs: EvalRun[] = [];
  const skipped: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { suite?: unknown; models?: unknown };
      if (!Array.isArray(parsed.models)) throw new Error('no "models" array');
      const models: EvalRun['models'] = [];
      for (const raw of parsed.models as Array<Record<string, unknown>>) {
        if (typeof raw.model !== 'string' || typeof raw.score !== 'number') continue;
        const row: EvalRun['models'][number] = { model: raw.model, metric: typeof raw.metric === 'string' ? raw.metric : 'score', score: raw.score };
        if (typeof raw.costPerRequest === 'number') row.costPerRequest = raw.costPerRequest;
        if (typeof raw.latencyMs === 'number') row.latencyMs = raw.latencyMs;
        models.push(row);
      }
      const run: EvalRun = { file: name, modifiedAt: statSync(file).mtime.toISOString(), models };
      if (typeof parsed.suite === 'string') run.suite = parsed.suite;
      const report = name.replace(/\.json$/, '.html');
      if (existsSync(path.join(dir, report))) run.report = report;
      runs.push(run);
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message}`);
    }
  }
  return { available: true, dir, runs, skipped };
}
