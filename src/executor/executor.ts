import type { EmbedRequest, EmbedResult, GenerateRequest, GenerateResult, StreamPart } from '../backends/types.ts';
import { UnbundleError, toUnbundleError } from '../errors.ts';
import type { ModelRegistry } from '../portfolio/model-registry.ts';
import type { Plan } from '../router/plan.ts';

export interface ExecutionOptions {
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Total time allowed for the request, in ms. */
  timeoutMs: number;
  /**
   * The controller behind `signal`, when the caller owns one: the deadline then aborts it
   * directly instead of chaining a second controller and listener onto it.
   */
  controller?: AbortController;
}

export interface Execution {
  /** The model that finally answered. */
  modelId: string;
  attempts: number;
}

export interface StreamExecution extends Execution {
  /** The first part is already read (so a failure before it can still fall back); the rest follow. */
  parts: AsyncIterator<StreamPart>;
  first: StreamPart;
}

/**
 * Carries out a Plan: the one place where I/O policy lives (deadlines now; retries, fallbacks,
 * circuit breakers and hedging with the executor issue). It never decides *which* models may
 * answer — that is the Plan's job.
 */
export class Executor {
  constructor(private readonly registry: ModelRegistry) {}

  async generate(plan: Plan, request: GenerateRequest, options: ExecutionOptions): Promise<Execution & { result: GenerateResult }> {
    return this.withDeadline(options, async (signal) => {
      const backend = this.backendFor(plan.primary);
      const result = await backend.generate(request, signal);
      return { modelId: plan.primary, attempts: 1, result };
    });
  }

  async stream(plan: Plan, request: GenerateRequest, options: ExecutionOptions): Promise<StreamExecution & { done(): void }> {
    const { signal, finish, timedOut } = deadlineSignal(options);
    try {
      const backend = this.backendFor(plan.primary);
      const parts = backend.stream(request, signal)[Symbol.asyncIterator]();
      const first = await parts.next();
      if (first.done) {
        throw new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `Model '${plan.primary}' ended its stream without a finish part.`);
      }
      const guarded = guardIterator(parts, timedOut, options.timeoutMs);
      return { modelId: plan.primary, attempts: 1, parts: guarded, first: first.value, done: finish };
    } catch (error) {
      finish();
      throw mapDeadline(error, timedOut(), options.timeoutMs);
    }
  }

  async embed(plan: Plan, request: EmbedRequest, options: ExecutionOptions): Promise<Execution & { result: EmbedResult }> {
    return this.withDeadline(options, async (signal) => {
      const backend = this.backendFor(plan.primary);
      if (!backend.embed) {
        throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `Model '${plan.primary}' does not serve embeddings; choose a model with embeddings enabled.`, { param: 'model' });
      }
      return { modelId: plan.primary, attempts: 1, result: await backend.embed(request, signal) };
    });
  }

  private backendFor(id: string) {
    const entry = this.registry.get(id);
    if (!entry) throw new UnbundleError('UNBUNDLE_E_MODEL_NOT_FOUND', `The model '${id}' is not in the portfolio.`);
    return entry.backend;
  }

  private async withDeadline<T>(options: ExecutionOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { signal, finish, timedOut } = deadlineSignal(options);
    try {
      return await run(signal);
    } catch (error) {
      throw mapDeadline(error, timedOut(), options.timeoutMs);
    } finally {
      finish();
    }
  }
}

/** A signal that fires when the client leaves or the request's deadline passes. */
function deadlineSignal(options: ExecutionOptions): { signal: AbortSignal; finish: () => void; timedOut: () => boolean } {
  let expired = false;
  const own = options.controller;
  if (own) {
    const timer = setTimeout(() => {
      expired = true;
      own.abort(new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `The request did not finish within ${options.timeoutMs} ms.`));
    }, options.timeoutMs);
    return { signal: own.signal, timedOut: () => expired, finish: () => clearTimeout(timer) };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `The request did not finish within ${options.timeoutMs} ms.`));
  }, options.timeoutMs);
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
