import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';
import { runCli } from '../helpers/run-cli.ts';

/**
 * The breaker through the whole gateway: it opens after N failures, then sheds load fast (the
 * upstream sees no calls), answers from the fallback — or 503 + Retry-After when none is left —
 * shows its state in /health, /metrics and `unbundle models`, and recovers through a half-open probe.
 */
describe('circuit breaker through the gateway', () => {
  let failing: FakeOpenAIUpstream;
  let healthy: FakeOpenAIUpstream;
  let started: StartedGateway;

  before(async () => {
    failing = await startFakeOpenAIUpstream({ behavior: { kind: 'error', status: 503 } });
    healthy = await startFakeOpenAIUpstream();
    started = await startGatewayFromConfig({
      resilience: { retry: { retries: 0 }, breaker: { failures: 3, windowMs: 10_000, openMs: 4_000 } },
      models: [
        { id: 'flaky', backend: 'openai-compatible', baseURL: failing.url, fallbacks: ['steady'] },
        { id: 'flaky-alone', backend: 'openai-compatible', baseURL: failing.url, breaker: { failures: 2, openMs: 30_000 } },
        { id: 'steady', backend: 'openai-compatible', baseURL: healthy.url },
      ],
    });
  });
  after(async () => {
    await started.close();
    await failing.close();
    await healthy.close();
  });

  const chat = (model: string) =>
    fetch(`${started.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(5_000),
    });

  it('opens after 3 failures, sheds to the fallback without calling the upstream, recovers via half-open', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await chat('flaky');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-unbundle-model'), 'steady');
      assert.equal(response.headers.get('x-unbundle-attempts'), '2');
      await response.text();
    }
    assert.equal(failing.calls, 3);
    const health = (await (await fetch(`${started.url}/health`)).json()) as { status: string; models: Array<{ id: string; circuit: string }> };
    assert.equal(health.models.find((m) => m.id === 'flaky')!.circuit, 'open');
    assert.equal(health.status, 'degraded');
    const metrics = await (await fetch(`${started.url}/metrics`)).text();
    assert.match(metrics, /unbundle_circuit_state\{model="flaky"\} 2/);
    assert.match(metrics, /unbundle_circuit_state\{model="steady"\} 0/);
    assert.match(metrics, /unbundle_attempt_failures_total\{model="flaky",outcome="error"\} 3/);
    const cli = await runCli(['models', '--url', started.url, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as Array<{ id: string; circuit: string }>).find((m) => m.id === 'flaky')!.circuit, 'open');

    // Open: 20 requests, zero upstream calls, all answered by the fallback, fast.
    const began = performance.now();
    const shed = await Promise.all(Array.from({ length: 20 }, () => chat('flaky')));
    for (const response of shed) {
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-unbundle-model'), 'steady');
      assert.equal(response.headers.get('x-unbundle-attempts'), '1', 'a shed model is not an attempt');
      await response.text();
    }
    assert.equal(failing.calls, 3, 'no upstream call while the circuit is open');
    assert.ok(performance.now() - began < 2_000);

    // After openMs the next request is the half-open probe; the upstream has recovered.
    failing.setBehavior({ kind: 'ok' });
    await new Promise((resolve) => setTimeout(resolve, 4_050));
    const probe = await chat('flaky');
    assert.equal(probe.status, 200);
    assert.equal(probe.headers.get('x-unbundle-model'), 'flaky');
    await probe.text();
    assert.equal(failing.calls, 4);
    const after = (await (await fetch(`${started.url}/health`)).json()) as { status: string; models: Array<{ id: string; circuit: string }> };
    assert.equal(after.models.find((m) => m.id === 'flaky')!.circuit, 'closed');
    failing.setBehavior({ kind: 'error', status: 503 });
  });

  it('with no model left: 503 UNBUNDLE_E_CIRCUIT_OPEN with Retry-After, and no upstream call', async () => {
    for (let i = 0; i < 2; i++) await (await chat('flaky-alone')).text();
    const before = failing.calls;
    const response = await chat('flaky-alone');
    assert.equal(response.status, 503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNBUNDLE_E_CIRCUIT_OPEN');
    assert.match(body.error.message, /flaky-alone/);
    assert.ok(Number(response.headers.get('retry-after')) >= 29, `retry-after ${response.headers.get('retry-after')}`);
    assert.equal(response.headers.get('x-unbundle-attempts'), '0');
    assert.equal(failing.calls, before);
    const line = started.logs.at(-1)!;
    assert.equal(line.code, 'UNBUNDLE_E_CIRCUIT_OPEN');
    assert.equal(line.status, 503);
  });
});
