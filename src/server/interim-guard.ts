import type { StreamPart } from '../backends/types.ts';
import type { AttemptGuard } from '../executor/attempt-guard.ts';
import type { Executor } from '../executor/executor.ts';
import type { Plan } from '../router/plan.ts';

export type GuardedExecutor = Pick<Executor, 'generate' | 'stream' | 'embed'>;

async function* prepend(first: StreamPart, rest: AsyncIterator<StreamPart>): AsyncGenerator<StreamPart> {
  yield first;
  // yield* delegates return(), so closing the re-hydrated stream closes the backend's iterator too.
  yield* { [Symbol.asyncIterator]: () => rest };
}

/** The primary alone: fallbacks, hedges and cascade steps would otherwise get a request prepared for another zone. */
function primaryOnly(plan: Plan): Plan {
  if (plan.fallbacks.length === 0 && plan.cascade === undefined && plan.hedgeAfterMs === undefined) return plan;
  const { cascade: _cascade, hedgeAfterMs: _hedge, ...rest } = plan;
  return { ...rest, fallbacks: [] };
}

/**
 * INTERIM, until the executor calls the AttemptGuard before every attempt itself: asks the guard
 * once, for the plan's primary, sends what it allows and re-hydrates the answer. It drops the
 * plan's fallbacks, hedge and cascade so no other model can receive a request prepared for the
 * primary's zone. Delete this file (and its one call in route-request.ts) once the executor
 * takes the guard.
 */
export function guardPrimaryAttempt(executor: Executor, guard: AttemptGuard): GuardedExecutor {
  return {
    async generate(plan, request, options) {
      const prepared = guard.generate(plan.primary, request);
      const out = await executor.generate(primaryOnly(plan), prepared.request, options);
      return prepared.restoreResult ? { ...out, result: prepared.restoreResult(out.result) } : out;
    },
    async stream(plan, request, options) {
      const prepared = guard.generate(plan.primary, request);
      const out = await executor.stream(primaryOnly(plan), prepared.request, options);
      if (!prepared.restoreStream) return out;
      const parts = prepared.restoreStream(prepend(out.first, out.parts))[Symbol.asyncIterator]();
      try {
        const first = await parts.next();
        if (first.done) throw new Error('the model stream ended without a finish part');
        return { ...out, first: first.value, parts };
      } catch (error) {
        await parts.return?.().catch(() => undefined);
        out.done();
        throw error;
      }
    },
    async embed(plan, request, options) {
      return executor.embed(primaryOnly(plan), guard.embed(plan.primary, request), options);
    },
  };
}
