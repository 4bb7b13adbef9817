import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBackend, scriptedConfig } from '../helpers/scripted-backend.ts';
import { startGatewayWith } from '../helpers/start-gateway.ts';

test('a connected dashboard does not hold up shutdown: its live stream ends within a sampler tick', { timeout: 20_000 }, async () => {
  const started = await startGatewayWith([{ config: scriptedConfig('m'), backend: new ScriptedBackend('m') }], {}, { env: { UNBUNDLE_ADMIN_KEY: 'shutdown-test-admin-key-0123' }, dashboard: { dataDir: '/nonexistent' } });
  const response = await fetch(`${started.url}/admin/dashboard/live`, { headers: { authorization: 'Bearer shutdown-test-admin-key-0123' } });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  await reader.read();
  const begun = performance.now();
  await started.gateway.shutdown(10_000);
  const tookMs = performance.now() - begun;
  let ended = false;
  for (let i = 0; i < 100 && !ended; i++) ended = (await reader.read()).done;
  await started.gateway.options.models.close();
  assert.ok(ended, 'the event stream ended');
  assert.ok(tookMs < 3_000, `shutdown took ${tookMs.toFixed(0)} ms with a dashboard connected (grace was 10 s)`);
});
