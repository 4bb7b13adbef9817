import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { Http1Error } from '../../../src/backends/http/http1-error.ts';
import { Http1Pool, type Http1PoolOptions, type Http1Request, type RequestHandler } from '../../../src/backends/http/http1-pool.ts';

/**
 * The pool against raw TCP servers that answer exactly what each test scripts (so framing,
 * closes and stalls are under the test's control), and one real HTTPS server.
 */

interface Script {
  /** Called with each request's raw bytes (head and body) and the socket to answer on. */
  onRequest(request: string, socket: net.Socket, index: number): void;
}

interface RawServer {
  origin: string;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A TCP server that splits what arrives into requests (head + Content-Length body) and hands each to the script. */
async function rawServer(script: Script): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const state: RawServer = { origin: '', connections: 0, requests: [], close: async () => undefined };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const request = buffered.slice(0, end + 4 + length);
        buffered = buffered.slice(end + 4 + length);
        state.requests.push(request);
        script.onRequest(request, socket, state.requests.length - 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  closers.push(state.close);
  return state;
}

/**
 * A self-signed certificate for localhost (and 127.0.0.1), made by openssl for this run. openssl is
 * on every machine this project runs on (Debian's package); the tests that need it fail without it.
 */
function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'http1-pool-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

function pool(origin: string, options: Partial<Http1PoolOptions> = {}): Http1Pool {
  const created = new Http1Pool(origin, { connections: 4, connectTimeoutMs: 2_000, firstByteTimeoutMs: 5_000, idleTimeoutMs: 5_000, ...options });
  closers.push(() => created.destroy());
  return created;
}

interface Outcome {
  status: number;
  headers: string[];
  body: string;
  trailers: string[];
}

/** A handler that collects the answer; `pauseAfterFirst` returns false from the first onData. */
class Collector implements RequestHandler {
  status = 0;
  headers: string[] = [];
  chunks: Buffer[] = [];
  abort: ((reason?: Error) => void) | undefined;
  resume: (() => void) | undefined;
  readonly done: Promise<Outcome>;
  private settle!: { resolve: (outcome: Outcome) => void; reject: (error: Error) => void };
  constructor(private readonly pauseAfterFirst = false) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined);
  }
  onConnect(abort: (reason?: Error) => void): void {
    this.abort = abort;
  }
  onHeaders(status: number, rawHeaders: string[], resume: () => void): boolean {
    this.status = status;
    this.headers = rawHeaders;
    this.resume = resume;
    return true;
  }
  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return !(this.pauseAfterFirst && this.chunks.length === 1);
  }
  onComplete(trailers: string[]): void {
    this.settle.resolve({ status: this.status, headers: this.headers, body: Buffer.concat(this.chunks).toString('utf8'), trailers });
  }
  onError(error: Error): void {
    this.settle.reject(error);
  }
}

const post = (body = '{"q":1}', headers: Record<string, string> = { 'content-type': 'application/json', 'x-tenant': 'acme' }): Http1Request => ({ method: 'POST', path: '/v1/chat/completions?api-version=1', headers, body });

function send(target: Http1Pool, request: Http1Request = post(), handler = new Collector()): Collector {
  target.dispatch(request, handler);
  return handler;
}

const codeOf = (code: string) => (error: unknown) => error instanceof Error && (error as { code?: string }).code === code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('requests go out with the head we expect and the body intact, and sequential requests share one kept-alive connection', async () => {
  const server = await rawServer({ onRequest: (request, socket) => socket.write(ok(JSON.stringify({ echoed: Buffer.from(request.split('\r\n\r\n')[1]!, 'latin1').toString('utf8') }))) });
  const client = pool(server.origin);
  for (let i = 0; i < 20; i++) {
    const outcome = await send(client, post(`{"n":${i},"text":"é"}`)).done;
    assert.equal(outcome.status, 200);
    assert.deepEqual(JSON.parse(outcome.body), { echoed: `{"n":${i},"text":"é"}` });
  }
  assert.equal(server.connections, 1);
  const [head] = server.requests[0]!.split('\r\n\r\n');
  const port = new URL(server.origin).port;
  assert.deepEqual(head!.split('\r\n'), [
    'POST /v1/chat/completions?api-version=1 HTTP/1.1',
    `host: 127.0.0.1:${port}`,
    'content-type: application/json',
    'x-tenant: acme',
    'accept-encoding: identity',
    `content-length: ${Buffer.byteLength('{"n":0,"text":"é"}')}`,
  ]);
});

test('no more connections than allowed; the rest wait in order and all complete', async () => {
  let open = 0;
  let most = 0;
  const server = await rawServer({
    onRequest: (_request, socket, index) => {
      open++;
      most = Math.max(most, open);
      setTimeout(() => {
        open--;
        socket.write(ok(`{"i":${index}}`));
      }, 20);
    },
  });
  const client = pool(server.origin, { connections: 2 });
  const all = Array.from({ length: 10 }, () => send(client));
  assert.equal(client.stats.queued, 8);
  const outcomes = await Promise.all(all.map((collector) => collector.done));
  assert.equal(outcomes.length, 10);
  assert.equal(server.connections, 2);
  assert.equal(most, 2);
  assert.deepEqual(client.stats, { open: 2, idle: 2, queued: 0 });
});

test("an idle connection is closed before the upstream's Keep-Alive timeout, and one the upstream closes is never used", async () => {
  const hinted = await rawServer({ onRequest: (_request, socket) => socket.write(ok('{}', 'Keep-Alive: timeout=1\r\n')) });
  const client = pool(hinted.origin, { keepAliveMs: 60_000, idleTimeoutMs: 200 });
  await send(client).done;
  assert.equal(client.stats.idle, 1);
  await sleep(700);
  assert.equal(client.stats.open, 0, 'closed at half of a 1 s hint');

  // The upstream closes each connection right after answering (no Connection: close said).
  const closing = await rawServer({ onRequest: (_request, socket) => socket.end(ok('{}')) });
  const other = pool(closing.origin);
  for (let i = 0; i < 5; i++) {
    await send(other).done;
    await sleep(10);
  }
  assert.equal(closing.connections, 5);
});

test('Connection: close, a close-delimited body and bytes after the answer each keep the connection from reuse', async () => {
  const answers = [
    'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA',
  ];
  const server = await rawServer({ onRequest: (_request, socket, index) => socket.write(answers[index]!) });
  const client = pool(server.origin);
  assert.equal((await send(client).done).body, 'ok');
  assert.equal((await send(client).done).body, 'ok');
  assert.equal(server.connections, 2);
  await sleep(20);
  assert.equal(client.stats.open, 0);

  const untilClose = await rawServer({ onRequest: (_request, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it') });
  const reader = pool(untilClose.origin);
  assert.equal((await send(reader).done).body, 'all of it');
});

test('chunked answers with trailers arrive whole; raw headers keep their case', async () => {
  const server = await rawServer({
    onRequest: (_request, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Mixed-Case: Yes\r\n\r\n4\r\ndata\r\n');
      setTimeout(() => socket.write('3\r\n: 1\r\n0\r\nX-Tokens: 7\r\n\r\n'), 5);
    },
  });
  const outcome = await send(pool(server.origin)).done;
  assert.equal(outcome.body, 'data: 1');
  assert.deepEqual(outcome.headers, ['Transfer-Encoding', 'chunked', 'X-Mixed-Case', 'Yes']);
  assert.deepEqual(outcome.trailers, ['X-Tokens', '7']);
});

test('first-byte, idle and connect timeouts fail the request with their own codes', async () => {
  const silent = await rawServer({ onRequest: () => undefined });
  const started = performance.now();
  await assert.rejects(send(pool(silent.origin, { firstByteTimeoutMs: 100 })).done, codeOf('HTTP1_HEADERS_TIMEOUT'));
  const waited = performance.now() - started;
  assert.ok(waited >= 95 && waited < 1_000, `waited ${waited} ms for a 100 ms timeout`);

  const stalls = await rawServer({ onRequest: (_request, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial":') });
  await assert.rejects(send(pool(stalls.origin, { idleTimeoutMs: 100 })).done, codeOf('HTTP1_BODY_TIMEOUT'));

  // TLS to a server that never answers the handshake: the connect phase never ends.
  const tcpOnly = await rawServer({ onRequest: () => undefined });
  const tlsOrigin = tcpOnly.origin.replace('http:', 'https:');
  await assert.rejects(send(pool(tlsOrigin, { connectTimeoutMs: 100 })).done, codeOf('HTTP1_CONNECT_TIMEOUT'));
});

test('a paused reader is not timed out; resume() delivers the rest', async () => {
  const server = await rawServer({
    onRequest: (_request, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n');
      setTimeout(() => socket.write('6\r\nsecond\r\n0\r\n\r\n'), 20);
    },
  });
  const client = pool(server.origin, { idleTimeoutMs: 60 });
  const collector = send(client, post(), new Collector(true));
  await sleep(300);
  assert.equal(Buffer.concat(collector.chunks).toString(), 'first', 'paused after the first piece');
  collector.resume!();
  assert.equal((await collector.done).body, 'firstsecond');
});

test("a finished request's resume() cannot un-pause the next request on the same connection", async () => {
  const server = await rawServer({
    onRequest: (_request, socket, index) => {
      if (index === 0) socket.write(ok('{"first":1}'));
      else {
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhead\r\n');
        setTimeout(() => socket.write('4\r\ntail\r\n0\r\n\r\n'), 20);
      }
    },
  });
  const client = pool(server.origin, { connections: 1 });
  const first = send(client, post(), new Collector(true));
  await first.done;
  const second = send(client, post(), new Collector(true));
  await sleep(60);
  first.resume!();
  await sleep(60);
  assert.equal(Buffer.concat(second.chunks).toString(), 'head', 'still paused');
  second.resume!();
  assert.equal((await second.done).body, 'headtail');
});

test('an idle connection past its keep-alive deadline is not reused, even before the sweep gets to it', async () => {
  const server = await rawServer({ onRequest: (_request, socket) => socket.write(ok('{}', 'Keep-Alive: timeout=1\r\n')) });
  // Timeouts of 8 s: the sweep runs once a second; the clock is moved on by hand instead of waiting.
  const client = pool(server.origin, { connectTimeoutMs: 8_000, firstByteTimeoutMs: 8_000, idleTimeoutMs: 8_000, keepAliveMs: 8_000 });
  await send(client).done;
  const realNow = client.now.bind(client);
  client.now = () => realNow() + 600;
  await send(client).done;
  assert.equal(server.connections, 2, 'the expired connection was closed, not reused');
});

test('a request waiting on a slow new connection moves to one that goes idle first', async () => {
  // A TLS origin behind a TCP relay that passes the first connection straight through and never
  // passes the second (its TLS handshake hangs), so the second request can only finish on the first.
  const tlsFiles = selfSignedCert();
  const https = createHttpsServer(tlsFiles, (req, res) => {
    req.resume();
    req.on('end', () => res.end('{"via":"first"}'));
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const sockets: net.Socket[] = [];
  let accepted = 0;
  const relay = net.createServer((socket) => {
    sockets.push(socket);
    if (++accepted > 1) return;
    const upstream = net.connect((https.address() as AddressInfo).port, '127.0.0.1');
    sockets.push(upstream);
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    https.closeAllConnections();
    await new Promise((resolve) => relay.close(resolve));
    await new Promise((resolve) => https.close(resolve));
  });
  const client = pool(`https://localhost:${(relay.address() as AddressInfo).port}`, { connections: 2, connectTimeoutMs: 3_000, tls: { ca: tlsFiles.cert } });
  const started = performance.now();
  const first = send(client);
  const second = send(client);
  assert.equal((await first.done).body, '{"via":"first"}');
  assert.equal((await second.done).body, '{"via":"first"}');
  assert.ok(performance.now() - started < 2_000, 'did not wait for the hanging handshake');
  assert.equal(accepted, 2);
});

test('abort: a queued request leaves the queue at once and is never sent; a sent one drops its connection', async () => {
  const held: net.Socket[] = [];
  const server = await rawServer({ onRequest: (_request, socket) => held.push(socket) });
  const client = pool(server.origin, { connections: 1 });
  const first = send(client);
  const queued = send(client);
  await sleep(30);
  assert.equal(client.stats.queued, 1);
  queued.abort!(new Error('caller left'));
  await assert.rejects(queued.done, /caller left/);
  assert.equal(client.stats.queued, 0);
  first.abort!(new Error('first left'));
  await assert.rejects(first.done, /first left/);
  await sleep(30);
  assert.equal(client.stats.open, 0);
  assert.equal(server.requests.length, 1, 'the queued request never went out');
});

test('an abort inside onConnect sends nothing and opens nothing', async () => {
  const server = await rawServer({ onRequest: (_request, socket) => socket.write(ok('{}')) });
  const client = pool(server.origin);
  const collector = new Collector();
  collector.onConnect = (abort) => abort(new Error('already gone'));
  client.dispatch(post(), collector);
  await assert.rejects(collector.done, /already gone/);
  assert.equal(client.stats.open, 0);
});

test('the upstream closing or resetting mid-answer fails the request; refused connections keep Node\'s code', async () => {
  const cut = await rawServer({ onRequest: (_request, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"cut":') });
  await assert.rejects(send(pool(cut.origin)).done, (error: unknown) => codeOf('HTTP1_LENGTH_MISMATCH')(error) && /43 bytes short/.test((error as Error).message));
  const cutChunked = await rawServer({ onRequest: (_request, socket) => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab') });
  await assert.rejects(send(pool(cutChunked.origin)).done, codeOf('HTTP1_SOCKET_CLOSED'));
  const hangUp = await rawServer({ onRequest: (_request, socket) => socket.end() });
  await assert.rejects(send(pool(hangUp.origin)).done, codeOf('HTTP1_SOCKET_CLOSED'));
  const reset = await rawServer({ onRequest: (_request, socket) => socket.resetAndDestroy() });
  await assert.rejects(send(pool(reset.origin)).done, (error: unknown) => codeOf('ECONNRESET')(error) || codeOf('HTTP1_SOCKET_CLOSED')(error));
  const garbage = await rawServer({ onRequest: (_request, socket) => socket.write('SSH-2.0-OpenSSH_9.2\r\n\r\n') });
  await assert.rejects(send(pool(garbage.origin)).done, codeOf('HTTP1_BAD_RESPONSE'));

  const closed = await rawServer({ onRequest: () => undefined });
  const origin = closed.origin;
  await closed.close();
  await assert.rejects(send(pool(origin)).done, codeOf('ECONNREFUSED'));
});

test('a header that would break the framing is refused before anything is sent', async () => {
  const server = await rawServer({ onRequest: (_request, socket) => socket.write(ok('{}')) });
  const client = pool(server.origin);
  await assert.rejects(send(client, post('{}', { 'x-evil': 'a\r\nx-injected: 1' })).done, (error: unknown) => error instanceof Http1Error && error.code === 'HTTP1_BAD_REQUEST' && /x-evil/.test(error.message));
  await assert.rejects(send(client, post('{}', { 'bad name': 'x' })).done, codeOf('HTTP1_BAD_REQUEST'));
  // Headers the pool writes itself are not taken from the caller.
  await send(client, post('{}', { host: 'elsewhere', 'Content-Length': '999', 'x-ok': '1' })).done;
  assert.equal(server.requests.length, 1);
  assert.ok(!server.requests[0]!.includes('elsewhere') && !server.requests[0]!.includes('999') && server.requests[0]!.includes('x-ok: 1'));
});

test('close() lets what is in flight finish and refuses new requests; destroy() fails what is left', async () => {
  const server = await rawServer({ onRequest: (_request, socket) => setTimeout(() => socket.write(ok('{"late":true}')), 30) });
  const client = pool(server.origin, { connections: 1 });
  const inFlight = send(client);
  const queued = send(client);
  const closed = client.close();
  await assert.rejects(send(client).done, codeOf('HTTP1_POOL_CLOSED'));
  assert.equal((await inFlight.done).body, '{"late":true}');
  assert.equal((await queued.done).body, '{"late":true}');
  await closed;
  assert.equal(client.stats.open, 0);

  const hanging = await rawServer({ onRequest: () => undefined });
  const doomed = pool(hanging.origin, { connections: 1 });
  const sent = send(doomed);
  const waiting = send(doomed);
  await sleep(20);
  await doomed.destroy(new Error('shutting down'));
  await assert.rejects(sent.done, /shutting down/);
  await assert.rejects(waiting.done, /shutting down/);
});

test('https: verifies the certificate against the given CA, and refuses one it cannot verify', async () => {
  const tlsFiles = selfSignedCert();
  const server = createHttpsServer(tlsFiles, (req, res) => {
    req.resume();
    req.on('end', () => res.end(JSON.stringify({ secure: true, host: req.headers.host })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as AddressInfo).port;
  const trusted = pool(`https://localhost:${port}`, { tls: { ca: tlsFiles.cert } });
  const outcome = await send(trusted).done;
  assert.deepEqual(JSON.parse(outcome.body), { secure: true, host: `localhost:${port}` });
  await send(trusted).done;
  assert.equal(trusted.stats.open, 1, 'the TLS connection is kept alive');
  await assert.rejects(send(pool(`https://localhost:${port}`)).done, codeOf('DEPTH_ZERO_SELF_SIGNED_CERT'));
});
