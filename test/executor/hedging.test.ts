import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Executor } from '../../src/executor/executor.ts';
import { LatencyTracker } from '../../src/executor/latency-tracker.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';
import { ScriptedBackend, scriptedConfig } from '../helpers/scripted-backend.ts';

describe('hedging through the gateway', () => {
  let slow: FakeOpenAIUpstream;
  let fast: FakeOpenAIUpstream;
  let started: StartedGateway;

  before(async () => {
    slow = await startFakeOpenAIUpstream({ behavior: { kind: 'drip', intervalMs: 400, text: 'tortoise tortoise tortoise' } });
    fast = await startFakeOpenAIUpstream({ behavior: { kind: 'ok', text: 'Fast answer.' } });
    started = await startGatewayFromConfig({
      models: [
        { id: 'slow', backend: 'openai-compatible', baseURL: slow.url, fallbacks: ['fast'], hedgeAfterMs: 60 },
        { id: 'fast', backend: 'openai-compatible', baseURL: fast.url },
      ],
    });
  });
  after(async () => {
    await started.close();
    await slow.close();
    await fast.close();
  });

  for (const stream of [false, true]) {
    it(`${stream ? 'stream' : 'whole'}: a slow primary is hedged after hedgeAfterMs; the fast second wins; the primary is cancelled`, async () => {
      const before = slow.requests.length;
      const began = performance.now();
      const response = await fetch(`${started.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'slow', stream, messages: [{ role: 'user', content: 'hi' }] }),
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-unbundle-model'), 'fast');
      assert.equal(response.headers.get('x-unbundle-attempts'), '2');
      assert.match(text, stream ? /Fast/ : /Fast answer\./);
      assert.doesNotMatch(text, /tortoise/);
      assert.ok(performance.now() - began < 1_000, 'did not wait for the slow model');
      const primary = slow.requests[before];
      assert.ok(primary, 'the slow model was tried first');
      const closed = await primary.closed;
      assert.equal(closed.completed, false, 'the upstream saw the losing attempt aborted');
      const line = started.logs.at(-1)!;
      assert.deepEqual((line.attemptLog as string[]).map((entry) => entry.split(' ').slice(0, 2).join(' ')), ['fast ok', 'slow cancelled']);
    });
  }
});

describe('hedging on measured p95', () => {
  it('waits for 20 samples, then hedges after the primary\'s p95', async () => {
    const primary = new ScriptedBackend('p', { text: 'primary' });
    const second = new ScriptedBackend('s', { text: 'second' });
    const config = { ...scriptedConfig('p'), hedgeAfterMs: 'p95' as const, fallbacks: ['s'] };
    const executor = new Executor(ModelRegistry.fromBackends([{ config, backend: primary }, { config: scriptedConfig('s'), backend: second }]));
    const plan = { requested: 'p', primary: 'p', fallbacks: ['s'], reasons: [] };
    const options = () => ({ signal: new AbortController().signal, timeoutMs: 5_000 });
    const request = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'x' }] };
    primary.script.delayMs = 5;
    for (let i = 0; i < 19; i++) assert.equal((await executor.generate(plan, request, options())).modelId, 'p');
    assert.equal(second.calls.length, 0, 'no hedging before enough samples');
    await executor.generate(plan, request, options());
    primary.script.delayMs = 500;
    const began = performance.now();
    const hedged = await executor.generate(plan, request, options());
    assert.equal(hedged.modelId, 's');
    assert.equal(hedged.result.text, 'second');
    assert.ok(performance.now() - began < 300);
    assert.equal(primary.calls.at(-1)!.signal.aborted, true, 'the losing primary was cancelled');
  });

  it('LatencyTracker: p95 of the recent window', () => {
    const tracker = new LatencyTracker();
    for (let i = 1; i <= 19; i++) tracker.record(i);
    assert.equal(tracker.p95(), undefined);
    tracker.record(20);
    assert.equal(tracker.p95(), 19);
    for (let i = 0; i < 200; i++) tracker.record(1_000);
    assert.equal(tracker.p95(), 1_000, 'old samples leave the window');
  });
});
