import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';
import { breakeven, selfHostedMonthlyCost } from '../../ledger/cost-breakeven.ts';
import { parseTimeBound } from '../../ledger/cost-report.ts';
import { loadRouter, type RouterClassifier } from '../../router/classifier/router-file.ts';
import { chooseRoute } from '../../router/choose-route.ts';
import { decideRoute } from '../../router/plan-route.ts';
import { featuresOfText } from '../../router/request-features.ts';
import { AdapterRegistry } from '../../tune/registry/adapter-registry.ts';
import { PromotionBook, promoteAdapter, rollbackAdapter } from '../../tune/registry/promote-adapter.ts';
import type { Gateway } from '../gateway.ts';
import { readJsonBody } from '../read-json-body.ts';
import type { RequestContext } from '../request-context.ts';
import { sendJson, startEventStream, writeChunk } from '../respond.ts';
import type { AdminRequest, AdminRoute } from './admin-route.ts';
import { costBookOf, counterfactualModel, dashboardModels, evalRuns } from './dashboard-bodies.ts';
import { dashboardOptionsFromEnv, type DashboardOptions } from './dashboard-options.ts';
import { routingMix } from './routing-mix.ts';
import { TrafficSampler } from './traffic-sampler.ts';

/**
 * JSON for the dashboard under /admin/dashboard/*, behind the admin key: read-only views computed
 * on request from the running gateway, plus adapter promote/rollback; the traffic sampler starts with the first call,
 * so a gateway nobody watches does no dashboard work at all.
 */

interface DashboardState {
  options: DashboardOptions;
  sampler: TrafficSampler;
  router?: { file: string; mtimeMs: number; classifier: RouterClassifier };
}

const states = new WeakMap<Gateway, DashboardState>();

export function dashboardStateOf(gateway: Gateway): DashboardState {
  let state = states.get(gateway);
  if (!state) {
    const options = gateway.options.dashboard ?? dashboardOptionsFromEnv(process.env, process.cwd());
    const sampler = new TrafficSampler(gateway.metrics, () => gateway.inFlightCount());
    sampler.start();
    gateway.server.once('close', () => sampler.stop());
    state = { options, sampler };
    states.set(gateway, state);
  }
  return state;
}

function rangeSeconds(ctx: RequestContext): number {
  const query = new URL(ctx.req.url ?? '/', 'http://x').searchParams;
  const raw = query.get('range') ?? '300';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 10 || value > 3600) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `range must be a whole number of seconds from 10 to 3600 (e.g. 300 for five minutes), got "${raw}".`, { param: 'range' });
  }
  return value;
}

function numberParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `${name} must be a number of zero or more, got "${raw}".`, { param: name });
  return value;
}

function info(gateway: Gateway, state: DashboardState): object {
  let autoRouting = gateway.routing?.virtualModels.has('auto') ?? false;
  if (!autoRouting) {
    try {
      chooseRoute('auto', gateway.options.models);
      autoRouting = true;
    } catch {
      autoRouting = false;
    }
  }
  const router = state.options.routerFile;
  const { policy } = gateway.options.portfolio;
  const tenants = gateway.access.tenants.ids();
  return {
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    currency: costBookOf(gateway).currency,
    models: gateway.options.models.ids(),
    autoRouting,
    adminKeyRequired: true,
    /** The API model the counterfactual prices the same tokens on (the priciest API model of the portfolio, else gpt-4o). */
    counterfactual: counterfactualModel(gateway),
    sources: {
      liveMetrics: { available: true },
      router: router ? { available: true, file: path.basename(router) } : { available: false, reason: 'no router file: train one with "unbundle route train" and set UNBUNDLE_ROUTER_FILE' },
      ledger: gateway.ledger ? { available: true } : { available: false, reason: 'the ledger is off (ledger.enabled: false in the portfolio)' },
      audit: gateway.audit
        ? { available: true }
        : { available: false, reason: policy === undefined ? 'no data policy is configured (add a policy: section, docs/policy.md)' : 'the policy audit is off (policy.audit.enabled: false)' },
      tenants: tenants.length > 0 ? { available: true } : { available: false, reason: 'no tenants are configured (tenants: in the portfolio, docs/access.md)' },
      breakers: { available: true },
    },
  };
}

function breakevenBody(gateway: Gateway, ctx: RequestContext): object {
  const query = new URL(ctx.req.url ?? '/', 'http://x').searchParams;
  const book = costBookOf(gateway);
  const models = dashboardModels(gateway);
  const selfHosted = models.filter((m) => m.cost.kind === 'self-hosted').map((m) => m.id);
  const apiModels = models.filter((m) => m.cost.kind === 'api').map((m) => m.id);
  const modelId = query.get('model') ?? selfHosted[0];
  const vs = query.get('vs') ?? apiModels[0] ?? 'gpt-4o-mini';
  const choices = { selfHosted, apiModels };
  if (modelId === undefined) return { available: false, reason: 'no model has selfHosted costs: add a selfHosted section to a local model (docs/costs.md)', ...choices };
  const own = book.modelCost(modelId);
  if (own.kind !== 'self-hosted') throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `model "${modelId}" has no selfHosted costs; choose one of: ${selfHosted.join(', ') || '(none)'}.`, { param: 'model' });
  const api = book.reference(vs);
  if (!api) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `"${vs}" is neither an API-priced model of the portfolio nor in the price table.`, { param: 'vs' });
  // Defaults: the live traffic of the self-hosted model (its request time and token mix).
  const live = models.find((m) => m.id === modelId)!.traffic;
  const measured = live.requests > live.errors && live.outputTokensPerSecond !== null;
  const ok = Math.max(1, live.requests - live.errors);
  const seconds = numberParam(query, 'seconds') ?? (measured ? live.outputTokens / live.outputTokensPerSecond! / ok : undefined);
  const input = numberParam(query, 'input') ?? (measured ? live.inputTokens / ok : undefined);
  const output = numberParam(query, 'output') ?? (measured ? live.outputTokens / ok : undefined);
  if (seconds === undefined || input === undefined || output === undefined || !(seconds > 0)) {
    return { available: false, reason: `no measured traffic on ${modelId} yet: send some requests, or enter seconds, input and output tokens per request`, model: modelId, vs, ...choices };
  }
  const traffic = { computeSecondsPerRequest: seconds, inputTokensPerRequest: input, outputTokensPerRequest: output };
  const result = breakeven(own, api, traffic);
  const top = Math.max(1000, Math.min(result.capacityRequestsPerMonth, (result.breakevenRequestsPerMonth ?? result.capacityRequestsPerMonth / 2) * 2));
  const points = Array.from({ length: 41 }, (_, i) => {
    const volume = (top * i) / 40;
    return { requestsPerMonth: volume, api: volume * result.apiCostPerRequest, selfHosted: selfHostedMonthlyCost(own, seconds, volume) };
  });
  return { available: true, model: modelId, vs, ...choices, measured: numberParam(query, 'seconds') === undefined && measured, traffic, result, points };
}

async function routeExplain(gateway: Gateway, state: DashboardState, ctx: RequestContext): Promise<object> {
  const body = (await readJsonBody(ctx.req, 64 * 1024)) as { prompt?: unknown; model?: unknown };
  if (typeof body !== 'object' || body === null || typeof body.prompt !== 'string' || body.prompt.trim() === '') {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'Send {"prompt": "text to route", "model": "auto or a model id"}.', { param: 'prompt' });
  }
  const requested = typeof body.model === 'string' && body.model !== '' ? body.model : 'auto';
  let plan: object;
  let decision: object | undefined;
  try {
    const table = gateway.routing;
    if (table?.virtualModels.has(requested)) {
      // The portfolio's routing, as serving decides (rules, classifier, cost/quality); no model is called.
      if (table.classifier?.kind === 'embedding') throw new Error(`"${requested}" routes with an embedding classifier, which needs its embedding model: use "unbundle route explain --config" on the command line`);
      const decided = decideRoute({ requested, features: featuresOfText(body.prompt, { headers: {}, metadata: {} }), table });
      plan = decided.plan;
      decision = { rule: decided.rule?.name ?? null, prediction: decided.prediction ?? null, candidates: decided.candidates ?? null };
    } else plan = chooseRoute(requested, gateway.options.models);
  } catch (error) {
    plan = { error: (error as Error).message };
  }
  const file = state.options.routerFile;
  if (file === undefined) return { plan, ...(decision ? { decision } : {}), classifier: { available: false, reason: 'no router file: train one with "unbundle route train" and set UNBUNDLE_ROUTER_FILE' } };
  const mtimeMs = statSync(file).mtimeMs;
  if (state.router?.file !== file || state.router.mtimeMs !== mtimeMs) state.router = { file, mtimeMs, classifier: loadRouter(file) };
  const { classifier } = state.router;
  if (classifier.kind !== 'hashed-ngram') {
    return { plan, ...(decision ? { decision } : {}), classifier: { available: false, reason: 'embedding routers need their embedding model: use "unbundle route explain" on the command line' } };
  }
  return { plan, ...(decision ? { decision } : {}), classifier: { available: true, file: path.basename(file), threshold: classifier.threshold, ...classifier.explain(body.prompt, 8) } };
}

function registries(state: DashboardState): { adapters: AdapterRegistry; book: PromotionBook } {
  return { adapters: new AdapterRegistry(path.join(state.options.dataDir, 'adapters')), book: new PromotionBook(path.join(state.options.dataDir, 'promotions.json')) };
}

function adapters(gateway: Gateway, state: DashboardState): object {
  const { adapters: registry, book } = registries(state);
  const list = registry.list();
  // What each local model serves now: a registered adapter by name@version, else the file's name.
  const serving = (lora: string | undefined) => {
    if (lora === undefined) return null;
    const meta = list.find((m) => m.file === lora);
    return meta ? `${meta.name}@${meta.version}` : path.basename(lora);
  };
  const localModels = gateway.options.models.list().flatMap(({ config }) => (config.backend === 'llamacpp' ? [{ id: config.id, base: path.basename(config.path), serving: serving(config.lora) }] : []));
  return { dir: registry.dir, adapters: list, promotions: book.read().models, localModels };
}

/** Promote (`adapter` given) or roll back the adapter a local model serves; the model swaps without a restart. */
async function changeAdapter(gateway: Gateway, state: DashboardState, ctx: RequestContext, action: 'promote' | 'rollback'): Promise<object> {
  const body = (await readJsonBody(ctx.req, 16 * 1024)) as { model?: unknown; adapter?: unknown };
  if (typeof body !== 'object' || body === null || typeof body.model !== 'string' || (action === 'promote' && typeof body.adapter !== 'string')) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', action === 'promote' ? 'Send {"model": "local model id", "adapter": "name@version"}.' : 'Send {"model": "local model id"}.', { param: 'model' });
  }
  const { adapters: registry, book } = registries(state);
  const record = action === 'promote' ? await promoteAdapter(gateway.options.models, registry, book, body.model, body.adapter as string) : await rollbackAdapter(gateway.options.models, book, body.model);
  gateway.options.logger.info({ model: body.model, adapter: record.adapter, action }, `adapter ${action} from the dashboard`);
  return { action, record };
}

/**
 * Writes need a JSON body and a same-origin caller: a page elsewhere cannot send that without a
 * CORS preflight (which is never granted), so an open loopback dashboard is not a CSRF target.
 */
function checkWriteOrigin(ctx: RequestContext): void {
  const type = String(ctx.req.headers['content-type'] ?? '');
  const site = ctx.req.headers['sec-fetch-site'];
  if (!/^application\/json\b/i.test(type) || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
    throw new UnbundleError('UNBUNDLE_E_FORBIDDEN', 'Dashboard actions must be sent from the dashboard itself with content-type: application/json.');
  }
}

/** Server-sent events: one `sample` event per sampler tick until the client leaves or the server stops. */
async function live(gateway: Gateway, state: DashboardState, ctx: RequestContext): Promise<void> {
  const { sampler } = state;
  startEventStream(ctx.res, {});
  await writeChunk(ctx.res, `retry: 2000\nevent: hello\ndata: ${JSON.stringify({ intervalMs: sampler.intervalMs })}\n\n`);
  await new Promise<void>((resolve) => {
    const done = () => {
      unsubscribe();
      ctx.signal.removeEventListener('abort', done);
      ctx.res.off('close', done);
      if (!ctx.res.writableEnded) ctx.res.end();
      resolve();
    };
    const unsubscribe = sampler.subscribe((sample) => {
      if (!gateway.server.listening) return done();
      void writeChunk(ctx.res, `event: sample\ndata: ${JSON.stringify({ sample, window: sampler.window(60), models: dashboardModels(gateway).map((m) => ({ id: m.id, requests: m.traffic.requests, status: m.status, queued: m.queued })) })}\n\n`);
    });
    ctx.signal.addEventListener('abort', done);
    ctx.res.once('close', done);
  });
}

const noStore = (request: AdminRequest) => request.ctx.res.setHeader('cache-control', 'no-store');

function getRoute(name: string, summary: string, body: (request: AdminRequest, state: DashboardState) => object | Promise<object>): AdminRoute {
  return {
    method: 'GET',
    path: `/admin/dashboard/${name}`,
    summary,
    async handle(request) {
      noStore(request);
      return { body: await body(request, dashboardStateOf(request.gateway)) };
    },
  };
}

function postRoute(name: string, summary: string, body: (request: AdminRequest, state: DashboardState) => Promise<object>): AdminRoute {
  return {
    method: 'POST',
    path: `/admin/dashboard/${name}`,
    summary,
    async handle(request) {
      noStore(request);
      checkWriteOrigin(request.ctx);
      return { body: await body(request, dashboardStateOf(request.gateway)) };
    },
  };
}

/** The dashboard's JSON, in the admin route table (behind the admin key like every /admin/ route). */
export const dashboardAdminRoutes: readonly AdminRoute[] = [
  getRoute('info', 'dashboard: models, currency and which data sources are on', ({ gateway }, state) => info(gateway, state)),
  getRoute('overview', 'dashboard: live traffic window (?range=300 seconds) and models', ({ gateway, ctx }, state) => {
    const range = rangeSeconds(ctx);
    return { range, intervalMs: state.sampler.intervalMs, window: state.sampler.window(range), samples: state.sampler.history(range), models: dashboardModels(gateway), currency: costBookOf(gateway).currency };
  }),
  {
    method: 'GET',
    path: '/admin/dashboard/live',
    summary: 'dashboard: server-sent events, one traffic sample a second',
    async handle(request) {
      noStore(request);
      await live(request.gateway, dashboardStateOf(request.gateway), request.ctx);
      return { body: null, streamed: true };
    },
  },
  getRoute('models', 'dashboard: the Portfolio rows (backend, zone, health, breaker, quality, cost, traffic)', ({ gateway }) => ({ currency: costBookOf(gateway).currency, models: dashboardModels(gateway) })),
  getRoute('breakeven', 'dashboard: break-even chart from live traffic (?model=&vs=&seconds=&input=&output=)', ({ gateway, ctx }) => ({ currency: costBookOf(gateway).currency, ...breakevenBody(gateway, ctx) })),
  getRoute('routing', 'dashboard: domain mix over time, model per domain, route reasons, from the ledger (?since=24h)', async ({ gateway, query }) => {
    if (!gateway.ledger) return { available: false, reason: 'the ledger is off (ledger.enabled: false in the portfolio): the domain mix is read from its rows' };
    const now = Date.now();
    const text = query.get('since') || '24h';
    const since = parseTimeBound(text, now);
    if (since === undefined || since >= now) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `since must look like 30m, 24h, 7d or a UTC date such as 2025-08-01, got "${text}".`, { param: 'since' });
    return { available: true, ...(await routingMix(gateway.ledger.store, since, now)) };
  }),
  getRoute('evals', 'dashboard: eval runs (results.json of "unbundle eval run")', (_request, state) => evalRuns(state.options.evalDir)),
  {
    method: 'GET',
    path: '/admin/dashboard/eval-report',
    summary: 'dashboard: one run\'s self-contained report.html (?report=<path listed by evals>)',
    handle(request) {
      noStore(request);
      const listed = evalRuns(dashboardStateOf(request.gateway).options.evalDir);
      const wanted = request.query.get('report') ?? '';
      // Only a report the evals listing names: never a path the client makes up.
      if (!listed.available || !listed.runs.some((run) => run.report === wanted)) {
        throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No eval report "${wanted}" in the eval results folder; GET /admin/dashboard/evals lists them.`, { param: 'report' });
      }
      const html = readFileSync(path.join(listed.dir, wanted));
      const { res } = request.ctx;
      res.statusCode = 200;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.setHeader('content-length', html.length);
      res.end(html);
      return { body: null, streamed: true };
    },
  },
  getRoute('adapters', 'dashboard: adapter registry, promotions, local models', ({ gateway }, state) => adapters(gateway, state)),
  postRoute('route-explain', 'dashboard: the Plan and classifier explanation for {prompt, model}; no model is called', ({ gateway, ctx }, state) => routeExplain(gateway, state, ctx)),
  postRoute('promote', 'dashboard: promote {model, adapter: name@version} (no restart)', ({ gateway, ctx }, state) => changeAdapter(gateway, state, ctx, 'promote')),
  postRoute('rollback', 'dashboard: roll back {model} to its previous adapter', ({ gateway, ctx }, state) => changeAdapter(gateway, state, ctx, 'rollback')),
];
