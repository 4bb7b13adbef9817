import { UnbundleError } from '../errors.ts';
import { chooseRoute } from '../router/choose-route.ts';
import type { Gateway } from './gateway.ts';
import { handleAdminDashboard } from './admin/dashboard-routes.ts';
import { anthropicMessagesWire } from './anthropic/encode-anthropic.ts';
import { parseMessagesBody } from './anthropic/parse-messages-request.ts';
import { handleGeneration } from './handle-generation.ts';
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
    if (path === '/v1/messages') {
      // Anthropic's SDK reads `request-id` (error.requestID, message._request_id); x-request-id stays.
      ctx.res.setHeader('request-id', ctx.id);
      const parsed = parseMessagesBody(body);
      ctx.requestedModel = parsed.model;
      const plan = chooseRoute(parsed.model, models);
      await handleGeneration(ctx, gateway.executor, { plan, request: parsed.request, stream: parsed.stream, includeUsage: true, timeoutMs, wire: anthropicMessagesWire });
      return;
    }
    const chat = path === '/v1/chat/completions';
    const parsed = chat ? parseChatBody(body) : parseCompletionBody(body);
    ctx.requestedModel = parsed.model;
    const plan = chooseRoute(parsed.model, models);
    await handleGeneration(ctx, gateway.executor, { plan, request: parsed.request, stream: parsed.stream, includeUsage: parsed.includeUsage, timeoutMs, wire: chat ? openaiChatWire : openaiCompletionWire });
    return;
  }

  if ((method === 'GET' || method === 'HEAD') && getRoutes.has(path)) {
    if (path === '/v1/models') sendJson(ctx.res, 200, modelsBody(models));
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

  // The dashboard and its JSON, after the API routes so they cost the API nothing.
  if (path.startsWith('/admin/dashboard/')) return handleAdminDashboard(ctx, path.slice('/admin/dashboard/'.length), gateway);
  if (path === '/dashboard' || path.startsWith('/dashboard/')) return serveDashboardAsset(ctx, path, gateway.options.dashboard?.assetsDir);

  if (postRoutes.has(path) || getRoutes.has(path)) {
    ctx.res.setHeader('allow', postRoutes.has(path) ? 'POST' : 'GET, HEAD');
    throw new UnbundleError('UNBUNDLE_E_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${postRoutes.has(path) ? 'POST' : 'GET'}.`);
  }
  throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No route ${method} ${path}. Endpoints: POST /v1/chat/completions, POST /v1/completions, POST /v1/embeddings, POST /v1/messages, GET /v1/models, GET /health, GET /metrics, GET /dashboard.`);
}
