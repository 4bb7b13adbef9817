/**
 * Every piece of data the dashboard shows comes through this module: one typed function per view,
 * each calling one JSON endpoint. When the ledger, audit log, tenants and breakers land, re-point
 * the matching function here (their pages already render the `available: false` state).
 * The admin key lives in sessionStorage and travels only as `Authorization: Bearer`, never in a URL.
 */

const keyName = 'unbundle.adminKey';

export class AuthError extends Error {}

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
  sources: Record<'liveMetrics' | 'router' | 'ledger' | 'audit' | 'tenants' | 'breakers', { available: true; file?: string } | Unavailable>;
}

export interface TrafficSample {
  t: number;
  requestsPerSecond: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  inFlight: number;
}

export interface TrafficWindow {
  seconds: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface CostView {
  kind: 'api' | 'self-hosted' | 'none';
  source: string;
  inputPerMTok?: number;
  outputPerMTok?: number;
  cachedInputPerMTok?: number;
  fixedPerHour?: number;
  energyLoadPerHour?: number;
  energyIdlePerHour?: number;
  monthlyBase?: number;
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
  breaker: { available: true; state: string } | Unavailable;
  cost: CostView;
  traffic: { requests: number; errors: number; inputTokens: number; outputTokens: number; outputTokensPerSecond: number | null; apiSpend: number | null };
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
  models: Array<{ model: string; metric: string; score: number; costPerRequest?: number; latencyMs?: number }>;
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

async function admin<T>(route: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`/admin/dashboard/${route}`, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) } });
  if (response.status === 401) throw new AuthError(await errorMessage(response));
  if (!response.ok) throw new Error(await errorMessage(response));
  return (await response.json()) as T;
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

/** Not in this build: these resolve to the honest "unavailable" state; wire them here later. */
export async function getLedgerSummary(): Promise<Unavailable> {
  return unavailableSource('ledger');
}
export async function getAuditLog(): Promise<Unavailable> {
  return unavailableSource('audit');
}
export async function getDomainMix(): Promise<Unavailable> {
  return unavailableSource('ledger');
}

async function unavailableSource(source: keyof Info['sources']): Promise<Unavailable> {
  const info = await getInfo();
  const state = info.sources[source];
  return state.available ? { available: false, reason: `${source} is available but this dashboard build does not read it yet` } : state;
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
