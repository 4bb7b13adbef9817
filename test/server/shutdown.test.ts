import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScriptedBackend, scriptedConfig } from '../helpers/scripted-backend.ts';
import { startGatewayWith } from '../helpers/start-gateway.ts';

const chat = (url: string, model: string) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });

describe('graceful shutdown', () => {
  it('finishes in-flight requests within the grace period and refuses new connections', async () => {
    const slow = new ScriptedBackend('slow', { text: 'finished in time', delayMs: 300 });
    const started = await startGatewayWith([{ config: scriptedConfig('slow'), backend: slow }]);
    const inFlight = chat(started.url, 'slow');
    while (slow.active === 0) await new Promise((r) => setTimeout(r, 5));
    const shutdown = started.gateway.shutdown(5_000);
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content, 'finished in time');
    await shutdown;
    await assert.rejects(chat(started.url, 'slow'), /fetch failed/);
  });

  it('cancels what is still running when the grace period ends', async () => {
    const stuck = new ScriptedBackend('stuck', { text: 'never', delayMs: 60_000 });
    const started = await startGatewayWith([{ config: scriptedConfig('stuck'), backend: stuck }]);
    const inFlight = chat(started.url, 'stuck').catch((error: unknown) => error);
    while (stuck.active === 0) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    await started.gateway.shutdown(200);
    assert.ok(Date.now() - t0 < 3_000, 'shutdown waited far past its grace period');
    assert.equal(stuck.calls[0]!.signal.aborted, true, 'the stuck generation was not cancelled');
    const response = (await inFlight) as Response;
    assert.equal(stuck.active, 0);
    // The client is told the server went away (503, retryable), not that it cancelled (499).
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNBUNDLE_E_SHUTTING_DOWN');
    assert.match(body.error.message, /shutdownGraceMs: 200 ms/);
  });

  it('ends a stream cut by the grace period with a shutting-down error event after the text so far', async () => {
    const slow = new ScriptedBackend('slow-stream', { text: 'one two three', partDelayMs: 60_000 });
    const started = await startGatewayWith([{ config: scriptedConfig('slow-stream'), backend: slow }]);
    const response = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'slow-stream', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
    assert.equal(response.status, 200);
    const text = response.text();
    while (slow.active === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    await started.gateway.shutdown(100);
    const wire = await text;
    assert.match(wire, /"content":"one "/);
    const last = wire.trim().split('\n\n').at(-1)!;
    assert.equal((JSON.parse(last.slice('data: '.length)) as { error: { code: string } }).error.code, 'UNBUNDLE_E_SHUTTING_DOWN');
    assert.doesNotMatch(wire, /\[DONE\]/);
  });
});
