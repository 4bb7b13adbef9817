import { UnbundleError } from '../errors.ts';
import { chooseRoute } from '../router/choose-route.ts';
import { planRoute } from '../router/plan-route.ts';
import type { Plan } from '../router/plan.ts';
import { embedForRouting } from './embed-for-routing.ts';
import { extractRequestFeatures } from './extract-request-features.ts';
import type { Gateway } from './gateway.ts';
import { handleGeneration } from './handle-generation.ts';
import { encodeEmbeddings } from './openai/encode-openai.ts';
import { parseChatBody } from './openai/parse-chat-request.ts';
import { parseCompletionBody } from './openai/parse-completion-request.ts';
import { parseEmbeddingBody } from './openai/parse-embedding-request.ts';
import { readJsonBody } from './read-json-body.ts';
import type { RequestContext } from './request-context.ts';
import { sendJson } from './respond.ts';
import { healthBody, modelsBody } from './status-bodies.ts';

const postRoutes = new Set(['/v1/chat/completions', '/v1/completions', '/v1/embeddings']);
const getRoutes = new Set(['/v1/models', '/health', '/metrics']);

/** Per-request deadline: `x-unbundle-timeout-ms` may shorten (or lengthen) the configured one. */
function timeoutFor(ctx: RequestContext, configured: number): number {
  const header = ctx.req.headers['x-unbundle-timeout-ms'];
  if (header === undefined) return configured;
  const value = Number(header);
  if (!Number.isInteger(value) || value < 1 || value > 3_600_000) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'x-unbundle-timeout-ms must be a whole number of milliseconds from 1 to 3600000.', { param: 'x-unbundle-timeout-ms' });
  }
  return value;
}

export async function routeRequest(ctx: RequestContext, path: string, gateway: Gateway): Promise<void> {
  const { method } = ctx.req;
  const { portfolio, models } = gateway.options;
  const config = portfolio.server;

  if (method === 'POST' && postRoutes.has(path)) {
    const body = await readJsonBody(ctx.req, config.bodyLimit);
    const timeoutMs = timeoutFor(ctx, config.requestTimeoutMs);
    if (path === '/v1/embeddings') {
      const parsed = parseEmbeddingBody(body);
      ctx.requestedModel = parsed.model;
      const plan = chooseRoute(parsed.model, models);
      const { result, modelId, attempts } = await gateway.executor.embed(plan, parsed.request, { signal: ctx.signal, controller: ctx.controller, timeoutMs });
      ctx.answeredBy = modelId;
      ctx.attempts = attempts;
      ctx.usage = result.usage;
      sendJson(ctx.res, 200, encodeEmbeddings(parsed.model, result, parsed.encodingFormat), { 'x-unbundle-model': modelId, 'x-unbundle-attempts': String(attempts) });
      return;
    }
    const parsed = path === '/v1/chat/completions' ? parseChatBody(body) : parseCompletionBody(body);
    ctx.requestedModel = parsed.model;
    // An explicit model id never reaches the router's classifier: one Map lookup when routing is on, none when off.
    const routing = gateway.routing;
    let plan: Plan;
    if (routing !== undefined && routing.virtualModels.has(parsed.model)) {
      const features = extractRequestFeatures(ctx, parsed.request, 'metadata' in parsed ? parsed.metadata : undefined);
      // The embedding variant needs I/O (an embedding call): done here, handed to the pure router as a feature.
      if (routing.classifier?.kind === 'embedding') features.embedding = await embedForRouting(gateway, routing.classifier.embedModel, features.lastUserText, ctx.signal);
      plan = planRoute({ requested: parsed.model, features, table: routing, latency: gateway.latency?.snapshot() });
    } else plan = chooseRoute(parsed.model, models);
    ctx.plan = plan;
    await handleGeneration(ctx, gateway.executor, { plan, request: parsed.request, stream: parsed.stream, includeUsage: parsed.includeUsage, timeoutMs });
    return;
  }

  if ((method === 'GET' || method === 'HEAD') && getRoutes.has(path)) {
    if (path === '/v1/models') sendJson(ctx.res, 200, modelsBody(models, gateway.routing));
    else if (path === '/health') {
      const health = healthBody(models);
      sendJson(ctx.res, health.status === 'down' ? 503 : 200, JSON.stringify(health));
    } else {
      const text = gateway.metrics.registry.render();
      ctx.res.statusCode = 200;
      ctx.res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      ctx.res.end(text);
    }
    return;
  }

  if (postRoutes.has(path) || getRoutes.has(path)) {
    ctx.res.setHeader('allow', postRoutes.has(path) ? 'POST' : 'GET, HEAD');
    throw new UnbundleError('UNBUNDLE_E_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${postRoutes.has(path) ? 'POST' : 'GET'}.`);
  }
  throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No route ${method} ${path}. Endpoints: POST /v1/chat/completions, POST /v1/completions, POST /v1/embeddings, GET /v1/models, GET /health, GET /metrics.`);
}
