import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GenerateRequest, StreamPart } from '../../src/backends/types.ts';
import { UnbundleError } from '../../src/errors.ts';
import type { AttemptGuard } from '../../src/executor/attempt-guard.ts';
import { Executor } from '../../src/executor/executor.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import type { Plan } from '../../src/router/plan.ts';
import { ScriptedBackend, scriptedConfig } from '../helpers/scripted-backend.ts';

/**
 * The policy's AttemptGuard is called before every attempt — first try, retry, fallback, hedge,
 * cascade step — and a model it forbids is skipped on every path, never retried.
 */
function setup() {
  const backends = { a: new ScriptedBackend('a', { text: 'from a' }), b: new ScriptedBackend('b', { text: 'from b' }), c: new ScriptedBackend('c', { text: 'from c' }) };
  const registry = ModelRegistry.fromBackends(Object.values(backends).map((backend) => ({ config: scriptedConfig(backend.modelId), backend })));
  const executor = new Executor(registry, undefined, { random: () => 0 });
  const seen: string[] = [];
  const guard: AttemptGuard = {
    generate(modelId, request) {
      seen.push(modelId);
      if (modelId === 'b') throw new UnbundleError('UNBUNDLE_E_FORBIDDEN', 'Model b may not see this data (zone external).');
      // Placeholders out, values back in: the restore hooks wrap the attempt's answer.
      return {
        request,
        restoreResult: (result) => ({ ...result, text: result.text.replace('from', 'restored from') }),
        restoreStream: async function* (parts: AsyncIterable<StreamPart>) {
          for await (const part of parts) yield part.type === 'text-delta' ? { ...part, text: part.text.replace('from', 'restored from') } : part;
        },
      };
    },
    embed(modelId, request) {
      seen.push(modelId);
      if (modelId === 'b') throw new UnbundleError('UNBUNDLE_E_FORBIDDEN', 'Model b may not see this data.');
      return request;
    },
  };
  return { backends, executor, guard, seen };
}

const request: GenerateRequest = { kind: 'chat', messages: [{ role: 'user', content: 'secret stuff' }] };
const plan = (primary: string, fallbacks: string[], extra: Partial<Plan> = {}): Plan => ({ requested: primary, primary, fallbacks, reasons: [], ...extra });
const options = (guard: AttemptGuard) => ({ signal: new AbortController().signal, timeoutMs: 5_000, guard });

describe('AttemptGuard on every path', () => {
  it('first try: a forbidden primary is skipped (never called) and recorded; the fallback answers, restored', async () => {
    const { backends, executor, guard, seen } = setup();
    const execution = await executor.generate(plan('b', ['c']), request, options(guard));
    assert.equal(execution.modelId, 'c');
    assert.equal(execution.result.text, 'restored from c');
    assert.equal(backends.b.calls.length, 0);
    assert.equal(execution.attempts, 1);
    assert.deepEqual(execution.attemptLog.map((entry) => [entry.modelId, entry.outcome, entry.code]), [['b', 'forbidden', 'UNBUNDLE_E_FORBIDDEN'], ['c', 'ok', undefined]]);
    assert.deepEqual(seen, ['b', 'c']);
  });

  it('retry and fallback: the guard runs before each retry and the forbidden fallback is skipped', async () => {
    const { backends, executor, guard, seen } = setup();
    backends.a.script.failWith = new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'a is down');
    const execution = await executor.generate(plan('a', ['b', 'c']), request, options(guard));
    assert.equal(execution.modelId, 'c');
    assert.equal(backends.a.calls.length, 3, 'first try and two retries');
    assert.deepEqual(seen, ['a', 'a', 'a', 'b', 'c']);
    assert.equal(backends.b.calls.length, 0);
  });

  it('stream: forbidden primary skipped, restoreStream wraps the fallback\'s parts', async () => {
    const { backends, executor, guard } = setup();
    const execution = await executor.stream(plan('b', ['c']), request, options(guard));
    const parts: StreamPart[] = [execution.first];
    for (let next = await execution.parts.next(); !next.done; next = await execution.parts.next()) parts.push(next.value);
    execution.done();
    assert.equal(execution.modelId, 'c');
    assert.match(parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join(''), /^restored from c/);
    assert.equal(backends.b.calls.length, 0);
  });

  it('hedge: a forbidden hedge target is skipped, the primary still answers', async () => {
    const { backends, executor, guard, seen } = setup();
    backends.a.script.delayMs = 80;
    const execution = await executor.generate(plan('a', ['b'], { hedgeAfterMs: 10 }), request, options(guard));
    assert.equal(execution.modelId, 'a');
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal(backends.b.calls.length, 0);
    assert.deepEqual(execution.attemptLog.map((entry) => entry.outcome), ['forbidden', 'ok']);
  });

  it('cascade: a rejected answer escalates past the forbidden model to the next one', async () => {
    const { backends, executor, guard } = setup();
    const execution = await executor.generate(plan('a', ['b', 'c'], { cascade: [{ kind: 'regex', pattern: 'from c' }] }), request, options(guard));
    assert.equal(execution.modelId, 'c');
    assert.equal(backends.b.calls.length, 0);
    assert.deepEqual(execution.attemptLog.map((entry) => entry.outcome), ['rejected', 'forbidden', 'ok']);
  });

  it('embeddings: the guard is asked too', async () => {
    const { backends, executor, guard } = setup();
    const execution = await executor.embed(plan('b', ['a']), { input: ['x'] }, options(guard));
    assert.equal(execution.modelId, 'a');
    assert.equal(backends.b.calls.length, 0);
  });

  it('every model forbidden: the guard\'s own error, and no backend called', async () => {
    const { backends, executor, guard } = setup();
    await assert.rejects(executor.generate(plan('b', []), request, options(guard)), (error: unknown) => error instanceof UnbundleError && error.code === 'UNBUNDLE_E_FORBIDDEN');
    assert.equal(backends.b.calls.length, 0);
  });
});

describe('cascade', () => {
  it('accepts the primary when it passes; escalates on a failed check; keeps the last answer when all fail', async () => {
    const { backends, executor } = setup();
    const noGuard = { signal: new AbortController().signal, timeoutMs: 5_000 };
    backends.a.script.text = '{"answer": 1}';
    const passes = await executor.generate(plan('a', ['c'], { cascade: [{ kind: 'json' }] }), request, noGuard);
    assert.equal(passes.modelId, 'a');
    assert.equal(backends.c.calls.length, 0);
    backends.a.script.text = 'not json';
    const escalated = await executor.generate(plan('a', ['c'], { cascade: [{ kind: 'json' }] }), request, noGuard);
    assert.equal(escalated.modelId, 'c', 'the last step is accepted as is');
    assert.equal(escalated.attemptLog[0]!.outcome, 'rejected');
    assert.match(escalated.attemptLog[0]!.reason!, /^json: not JSON/);
    backends.c.script.failWith = new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'c is down');
    const best = await executor.generate(plan('a', ['c'], { cascade: [{ kind: 'json' }] }), request, noGuard);
    assert.equal(best.modelId, 'a', 'a rejected answer beats no answer when the escalation fails');
    assert.equal(best.result.text, 'not json');
  });

  it('stream with a cascade: judged whole, then the accepted answer is streamed', async () => {
    const { backends, executor } = setup();
    backends.a.script.text = 'too short';
    const execution = await executor.stream(plan('a', ['c'], { cascade: [{ kind: 'min-length', chars: 20 }] }), request, { signal: new AbortController().signal, timeoutMs: 5_000 });
    const parts: StreamPart[] = [execution.first];
    for (let next = await execution.parts.next(); !next.done; next = await execution.parts.next()) parts.push(next.value);
    execution.done();
    assert.equal(execution.modelId, 'c');
    assert.deepEqual(parts.map((p) => p.type), ['text-delta', 'usage', 'finish']);
    assert.equal(backends.a.calls.length, 1);
    assert.equal(backends.c.calls.length, 1);
  });
});
