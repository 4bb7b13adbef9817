import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UnbundleError } from '../../src/errors.ts';
import { ScriptedBackend, scriptedConfig } from '../helpers/scripted-backend.ts';
import { startGatewayWith } from '../helpers/start-gateway.ts';

test('listen leaves no error listener behind, and a port in use is a config error naming the way out', async () => {
  const started = await startGatewayWith([{ config: scriptedConfig('m'), backend: new ScriptedBackend('m') }]);
  try {
    // A listener left from listen() would swallow the server's later errors (EMFILE and the like).
    assert.equal(started.gateway.server.listenerCount('error'), 0);
    const second = await startGatewayWith([{ config: scriptedConfig('m'), backend: new ScriptedBackend('m') }]);
    await second.close();
    const port = Number(new URL(started.url).port);
    await assert.rejects(second.gateway.listen(port, '127.0.0.1'), (error: UnbundleError) => {
      assert.equal(error.code, 'UNBUNDLE_E_CONFIG');
      assert.match(error.message, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
      return true;
    });
  } finally {
    await started.close();
  }
});
