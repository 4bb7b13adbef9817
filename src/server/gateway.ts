import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnbundleError } from '../errors.ts';
import { Executor } from '../executor/executor.ts';
import type { Logger } from '../logger.ts';
import type { ModelRegistry } from '../portfolio/model-registry.ts';
import type { Portfolio } from '../portfolio/schema.ts';
import type { DashboardOptions } from './admin/dashboard-options.ts';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics.ts';
import { routeRequest } from './route-request.ts';
import { createRequestContext, type RequestContext } from './request-context.ts';
import { sendError } from './respond.ts';

export interface GatewayOptions {
  portfolio: Portfolio;
  models: ModelRegistry;
  logger: Logger;
  /** Dashboard sources and admin key; default: from the environment (UNBUNDLE_ADMIN_KEY, ...). */
  dashboard?: DashboardOptions;
}

/**
 * The HTTP surface: node:http with a small route table (no framework on the hot path), the
 * request's lifecycle (id, cancellation, metrics, one log line) and graceful shutdown.
 */
export class Gateway {
  readonly server: Server;
  readonly metrics: GatewayMetrics;
  readonly executor: Executor;
  private readonly inFlight = new Set<RequestContext>();
  private draining = false;

  constructor(readonly options: GatewayOptions) {
    const { server: config } = options.portfolio;
    this.executor = new Executor(options.models);
    this.metrics = createGatewayMetrics(options.models, () => this.inFlight.size);
    this.server = createServer({ headersTimeout: config.headersTimeoutMs, requestTimeout: Math.max(config.headersTimeoutMs, 60_000), keepAliveTimeout: 5_000 }, (req, res) => {
      void this.handle(req, res);
    });
    this.server.on('clientError', (error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy(error);
    });
  }

  async listen(port = this.options.portfolio.server.port, host = this.options.portfolio.server.host): Promise<{ host: string; port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return { host: address.address, port: address.port, url: `http://${shownHost}:${address.port}` };
  }

  /** Requests being handled right now (the dashboard's in-flight figure). */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Stops accepting, lets in-flight requests finish up to `graceMs`, then cancels the rest. */
  async shutdown(graceMs = this.options.portfolio.server.shutdownGraceMs): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (this.inFlight.size > 0) {
      this.options.logger.warn({ inFlight: this.inFlight.size, graceMs }, 'grace period over: cancelling in-flight requests');
      for (const ctx of this.inFlight) ctx.controller.abort(new Error('server shutting down'));
      const cutoff = Date.now() + 1_000;
      while (this.inFlight.size > 0 && Date.now() < cutoff) await new Promise((r) => setTimeout(r, 10));
    }
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const ctx = createRequestContext(req, res, path);
    this.inFlight.add(ctx);
    try {
      if (this.draining) {
        res.setHeader('connection', 'close');
        throw new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', 'The server is shutting down; retry against another replica or in a moment.', { retryAfterSeconds: 1 });
      }
      await routeRequest(ctx, path, this);
    } catch (error) {
      sendError(ctx, error);
    } finally {
      this.inFlight.delete(ctx);
      this.finish(ctx);
    }
  }

  /** Metrics and the one log line per request. */
  private finish(ctx: RequestContext): void {
    // A stream that failed after its 200 was sent logs 200 with the error code beside it.
    const status = ctx.res.statusCode;
    const latencyMs = performance.now() - ctx.start;
    const model = ctx.answeredBy ?? 'none';
    const { metrics } = this;
    metrics.requests.inc({ endpoint: ctx.endpoint, model, status: String(status) });
    metrics.latency.observe({ endpoint: ctx.endpoint, model }, latencyMs / 1000);
    if (ctx.ttftMs !== undefined) metrics.timeToFirstToken.observe({ model }, ctx.ttftMs / 1000);
    if (ctx.usage?.inputTokens !== undefined) metrics.tokens.inc({ model, direction: 'input' }, ctx.usage.inputTokens);
    if (ctx.usage?.outputTokens !== undefined) metrics.tokens.inc({ model, direction: 'output' }, ctx.usage.outputTokens);
    if (ctx.error) metrics.errors.inc({ code: ctx.error.code });
    const { logger } = this.options;
    if (!logger.isLevelEnabled('info')) return;
    logger.info({
      id: ctx.id,
      method: ctx.req.method,
      path: ctx.endpoint,
      requested: ctx.requestedModel,
      model: ctx.answeredBy,
      attempts: ctx.attempts,
      stream: ctx.stream,
      status,
      latencyMs: Math.round(latencyMs * 100) / 100,
      ttftMs: ctx.ttftMs === undefined ? undefined : Math.round(ctx.ttftMs * 100) / 100,
      inputTokens: ctx.usage?.inputTokens,
      outputTokens: ctx.usage?.outputTokens,
      code: ctx.error?.code,
      error: ctx.error && ctx.error.status >= 500 ? ctx.error.message : undefined,
    }, 'request');
  }
}
