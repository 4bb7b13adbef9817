import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { DispatchFailure, dispatchText } from '../../../src/backends/http/dispatch-text.ts';
import { Http1Pool } from '../../../src/backends/http/http1-pool.ts';
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

const newPool = (connections = 8) => new Http1Pool(origin, { connections, connectTimeoutMs: 5_000, firstByteTimeoutMs: 30_000, idleTimeoutMs: 30_000 });

const post = (path: string) => ({ method: 'POST' as const, path, headers: { 'content-type': 'application/json' }, body: '{}' });

test('a success answers its whole body as text, chunks joined as UTF-8', async () => {
  const pool = newPool();
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
  const pool = newPool();
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
  const pool = newPool(1);
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
  const pool = newPool(1);
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
  const pool = newPool();
  const controller = new AbortController();
  controller.abort(new Error('before'));
  const failure = await dispatchText(pool, post('/ok'), controller.signal, 64).then(() => assert.fail('sent'), (thrown: unknown) => thrown);
  assert.ok(failure instanceof DispatchFailure);
  assert.equal(pool.stats.open, 0);
  await pool.close();
});

test('dispatchText stops a hanging upstream call when the light signal aborts, and the connection goes', async () => {
  const pool = newPool(2);
  try {
    const viaDispatch = new LightAbortController();
    const dispatched = dispatchText(pool, { method: 'POST', path: '/hang', headers: {}, body: '{}' }, viaDispatch.signal, 1024);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(pool.stats.open, 1);
    viaDispatch.abort(new Error('client left'));
    await assert.rejects(dispatched, (thrown) => thrown instanceof DispatchFailure && (thrown.error as Error).message === 'client left');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(pool.stats.open, 0, 'a connection with an unread answer is not reused');
  } finally {
    await pool.destroy();
  }
});
