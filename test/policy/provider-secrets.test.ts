import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';

/**
 * Provider secrets never leave unbundle: not in log lines, error bodies, headers, metrics or model
 * listings — even when an upstream echoes the key back in its error messages.
 */
const key = 'sk-proj-T3stPr0v1derK3yAbCdEfGhIjKlMnOpQr7';
const envName = 'UNBUNDLE_TEST_PROVIDER_KEY';

describe('provider secrets', { timeout: 20_000 }, () => {
  let upstream: FakeOpenAIUpstream;
  let started: StartedGateway;
  const seen: string[] = [];

  async function call(path: string, init?: RequestInit): Promise<Response> {
    const response = await fetch(`${started.url}${path}`, init);
    seen.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`);
    return response;
  }
  const post = (path: string, body: unknown) => call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    process.env[envName] = key;
    upstream = await startFakeOpenAIUpstream();
    started = await startGatewayFromConfig({
      server: { logLevel: 'debug' },
      models: [{ id: 'cloud', backend: 'openai-compatible', baseURL: upstream.url, apiKeyEnv: envName, zone: 'external' }],
      policy: { audit: { enabled: false } },
    });
  });
  after(async () => {
    await started.close();
    await upstream.close();
    delete process.env[envName];
  });

  it('appear in no response, header, log line or metric, whatever the upstream says', async () => {
    const chat = { model: 'cloud', messages: [{ role: 'user', content: 'hello' }] };
    await post('/v1/chat/completions', chat);
    await post('/v1/chat/completions', { ...chat, stream: true });
    await post('/v1/embeddings', { model: 'cloud', input: 'hello' });
    const echo = (status: number) => ({ kind: 'error' as const, status, body: { error: { message: `Incorrect API key provided: ${key}. Authorization: Bearer ${key}` } } });
    for (const status of [401, 403, 400, 429, 500]) {
      upstream.setBehavior(echo(status));
      await post('/v1/chat/completions', chat);
      await post('/v1/chat/completions', { ...chat, stream: true });
      await post('/v1/completions', { model: 'cloud', prompt: 'hi' });
    }
    upstream.setBehavior({ kind: 'error', status: 502, body: `<html>upstream proxy says key=${key}</html>` });
    await post('/v1/chat/completions', chat);
    upstream.setBehavior({ kind: 'cut', afterTokens: 1, destroy: true });
    await post('/v1/chat/completions', { ...chat, stream: true });
    upstream.setBehavior({ kind: 'reset' });
    await post('/v1/chat/completions', chat);
    await call('/v1/models');
    await call('/health');
    await call('/metrics');
    upstream.setBehavior({ kind: 'ok' });
    // A request that names the key (a client pasting it) is a SECRET for the policy: refused, not echoed.
    await post('/v1/chat/completions', { model: 'cloud', messages: [{ role: 'user', content: `my key is ${key}` }] });

    assert.ok(upstream.requests.some((r) => r.headers.authorization === `Bearer ${key}`), 'the key does reach the upstream (so this test can fail)');
    assert.ok(seen.length >= 20);
    for (const response of seen) assert.ok(!response.includes(key) && !response.includes(key.slice(8)), `a response leaks the key: ${response}`);
    const logs = started.logs.map((line) => JSON.stringify(line)).join('\n');
    assert.ok(started.logs.length >= 20, 'log lines were written');
    assert.ok(!logs.includes(key) && !logs.includes(key.slice(8)), 'a log line leaks the key');
    assert.match(seen.at(-1)!, /^403 .*restricted data: SECRET.*UNBUNDLE_E_POLICY_FORBIDDEN_ZONE/);
  });

  it('a key pasted into apiKeyEnv is never echoed by config errors', () => {
    let message = '';
    try {
      portfolioFromObject({ models: [{ id: 'x', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1', apiKeyEnv: key }] });
    } catch (error) {
      message = (error as Error).message;
    }
    assert.match(message, /apiKeyEnv/);
    assert.ok(!message.includes(key));
  });
});
