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
  /** The executor's circuit breaker: closed, open (shedding to fallbacks) or half-open. */
  breaker: { available: true; state: string } | Unavailable;
  /** Domains the model is declared a specialist for, and its quality per domain (config `quality`, 0..1). */
  domains: string[];
  quality: Record<string, number>;
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
  const health = new Map(healthBody(gateway.options.models, gateway.executor).models.map((m) => [m.id, m]));
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
      breaker: h.circuit !== undefined ? { available: true, state: h.circuit } : { available: false, reason: 'the executor keeps no breaker for this model' },
      domains: config.domains ?? [],
      quality: config.quality ?? {},
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

/** The API model the counterfactual prices the same tokens on: the portfolio's priciest API model, else gpt-4o. */
export function counterfactualModel(gateway: Gateway): string {
  const book = costBookOf(gateway);
  let best: { id: string; price: number } | undefined;
  for (const id of gateway.options.models.ids()) {
    const cost = book.modelCost(id);
    if (cost.kind === 'api' && (best === undefined || cost.outputPerMTok > best.price)) best = { id, price: cost.outputPerMTok };
  }
  return best?.id ?? 'gpt-4o';
}

/**
 * Evaluation results: every run folder written by `unbundle eval run` (DIR/<run>/results.json, format
 * unbundle-eval-results/1, with report.html beside it), the folder itself when it is one run, and flat
 * `*.json` files with a `models: [{model, metric, score, costPerRequest?}]` array.
 */
export interface EvalRun {
  file: string;
  modifiedAt: string;
  suite?: string;
  runId?: string;
  currency?: string;
  models: Array<{ model: string; metric: string; score: number; low?: number; high?: number; costPerRequest?: number; latencyMs?: number; domains?: Record<string, number> }>;
  report?: string;
}

interface ResultsSummary {
  model?: { id?: unknown };
  primary?: unknown;
  estimate?: unknown;
  low?: unknown;
  high?: unknown;
  costPer1kItems?: unknown;
  latencyMs?: { p50?: unknown } | null;
  domains?: Array<{ domain?: unknown; estimate?: unknown }>;
}

const num = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** One results.json of `unbundle eval run` (src/eval/eval-results.ts). */
function fromResults(parsed: Record<string, unknown>, run: EvalRun): void {
  const suite = parsed.suite as { name?: unknown } | undefined;
  if (typeof suite?.name === 'string') run.suite = suite.name;
  if (typeof parsed.runId === 'string') run.runId = parsed.runId;
  if (typeof parsed.currency === 'string') run.currency = parsed.currency;
  for (const summary of parsed.models as ResultsSummary[]) {
    const id = summary.model?.id;
    if (typeof id !== 'string' || !num(summary.estimate)) continue;
    const row: EvalRun['models'][number] = { model: id, metric: typeof summary.primary === 'string' ? summary.primary : 'score', score: summary.estimate };
    if (num(summary.low)) row.low = summary.low;
    if (num(summary.high)) row.high = summary.high;
    if (num(summary.costPer1kItems)) row.costPerRequest = summary.costPer1kItems / 1000;
    if (num(summary.latencyMs?.p50)) row.latencyMs = summary.latencyMs.p50;
    const domains: Record<string, number> = {};
    for (const d of summary.domains ?? []) if (typeof d.domain === 'string' && num(d.estimate)) domains[d.domain] = d.estimate;
    if (Object.keys(domains).length > 0) row.domains = domains;
    run.models.push(row);
  }
}

function fromFlat(parsed: Record<string, unknown>, run: EvalRun): void {
  if (typeof parsed.suite === 'string') run.suite = parsed.suite;
  for (const raw of parsed.models as Array<Record<string, unknown>>) {
    if (typeof raw.model !== 'string' || typeof raw.score !== 'number') continue;
    const row: EvalRun['models'][number] = { model: raw.model, metric: typeof raw.metric === 'string' ? raw.metric : 'score', score: raw.score };
    if (typeof raw.costPerRequest === 'number') row.costPerRequest = raw.costPerRequest;
    if (typeof raw.latencyMs === 'number') row.latencyMs = raw.latencyMs;
    run.models.push(row);
  }
}

function readRun(dir: string, name: string, report: string): EvalRun {
  const file = path.join(dir, name);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(parsed.models)) throw new Error('no "models" array');
  const run: EvalRun = { file: name, modifiedAt: statSync(file).mtime.toISOString(), models: [] };
  if (parsed.format === 'unbundle-eval-results/1') fromResults(parsed, run);
  else fromFlat(parsed, run);
  if (typeof parsed.createdAt === 'string') run.modifiedAt = parsed.createdAt;
  if (existsSync(path.join(dir, report))) run.report = report;
  return run;
}

export function evalRuns(dir: string | undefined): { available: true; dir: string; runs: EvalRun[]; skipped: string[] } | Unavailable {
  if (dir === undefined || !existsSync(dir)) {
    return { available: false, reason: `no eval results folder${dir ? ` at ${dir}` : ''}: run "unbundle eval run" (it writes eval-results/<suite>/results.json), or set UNBUNDLE_EVAL_DIR to the folder of runs` };
  }
  const runs: EvalRun[] = [];
  const skipped: string[] = [];
  const tryRead = (name: string, report: string) => {
    try {
      runs.push(readRun(dir, name, report));
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message}`);
    }
  };
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory()) {
      if (existsSync(path.join(dir, entry.name, 'results.json'))) tryRead(path.join(entry.name, 'results.json'), path.join(entry.name, 'report.html'));
    } else if (entry.name === 'results.json') tryRead(entry.name, 'report.html');
    else if (entry.name.endsWith('.json')) tryRead(entry.name, entry.name.replace(/\.json$/, '.html'));
  }
  return { available: true, dir, runs, skipped };
}
