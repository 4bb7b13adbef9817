import type { Backend } from '../backends/backend.ts';
import { shutdownError, UnbundleError, toUnbundleError } from '../errors.ts';
import type { Plan } from '../router/plan.ts';
import { backoffDelay } from './backoff.ts';
import { LightAbortController } from '../util/light-abort-controller.ts';
import type { ModelPolicy } from './model-policy.ts';

export type AttemptOutcome = 'ok' | 'error' | 'shed' | 'forbidden' | 'rejected' | 'cancelled';

/** One line of an execution's attempt log (log line, ledger, audit). */
export interface AttemptRecord {
  modelId: string;
  outcome: AttemptOutcome;
  status?: number;
  code?: string;
  /** Milliseconds the attempt took (0 for a model skipped without an attempt). */
  ms: number;
  /** Why a cascade step was rejected, or a skipped model's reason. */
  reason?: string;
}

/** What one kind of call (generate, stream, embed) plugs into the chain. */
export interface AttemptKind<P, T> {
  /** The policy's guard: what this model may receive (throws to forbid the model). */
  prepare(modelId: string): P;
  attempt(backend: Backend, prepared: P, signal: AbortSignal, policy: ModelPolicy): Promise<T>;
  /** Cascade: a reason to reject this answer and escalate, or undefined to accept it. */
  reject?(value: T): string | undefined;
  /** Releases an answer that will not be used (a hedge that lost, a rejected stream). */
  dispose?(value: T): void;
}

export interface ChainResult<T> {
  value: T;
  modelId: string;
}

interface Win<T> {
  ok: true;
  value: T;
  modelId: string;
}
interface Miss<T> {
  ok: false;
  /** A cascade answer that failed its checks: still better than no answer at the end of the chain. */
  rejected?: Win<T>;
}

export interface ChainContext {
  plan: Plan;
  /** The request's signal (client gone, total deadline, shutdown). */
  signal: AbortSignal;
  timedOut(): boolean;
  timeoutMs: number;
  deadlineAt: number;
  log: AttemptRecord[];
  attempts: number;
  now(): number;
  random(): number;
  policyFor(id: string): ModelPolicy | undefined;
  /** Cascade checks apply (not while hedging). */
  cascade: boolean;
  /** The last attempt error (what the client sees when nothing answers). */
  lastError?: UnbundleError;
  /** The guard's first refusal (what the client sees when every model was forbidden). */
  firstForbidden?: UnbundleError;
}

/**
 * Carries a Plan out: the primary, then each fallback in order; per model, retries of retryable
 * failures with backoff within the deadline; the circuit breaker's verdict before every attempt;
 * optional hedging; cascade checks. Returns the first accepted answer or throws the error the
 * client should see. Everything here is I/O policy; which models are eligible is the Plan's.
 */
export async function runChain<P, T>(ctx: ChainContext, kind: AttemptKind<P, T>): Promise<ChainResult<T>> {
  const { plan } = ctx;
  const count = plan.fallbacks.length + 1;
  let rejected: Win<T> | undefined;
  for (let i = 0; i < count; i++) {
    const modelId = i === 0 ? plan.primary : plan.fallbacks[i - 1]!;
    const policy = ctx.policyFor(modelId);
    if (policy === undefined) {
      const error = new UnbundleError('UNBUNDLE_E_MODEL_NOT_FOUND', `The model '${modelId}' is not in the portfolio.`);
      if (i === 0) throw error;
      ctx.log.push({ modelId, outcome: 'error', status: error.status, code: error.code, ms: 0 });
      continue;
    }
    const next = i + 1 < count ? plan.fallbacks[i]! : undefined;
    const hedgeMs = next === undefined || ctx.cascade ? undefined : hedgeDelay(plan, policy);
    let result: Win<T> | Miss<T>;
    if (hedgeMs === undefined) {
      result = await runModel(ctx, kind, modelId, policy, ctx.signal, ctx.cascade && next !== undefined, next !== undefined);
    } else {
      const hedged = await runHedged(ctx, kind, modelId, policy, next!, hedgeMs);
      result = hedged.result;
      if (hedged.usedNext) i++;
    }
    if (result.ok) return result;
    if (result.rejected) rejected = result.rejected;
  }
  if (rejected) return rejected;
  if (ctx.lastError) throw ctx.lastError;
  const shed = ctx.log.filter((entry) => entry.outcome === 'shed');
  if (shed.length > 0) {
    const waits = shed.map((entry) => ctx.policyFor(entry.modelId)!.breaker.retryInMs());
    const retryAfterSeconds = Math.max(1, Math.ceil(Math.min(...waits) / 1000));
    throw new UnbundleError(
      'UNBUNDLE_E_CIRCUIT_OPEN',
      `Every model this request may use is failing and shedding load (circuit open: ${shed.map((entry) => entry.modelId).join(', ')}); retry after ${retryAfterSeconds} s.`,
      { retryAfterSeconds },
    );
  }
  if (ctx.firstForbidden) throw ctx.firstForbidden;
  throw new UnbundleError('UNBUNDLE_E_INTERNAL', 'Internal error: the plan had no model to try.');
}

function hedgeDelay(plan: Plan, policy: ModelPolicy): number | undefined {
  if (plan.hedgeAfterMs !== undefined) return plan.hedgeAfterMs;
  if (policy.hedge === undefined) return undefined;
  return policy.hedge === 'p95' ? policy.latency?.p95() : policy.hedge;
}

/** The request itself is at fault: another try or another model would only repeat the refusal. */
function isRequestFault(error: UnbundleError): boolean {
  if (error.code === 'UNBUNDLE_E_CONTEXT_LENGTH' || error.code === 'UNBUNDLE_E_UNSUPPORTED') return false;
  return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 409 && error.status !== 429 && error.status !== 499;
}

/** Failures that say something about the backend's health (not load shedding by our own queue). */
function countsAgainstBackend(error: UnbundleError): boolean {
  return error.code !== 'UNBUNDLE_E_QUEUE_FULL' && error.code !== 'UNBUNDLE_E_CANCELLED' && (error.retryable || error.status >= 500);
}

/** The outcome when a request-level abort (client gone, deadline, shutdown) stopped the attempt. */
function requestEnded(ctx: ChainContext, cause: unknown): UnbundleError {
  if (ctx.timedOut()) return new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `The request did not finish within ${ctx.timeoutMs} ms.`, { cause });
  // The server cut it at the end of its shutdown grace period: 503, retryable (not the client's 499).
  const shutdown = shutdownError(ctx.signal.reason) ?? shutdownError(cause);
  if (shutdown !== undefined) return shutdown;
  if (cause instanceof UnbundleError && cause.code === 'UNBUNDLE_E_CANCELLED') return cause;
  return new UnbundleError('UNBUNDLE_E_CANCELLED', 'The request was cancelled.', { cause });
}

/** One model: guard, breaker, attempt, and retries with backoff while they fit the deadline. */
async function runModel<P, T>(ctx: ChainContext, kind: AttemptKind<P, T>, modelId: string, policy: ModelPolicy, signal: AbortSignal, cascade: boolean, hasNext: boolean): Promise<Win<T> | Miss<T>> {
  const { breaker } = policy;
  for (let retry = 0; ; retry++) {
    let prepared: P;
    try {
      prepared = kind.prepare(modelId);
    } catch (thrown) {
      const error = toUnbundleError(thrown);
      ctx.log.push({ modelId, outcome: 'forbidden', status: error.status, code: error.code, ms: 0 });
      ctx.firstForbidden ??= error;
      return { ok: false };
    }
    if (!breaker.allow()) {
      ctx.log.push({ modelId, outcome: 'shed', ms: 0, reason: 'circuit open' });
      return { ok: false };
    }
    const started = ctx.now();
    ctx.attempts++;
    let value: T;
    try {
      value = await kind.attempt(policy.entry.backend, prepared, signal, policy);
    } catch (thrown) {
      const ms = Math.round(ctx.now() - started);
      if (ctx.signal.aborted) {
        breaker.release();
        const error = requestEnded(ctx, thrown);
        ctx.log.push({ modelId, outcome: error.code === 'UNBUNDLE_E_UPSTREAM_TIMEOUT' ? 'error' : 'cancelled', status: error.status, code: error.code, ms });
        throw error;
      }
      if (signal.aborted) {
        // Our own hedge partner won: this attempt was cancelled on purpose.
        breaker.release();
        ctx.log.push({ modelId, outcome: 'cancelled', ms });
        return { ok: false };
      }
      const error = toUnbundleError(thrown);
      ctx.log.push({ modelId, outcome: 'error', status: error.status, code: error.code, ms });
      // One failed request is one failure for the breaker, however many retries it took: the
      // threshold counts requests the backend let down, so retries do not open it three times as fast.
      if (retry === 0 && countsAgainstBackend(error)) breaker.failure();
      else breaker.release();
      if (isRequestFault(error)) throw error;
      ctx.lastError = error;
      // A full local queue is our own admission control: move on rather than wait in line again.
      if (!error.retryable || error.code === 'UNBUNDLE_E_QUEUE_FULL' || retry >= policy.retry.retries || breaker.state === 'open') return { ok: false };
      // A model that let a whole attempt deadline pass is slow or stuck: spend the remaining time on
      // the next model rather than on another full wait (with no next model, it is retried).
      if (hasNext && error.code === 'UNBUNDLE_E_UPSTREAM_TIMEOUT') return { ok: false };
      const retryAfterMs = error.retryAfterSeconds === undefined ? undefined : error.retryAfterSeconds * 1000;
      const delay = backoffDelay(retry, policy.retry, ctx.random, retryAfterMs, ctx.deadlineAt - ctx.now());
      if (delay === undefined) return { ok: false };
      if (delay > 0) await sleep(delay, signal).catch((cause: unknown) => {
        if (ctx.signal.aborted) throw requestEnded(ctx, cause);
      });
      if (signal.aborted) return { ok: false };
      continue;
    }
    const ms = ctx.now() - started;
    breaker.success();
    policy.latency?.record(ms);
    const reason = cascade ? kind.reject?.(value) : undefined;
    if (reason !== undefined) {
      ctx.log.push({ modelId, outcome: 'rejected', ms: Math.round(ms), reason });
      return { ok: false, rejected: { ok: true, value, modelId } };
    }
    ctx.log.push({ modelId, outcome: 'ok', ms: Math.round(ms) });
    return { ok: true, value, modelId };
  }
}

/**
 * Hedging: the model starts alone; when it has not answered after `hedgeMs`, the next model
 * starts too. The first answer wins and the other attempt is aborted (its upstream sees the
 * connection close). When the first model fails before the timer, the chain simply moves on.
 */
async function runHedged<P, T>(ctx: ChainContext, kind: AttemptKind<P, T>, modelId: string, policy: ModelPolicy, nextId: string, hedgeMs: number): Promise<{ result: Win<T> | Miss<T>; usedNext: boolean }> {
  const first = new LinkedController(ctx.signal);
  let second: LinkedController | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      let pending = 1;
      let settled = false;
      const finish = (result: Win<T> | Miss<T>, who: LinkedController) => {
        pending--;
        if (settled) {
          if (result.ok) kind.dispose?.(result.value);
          return;
        }
        if (result.ok) {
          settled = true;
          (who === first ? second : first)?.abort();
          resolve({ result, usedNext: second !== undefined });
        } else if (pending === 0 && (second !== undefined || timer === undefined)) {
          settled = true;
          resolve({ result, usedNext: second !== undefined });
        }
      };
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        first.abort();
        second?.abort();
        reject(error);
      };
      runModel(ctx, kind, modelId, policy, first.signal, false, true).then((result) => {
        if (!result.ok && second === undefined && timer !== undefined) {
          // Failed before the hedge started: no hedge, the chain continues normally.
          clearTimeout(timer);
          timer = undefined;
        }
        finish(result, first);
      }, fail);
      timer = setTimeout(() => {
        timer = undefined;
        if (settled) return;
        const nextPolicy = ctx.policyFor(nextId);
        if (nextPolicy === undefined) return;
        second = new LinkedController(ctx.signal);
        pending++;
        const started = second;
        runModel(ctx, kind, nextId, nextPolicy, started.signal, false, true).then((result) => finish(result, started), fail);
      }, hedgeMs);
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    first.unlink();
    second?.unlink();
  }
}

/** A controller aborted with its parent (the request) and on its own (a lost hedge). */
export class LinkedController {
  private readonly controller = new LightAbortController();
  private readonly onAbort = () => this.controller.abort(this.parent.reason);

  constructor(private readonly parent: AbortSignal) {
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.onAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason?: unknown): void {
    this.controller.abort(reason ?? new UnbundleError('UNBUNDLE_E_CANCELLED', 'Cancelled: another attempt answered first.'));
  }

  unlink(): void {
    this.parent.removeEventListener('abort', this.onAbort);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
