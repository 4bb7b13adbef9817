import { UnbundleError } from '../errors.ts';
import { handleAdmin } from './admin/handle-admin.ts';
import { chooseRoute } from '../router/choose-route.ts';
import { planRoute } from '../router/plan-route.ts';
import type { Plan } from '../router/plan.ts';
import type { RoutingTable } from '../router/routing-table.ts';
import { allowedModels } from '../policy/allowed-models.ts';
import type { RequestPolicy } from '../policy/request-policy.ts';
import { embedForRouting } from './embed-for-routing.ts';
import { extractRequestFeatures } from './extract-request-features.ts';
import type { Gateway } from './gateway.ts';
import { anthropicMessagesWire } from './anthropic/encode-anthropic.ts';
import { parseMessagesBody } from './anthropic/parse-messages-request.ts';
import type { GenerateRequest } from '../backends/types.ts';
import type { ExecutionOptions } from '../executor/executor.ts';
import { handleGeneration, type GenerationCall } from './handle-generation.ts';
import { withPolicy } from './policy-gate.ts';
import type { WireFormat } from './wire-format.ts';
import type { Tenant } from '../access/tenant-directory.ts';
import { encodeEmbeddings, openaiChatWire, openaiCompletionWire } from './openai/encode-openai.ts';
import { parseChatBody } from './openai/parse-chat-request.ts';
import { parseCompletionBody } from './openai/parse-completion-request.ts';
import { parseEmbeddingBody } from './openai/parse-embedding-request.ts';
import { readJsonBody } from './read-json-body.ts';
import type { RequestContext } from './request-context.ts';
import { sendJson } from './respond.ts';
import { serveDashboardAsset } from './dashboard-assets.ts';
import { healthBody, modelsBody } from './status-bodies.ts';

const postRoutes = new Set(['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/messages']);
const getRoutes = new Set(['/v1/models', '/health', '/metrics']);

/**
 * The endpoint label for metrics: a known route, `/admin`, or `unmatched` — never the raw path,
 * which a client could vary without end to grow the metrics registry.
 */
export function metricsEndpoint(path: string): string {
  if (postRoutes.has(path) || getRoutes.has(path)) return path;
  return path === '/admin' || path.startsWith('/admin/') ? '/admin' : 'unmatched';
}

/** Per-request deadline: `x-unbundle-timeout-ms` may shorten (or lengthen) the configured one. */
function timeoutFor(ctx: RequestContext, configured: number, name = 'x-unbundle-timeout-ms'): number {
  const header = ctx.req.headers[name];
  if (header === undefined) return configured;
  const value = Number(header);
  if (!Number.isInteger(value) || value < 1 || value > 3_600_000) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `${name} must be a whole number of milliseconds from 1 to 3600000.`, { param: name });
  }
  return value;
}

/** The plan's primary may set its own total (`timeouts.totalMs`); the header still wins. */
function configuredTimeout(gateway: Gateway, primary: string): number {
  return gateway.options.models.get(primary)?.config.timeouts?.totalMs ?? gateway.options.portfolio.server.requestTimeoutMs;
}

export async function routeRequest(ctx: RequestContext, path: string, gateway: Gateway): Promise<void> {
  const { method } = ctx.req;
  const { portfolio, models } = gateway.options;
  const config = portfolio.server;
  // undefined with auth: none — then nothing below calls into access control.
  const auth = gateway.auth;

  if (method === 'POST' && postRoutes.has(path)) {
    // Every answer from here carries x-request-id: successes pass it with their headers (one
    // writeHead, see sendJson), streams with theirs, and errors get it from sendError.
    // Authenticate before reading the body: an anonymous client never gets to upload megabytes.
    const tenant = auth?.authenticate(ctx);
    const body = await readJsonBody(ctx.req, config.bodyLimit);
    if (path === '/v1/embeddings') {
      const parsed = parseEmbeddingBody(body);
      ctx.requestedModel = parsed.model;
      // Only with `policy:` configured: the request is scanned once and the policy guards every attempt.
      const policy = gateway.policy?.forEmbed(parsed.request, ctx.tenantId);
      const run = async (): Promise<void> => {
        let plan = chooseRoute(parsed.model, models);
        if (policy) plan = policy.restrictPlan(plan);
        ctx.plan = plan;
        const timeoutMs = timeoutFor(ctx, configuredTimeout(gateway, plan.primary));
        if (tenant) await auth!.admit(ctx, tenant, plan, parsed.request);
        const admitted = ctx.ledger?.admit(plan, parsed.request);
        if (admitted) await admitted;
        const options: ExecutionOptions = { signal: ctx.signal, controller: ctx.controller, timeoutMs, startedAt: ctx.start, attemptLog: (ctx.attemptLog = []) };
        if (policy) options.guard = policy;
        const { result, modelId, attempts } = await gateway.executor.embed(plan, parsed.request, options);
        ctx.answeredBy = modelId;
        ctx.attempts = attempts;
        ctx.usage = result.usage;
        const encoded = encodeEmbeddings(parsed.model, result, parsed.encodingFormat);
        if (ctx.ledger) await ctx.ledger.seal();
        sendJson(ctx.res, 200, encoded, { 'x-request-id': ctx.id, 'x-unbundle-model': modelId, 'x-unbundle-attempts': String(attempts) });
      };
      return policy ? withPolicy(ctx, policy, gateway.audit, run) : run();
    }
    if (path === '/v1/messages') {
      // Anthropic's SDK reads `request-id` (error.requestID, message._request_id); x-request-id stays.
      ctx.res.setHeader('request-id', ctx.id);
      const parsed = parseMessagesBody(body);
      return generate(ctx, gateway, tenant, parsed, anthropicMessagesWire, true);
    }
    const chat = path === '/v1/chat/completions';
    const parsed = chat ? parseChatBody(body) : parseCompletionBody(body);
    return generate(ctx, gateway, tenant, parsed, chat ? openaiChatWire : openaiCompletionWire, parsed.includeUsage);
  }

  ctx.res.setHeader('x-request-id', ctx.id);
  // No model answers these (lists, health, metrics, admin, the dashboard, 404s): say so.
  ctx.res.setHeader('x-unbundle-model', 'none');
  if ((method === 'GET' || method === 'HEAD') && getRoutes.has(path)) {
    if (path === '/v1/models') sendJson(ctx.res, 200, modelsBody(models, gateway.routing, auth?.authenticate(ctx).allowed));
    else if (path === '/health') {
      const health = healthBody(models, gateway.executor);
      sendJson(ctx.res, health.status === 'down' ? 503 : 200, JSON.stringify(health));
    } else {
      const text = gateway.metrics.registry.render();
      ctx.res.statusCode = 200;
      ctx.res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      ctx.res.end(text);
    }
    return;
  }

  // The dashboard and its JSON, after the API routes so they cost the API nothing.
  if (path === '/dashboard' || path.startsWith('/dashboard/')) return serveDashboardAsset(ctx, path, gateway.options.dashboard?.assetsDir);
  if (path.startsWith('/admin/') || path === '/admin') {
    await handleAdmin(ctx, path, gateway);
    return;
  }

  if (postRoutes.has(path) || getRoutes.has(path)) {
    ctx.res.setHeader('allow', postRoutes.has(path) ? 'POST' : 'GET, HEAD');
    throw new UnbundleError('UNBUNDLE_E_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${postRoutes.has(path) ? 'POST' : 'GET'}.`);
  }
  throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No route ${method} ${path}. Endpoints: POST /v1/chat/completions, POST /v1/completions, POST /v1/embeddings, POST /v1/messages, GET /v1/models, GET /health, GET /metrics, GET /dashboard.`);
}

/**
 * The way of every generation request through the house, whatever its wire format: policy scan
 * (only with `policy:`), route → Plan, access admission (rate limits), ledger admission (budgets),
 * then the executor — which asks the policy before every attempt — and the encoder.
 */
async function generate(
  ctx: RequestContext,
  gateway: Gateway,
  tenant: Tenant | undefined,
  parsed: { model: string; request: GenerateRequest; stream: boolean; metadata?: Readonly<Record<string, unknown>> | undefined },
  wire: WireFormat,
  includeUsage: boolean,
): Promise<void> {
  ctx.requestedModel = parsed.model;
  const policy = gateway.policy?.forGenerate(parsed.request, ctx.tenantId);
  const run = async (): Promise<void> => {
    // An explicit model id never reaches the router (one Map lookup when routing is on, none when off).
    const { routing } = gateway;
    let plan = routing === undefined || !routing.virtualModels.has(parsed.model) ? chooseRoute(parsed.model, gateway.options.models) : await planFor(ctx, gateway, routing, parsed, policy);
    if (policy) plan = policy.restrictPlan(plan);
    ctx.plan = plan;
    const timeoutMs = timeoutFor(ctx, configuredTimeout(gateway, plan.primary));
    const call: GenerationCall = { plan, request: parsed.request, stream: parsed.stream, includeUsage, timeoutMs, wire };
    if (parsed.stream && ctx.req.headers['x-unbundle-ttft-ms'] !== undefined) call.firstTokenMs = timeoutFor(ctx, 0, 'x-unbundle-ttft-ms');
    if (policy) call.guard = policy;
    if (gateway.capture) call.capture = gateway.capture;
    if (tenant) await gateway.auth!.admit(ctx, tenant, plan, parsed.request);
    const admitted = ctx.ledger?.admit(plan, parsed.request);
    if (admitted) await admitted;
    await handleGeneration(ctx, gateway.executor, call);
  };
  return policy ? withPolicy(ctx, policy, gateway.audit, run) : run();
}

/**
 * The Plan for `auto` and virtual models: routed among the models this request may use — the
 * tenant's (access control) and those whose zone may see its data (policy).
 */
async function planFor(ctx: RequestContext, gateway: Gateway, routing: RoutingTable, parsed: { model: string; request: GenerateRequest; metadata?: Readonly<Record<string, unknown>> | undefined }, policy: RequestPolicy | undefined): Promise<Plan> {
  const { models } = gateway.options;
  const features = extractRequestFeatures(ctx, parsed.request, parsed.metadata);
  // The embedding variant needs I/O (an embedding call): done here, handed to the pure router as a feature.
  if (routing.classifier?.kind === 'embedding') features.embedding = await embedForRouting(gateway, routing.classifier.embedModel, features.lastUserText, ctx.signal);
  let allowed: ReadonlySet<string> | undefined;
  if (gateway.auth && ctx.tenantId !== undefined) allowed = gateway.auth.allowedModelsFor(ctx.tenantId);
  if (policy) {
    const placed = models.list().map((entry) => ({ id: entry.config.id, zone: entry.config.zone }));
    const byZone = allowedModels(policy, placed);
    // No zone may see this data: the policy's refusal (403 POLICY_*), not the router's generic one.
    if (byZone.size === 0 && placed.length > 0) policy.refuseEverywhere(placed.map((m) => m.zone));
    allowed = allowed === undefined ? byZone : new Set([...allowed].filter((id) => byZone.has(id)));
  }
  return planRoute({ requested: parsed.model, features, table: routing, latency: gateway.latency?.snapshot(), allowed });
}
