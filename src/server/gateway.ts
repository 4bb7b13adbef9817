import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessControl } from '../access/access-control.ts';
import { ConfigError } from '../portfolio/config-error.ts';
import { toUnbundleError, UnbundleError } from '../errors.ts';
import { Executor, type AttemptRecord } from '../executor/executor.ts';
import type { ServerLedger } from '../ledger/server-ledger.ts';
import { lineWriter, type Logger } from '../logger.ts';
import type { AuditSink } from '../policy/audit-sink.ts';
import { openAuditSink } from './open-audit-sink.ts';
import { createPolicyEngine, type PolicyEngine } from '../policy/policy-engine.ts';
import { createScanner } from '../policy/create-scanner.ts';
import { scannerOptionsFromConfig } from '../policy/scanner-config.ts';
import { TrafficCapture } from '../tune/capture/traffic-capture.ts';
import path from 'node:path';
import type { ModelRegistry } from '../portfolio/model-registry.ts';
import type { Portfolio } from '../portfolio/schema.ts';
import { loadRouting } from '../router/load-routing.ts';
import type { Plan } from '../router/plan.ts';
import type { RoutingTable } from '../router/routing-table.ts';
import type { DashboardOptions } from './admin/dashboard-options.ts';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics.ts';
import type { Counter } from './metrics.ts';
import { LatencyTracker } from './latency-tracker.ts';
import { SlotSet } from '../util/slot-set.ts';
import { metricsEndpoint, routeRequest } from './route-request.ts';
import { createRequestContext, type RequestContext } from './request-context.ts';
import { answerClientError, answerRequestTimeout, isLoopback, maxHeaderBytes, tooManyHeaders } from './hardening.ts';
import type { GatewayRequest, GatewayResponse } from './http/gateway-http.ts';
import { Http1Server } from './http/http1-server.ts';
import { sendError } from './respond.ts';
import { listenError } from './listen-error.ts';
import { requestLogLine } from './request-log-line.ts';

export interface GatewayOptions {
  portfolio: Portfolio;
  models: ModelRegistry;
  logger: Logger;
  /** Where the admin key, Redis URL and data folder come from (default: process.env / process.cwd()). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Records one ledger row per POST /v1/... request (opened by `serve`, see openServerLedger); off when absent. */
  ledger?: ServerLedger | undefined;
  /** Where policy audit records go; default: the JSONL file named by `policy.audit` (only with a policy). */
  auditSink?: AuditSink;
  /** The compiled routing config; default: loaded from the portfolio (its classifier files read once, here). */
  routing?: RoutingTable | undefined;
  /** Dashboard sources and admin key; default: from the environment (UNBUNDLE_ADMIN_KEY, ...). */
  dashboard?: DashboardOptions;
}

/**
 * The HTTP surface: node:http with a small route table (no framework on the hot path), the
 * request's lifecycle (id, cancellation, metrics, one log line) and graceful shutdown.
 */
export class Gateway {
  readonly server: Server;
  /** The fast path in front of `server` (server.fastHttp, on by default); undefined when off. */
  readonly http1: Http1Server | undefined;
  readonly metrics: GatewayMetrics;
  readonly executor: Executor;
  /** Tenants, keys, limits and the admin key (docs/access.md). */
  readonly access: AccessControl;
  /** `access` when requests must carry an API key (auth.mode keys); undefined costs nothing per request. */
  readonly auth: AccessControl | undefined;
  readonly ledger: ServerLedger | undefined;
  /** The data policy, when `policy:` is configured; undefined costs the hot path nothing. */
  readonly policy: PolicyEngine | undefined;
  readonly audit: AuditSink | undefined;
  /** `model: "auto"` and virtual models; undefined when the portfolio configures no routing. */
  readonly routing: RoutingTable | undefined;
  /** Per-model latency the router breaks ties with; kept only when routing is configured. */
  readonly latency: LatencyTracker | undefined;
  /** Traffic capture for fine-tuning data; undefined unless `capture.enabled` (docs/tune.md). */
  readonly capture: TrafficCapture | undefined;
  /** Not a Set: an entry per request in a long-lived Set got most requests promoted (slot-set.ts). */
  private readonly inFlight = new SlotSet<RequestContext>();
  private draining = false;
  private readonly attemptFailures: Counter;
  private readonly series = new Map<string, RequestSeries>();
  /** The request line goes straight to the log's destination, formatted by hand (request-log-line.ts). */
  private readonly writeLine: ((line: string) => void) | undefined;

  constructor(readonly options: GatewayOptions) {
    const { server: config } = options.portfolio;
    this.executor = new Executor(options.models, options.portfolio.resilience);
    this.access = new AccessControl({ portfolio: options.portfolio, modelIds: options.models.ids(), env: options.env ?? process.env, cwd: options.cwd ?? process.cwd(), logger: options.logger });
    this.auth = this.access.mode === 'keys' ? this.access : undefined;
    this.ledger = options.ledger;
    this.routing = options.routing ?? loadRouting(options.portfolio);
    this.latency = this.routing ? new LatencyTracker() : undefined;
    const capture = options.portfolio.capture;
    if (capture.enabled) {
      const env = options.env ?? process.env;
      const dir = path.resolve(options.cwd ?? process.cwd(), capture.dir ?? path.join(env.UNBUNDLE_DATA_DIR || options.portfolio.ledger.dataDir || '.unbundle', 'capture'));
      // Scrubbed with the policy's detectors when a policy configures them, else the defaults.
      const scanner = createScanner(options.portfolio.policy ? scannerOptionsFromConfig(options.portfolio.policy.detectors, 'portfolio.yaml') : {});
      this.capture = new TrafficCapture(capture, dir, scanner, Math.random, (error) => options.logger.warn({ err: error.message, dir }, 'traffic capture: write failed'));
    }
    const { policy } = options.portfolio;
    if (policy !== undefined) {
      this.policy = createPolicyEngine(policy, (id) => options.models.get(id)?.config.zone);
      this.audit = options.auditSink ?? (policy.audit.enabled ? openAuditSink(options.portfolio, this.ledger, options) : undefined);
    }
    this.metrics = createGatewayMetrics(options.models, () => this.inFlight.size, this.executor);
    this.ledger?.registerMetrics(this.metrics.registry);
    this.attemptFailures = this.metrics.registry.counter('unbundle_attempt_failures_total', 'Attempts that did not answer (error, shed by an open circuit, forbidden, cascade-rejected, cancelled hedge), by model and outcome.');
    const requestTimeout = Math.max(config.headersTimeoutMs, config.bodyTimeoutMs);
    // Node checks both timeouts on this interval (default 30 s, which would let a slow client hold on far longer).
    const checkInterval = Math.min(1_000, Math.max(50, Math.floor(config.headersTimeoutMs / 4)));
    const keepAliveTimeout = 5_000;
    const handle = (req: GatewayRequest, res: GatewayResponse) => {
      void this.handle(req, res);
    };
    this.server = createServer({
      headersTimeout: config.headersTimeoutMs,
      // The whole request (headers and body) must arrive within this: a slow body is cut with 408.
      requestTimeout,
      connectionsCheckingInterval: checkInterval,
      maxHeaderSize: maxHeaderBytes,
      keepAliveTimeout,
    }, handle);
    this.server.on('clientError', answerClientError);
    // Expect: 100-continue (handed to node's server by the fast path): a body declared over the limit
    // is refused before the client sends it, and the connection closes (the body may follow anyway).
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (Number(req.headers['content-length']) > config.bodyLimit) res.setHeader('connection', 'close');
      else res.writeContinue();
      handle(req, res);
    });
    // Same limits on the fast path; what it does not take, node's server above answers.
    this.http1 = config.fastHttp
      ? new Http1Server(this.server, handle, {
        maxHeadBytes: maxHeaderBytes,
        bodyLimit: config.bodyLimit,
        headersTimeoutMs: config.headersTimeoutMs,
        requestTimeoutMs: requestTimeout,
        keepAliveTimeoutMs: keepAliveTimeout,
        checkIntervalMs: checkInterval,
        onTimeout: answerRequestTimeout,
      })
      : undefined;
    this.writeLine = lineWriter(options.logger);
  }

  async listen(port = this.options.portfolio.server.port, host = this.options.portfolio.server.host): Promise<{ host: string; port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.checkOpenBinding(address.address);
    this.executor.startHealthChecks();
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return { host: address.address, port: address.port, url: `http://${shownHost}:${address.port}` };
  }

  /**
   * `auth: none` is for loopback only: anyone who can reach a wider address could spend the
   * portfolio. Checked on the address actually bound (a host name may resolve anywhere).
   */
  private checkOpenBinding(address: string): void {
    const { auth } = this.options.portfolio;
    if (auth.mode !== 'none' || isLoopback(address)) return;
    if (!auth.allowInsecure) {
      this.server.close();
      throw new ConfigError('the portfolio config', [
        `auth.mode is none but the server is bound to ${address}, reachable from other machines: anyone there could use every model. Set auth.mode: keys (and create keys with "unbundle keys create --tenant T"), bind to 127.0.0.1, or set auth.allowInsecure: true to accept the risk.`,
      ]);
    }
    this.options.logger.warn({ address }, `INSECURE: auth.mode is none on ${address} (auth.allowInsecure: true): anyone who can reach this address can use every model without a key`);
  }

  /** Requests being handled right now (the dashboard's in-flight figure). */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Stops accepting, lets in-flight requests finish up to `graceMs`, then cancels the rest. */
  async shutdown(graceMs = this.options.portfolio.server.shutdownGraceMs): Promise<void> {
    this.draining = true;
    this.executor.stopHealthChecks();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    (this.http1 ?? this.server).closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (this.inFlight.size > 0) {
      this.options.logger.warn({ inFlight: this.inFlight.size, graceMs }, 'grace period over: cancelling in-flight requests');
      const reason = new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', `The server shut down before this request finished (server.shutdownGraceMs: ${graceMs} ms); retry it against another replica or in a moment.`, { retryAfterSeconds: 1 });
      for (const ctx of this.inFlight) ctx.controller.abort(reason);
      const cutoff = Date.now() + 1_000;
      while (this.inFlight.size > 0 && Date.now() < cutoff) await new Promise((r) => setTimeout(r, 10));
    }
    (this.http1 ?? this.server).closeAllConnections();
    await closed;
    // The ledger's owner closes it; what this server recorded is committed first (while the store is
    // down there is nothing to wait for: the rows are in the journal for the next start).
    if (this.ledger && this.ledger.writer.stats().storeHealthy) await this.ledger.flush(Math.max(1_000, graceMs));
    await this.access.close();
    await this.audit?.close();
    await this.capture?.flush();
  }

  private async handle(req: GatewayRequest, res: GatewayResponse): Promise<void> {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const ctx = createRequestContext(req, res, path);
    if (this.ledger !== undefined && req.method === 'POST' && path.startsWith('/v1/')) ctx.ledger = this.ledger.open(ctx);
    const slot = this.inFlight.add(ctx);
    try {
      if (req.rawHeaders.length > tooManyHeaders) throw new UnbundleError('UNBUNDLE_E_HEADERS_TOO_LARGE', `The request has ${req.rawHeaders.length / 2} headers; this server accepts at most ${tooManyHeaders / 2}.`);
      if (this.draining) {
        res.setHeader('connection', 'close');
        throw new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', 'The server is shutting down; retry against another replica or in a moment.', { retryAfterSeconds: 1 });
      }
      await routeRequest(ctx, path, this);
    } catch (error) {
      if (ctx.attemptLog !== undefined && !res.headersSent) res.setHeader('x-unbundle-attempts', String(attemptCount(ctx.attemptLog)));
      if (ctx.ledger && !res.headersSent) {
        // The error body is this response's last byte: journal its row first.
        ctx.error = toUnbundleError(error);
        await ctx.ledger.seal();
      }
      sendError(ctx, error);
    } finally {
      this.inFlight.delete(slot, ctx);
      const log = ctx.attemptLog;
      if (log !== undefined) {
        ctx.attempts ??= attemptCount(log);
        ctx.attemptedModels = log.length === 1 ? [log[0]!.modelId] : log.map((entry) => entry.modelId);
      }
      if (ctx.rateReservation !== undefined) this.access.settle(ctx, this.options.logger);
      this.finish(ctx);
    }
  }

  /**
   * The metric series one request updates, built once per (endpoint, model, status): building the
   * label keys per request was ~1.5 KB of garbage and a few µs on the proxy path. Bounded: few
   * endpoints (metricsEndpoint), the configured models, and HTTP statuses.
   */
  private seriesFor(endpoint: string, model: string, status: number): RequestSeries {
    const key = `${endpoint} ${model} ${status}`;
    let series = this.series.get(key);
    if (series === undefined) {
      const { metrics } = this;
      series = {
        requests: metrics.requests.handle({ endpoint, model, status: String(status) }),
        latency: metrics.latency.handle({ endpoint, model }),
        timeToFirstToken: metrics.timeToFirstToken.handle({ model }),
        inputTokens: metrics.tokens.handle({ model, direction: 'input' }),
        outputTokens: metrics.tokens.handle({ model, direction: 'output' }),
      };
      this.series.set(key, series);
    }
    return series;
  }

  /** Metrics and the one log line per request. */
  private finish(ctx: RequestContext): void {
    // A stream that failed after its 200 was sent logs 200 with the error code beside it.
    const status = ctx.res.statusCode;
    const latencyMs = performance.now() - ctx.start;
    const model = ctx.answeredBy ?? 'none';
    const { metrics } = this;
    const endpoint = metricsEndpoint(ctx.endpoint);
    const series = this.seriesFor(endpoint, model, status);
    series.requests();
    series.latency(latencyMs / 1000);
    if (ctx.ttftMs !== undefined) series.timeToFirstToken(ctx.ttftMs / 1000);
    if (ctx.usage?.inputTokens !== undefined) series.inputTokens(ctx.usage.inputTokens);
    if (ctx.usage?.outputTokens !== undefined) series.outputTokens(ctx.usage.outputTokens);
    if (ctx.error) metrics.errors.inc({ code: ctx.error.code });
    const log = ctx.attemptLog;
    const detailed = log !== undefined && (log.length > 1 || log[0]?.outcome !== 'ok');
    if (detailed) for (const entry of log) if (entry.outcome !== 'ok') this.attemptFailures.inc({ model: entry.modelId, outcome: entry.outcome });
    if (ctx.ledger) ctx.ledger.finish();
    if (ctx.policyDecision !== undefined) metrics.policyDecisions.inc({ decision: ctx.policyDecision, class: ctx.dataClass ?? 'public' });
    if (this.latency && ctx.answeredBy && !ctx.error && status < 400) this.latency.observe(ctx.answeredBy, latencyMs);
    const { logger } = this.options;
    if (!logger.isLevelEnabled('info')) return;
    // A routed plan (a virtual model was requested) logs its decision; explicit requests log nothing more.
    const plan = ctx.plan !== undefined && ctx.plan.requested !== ctx.plan.primary ? ctx.plan : undefined;
    const fields = {
      id: ctx.id,
      method: ctx.req.method,
      path: ctx.endpoint,
      requested: ctx.requestedModel,
      model: ctx.answeredBy,
      tenant: ctx.tenantId,
      key: ctx.keyId,
      attempts: ctx.attempts,
      // Only when something went wrong along the way: the common one-attempt line stays short.
      attemptLog: detailed && log.length > 1 ? log.map(briefAttempt) : undefined,
      stream: ctx.stream,
      status,
      latencyMs: Math.round(latencyMs * 100) / 100,
      ttftMs: ctx.ttftMs === undefined ? undefined : Math.round(ctx.ttftMs * 100) / 100,
      inputTokens: ctx.usage?.inputTokens,
      outputTokens: ctx.usage?.outputTokens,
      code: ctx.error?.code,
      error: ctx.error && ctx.error.status >= 500 ? ctx.error.message : undefined,
      dataClass: ctx.dataClass,
      policy: ctx.policyDecision,
      ...(plan && planLogFields(plan)),
    };
    if (this.writeLine) this.writeLine(requestLogLine(fields));
    else logger.info(fields, 'request');
  }
}

interface RequestSeries {
  requests: () => void;
  latency: (seconds: number) => void;
  timeToFirstToken: (seconds: number) => void;
  inputTokens: (count: number) => void;
  outputTokens: (count: number) => void;
}

/** Requests actually sent (models skipped by the breaker or the guard are not attempts). */
function attemptCount(log: readonly AttemptRecord[]): number {
  let count = 0;
  for (const entry of log) if (entry.outcome !== 'shed' && entry.outcome !== 'forbidden') count++;
  return count;
}

/** `model outcome [status code] ms` — enough to see what happened without a second log line. */
function briefAttempt(entry: AttemptRecord): string {
  const parts = [entry.modelId, entry.outcome];
  if (entry.status !== undefined) parts.push(String(entry.status));
  if (entry.code !== undefined) parts.push(entry.code.replace(/^UNBUNDLE_E_/, ''));
  if (entry.reason !== undefined) parts.push(`(${entry.reason})`);
  parts.push(`${entry.ms}ms`);
  return parts.join(' ');
}

/** The router's decision in the log line: the Plan with the classifier's scores. */
function planLogFields(plan: Plan): Record<string, unknown> {
  return {
    route: plan.primary,
    domain: plan.domain,
    reasons: plan.reasons,
    fallbacks: plan.fallbacks.length > 0 ? plan.fallbacks : undefined,
    scores: plan.scores === undefined ? undefined : roundedScores(plan.scores),
    cascade: plan.cascade?.map((check) => check.kind),
  };
}

/** Classifier scores for the log line: four decimals, zeros dropped (most domains are ~0). */
function roundedScores(scores: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const domain in scores) {
    const value = Math.round(scores[domain]! * 10_000) / 10_000;
    if (value > 0) out[domain] = value;
  }
  return out;
}
