import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GenerateRequest } from '../../src/backends/types.ts';
import { UnbundleError } from '../../src/errors.ts';
import { Executor } from '../../src/executor/executor.ts';
import { resilienceSchema } from '../../src/executor/resilience-schema.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import type { Plan } from '../../src/router/plan.ts';
import { ScriptedBackend, scriptedConfig } from '../helpers/scripted-backend.ts';

const request: GenerateRequest = { kind: 'chat', messages: [{ role: 'user', content: 'x' }] };
const plan = (primary: string, fallbacks: string[] = []): Plan => ({ requested: primary, primary, fallbacks, reasons: [] });

function setup(resilience: Record<string, unknown> = {}, random = () => 0) {
  const a = new ScriptedBackend('a', { text: 'from a' });
  const b = new ScriptedBackend('b', { text: 'from b' });
  const registry = ModelRegistry.fromBackends([a, b].map((backend) => ({ config: scriptedConfig(backend.modelId), backend })));
  return { a, b, executor: new Executor(registry, resilienceSchema.parse(resilience), { random }) };
}

describe('retry policy', () => {
  it('retries a retryable failure `retries` times, then falls back; the log tells the story', async () => {
    const { a, executor } = setup({ retry: { retries: 3 } });
    a.script.failWith = new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'down');
    const execution = await executor.generate(plan('a', ['b']), request, { signal: new AbortController().signal, timeoutMs: 5_000 });
    assert.equal(a.calls.length, 4);
    assert.equal(execution.attempts, 5);
    assert.deepEqual(execution.attemptLog.map((e) => `${e.modelId}:${e.outcome}:${e.status ?? ''}`), ['a:error:502', 'a:error:502', 'a:error:502', 'a:error:502', 'b:ok:']);
  });

  it('never retries a request fault (400) and never falls back from it', async () => {
    const { a, b, executor } = setup();
    a.script.failWith = new UnbundleError('UNBUNDLE_E_UPSTREAM_CLIENT', 'bad field', { status: 400 });
    await assert.rejects(executor.generate(plan('a', ['b']), request, { signal: new AbortController().signal, timeoutMs: 5_000 }), /bad field/);
    assert.equal(a.calls.length, 1);
    assert.equal(b.calls.length, 0);
  });

  it('a full local queue moves on to the fallback at once (no retry on the same queue)', async () => {
    const { a, executor } = setup();
    a.script.failWith = new UnbundleError('UNBUNDLE_E_QUEUE_FULL', 'queue full', { retryAfterSeconds: 1 });
    const execution = await executor.generate(plan('a', ['b']), request, { signal: new AbortController().signal, timeoutMs: 5_000 });
    assert.equal(a.calls.length, 1);
    assert.equal(execution.modelId, 'b');
  });

  it('the breaker counts failed requests, not retries', async () => {
    const { a, executor } = setup({ breaker: { failures: 2 } });
    a.script.failWith = new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'down');
    const options = () => ({ signal: new AbortController().signal, timeoutMs: 5_000 });
    await assert.rejects(executor.generate(plan('a'), request, options()));
    assert.equal(executor.circuitStates()[0]!.state, 'closed', 'one request with 3 tries is one failure');
    await assert.rejects(executor.generate(plan('a'), request, options()));
    assert.equal(executor.circuitStates()[0]!.state, 'open');
    const calls = a.calls.length;
    await assert.rejects(executor.generate(plan('a'), request, options()), (error: unknown) => error instanceof UnbundleError && error.code === 'UNBUNDLE_E_CIRCUIT_OPEN' && error.retryAfterSeconds === 10);
    assert.equal(a.calls.length, calls);
  });

  it('a client that leaves during the backoff stops the retries at once', async () => {
    const { a, executor } = setup({ retry: { baseMs: 1_000 } }, () => 0.9);
    a.script.failWith = new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'down');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('client disconnected')), 50);
    const began = performance.now();
    await assert.rejects(executor.generate(plan('a', ['b']), request, { signal: controller.signal, timeoutMs: 5_000 }), (error: unknown) => error instanceof UnbundleError && error.code === 'UNBUNDLE_E_CANCELLED');
    assert.ok(performance.now() - began < 500);
    assert.equal(a.calls.length, 1);
  });

  it('does not start a backoff that would end past the deadline: the error comes before it', async () => {
    const { a, executor } = setup({ retry: { baseMs: 1_000, capMs: 2_000 } }, () => 0.9);
    a.script.failWith = new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'down');
    const began = performance.now();
    await assert.rejects(executor.generate(plan('a'), request, { signal: new AbortController().signal, timeoutMs: 300 }), /down/);
    assert.ok(performance.now() - began < 200, 'no pointless sleep into a 504');
    assert.equal(a.calls.length, 1);
  });
});
