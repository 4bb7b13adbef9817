import type { Backend } from '../backends/backend.ts';
import { resultAsParts } from '../backends/result-as-parts.ts';
import type { EmbedRequest, EmbedResult, GenerateRequest, GenerateResult, StreamPart } from '../backends/types.ts';
import { UnbundleError, toUnbundleError } from '../errors.ts';
import type { ModelRegistry } from '../portfolio/model-registry.ts';
import type { Plan } from '../router/plan.ts';
import type { AttemptGuard, PreparedGenerate } from './attempt-guard.ts';
import { LinkedController, runChain, type AttemptKind, type AttemptRecord, type ChainContext } from './attempt-chain.ts';
import { failedCascadeCheck } from './cascade-checks.ts';
import type { CircuitState } from './circuit-breaker.ts';
import { HealthChecker, type HealthCheckResult } from './health-checker.ts';
import { modelPolicy, type ModelPolicy } from './model-policy.ts';
import { resilienceSchema, type ResilienceConfig } from './resilience-schema.ts';
import { LightAbortController, type AbortHandle } from '../util/light-abort-controller.ts';

export type { AttemptRecord } from './attempt-chain.ts';

export interface ExecutionOptions {
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Total time allowed for the request, in ms (retries, fallbacks and the whole stream included). */
  timeoutMs: number;
  /**
   * The controller behind `signal`, when the caller owns one: the deadline then aborts it
   * directly instead of chaining a second controller and listener onto it.
   */
  controller?: AbortHandle;
  /** The policy's hook, called before every attempt (first try, retry, fallback, hedge, cascade step). */
  guard?: AttemptGuard;
  /** Streams: this request's first-part deadline per attempt (overrides the model's and the default). */
  firstTokenMs?: number;
  /** performance.now() when the request arrived: the deadline counts from then, not from the executor's start. */
  startedAt?: number;
  /** When given, attempts are appended here as they happen, so a caller sees them even when execution fails. */
  attemptLog?: AttemptRecord[];
}

export interface Execution {
  /** The model that finally answered. */
  modelId: string;
  /** Requests actually sent to a backend (retries and hedges included; skipped models not). */
  attempts: number;
  /** Every model tried or skipped, in order. */
  attemptLog: AttemptRecord[];
}

export interface StreamExecution extends Execution {
  /** The first part is already read (so a failure before it can still fall back); the rest follow. */
  parts: AsyncIterator<StreamPart>;
  first: StreamPart;
}

export interface ExecutorDeps {
  /** Milliseconds, monotonic (default performance.now). */
  now?: () => number;
  /** [0, 1) for backoff jitter (default Math.random). */
  random?: () => number;
}

/** A stream attempt whose first part has arrived. */
interface OpenStream {
  first: StreamPart;
  parts: AsyncIterator<StreamPart>;
  /** Unlinks the attempt's own controller (first-token deadline) once the stream is over. */
  release: (() => void) | undefined;
}

const noGuardGenerate = (request: GenerateRequest): PreparedGenerate => ({ request });

/**
 * Carries out a Plan: the one place where I/O policy lives — deadlines, retries with backoff,
 * fallbacks, circuit breakers, hedging and cascades (see attempt-chain.ts and docs/executor.md).
 * It never decides *which* models may answer — that is the Plan's and the guard's job.
 */
export class Executor {
  private readonly policies = new Map<string, ModelPolicy>();
  private health: HealthChecker | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly policyFor = (id: string): ModelPolicy | undefined => this.policies.get(id);

  constructor(
    private readonly registry: ModelRegistry,
    readonly resilience: ResilienceConfig = resilienceSchema.parse({}),
    deps: ExecutorDeps = {},
  ) {
    this.now = deps.now ?? performance.now.bind(performance);
    this.random = deps.random ?? Math.random;
    for (const entry of registry.list()) this.policies.set(entry.config.id, modelPolicy(entry, resilience, this.now));
  }

  /** Circuit state per model, for /health, /metrics and `unbundle models`. */
  circuitStates(): Array<{ id: string; state: CircuitState }> {
    return this.registry.ids().map((id) => ({ id, state: this.policies.get(id)?.breaker.state ?? 'closed' }));
  }

  /** Starts the active health checks of self-hosted upstreams (timers unref'd); idempotent. */
  startHealthChecks(env: NodeJS.ProcessEnv = process.env): HealthChecker {
    this.health ??= new HealthChecker(this.registry.list(), this.resilience.healthCheck, (id) => this.policies.get(id)?.breaker, env);
    this.health.start();
    return this.health;
  }

  stopHealthChecks(): void {
    this.health?.stop();
  }

  /** The last active health check of a model, when it is polled. */
  healthCheck(id: string): HealthCheckResult | undefined {
    return this.health?.result(id);
  }

  /** The model's live policy (breaker, settings); health checks feed its breaker. */
  policyOf(id: string): ModelPolicy | undefined {
    return this.policies.get(id);
  }

  async generate(plan: Plan, request: GenerateRequest, options: ExecutionOptions): Promise<Execution & { result: GenerateResult }> {
    const deadline = deadlineSignal(options);
    try {
      const ctx = this.chainContext(plan, options, deadline, plan.cascade !== undefined && plan.cascade.length > 0);
      const { value, modelId } = await runChain(ctx, this.generateKind(plan, request, options.guard));
      return { modelId, attempts: ctx.attempts, attemptLog: ctx.log, result: value };
    } catch (error) {
      throw mapDeadline(error, deadline.timedOut(), options.timeoutMs);
    } finally {
      deadline.finish();
    }
  }

  async stream(plan: Plan, request: GenerateRequest, options: ExecutionOptions): Promise<StreamExecution & { done(): void }> {
    const deadline = deadlineSignal(options);
    try {
      if (plan.cascade !== undefined && plan.cascade.length > 0) {
        // A cascade judges whole answers: run it buffered, then stream the accepted answer.
        const ctx = this.chainContext(plan, options, deadline, true);
        const { value, modelId } = await runChain(ctx, this.generateKind(plan, request, options.guard));
        const buffered = resultAsParts(value);
        const first = buffered.shift()!;
        const parts: AsyncIterator<StreamPart> = {
          next: () => Promise.resolve(buffered.length > 0 ? { done: false, value: buffered.shift()! } : { done: true, value: undefined }),
          return: () => Promise.resolve({ done: true, value: undefined }),
        };
        return { modelId, attempts: ctx.attempts, attemptLog: ctx.log, first, parts, done: deadline.finish };
      }
      const ctx = this.chainContext(plan, options, deadline, false);
      const { value, modelId } = await runChain(ctx, this.streamKind(request, options));
      const parts = guardIterator(value.parts, deadline.timedOut, options.timeoutMs);
      const done = value.release === undefined ? deadline.finish : () => {
        value.release!();
        deadline.finish();
      };
      return { modelId, attempts: ctx.attempts, attemptLog: ctx.log, parts, first: value.first, done };
    } catch (error) {
      deadline.finish();
      throw mapDeadline(error, deadline.timedOut(), options.timeoutMs);
    }
  }

  async embed(plan: Plan, request: EmbedRequest, options: ExecutionOptions): Promise<Execution & { result: EmbedResult }> {
    const deadline = deadlineSignal(options);
    try {
      const ctx = this.chainContext(plan, options, deadline, false);
      const guard = options.guard;
      const kind: AttemptKind<EmbedRequest, EmbedResult> = {
        prepare: guard === undefined ? () => request : (modelId) => guard.embed(modelId, request),
        attempt: (backend, prepared, signal, policy) => {
          const embed = backend.embed?.bind(backend);
          if (!embed) {
            return Promise.reject(new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `Model '${backend.modelId}' does not serve embeddings; choose a model with embeddings enabled.`, { param: 'model' }));
          }
          if (policy.attemptMs === undefined) return embed(prepared, signal);
          return withAttemptDeadline(backend.modelId, signal, policy.attemptMs, (own) => embed(prepared, own));
        },
      };
      const { value, modelId } = await runChain(ctx, kind);
      return { modelId, attempts: ctx.attempts, attemptLog: ctx.log, result: value };
    } catch (error) {
      throw mapDeadline(error, deadline.timedOut(), options.timeoutMs);
    } finally {
      deadline.finish();
    }
  }

  private chainContext(plan: Plan, options: ExecutionOptions, deadline: Deadline, cascade: boolean): ChainContext {
    const now = this.now();
    return {
      plan,
      signal: deadline.signal,
      timedOut: deadline.timedOut,
      timeoutMs: options.timeoutMs,
      deadlineAt: now + remainingMs(options),
      log: options.attemptLog ?? [],
      attempts: 0,
      now: this.now,
      random: this.random,
      policyFor: this.policyFor,
      cascade,
    };
  }

  private generateKind(plan: Plan, request: GenerateRequest, guard: AttemptGuard | undefined): AttemptKind<PreparedGenerate, GenerateResult> {
    const checks = plan.cascade;
    return {
      prepare: guard === undefined ? () => noGuardGenerate(request) : (modelId) => guard.generate(modelId, request),
      attempt: async (backend, prepared, signal, policy) => {
        const result = policy.attemptMs === undefined
          ? await backend.generate(prepared.request, signal)
          : await withAttemptDeadline(backend.modelId, signal, policy.attemptMs, (own) => backend.generate(prepared.request, own));
        return prepared.restoreResult ? prepared.restoreResult(result) : result;
      },
      reject: checks === undefined ? undefined : (result) => failedCascadeCheck(result.text, checks),
    };
  }

  private streamKind(request: GenerateRequest, options: ExecutionOptions): AttemptKind<PreparedGenerate, OpenStream> {
    const guard = options.guard;
    return {
      prepare: guard === undefined ? () => noGuardGenerate(request) : (modelId) => guard.generate(modelId, request),
      attempt: (backend, prepared, signal, policy) => openStream(backend, prepared, signal, options.firstTokenMs ?? policy.firstTokenMs),
      dispose: (open) => {
        void open.parts.return?.().catch(() => undefined);
        open.release?.();
      },
    };
  }
}

/**
 * Starts a stream and waits for its first part: until then a failure can still fall back
 * silently. With a first-token deadline the attempt gets its own controller, so the deadline
 * cancels only this attempt (the chain moves on), not the request.
 */
async function openStream(backend: Backend, prepared: PreparedGenerate, signal: AbortSignal, firstTokenMs: number | undefined): Promise<OpenStream> {
  let own: LinkedController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  if (firstTokenMs !== undefined) {
    own = new LinkedController(signal);
    const controller = own;
    timer = setTimeout(() => {
      expired = true;
      controller.abort(firstTokenError(backend.modelId, firstTokenMs));
    }, firstTokenMs);
  }
  try {
    let iterable = backend.stream(prepared.request, own === undefined ? signal : own.signal);
    if (prepared.restoreStream) iterable = prepared.restoreStream(iterable);
    const parts = iterable[Symbol.asyncIterator]();
    const first = await parts.next();
    if (first.done) throw new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `Model '${backend.modelId}' ended its stream without a finish part.`);
    if (timer !== undefined) clearTimeout(timer);
    return { first: first.value, parts, release: own === undefined ? undefined : () => own.unlink() };
  } catch (error) {
    if (timer !== undefined) clearTimeout(timer);
    own?.unlink();
    if (expired && !signal.aborted) throw firstTokenError(backend.modelId, firstTokenMs!, error);
    throw error;
  }
}

/** Runs one attempt under its own deadline (`timeouts.attemptMs`): it cancels the attempt, not the request. */
async function withAttemptDeadline<T>(modelId: string, signal: AbortSignal, ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const own = new LinkedController(signal);
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    own.abort(new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `Model "${modelId}": no answer within ${ms} ms (timeouts.attemptMs).`));
  }, ms);
  try {
    return await run(own.signal);
  } catch (error) {
    if (expired && !signal.aborted) throw new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `Model "${modelId}": no answer within ${ms} ms (timeouts.attemptMs).`, { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
    own.unlink();
  }
}

function firstTokenError(modelId: string, ms: number, cause?: unknown): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `Model "${modelId}": no first token within ${ms} ms (timeouts.firstTokenMs).`, cause === undefined ? {} : { cause });
}


interface Deadline {
  signal: AbortSignal;
  finish: () => void;
  timedOut: () => boolean;
}

function remainingMs(options: ExecutionOptions): number {
  return options.startedAt === undefined ? options.timeoutMs : Math.max(0, options.timeoutMs - (performance.now() - options.startedAt));
}

/** A signal that fires when the client leaves or the request's deadline passes. */
function deadlineSignal(options: ExecutionOptions): Deadline {
  let expired = false;
  const delay = remainingMs(options);
  const own = options.controller;
  if (own) {
    const timer = setTimeout(() => {
      expired = true;
      own.abort(new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `The request did not finish within ${options.timeoutMs} ms.`));
    }, delay);
    return { signal: own.signal, timedOut: () => expired, finish: () => clearTimeout(timer) };
  }
  const controller = new LightAbortController();
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `The request did not finish within ${options.timeoutMs} ms.`));
  }, delay);
  const onAbort = () => controller.abort(options.signal.reason);
  if (options.signal.aborted) controller.abort(options.signal.reason);
  else options.signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    finish: () => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    },
  };
}

function mapDeadline(error: unknown, expired: boolean, timeoutMs: number): UnbundleError {
  if (error instanceof UnbundleError && error.code === 'UNBUNDLE_E_UPSTREAM_TIMEOUT') return error;
  if (expired) return new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `The request did not finish within ${timeoutMs} ms.`, { cause: error });
  return toUnbundleError(error);
}

function guardIterator(parts: AsyncIterator<StreamPart>, timedOut: () => boolean, timeoutMs: number): AsyncIterator<StreamPart> {
  return {
    async next() {
      try {
        return await parts.next();
      } catch (error) {
        throw mapDeadline(error, timedOut(), timeoutMs);
      }
    },
    async return(value?: unknown) {
      return (await parts.return?.(value)) ?? { done: true, value: undefined };
    },
  };
}
