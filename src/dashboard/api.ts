/**
 * Every piece of data the dashboard shows comes through this module: one typed function per view,
 * each calling one admin JSON endpoint (/admin/dashboard/*, /admin/costs/report, /admin/audit,
 * /admin/tenants). A source that is off on the gateway (no ledger, no policy) comes back as
 * `{available: false, reason}` and the page says so.
 * The admin key lives in sessionStorage and travels only as `Authorization: Bearer`, never in a URL.
 */

// The JSON shapes come from the server's own types (type-only imports: nothing of the server is bundled).
import type { CostView, DashboardModel } from '../server/admin/dashboard-bodies.ts';
import type { TrafficSample, TrafficWindow } from '../server/admin/traffic-sampler.ts';
import type { RoutingMix as ServerRoutingMix } from '../server/admin/routing-mix.ts';
import type { AuditRecord } from '../policy/audit-sink.ts';
import type { DataClass } from '../policy/data-class.ts';

export type { AuditRecord, CostView, DashboardModel, DataClass, TrafficSample, TrafficWindow };

const keyName = 'unbundle.adminKey';

export class AuthError extends Error {}
/** The admin API is off on this gateway (no admin key configured): the dashboard has no data. */
export class AdminOffError extends Error {}

export interface Unavailable {
  available: false;
  reason: string;
}

export interface Info {
  startedAt: string;
  currency: string;
  models: string[];
  autoRouting: boolean;
  adminKeyRequired: boolean;
  /** The API model the counterfactual "all-API" cost is priced on. */
  counterfactual: string;
  sources: Record<'liveMetrics' | 'router' | 'ledger' | 'audit' | 'tenants' | 'breakers', { available: true; file?: string } | Unavailable>;
}

export interface Overview {
  range: number;
  intervalMs: number;
  window: TrafficWindow;
  samples: TrafficSample[];
  models: DashboardModel[];
  currency: string;
}

export interface LiveEvent {
  sample: TrafficSample;
  window: TrafficWindow;
  models: Array<{ id: string; requests: number; status: string; queued: number }>;
}

export interface Breakeven {
  available: true;
  currency: string;
  model: string;
  vs: string;
  selfHosted: string[];
  apiModels: string[];
  measured: boolean;
  traffic: { computeSecondsPerRequest: number; inputTokensPerRequest: number; outputTokensPerRequest: number };
  result: {
    apiCostPerRequest: number;
    selfHostedMonthlyBase: number;
    selfHostedMarginalPerRequest: number;
    capacityRequestsPerMonth: number;
    breakevenRequestsPerMonth?: number;
    utilisationAtBreakeven?: number;
    selfHostedCostPerRequestAtFullLoad: number;
    verdict: string;
  };
  points: Array<{ requestsPerMonth: number; api: number; selfHosted: number }>;
}

export type BreakevenAnswer = Breakeven | (Unavailable & { selfHosted?: string[]; apiModels?: string[]; model?: string; vs?: string });

export interface RouteExplanation {
  plan: { requested?: string; primary?: string; fallbacks?: string[]; reasons?: string[]; domain?: string; error?: string };
  classifier:
    | Unavailable
    | {
        available: true;
        file: string;
        threshold: number;
        prediction: { domain: string; best: string; confidence: number; scores: Record<string, number> };
        for: Array<{ feature: string; kind: string; weight: number }>;
        against: Array<{ feature: string; kind: string; weight: number }>;
      };
}

export interface EvalRun {
  file: string;
  modifiedAt: string;
  suite?: string;
  report?: string;
  runId?: string;
  models: Array<{ model: string; metric: string; score: number; low?: number; high?: number; costPerRequest?: number; latencyMs?: number; domains?: Record<string, number> }>;
}

export type Evals = { available: true; dir: string; runs: EvalRun[]; skipped: string[] } | Unavailable;

export interface AdapterMeta {
  name: string;
  version: number;
  createdAt: string;
  source: string;
  bytes: number;
  sha256: string;
  base: { file: string; sha256: string };
  dataset?: { file: string; trainExamples?: number; validationExamples?: number };
  validationLoss?: number;
  evalScores?: Record<string, number>;
  notes?: string;
}

export interface PromotionRecord {
  model: string;
  adapter: string | null;
  at: string;
}

export interface Adapters {
  dir: string;
  adapters: AdapterMeta[];
  promotions: Record<string, PromotionRecord[]>;
  /** Local models adapters can be promoted onto, with what they serve now. */
  localModels: Array<{ id: string; base: string; serving: string | null }>;
}

export interface ChatAnswer {
  status: number;
  text: string;
  headers: Array<[string, string]>;
  ms: number;
  error?: string;
}

export function adminKey(): string | null {
  return sessionStorage.getItem(keyName);
}

export function setAdminKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(keyName);
  else sessionStorage.setItem(keyName, key);
}

function authHeaders(): Record<string, string> {
  const key = adminKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

async function adminFetch<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) } });
  if (response.status === 401) throw new AuthError(await errorMessage(response));
  if (!response.ok) {
    const message = await errorMessage(response);
    if (response.status === 404 && /admin API is disabled/.test(message)) throw new AdminOffError(message);
    throw new Error(message);
  }
  return (await response.json()) as T;
}

const admin = <T>(route: string, init: RequestInit = {}) => adminFetch<T>(`/admin/dashboard/${route}`, init);

/** A source that is off answers 503 UNBUNDLE_E_STORE_UNAVAILABLE: shown as the honest "not configured" state. */
async function optional<T>(url: string, source: keyof Info['sources']): Promise<T | Unavailable> {
  const info = await getInfo();
  const state = info.sources[source];
  if (!state.available) return state;
  return adminFetch<T>(url);
}

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    return body.error?.message ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

export const getInfo = () => admin<Info>('info');
export const getOverview = (rangeSeconds: number) => admin<Overview>(`overview?range=${rangeSeconds}`);
export const getModels = () => admin<{ currency: string; models: DashboardModel[] }>('models');
export const getEvals = () => admin<Evals>('evals');

/** Opens a run's self-contained report.html in a new tab: fetched with the admin key, shown from a blob URL. */
export async function openEvalReport(report: string): Promise<void> {
  const opened = window.open('', '_blank');
  const response = await fetch(`/admin/dashboard/eval-report?report=${encodeURIComponent(report)}`, { headers: authHeaders() });
  if (!response.ok) {
    opened?.close();
    throw new Error(await errorMessage(response));
  }
  const url = URL.createObjectURL(new Blob([await response.text()], { type: 'text/html' }));
  if (opened) opened.location.href = url;
  else window.location.href = url;
}
export const getAdapters = () => admin<Adapters>('adapters');

export function getBreakeven(query: { model?: string; vs?: string; seconds?: string; input?: string; output?: string }): Promise<BreakevenAnswer & { currency: string }> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, value);
  return admin(`breakeven?${params}`);
}

export function explainRoute(prompt: string, model: string): Promise<RouteExplanation> {
  return admin('route-explain', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt, model }) });
}

/** Swaps the adapter a local model serves (no restart); the server checks the adapter's base model. */
export function promoteAdapter(model: string, adapter: string): Promise<{ action: string; record: PromotionRecord }> {
  return admin('promote', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, adapter }) });
}

export function rollbackAdapter(model: string): Promise<{ action: string; record: PromotionRecord }> {
  return admin('rollback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model }) });
}

/** Rows of the ledger's cost report (GET /admin/costs/report): sums per group, and the counterfactual with `vs`. */
export interface CostRow {
  [group: string]: string | number | null | undefined;
  currency: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  unknownCostRequests: number;
  avgLatencyMs: number;
  referenceModel?: string;
  comparableRequests?: number;
  actualCost?: number | null;
  referenceCost?: number | null;
  savings?: number | null;
  savingsPercent?: number | null;
}

export interface CostReport {
  by: string;
  since: string;
  until: string;
  rows: CostRow[];
  totals: CostRow[];
  reference?: { name: string; source: string; currency: string };
}

export type CostBy = 'model' | 'domain' | 'tenant' | 'day';

export function getCostReport(by: CostBy, since: string, vs?: string): Promise<CostReport | Unavailable> {
  const params = new URLSearchParams({ by, since });
  if (vs) params.set('vs', vs);
  return optional<CostReport>(`/admin/costs/report?${params}`, 'ledger');
}

/** UTC midnight today and the first of this month, as the ledger's `since` takes them. */
export function utcDayStart(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
export function utcMonthStart(now = new Date()): string {
  return `${now.toISOString().slice(0, 7)}-01`;
}

export interface SpendSummary {
  currency: string;
  vs: string;
  today: CostRow | null;
  month: CostRow | null;
}

/** Spend today and this month with the savings against the counterfactual API model, from the ledger. */
export async function getSpend(vs: string): Promise<SpendSummary | Unavailable> {
  const [today, month] = await Promise.all([getCostReport('model', utcDayStart(), vs), getCostReport('model', utcMonthStart(), vs)]);
  if (!('rows' in today) || !('rows' in month)) return 'rows' in today ? (month as Unavailable) : today;
  return { currency: month.totals[0]?.currency ?? today.totals[0]?.currency ?? '', vs, today: today.totals[0] ?? null, month: month.totals[0] ?? null };
}

/** The Routing page's data: the server's RoutingMix when the ledger is on. */
export type RoutingMix = ServerRoutingMix & { available: true };

export const getDomainMix = (since: string) => admin<RoutingMix | Unavailable>(`routing?since=${encodeURIComponent(since)}`);

export type Decision = AuditRecord['decision'];

export interface AuditAnswer {
  since: string;
  inHouseZones: string[];
  summary: {
    total: number;
    byDecision: Record<Decision, number>;
    byClass: Record<string, number>;
    byDetector: Record<string, number>;
    restricted: number;
    restrictedReachedExternal: number;
    oldest: string | null;
  };
  limit: number;
  records: AuditRecord[];
}

export interface AuditQuery {
  since: string;
  class?: string;
  tenant?: string;
  decision?: string;
}

export function getAuditLog(query: AuditQuery): Promise<AuditAnswer | Unavailable> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) params.set(name, value);
  return optional<AuditAnswer>(`/admin/audit?${params}`, 'audit');
}

export interface Tenant {
  id: string;
  allowedModels: string[];
  zones?: string[];
  [field: string]: unknown;
}

export function getTenants(): Promise<{ object: 'list'; data: Tenant[] } | Unavailable> {
  return optional('/admin/tenants', 'tenants');
}

/**
 * Live samples over server-sent events, read with fetch so the key goes in a header (EventSource
 * cannot send one). Reconnects after a drop; returns a function that stops it.
 */
export function streamLive(onEvent: (event: LiveEvent) => void, onState: (state: 'live' | 'reconnecting' | 'auth') => void): () => void {
  const controller = new AbortController();
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const response = await fetch('/admin/dashboard/live', { headers: authHeaders(), signal: controller.signal });
        if (response.status === 401) return onState('auth');
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        onState('live');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data += line.slice(5).trim();
            }
            if (event === 'sample' && data) onEvent(JSON.parse(data) as LiveEvent);
          }
        }
      } catch {
        if (stopped) return;
      }
      if (stopped) return;
      onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}

/** The try-it box: a normal chat completion through the gateway, with the x-unbundle-* headers. */
export async function tryChat(model: string, prompt: string, apiKey: string, maxTokens: number): Promise<ChatAnswer> {
  const started = performance.now();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const response = await fetch('/v1/chat/completions', { method: 'POST', headers, body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens }) });
  const ms = performance.now() - started;
  const shown: Array<[string, string]> = [];
  response.headers.forEach((value, name) => {
    if (name.startsWith('x-unbundle-') || name === 'x-request-id') shown.push([name, value]);
  });
  shown.sort((a, b) => a[0].localeCompare(b[0]));
  const body = (await response.json().catch(() => ({}))) as { choices?: Array<{ message?: { content?: string } }>; error?: { message?: string } };
  if (!response.ok) return { status: response.status, text: '', headers: shown, ms, error: body.error?.message ?? `HTTP ${response.status}` };
  return { status: response.status, text: body.choices?.[0]?.message?.content ?? '', headers: shown, ms };
}
