import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Pool } from 'undici';
import { DispatchFailure, dispatchText } from '../../../src/backends/http/dispatch-text.ts';
import { LightAbortController } from '../../../src/util/light-abort-controller.ts';

let server: Server;
let origin: string;
const hanging: ServerResponse[] = [];

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    if (req.url === '/ok') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
      setTimeout(() => res.end('"é"}'), 5);
    } else if (req.url === '/big-error') {
      res.writeHead(503, { 'retry-after': '7', 'x-twice': ['1', '2'] });
      res.end('x'.repeat(1_000_000));
    } else if (req.url === '/hang') {
      hanging.push(res);
    } else if (req.url === '/half') {
      res.writeHead(200);
      res.write('{"partial":');
      hanging.push(res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string) => ({ method: 'POST' as const, path, headers: { 'content-type': 'application/json' }, body: '{}' });

test('a success answers its whole body as text, chunks joined as UTF-8', async () => {
  const pool = new Pool(origin);
  try {
    const response = await dispatchText(pool, post('/ok'), new AbortController().signal, 64);
    assert.equal(response.statusCode, 200);
    assert.equal(response.text, '{"a":"é"}');
    assert.equal(response.headers()['content-type'], 'application/json');
  } finally {
    await pool.close();
  }
});

test('an error page is read up to the limit only, and its headers are parsed when asked for', async () => {
  const pool = new Pool(origin);
  try {
    const response = await dispatchText(pool, post('/big-error'), new AbortController().signal, 64 * 1024);
    assert.equal(response.statusCode, 503);
    assert.ok(response.text.length > 64 * 1024, 'at least the limit');
    assert.ok(response.text.length < 1_000_000, `stopped early, read ${response.text.length}`);
    assert.equal(response.headers()['retry-after'], '7');
    assert.deepEqual(response.headers()['x-twice'], ['1', '2']);
  } finally {
    await pool.destroy();
  }
});

test('aborting while the request waits for a pooled connection rejects at once, phase headers', async () => {
  const pool = new Pool(origin, { connections: 1 });
  const first = new AbortController();
  const blocking = dispatchText(pool, post('/hang'), first.signal, 64).catch((failure: unknown) => failure);
  const controller = new AbortController();
  const queued = dispatchText(pool, post('/ok'), controller.signal, 64);
  const started = performance.now();
  setTimeout(() => controller.abort(new Error('caller left')), 20);
  const failure = await queued.then(() => assert.fail('should have been aborted'), (thrown: unknown) => thrown);
  assert.ok(failure instanceof DispatchFailure);
  assert.equal(failure.phase, 'headers');
  assert.equal((failure.error as Error).message, 'caller left');
  assert.ok(performance.now() - started < 1_000, 'did not wait for the connection');
  first.abort(new Error('done'));
  assert.ok((await blocking) instanceof DispatchFailure);
  await pool.destroy();
});

test('aborting mid-body rejects with phase body and frees the connection', async () => {
  const pool = new Pool(origin, { connections: 1 });
  const controller = new AbortController();
  const pending = dispatchText(pool, post('/half'), controller.signal, 64);
  await new Promise((resolve) => setTimeout(resolve, 50));
  controller.abort(new Error('client gone'));
  const failure = await pending.then(() => assert.fail('should have been aborted'), (thrown: unknown) => thrown);
  assert.ok(failure instanceof DispatchFailure);
  assert.equal(failure.phase, 'body');
  // The pool's only connection is usable again for the next request.
  const next = await dispatchText(pool, post('/ok'), new AbortController().signal, 64);
  assert.equal(next.text, '{"a":"é"}');
  await pool.destroy();
});

test('an already aborted signal never sends the request', async () => {
  const pool = new Pool(origin);
  const controller = new AbortController();
  controller.abort(new Error('before'));
  const failure = await dispatchText(pool, post('/ok'), controller.signal, 64).then(() => assert.fail('sent'), (thrown: unknown) => thrown);
  assert.ok(failure instanceof DispatchFailure);
  assert.equal(pool.stats.connected, 0);
  await pool.close();
});

test("undici's request() and our dispatchText both stop a hanging upstream call when the light signal aborts", async () => {
  const pool = new Pool(origin, { connections: 2 });
  try {
    const viaRequest = new LightAbortController();
    const pending = pool.request({ method: 'POST', path: '/hang', body: '{}', signal: viaRequest.signal });
    const viaDispatch = new LightAbortController();
    const dispatched = dispatchText(pool, { method: 'POST', path: '/hang', body: '{}' }, viaDispatch.signal, 1024);
    await new Promise((resolve) => setTimeout(resolve, 50));
    viaRequest.abort(new Error('client left'));
    viaDispatch.abort(new Error('client left too'));
    await assert.rejects(pending, /client left/);
    await assert.rejects(dispatched, (thrown) => thrown instanceof DispatchFailure && (thrown.error as Error).message === 'client left too');
  } finally {
    await pool.destroy();
  }
});
