import type { GatewayRequest, GatewayResponse } from './http/gateway-http.ts';
import { uuidV7 } from '../util/uuid-v7.ts';
import type { RateReservation } from '../access/rate-limiter.ts';
import type { Usage } from '../backends/types.ts';
import type { UnbundleError } from '../errors.ts';
import type { AttemptRecord } from '../executor/attempt-chain.ts';
import type { LedgerEntry } from '../ledger/server-ledger.ts';
import type { Plan } from '../router/plan.ts';
import { LightAbortController, type AbortHandle } from '../util/light-abort-controller.ts';

/** What one request accumulates on its way through the house; the log line is written from it. */
export interface RequestContext {
  id: string;
  req: GatewayRequest;
  res: GatewayResponse;
  /** performance.now() at arrival. */
  start: number;
  /** Aborted when the client disconnects, the deadline passes or the server stops. */
  signal: AbortSignal;
  controller: AbortHandle;
  endpoint: string;
  requestedModel?: string;
  answeredBy?: string;
  attempts?: number;
  stream?: boolean;
  usage?: Usage;
  ttftMs?: number;
  error?: UnbundleError;
  /** Who is calling (access control); undefined while auth is off. */
  tenantId?: string;
  keyId?: string;
  /** Tokens reserved against the tenant's rate limits, settled with the real usage afterwards. */
  rateReservation?: RateReservation | undefined;
  /** The router's decision, once made (headers, log line, ledger). */
  plan?: Plan;
  /** The policy's verdict on the request's data, once scanned (ledger, audit). */
  dataClass?: string;
  /** Detector label → count (never values). */
  detectorCounts?: Record<string, number>;
  policyDecision?: string;
  /** Every model the executor tried, in order (ledger, audit). */
  attemptedModels?: string[];
  /** The executor's attempt log (filled as attempts happen, so it survives a failed execution). */
  attemptLog?: AttemptRecord[];
  /**
   * This request's ledger row in the making (POST /v1/... with the ledger on; undefined otherwise).
   * Handlers `await ctx.ledger.seal()` right before a response's last bytes (crash durability) and
   * call `ctx.ledger.admit(plan, request)` between routing and the executor (budgets, metering).
   */
  ledger?: LedgerEntry;
}

const clientIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Honours a sane client-supplied x-request-id (for tracing across services), else makes one (a time-ordered UUID v7). */
export function requestIdFor(req: GatewayRequest): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && clientIdPattern.test(given) ? given : uuidV7();
}

/**
 * One abort controller per request, shared by everything that may cancel it (client gone, the
 * deadline, shutdown): measured on the proxy path, extra controllers and listeners per request
 * cost a few percent of throughput. A LightAbortController, not Node's: with Node's, every request
 * was promoted to the old generation (light-abort-controller.ts).
 */
export function createRequestContext(req: GatewayRequest, res: GatewayResponse, endpoint: string): RequestContext {
  const controller = new LightAbortController();
  // 'close' before the response finished means the client went away: cancel generation now,
  // so a local model's slot is freed at once rather than after the answer completes.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  // x-request-id is set by whoever answers (routeRequest, sendJson's callers on the API path, sendError),
  // so that the proxy path can hand node all its headers at once (see sendJson).
  const id = requestIdFor(req);
  return { id, req, res, start: performance.now(), signal: controller.signal, controller, endpoint };
}
