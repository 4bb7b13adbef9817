import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, test } from 'node:test';
import { PartStream, type PartStreamOwner, type StreamDecoding, type StreamReader } from '../../../src/backends/http/part-stream.ts';
import { Http1Pool, type Http1PoolOptions } from '../../../src/backends/http/http1-pool.ts';
import type { StreamPart } from '../../../src/backends/types.ts';
import { UnbundleError } from '../../../src/errors.ts';
import { LightAbortController } from '../../../src/util/light-abort-controller.ts';

/** A tiny dialect: `data: {"t":"x"}` is a text part, `data: [DONE]` ends, `{"bad":1}` is malformed. */
class TestReader implements StreamReader {
  private sawDone = false;
  /** `marker`: the reader reports `[DONE]` as the stream's end marker (`done`), as OpenAI's does. */
  constructor(private readonly marker = false) {}
  get done(): boolean | undefined {
    return this.marker ? this.sawDone : undefined;
  }
  read(data: string): StreamPart[] {
    if (data === '[DONE]') {
      this.sawDone = true;
      return [];
    }
    const json = JSON.parse(data) as { t?: string };
    if (typeof json.t !== 'string') throw new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `bad chunk ${data}`);
    return [{ type: 'text-delta', text: json.t }];
  }
  finish(): StreamPart[] {
    if (!this.sawDone) throw new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', 'cut short');
    return [{ type: 'finish', finishReason: 'stop' }];
  }
}

const decoding: StreamDecoding = {
  reader: () => new TestReader(),
  whole: (text) => [{ type: 'text-delta', text: (JSON.parse(text) as { whole: string }).whole }, { type: 'finish', finishReason: 'stop' }],
};

class TestOwner implements PartStreamOwner {
  active = 0;
  noted: string[] = [];
  /** Like UpstreamClient's: an UnbundleError passes through, an abort's other reasons are a cancellation. */
  transportError(error: unknown, phase: 'headers' | 'body', signal: AbortSignal): UnbundleError {
    if (error instanceof UnbundleError) return error;
    if (signal.aborted) return new UnbundleError('UNBUNDLE_E_CANCELLED', 'cancelled', { cause: error });
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_CONNECT', `transport failed in ${phase}: ${(error as Error).message}`, { cause: error });
  }
  statusError(status: number, rawHeaders: readonly string[], text: string): UnbundleError {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', `status ${status}, ${rawHeaders.length / 2} headers, body ${text.length} chars: ${text.slice(0, 20)}`);
  }
  noteError(error: UnbundleError): void {
    this.noted.push(error.code);
  }
  answered = 0;
  reachable(): void {
    this.answered++;
  }
}

let server: Server;
let origin: string;
const requests: IncomingMessage[] = [];
const open: ServerResponse[] = [];
const sse = { 'content-type': 'text/event-stream' };

before(async () => {
  server = createServer((req, res) => {
    requests.push(req);
    req.resume();
    const url = req.url ?? '';
    if (url === '/split') {
      // Events split across writes anywhere, even inside a line.
      res.writeHead(200, sse);
      const wire = 'data: {"t":"a"}\n\ndata: {"t":"b"}\n\ndata: {"t":"c"}\n\ndata: [DONE]\n\n';
      let at = 0;
      const step = () => {
        if (at >= wire.length) return void res.end();
        res.write(wire.slice(at, at + 7));
        at += 7;
        setTimeout(step, 1);
      };
      step();
    } else if (url === '/many') {
      res.writeHead(200, sse);
      let wire = '';
      for (let i = 0; i < 20_000; i++) wire += `data: {"t":"${i}"}\n\n`;
      res.end(`${wire}data: [DONE]\n\n`);
    } else if (url === '/malformed') {
      res.writeHead(200, sse);
      res.write('data: {"t":"a"}\n\ndata: {"t":"b"}\n\n');
      setTimeout(() => res.write('data: {"bad":1}\n\n'), 5);
      open.push(res);
    } else if (url === '/cut') {
      res.writeHead(200, sse);
      res.write('data: {"t":"a"}\n\n');
      setTimeout(() => res.destroy(), 5);
    } else if (url === '/hang') {
      res.writeHead(200, sse);
      res.write('data: {"t":"a"}\n\n');
      open.push(res);
    } else if (url === '/status') {
      res.writeHead(429, { 'retry-after': '3' });
      res.end('x'.repeat(200_000));
    } else if (url === '/whole') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end('{"whole":"in one piece"}');
    } else if (url === '/done-open') {
      // The end marker, then the body is left open (no terminating chunk).
      res.writeHead(200, sse);
      res.write('data: {"t":"a"}\n\ndata: [DONE]\n\n');
      open.push(res);
    } else if (url === '/done-late-end') {
      // The body's end comes in a later write than the marker.
      res.writeHead(200, sse);
      res.write('data: {"t":"a"}\n\ndata: [DONE]\n\n');
      setTimeout(() => res.end(), 5);
    } else if (url === '/done-end') {
      res.writeHead(200, sse);
      res.end('data: {"t":"a"}\n\ndata: [DONE]\n\n');
    } else if (url === '/silent') {
      open.push(res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const res of open) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Pools a test opens; each is destroyed after its test (whatever is still in flight). */
const pools: Http1Pool[] = [];
function newPool(options: Partial<Http1PoolOptions> = {}): Http1Pool {
  const pool = new Http1Pool(origin, { connections: 8, connectTimeoutMs: 5_000, firstByteTimeoutMs: 30_000, idleTimeoutMs: 30_000, ...options });
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.destroy()));
});

const post = (path: string) => ({ method: 'POST' as const, path, headers: { 'content-type': 'application/json' }, body: '{}' });

/** A stream of `path` with a signal nobody aborts and a 1 KiB error-page limit. */
const streamOf = (owner: PartStreamOwner, pool: Http1Pool, path: string) => new PartStream(owner, pool, post(path), new LightAbortController().signal, decoding, 1024);

async function collect(stream: AsyncIterable<StreamPart>): Promise<string[]> {
  const out: string[] = [];
  for await (const part of stream) out.push(part.type === 'text-delta' ? part.text : part.type);
  return out;
}

test('parts arrive in order across chunk boundaries; the stream then stays done and is released', async () => {
  const pool = newPool();
  const owner = new TestOwner();
  const stream = streamOf(owner, pool, '/split');
  assert.equal(owner.active, 0, 'nothing is sent before the first next()');
  assert.deepEqual(await collect(stream), ['a', 'b', 'c', 'finish']);
  assert.deepEqual(await stream.next(), { done: true, value: undefined });
  assert.equal(owner.active, 0);
  assert.deepEqual(owner.noted, []);
  assert.equal(owner.answered, 1, 'the owner hears that the upstream answered');
});

test('a slow consumer pauses the upstream socket instead of buffering the whole answer, and everything still arrives', async () => {
  const pool = newPool();
  const stream = streamOf(new TestOwner(), pool, '/many');
  const first = await stream.next();
  assert.deepEqual(first.value, { type: 'text-delta', text: '0' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  // The pause is checked after each socket chunk (at most 64 KiB: a few thousand of these tiny events).
  assert.ok(stream.buffered > 0 && stream.buffered < 10_000, `read ahead of the consumer: ${stream.buffered} of 20000 parts`);
  let count = 1;
  let last = '';
  for (;;) {
    const next = await stream.next();
    if (next.done) break;
    if (next.value.type === 'text-delta') {
      assert.equal(next.value.text, String(count), 'in order after resuming');
      count++;
      last = next.value.text;
    } else last = next.value.type;
  }
  assert.equal(count, 20_000);
  assert.equal(last, 'finish');
});

test('a malformed chunk fails the stream after the parts before it, and drops the connection', async () => {
  const pool = newPool();
  const owner = new TestOwner();
  const before = requests.length;
  const stream = streamOf(owner, pool, '/malformed');
  const seen: string[] = [];
  await assert.rejects(
    async () => {
      for await (const part of stream) seen.push(part.type === 'text-delta' ? part.text : part.type);
    },
    (error: UnbundleError) => error.code === 'UNBUNDLE_E_UPSTREAM_MALFORMED' && /bad chunk/.test(error.message),
  );
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(owner.active, 0);
  assert.deepEqual(owner.noted, ['UNBUNDLE_E_UPSTREAM_MALFORMED']);
  const req = requests[before]!;
  await new Promise((resolve) => (req.socket.destroyed ? resolve(undefined) : req.socket.once('close', resolve)));
});

test('a connection lost mid-stream and a stream cut before its end are errors, never a short answer', async () => {
  const pool = newPool();
  const owner = new TestOwner();
  const stream = streamOf(owner, pool, '/cut');
  assert.deepEqual((await stream.next()).value, { type: 'text-delta', text: 'a' });
  await assert.rejects(stream.next(), (error: UnbundleError) => error.code === 'UNBUNDLE_E_UPSTREAM_CONNECT' && /body/.test(error.message));
  assert.deepEqual(await stream.next(), { done: true, value: undefined });
  assert.equal(owner.active, 0);
});

test('return() mid-stream drops the upstream request and its connection at once', async () => {
  const pool = newPool();
  const owner = new TestOwner();
  const before = requests.length;
  const stream = streamOf(owner, pool, '/hang');
  assert.deepEqual((await stream.next()).value, { type: 'text-delta', text: 'a' });
  assert.equal(owner.active, 1);
  assert.deepEqual(await stream.return(), { done: true, value: undefined });
  assert.equal(owner.active, 0);
  const req = requests[before]!;
  await new Promise((resolve) => (req.socket.destroyed ? resolve(undefined) : req.socket.once('close', resolve)));
  assert.deepEqual(await stream.next(), { done: true, value: undefined });
  assert.deepEqual(owner.noted, [], 'the consumer stopping is not an upstream error');
});

test('an abort rejects a waiting next() at once, also while the request still waits for a pooled connection', async () => {
  const pool = newPool({ connections: 1 });
  const owner = new TestOwner();
  const holder = streamOf(owner, pool, '/silent');
  const held = holder.next();
  const controller = new LightAbortController();
  const queued = new PartStream(owner, pool, post('/split'), controller.signal, decoding, 1024);
  const waiting = queued.next();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(owner.active, 2);
  const started = Date.now();
  controller.abort(new Error('client gone'));
  await assert.rejects(waiting, (error: UnbundleError) => error.code === 'UNBUNDLE_E_CANCELLED');
  assert.ok(Date.now() - started < 100);
  assert.equal(owner.active, 1);
  await holder.return();
  await held.catch(() => undefined);
  assert.equal(owner.active, 0);
  assert.deepEqual(owner.noted, []);
});

test('a non-2xx answer rejects the first next() with the status error, its body read up to the limit', async () => {
  const pool = newPool();
  const owner = new TestOwner();
  const stream = new PartStream(owner, pool, post('/status'), new LightAbortController().signal, decoding, 64 * 1024);
  await assert.rejects(stream.next(), (error: UnbundleError) => {
    const chars = Number(/body (\d+) chars/.exec(error.message)?.[1]);
    return /^status 429/.test(error.message) && chars >= 64 * 1024 && chars < 200_000;
  });
  assert.equal(owner.active, 0);
  assert.deepEqual(owner.noted, ['UNBUNDLE_E_UPSTREAM_SERVER']);
});

test('a JSON answer to a stream request is replayed whole through the decoding', async () => {
  const pool = newPool();
  const stream = streamOf(new TestOwner(), pool, '/whole');
  assert.deepEqual(await collect(stream), ['in one piece', 'finish']);
});

test('return() before the first next() sends nothing; an aborted signal fails without sending', async () => {
  const pool = newPool();
  const owner = new TestOwner();
  const before = requests.length;
  const unused = streamOf(owner, pool, '/split');
  await unused.return();
  assert.deepEqual(await unused.next(), { done: true, value: undefined });
  const controller = new LightAbortController();
  controller.abort(new Error('gone already'));
  const aborted = new PartStream(owner, pool, post('/split'), controller.signal, decoding, 1024);
  await assert.rejects(aborted.next(), (error: UnbundleError) => error.code === 'UNBUNDLE_E_CANCELLED');
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(requests.length, before);
  assert.equal(owner.active, 0);
});

test('a dispatcher that answers inside dispatch() itself still settles the first next()', { timeout: 5_000 }, async () => {
  // A closed pool fails inside dispatch() this way; a test double may answer this way.
  const sync = {
    dispatch(_options: unknown, handler: PartStream): boolean {
      handler.onConnect(() => undefined);
      handler.onHeaders(200, ['content-type', 'text/event-stream'], () => undefined);
      handler.onData(Buffer.from('data: {"t":"now"}\n\ndata: [DONE]\n\n'));
      handler.onComplete();
      return true;
    },
  };
  const owner = new TestOwner();
  const stream = new PartStream(owner, sync as never, post('/x'), new LightAbortController().signal, decoding, 1024);
  assert.deepEqual(await collect(stream), ['now', 'finish']);
  assert.equal(owner.active, 0);
});

test('a signal aborted before the stream starts is a cancellation whatever its reason, and not the model\'s error', async () => {
  const pool = newPool();
  const owner = new TestOwner();
  const controller = new LightAbortController();
  controller.abort(new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', 'The request did not finish within 5 ms.'));
  const stream = new PartStream(owner, pool, post('/split'), controller.signal, decoding, 1024);
  await assert.rejects(stream.next(), (error: UnbundleError) => error.code === 'UNBUNDLE_E_CANCELLED');
  assert.deepEqual(owner.noted, []);
});

test('a stream ends at its end marker even when the upstream leaves the body open; that connection is dropped, not reused', async () => {
  const pool = newPool({ idleTimeoutMs: 30_000 });
  const owner = new TestOwner();
  const markerDecoding: StreamDecoding = { ...decoding, reader: () => new TestReader(true) };
  const started = performance.now();
  const stream = new PartStream(owner, pool, post('/done-open'), new LightAbortController().signal, markerDecoding, 1024);
  assert.deepEqual(await collect(stream), ['a', 'finish']);
  assert.ok(performance.now() - started < 5_000, 'complete at [DONE], long before the idle timeout');
  const deadline = performance.now() + 5_000;
  while (pool.stats.open > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(pool.stats, { open: 0, idle: 0, queued: 0 }, 'the half-read connection is closed after its grace period');
  assert.equal(owner.active, 0);
  assert.deepEqual(owner.noted, [], 'dropping the rest of a complete answer is not an error');
});

test('a stream whose body ends right after its end marker keeps its connection for the next request', async () => {
  const pool = newPool();
  const markerDecoding: StreamDecoding = { ...decoding, reader: () => new TestReader(true) };
  const stream = new PartStream(new TestOwner(), pool, post('/done-end'), new LightAbortController().signal, markerDecoding, 1024);
  assert.deepEqual(await collect(stream), ['a', 'finish']);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(pool.stats, { open: 1, idle: 1, queued: 0 });
});

test('a body that ends in a later write than the end marker keeps its connection (the drop waits a grace period)', async () => {
  const pool = newPool();
  const markerDecoding: StreamDecoding = { ...decoding, reader: () => new TestReader(true) };
  for (let i = 0; i < 3; i++) {
    const stream = new PartStream(new TestOwner(), pool, post('/done-late-end'), new LightAbortController().signal, markerDecoding, 1024);
    assert.deepEqual(await collect(stream), ['a', 'finish']);
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  assert.deepEqual(pool.stats, { open: 1, idle: 1, queued: 0 }, 'one connection served all three');
});
