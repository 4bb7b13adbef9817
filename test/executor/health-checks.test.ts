import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Executor } from '../../src/executor/executor.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import { chooseRoute } from '../../src/router/choose-route.ts';
import { startFakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig } from '../helpers/start-gateway.ts';

describe('active health checks', () => {
  it('polls self-hosted upstreams only; a failed check opens the circuit, a passing one lets it probe again', async () => {
    const upstream = await startFakeOpenAIUpstream();
    const portfolio = portfolioFromObject({
      resilience: { healthCheck: { intervalMs: 100 } },
      models: [
        { id: 'vllm', backend: 'openai-compatible', baseURL: upstream.url, zone: 'self-hosted', fallbacks: ['api'] },
        { id: 'api', backend: 'openai-compatible', baseURL: upstream.url },
        { id: 'off', backend: 'openai-compatible', baseURL: upstream.url, zone: 'self-hosted', healthCheck: false },
      ],
    });
    const registry = await ModelRegistry.create(portfolio);
    const executor = new Executor(registry, portfolio.resilience);
    const checker = executor.startHealthChecks();
    try {
      assert.deepEqual(checker.ids(), ['vllm'], 'external APIs and healthCheck: false are not polled');
      await checker.checkAll();
      assert.equal(executor.healthCheck('vllm')?.ok, true);
      const gets = () => upstream.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models').length;
      const before = gets();
      await new Promise((resolve) => setTimeout(resolve, 350));
      assert.ok(gets() - before >= 2, `periodic checks ran (${gets() - before})`);

      upstream.setBehavior({ kind: 'error', status: 503 });
      await checker.checkAll();
      assert.equal(executor.healthCheck('vllm')?.ok, false);
      assert.match(executor.healthCheck('vllm')!.error!, /GET \/models failed: HTTP 503/);
      assert.equal(executor.circuitStates().find((c) => c.id === 'vllm')!.state, 'open');

      upstream.setBehavior({ kind: 'ok' });
      await checker.checkAll();
      assert.equal(executor.circuitStates().find((c) => c.id === 'vllm')!.state, 'half-open');
    } finally {
      executor.stopHealthChecks();
      await registry.close();
      await upstream.close();
    }
    const count = upstream.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(upstream.requests.length, count, 'stopped: no more checks');
  });

  it('shows the last check in /health and stops with the gateway', async () => {
    const upstream = await startFakeOpenAIUpstream();
    const started = await startGatewayFromConfig({
      resilience: { healthCheck: { intervalMs: 100, path: '/models' } },
      models: [{ id: 'vllm', backend: 'openai-compatible', baseURL: upstream.url, zone: 'self-hosted' }],
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const health = (await (await fetch(`${started.url}/health`)).json()) as { models: Array<{ healthCheck?: { ok: boolean; at: string } }> };
      assert.equal(health.models[0]!.healthCheck?.ok, true);
    } finally {
      await started.close();
    }
    const count = upstream.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(upstream.requests.length, count, 'shutdown stopped the checks');
    await upstream.close();
  });
});

describe('fallbacks in the config and the plan', () => {
  const base = { backend: 'openai-compatible' as const, baseURL: 'http://127.0.0.1:9/v1' };

  it('an explicit model\'s plan carries its configured fallbacks, in order', async () => {
    const portfolio = portfolioFromObject({ models: [{ id: 'a', ...base, fallbacks: ['c', 'b'] }, { id: 'b', ...base }, { id: 'c', ...base }] });
    const registry = await ModelRegistry.create(portfolio);
    assert.deepEqual(chooseRoute('a', registry).fallbacks, ['c', 'b']);
    assert.deepEqual(chooseRoute('b', registry).fallbacks, []);
    await registry.close();
  });

  it('rejects unknown, self-referencing and repeated fallbacks, naming the path', () => {
    assert.throws(
      () => portfolioFromObject({ models: [{ id: 'a', ...base, fallbacks: ['a', 'nope', 'b', 'b'] }, { id: 'b', ...base }] }),
      (error: Error) =>
        /models\[0\]\.fallbacks\[0\]: "a" is this model itself/.test(error.message) &&
        /models\[0\]\.fallbacks\[1\]: unknown model "nope"/.test(error.message) &&
        /models\[0\]\.fallbacks\[3\]: "b" is listed twice/.test(error.message),
    );
  });

  it('resilience keys are strict, with "did you mean"', () => {
    assert.throws(() => portfolioFromObject({ resilience: { breakr: {} } as never }), /resilience\.breakr: unknown key "breakr" — did you mean "breaker"\?/);
    assert.throws(() => portfolioFromObject({ models: [{ id: 'a', ...base, hedgeAfterMs: 'p99' as never }] }), /models\[0\]\.hedgeAfterMs: must be a whole number of milliseconds \(e\.g\. 300\) or "p95"/);
  });

  it('resilience.timeouts.connectMs is the default connect timeout of HTTP upstreams', () => {
    const portfolio = portfolioFromObject({ resilience: { timeouts: { connectMs: 1_234 } }, models: [{ id: 'a', ...base }, { id: 'b', ...base, connectTimeoutMs: 99 }] });
    assert.deepEqual(portfolio.models.map((m) => (m.backend === 'openai-compatible' ? m.connectTimeoutMs : 0)), [1_234, 99]);
  });
});
