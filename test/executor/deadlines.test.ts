import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';

describe('deadlines: per model, server default, per request', () => {
  let slow: FakeOpenAIUpstream;
  let started: StartedGateway;

  before(async () => {
    slow = await startFakeOpenAIUpstream({ behavior: { kind: 'drip', intervalMs: 500 } });
    started = await startGatewayFromConfig({
      resilience: { retry: { retries: 0 } },
      models: [
        { id: 'slow', backend: 'openai-compatible', baseURL: slow.url },
        { id: 'slow-total', backend: 'openai-compatible', baseURL: slow.url, timeouts: { totalMs: 250 } },
      ],
    });
  });
  after(async () => {
    await started.close();
    await slow.close();
  });

  const chat = (model: string, stream: boolean, headers: Record<string, string> = {}) =>
    fetch(`${started.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(10_000),
    });

  it('warm-up (connection pool, lazy imports) so the timings below measure the deadlines', async () => {
    assert.equal((await chat('slow', true, { 'x-unbundle-ttft-ms': '100' })).status, 504);
  });

  it('x-unbundle-ttft-ms bounds the wait for the first token of a stream → 504', async () => {
    const began = performance.now();
    const response = await chat('slow', true, { 'x-unbundle-ttft-ms': '150' });
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(response.status, 504);
    assert.equal(body.error.code, 'UNBUNDLE_E_UPSTREAM_TIMEOUT');
    assert.match(body.error.message, /no first token within 150 ms/);
    const ms = performance.now() - began;
    assert.ok(ms < 450, `${ms} ms`);
  });

  it('a model\'s timeouts.totalMs is the request\'s deadline; the header still wins', async () => {
    let began = performance.now();
    const response = await chat('slow-total', false);
    assert.equal(response.status, 504);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /within 250 ms/);
    assert.ok(performance.now() - began < 500);
    began = performance.now();
    const longer = await chat('slow-total', false, { 'x-unbundle-timeout-ms': '5000' });
    assert.equal(longer.status, 200);
    await longer.text();
  });

  it('rejects a malformed x-unbundle-ttft-ms with 400 naming the header', async () => {
    const response = await chat('slow', true, { 'x-unbundle-ttft-ms': 'soon' });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { param: string; message: string } };
    assert.equal(body.error.param, 'x-unbundle-ttft-ms');
  });
});
