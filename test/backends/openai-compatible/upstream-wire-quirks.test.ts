import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, test } from 'node:test';
import type { ChatRequest } from '../../../src/backends/types.ts';
import type { UnbundleError } from '../../../src/errors.ts';
import { backendFor, collect, signal } from './helpers.ts';

/**
 * Upstreams that bend HTTP the way real servers and proxies do, on raw sockets: each request is
 * handed to `answer` with its index on its connection and overall, and the head we sent.
 */
interface Seen {
  head: string;
  body: string;
  onConnection: number;
  overall: number;
}
type Answer = (socket: Socket, seen: Seen) => void;

const servers: Server[] = [];
const sockets = new Set<Socket>();
let requests: Seen[] = [];

async function upstream(answer: Answer): Promise<string> {
  let overall = 0;
  const server = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let onConnection = 0;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
        buffer = buffer.subarray(end + 4 + length);
        const seen = { head, body, onConnection: onConnection++, overall: overall++ };
        requests.push(seen);
        answer(socket, seen);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

afterEach(async () => {
  requests = [];
  for (const socket of sockets) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

const hello: ChatRequest = { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] };
const completion = JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } });
const json = (body: string, extra = '') => `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const sseEvent = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

test('a stream is complete at [DONE] even when the upstream never ends the body after it', { timeout: 10_000 }, async () => {
  const baseURL = await upstream((socket) => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
    socket.write(chunk(sseEvent({ content: 'Hello' }) + sseEvent({}, 'stop') + 'data: [DONE]\n\n'));
    // ...and no terminating 0-chunk: the socket stays open.
  });
  const backend = backendFor({ baseURL, idleTimeoutMs: 20_000 });
  const started = performance.now();
  const parts = await collect(backend.stream(hello, signal()));
  assert.ok(performance.now() - started < 5_000, 'not held until the idle timeout');
  assert.deepEqual(parts.map((part) => part.type), ['text-delta', 'finish']);
  const last = parts.at(-1)!;
  assert.equal(last.type === 'finish' ? last.finishReason : undefined, 'stop');
  await backend.close();
});

test('a request on a reused connection that the upstream closes unanswered is sent once more at once, on a new connection', async () => {
  const baseURL = await upstream((socket, seen) => {
    // Each connection answers its first request, then closes on the next one without answering
    // (an upstream closing an idle keep-alive connection just as the request arrives).
    if (seen.onConnection === 0) socket.write(json(completion));
    else socket.destroy();
  });
  const backend = backendFor({ baseURL });
  for (let i = 0; i < 4; i++) {
    const result = await backend.generate(hello, signal());
    assert.equal(result.text, 'ok');
  }
  // 1 answered, then per later call: one unanswered on the reused connection + one answered on a new one.
  assert.equal(requests.length, 7);
  assert.equal(backend.state().status, 'ready');
  await backend.close();
});

test('a stale close is resent only once: a second close unanswered on a new connection fails the request', async () => {
  const baseURL = await upstream((socket, seen) => {
    if (seen.overall === 0) socket.write(json(completion));
    else socket.destroy();
  });
  const backend = backendFor({ baseURL });
  await backend.generate(hello, signal());
  await assert.rejects(backend.generate(hello, signal()), (error: UnbundleError) => error.code === 'UNBUNDLE_E_UPSTREAM_CONNECT');
  assert.equal(requests.length, 3, 'the first answer, the unanswered request and its one resend');
  await backend.close();
});

test('the resent request goes first: it is not put behind requests queued meanwhile', async () => {
  const baseURL = await upstream((socket, seen) => {
    if (seen.onConnection === 1) socket.destroy();
    else socket.write(json(completion));
  });
  const backend = backendFor({ baseURL, connections: 1 });
  await backend.generate(hello, signal());
  const say = (content: string): ChatRequest => ({ kind: 'chat', messages: [{ role: 'user', content }] });
  await Promise.all([backend.generate(say('second'), signal()), backend.generate(say('third'), signal())]);
  const order = requests.map((seen) => (/"content":"(\w+)"/.exec(seen.body) ?? [])[1]);
  // "second" is resent on a new connection before "third" goes out (each connection closes its
  // second request unanswered, so "third" is resent too, on the next one).
  assert.deepEqual(order, ['hi', 'second', 'second', 'third', 'third']);
  await backend.close();
});

test('a close long after the request went out is a failure of that request, not a stale connection: not sent again', async () => {
  const baseURL = await upstream((socket, seen) => {
    if (seen.onConnection === 0) socket.write(json(completion));
    else setTimeout(() => socket.destroy(), 800);
  });
  const backend = backendFor({ baseURL });
  await backend.generate(hello, signal());
  await assert.rejects(backend.generate(hello, signal()), (error: UnbundleError) => error.code === 'UNBUNDLE_E_UPSTREAM_CONNECT');
  assert.equal(requests.length, 2, 'the upstream may have been working on it: it is not run twice');
  await backend.close();
});

test('we ask for identity encoding; a compressed answer anyway is a clear error that is not retried (an error page keeps its status)', async () => {
  const baseURL = await upstream((socket) => {
    const body = gzipSync(completion);
    socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: ${body.length}\r\n\r\n`), body]));
  });
  const backend = backendFor({ baseURL });
  for (const attempt of [backend.generate(hello, signal()), collect(backend.stream(hello, signal()))]) {
    await assert.rejects(attempt, (error: UnbundleError) => {
      assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_MALFORMED');
      assert.equal(error.retryable, false);
      assert.match(error.message, /Content-Encoding: gzip/);
      assert.match(error.message, /turn compression off/);
      return true;
    });
  }
  assert.match(requests[0]!.head, /\r\naccept-encoding: identity\r\n/);
  await backend.close();
  // An error page is only quoted: compressed or not, its status decides (a 503 stays retryable).
  const errorURL = await upstream((socket) => {
    const body = gzipSync('{"error":{"message":"overloaded"}}');
    socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: ${body.length}\r\n\r\n`), body]));
  });
  const failing = backendFor({ baseURL: errorURL });
  await assert.rejects(failing.generate(hello, signal()), (error: UnbundleError) => error.code === 'UNBUNDLE_E_UPSTREAM_SERVER' && error.retryable);
  await failing.close();
});

test('interim 1xx answers do not hold off the first-byte timeout', { timeout: 10_000 }, async () => {
  const baseURL = await upstream((socket) => {
    const timer = setInterval(() => socket.writable && socket.write('HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n'), 40);
    socket.on('close', () => clearInterval(timer));
  });
  const backend = backendFor({ baseURL, firstByteTimeoutMs: 300 });
  const started = performance.now();
  await assert.rejects(backend.generate(hello, signal()), (error: UnbundleError) => {
    assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_TIMEOUT');
    assert.match(error.message, /firstByteTimeoutMs/);
    return true;
  });
  assert.ok(performance.now() - started < 3_000);
  await backend.close();
});

test('an answer over maxResponseBytes fails without being read whole, announced or chunked, and is not retried', async () => {
  const big = 'x'.repeat(5_000);
  const baseURL = await upstream((socket, seen) => {
    if (seen.overall === 0) {
      // Announced: refused from the head.
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 50000000\r\n\r\n{"a":"`);
    } else {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
      socket.write(chunk(`data: {"long":"${big}`));
    }
  });
  const backend = backendFor({ baseURL, maxResponseBytes: 1_000 });
  await assert.rejects(backend.generate(hello, signal()), (error: UnbundleError) => {
    assert.equal(error.code, 'UNBUNDLE_E_UPSTREAM_MALFORMED');
    assert.equal(error.retryable, false);
    assert.match(error.message, /announces 50000000 bytes, over the limit of 1000 bytes \(maxResponseBytes\)/);
    return true;
  });
  await assert.rejects(collect(backend.stream(hello, signal())), (error: UnbundleError) => {
    assert.equal(error.retryable, false);
    assert.match(error.message, /over the limit of 1000 bytes/);
    return true;
  });
  await backend.close();
});
