import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopback } from '../../src/server/hardening.ts';
import { chat, startAccessGateway } from './access-gateway.ts';

describe('auth: none only on loopback', () => {
  it('knows loopback addresses', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', 'localhost']) assert.equal(isLoopback(address), true, address);
    for (const address of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', '::ffff:10.0.0.1', '128.0.0.1']) assert.equal(isLoopback(address), false, address);
  });

  it('refuses to start on 0.0.0.0 with auth none, saying how to fix it', async () => {
    await assert.rejects(startAccessGateway({ host: '0.0.0.0', admin: false }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'UNBUNDLE_E_CONFIG');
      assert.match(error.message, /auth\.mode is none but the server is bound to 0\.0\.0\.0, reachable from other machines/);
      assert.match(error.message, /Set auth\.mode: keys .* bind to 127\.0\.0\.1, or set auth\.allowInsecure: true/);
      return true;
    });
  });

  it('starts with allowInsecure: true and logs a loud warning', async () => {
    const started = await startAccessGateway({ host: '0.0.0.0', auth: { allowInsecure: true }, admin: false });
    try {
      const warning = started.logs.find((log) => log.level === 'warn');
      assert.match(String(warning?.msg), /^INSECURE: auth\.mode is none on 0\.0\.0\.0/);
      const port = new URL(started.url).port;
      assert.equal((await chat(`http://127.0.0.1:${port}`, {})).status, 200);
    } finally {
      await started.close();
    }
  });

  it('starts on 0.0.0.0 when keys are required', async () => {
    const started = await startAccessGateway({ host: '0.0.0.0', auth: { mode: 'keys' }, tenants: [{ id: 'acme' }], admin: false });
    try {
      const port = new URL(started.url).port;
      assert.equal((await chat(`http://127.0.0.1:${port}`, {})).status, 401);
      assert.equal(started.logs.filter((log) => log.level === 'warn').length, 0);
    } finally {
      await started.close();
    }
  });
});
