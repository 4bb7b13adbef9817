import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { maxJsonArrayItems, maxJsonDepth, maxJsonObjectKeys } from '../../src/server/json-limits.ts';
import { chat, startAccessGateway, type AccessGateway } from '../access/access-gateway.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';

/** Opens a raw connection; resolves with everything the server sent once it closes (or after `limitMs`). */
function rawExchange(url: string, drive: (socket: Socket) => void, limitMs = 5_000): Promise<{ text: string; elapsedMs: number; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let text = '';
    let settled = false;
    const done = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, elapsedMs: performance.now() - started, closed });
    };
    const timer = setTimeout(() => done(false), limitMs);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    socket.on('connect', () => drive(socket));
  });
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('hardening: bodies, JSON shape, headers, slow clients', () => {
  let started: AccessGateway;
  before(async () => {
    started = await startAccessGateway({ server: { bodyLimit: 64 * 1024, headersTimeoutMs: 300, bodyTimeoutMs: 600 }, admin: false });
  });
  after(() => started.close());

  it('413 for a declared oversize body, before reading it', async () => {
    const response = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(100 * 1024) });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'UNBUNDLE_E_BODY_TOO_LARGE');
  });

  it('413 for a chunked body as soon as it passes the limit, without reading the rest', async () => {
    let sent = 0;
    const result = await rawExchange(started.url, (socket) => {
      socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
      const chunk = 'a'.repeat(16 * 1024);
      const timer = setInterval(() => {
        if (socket.destroyed || sent >= 10 * 1024 * 1024) return clearInterval(timer);
        socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`, () => undefined);
        sent += chunk.length;
      }, 2);
      socket.on('close', () => clearInterval(timer));
    });
    assert.match(result.text, /^HTTP\/1\.1 413 /);
    assert.match(result.text, /UNBUNDLE_E_BODY_TOO_LARGE/);
    assert.ok(sent < 2 * 1024 * 1024, `stopped early (sent ${sent} bytes of 10 MiB)`);
  });

  it(`400 for JSON nested deeper than ${maxJsonDepth} levels; exactly ${maxJsonDepth} is fine`, async () => {
    // The body object itself is level 1; nested(n) adds n more.
    const ok = await chat(started.url, {}, { extra: nested(maxJsonDepth - 1) });
    assert.equal(ok.status, 200);
    const deep = await chat(started.url, {}, { extra: nested(maxJsonDepth) });
    assert.equal(deep.status, 400);
    assert.equal(deep.body.error.code, 'UNBUNDLE_E_JSON_LIMIT');
    assert.match(deep.body.error.message, /nests deeper than 64 levels/);
    const hostile = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', body: `${'['.repeat(30_000)}${']'.repeat(30_000)}` });
    assert.equal(hostile.status, 400);
  });

  it('400 for objects with too many keys and arrays with too many items', async () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i <= maxJsonObjectKeys; i++) wide[`k${i}`] = i;
    const big = await startAccessGateway({ admin: false });
    try {
      const keys = await chat(big.url, {}, { extra: wide });
      assert.equal(keys.status, 400);
      assert.match(keys.body.error.message, /more than 10000 keys/);
      const items = await chat(big.url, {}, { extra: new Array(maxJsonArrayItems + 1).fill(0) });
      assert.equal(items.status, 400);
      assert.match(items.body.error.message, /has 100001 items; the limit is 100000/);
    } finally {
      await big.close();
    }
  });

  it('431 for headers over 16 KiB, and for more than 100 headers', async () => {
    const huge = await fetch(`${started.url}/health`, { headers: { 'x-big': 'a'.repeat(20 * 1024) } });
    assert.equal(huge.status, 431);
    assert.equal(((await huge.json()) as { error: { code: string } }).error.code, 'UNBUNDLE_E_HEADERS_TOO_LARGE');
    const many: Record<string, string> = {};
    for (let i = 0; i < 120; i++) many[`x-h${i}`] = 'v';
    const crowded = await fetch(`${started.url}/health`, { headers: many });
    assert.equal(crowded.status, 431);
    assert.match(((await crowded.json()) as { error: { message: string } }).error.message, /at most 100/);
  });

  it('labels metrics by known route only, so random paths cannot grow the registry', async () => {
    for (let i = 0; i < 20; i++) await (await fetch(`${started.url}/random-${i}-${Math.random()}`)).arrayBuffer();
    await (await fetch(`${started.url}/admin/keys/abc`)).arrayBuffer();
    const metrics = await (await fetch(`${started.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /random-/);
    assert.doesNotMatch(metrics, /admin\/keys/);
    assert.match(metrics, /unbundle_requests_total\{endpoint="unmatched",model="none",status="404"\} 20/);
    assert.match(metrics, /unbundle_requests_total\{endpoint="\/admin",model="none",status="404"\} 1/);
  });

  it('cuts a slow-loris client that never finishes its headers (408)', async () => {
    const result = await rawExchange(started.url, (socket) => {
      socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n');
      const timer = setInterval(() => socket.write('x-slow: 1\r\n', () => undefined), 50);
      socket.on('close', () => clearInterval(timer));
    });
    assert.equal(result.closed, true, 'the server closed the connection');
    assert.match(result.text, /^HTTP\/1\.1 408 /);
    assert.match(result.text, /UNBUNDLE_E_REQUEST_TIMEOUT/);
    assert.ok(result.elapsedMs < 2_000, `cut after ${Math.round(result.elapsedMs)} ms (headersTimeoutMs 300)`);
  });

  it('cuts a client that sends its body too slowly', async () => {
    const result = await rawExchange(started.url, (socket) => {
      socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{');
      const timer = setInterval(() => socket.write(' ', () => undefined), 50);
      socket.on('close', () => clearInterval(timer));
    });
    assert.equal(result.closed, true);
    assert.ok(result.elapsedMs < 2_500, `cut after ${Math.round(result.elapsedMs)} ms (bodyTimeoutMs 600)`);
  });
});

describe('hardening: no request can choose the upstream (SSRF), provider secrets never leak', () => {
  const secret = 'sk-provider-secret-1234567890abcdef';
  let upstream: FakeOpenAIUpstream;
  let attacker: Server;
  let attackerHits = 0;
  let attackerUrl: string;
  let started: AccessGateway;

  before(async () => {
    upstream = await startFakeOpenAIUpstream();
    attacker = createServer((req, res) => {
      attackerHits++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as { port: number }).port}`;
    started = await startAccessGateway({ models: [{ id: 'up', backend: 'openai-compatible', baseURL: upstream.url, apiKeyEnv: 'UP_KEY' }], env: { UP_KEY: secret }, admin: false });
  });
  after(async () => {
    await started.close();
    await upstream.close();
    await new Promise((resolve) => attacker.close(resolve));
  });

  it('ignores every body field and header that tries to redirect the upstream call', async () => {
    const before = upstream.requests.length;
    const target = `${attackerUrl}/v1`;
    const { status } = await chat(started.url, { 'x-unbundle-base-url': target, 'x-forwarded-host': new URL(attackerUrl).host, 'x-base-url': target }, {
      model: 'up',
      baseURL: target,
      base_url: target,
      baseUrl: target,
      api_base: target,
      api_key: 'sk-attacker',
      url: target,
      endpoint: target,
    });
    assert.equal(status, 200);
    assert.equal(upstream.requests.length, before + 1, 'the configured upstream answered');
    const forwarded = upstream.requests.at(-1)!;
    assert.equal(forwarded.headers.authorization, `Bearer ${secret}`, 'our credentials, not the client\'s');
    const body = forwarded.body as Record<string, unknown>;
    for (const field of ['baseURL', 'base_url', 'baseUrl', 'api_base', 'api_key']) assert.equal(body[field], undefined, `${field} is not forwarded`);
    // A model name shaped like a URL is just an unknown model.
    const byName = await chat(started.url, {}, { model: target });
    assert.equal(byName.status, 404);
    assert.equal(attackerHits, 0, 'nothing reached the attacker');
  });

  it('never shows the provider key in responses, logs or metrics, even when the upstream echoes it', async () => {
    upstream.setBehavior({ kind: 'error', status: 401, body: { error: { message: `Incorrect API key provided: ${secret}.`, type: 'invalid_request_error' } } });
    try {
      const { status, body } = await chat(started.url, {}, { model: 'up' });
      assert.equal(status, 502);
      assert.equal(body.error.code, 'UNBUNDLE_E_UPSTREAM_AUTH');
      const metrics = await (await fetch(`${started.url}/metrics`)).text();
      for (const [where, text] of [['response', JSON.stringify(body)], ['logs', JSON.stringify(started.logs)], ['metrics', metrics]] as const) {
        assert.ok(!text.includes(secret), `the key appears in the ${where}`);
        assert.ok(!text.includes(secret.slice(3, 20)), `part of the key appears in the ${where}`);
      }
    } finally {
      upstream.setBehavior({ kind: 'ok' });
    }
  });
});
