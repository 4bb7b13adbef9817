import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import type { GatewayRequest, GatewayResponse } from '../../../src/server/http/gateway-http.ts';
import { Http1Request } from '../../../src/server/http/http1-request.ts';
import { Http1Server, type Http1ServerOptions } from '../../../src/server/http/http1-server.ts';
import { readJsonBody } from '../../../src/server/read-json-body.ts';

type Handler = (req: GatewayRequest, res: GatewayResponse) => void | Promise<void>;

interface Started {
  port: number;
  node: Server;
  fast: Http1Server;
  /** Each request the handler saw: whether the fast path or node's server answered it. */
  seen: Array<{ path: string; fast: boolean; body: string }>;
}

const servers: Http1Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.node.close(resolve));
  }
});

/** A node:http server with the fast server in front, as the gateway wires them. */
async function start(handler: Handler, options: Partial<Http1ServerOptions> = {}): Promise<Started> {
  const seen: Started['seen'] = [];
  const handle = (req: GatewayRequest, res: GatewayResponse) => {
    void (async () => {
      const entry = { path: req.url ?? '', fast: req instanceof Http1Request, body: '' };
      seen.push(entry);
      if (req.method !== 'GET' && req.method !== 'HEAD') entry.body = await bodyText(req);
      await handler(req, res);
    })();
  };
  const node = createServer({ keepAliveTimeout: 5_000 }, handle as (req: IncomingMessage, res: ServerResponse) => void);
  node.on('clientError', (_error, socket) => socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 11\r\n\r\nbad request'));
  const fast = new Http1Server(node, handle, {
    maxHeadBytes: 16 * 1024,
    bodyLimit: 1024,
    headersTimeoutMs: 5_000,
    requestTimeoutMs: 5_000,
    keepAliveTimeoutMs: 5_000,
    checkIntervalMs: 20,
    onTimeout: (socket) => socket.end('HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 7\r\n\r\ntimeout'),
    ...options,
  });
  servers.push(fast);
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
  return { port: (node.address() as AddressInfo).port, node, fast, seen };
}

async function bodyText(req: GatewayRequest): Promise<string> {
  if (req instanceof Http1Request) return req.body.toString('utf8');
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

const echo: Handler = (req, res) => {
  const text = `${req.method} ${req.url}`;
  res.writeHead(200, ['content-type', 'text/plain', 'content-length', String(Buffer.byteLength(text))]);
  res.end(text);
};

/** A raw client: send bytes, read what comes back until `until` matches the text, the socket closes, or time runs out. */
class RawClient {
  text = '';
  closed = false;
  readonly socket: Socket;
  private waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk) => {
      this.text += chunk.toString('latin1');
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => undefined);
  }

  send(bytes: string | Buffer): this {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
    return this;
  }

  async until(test: (text: string) => boolean, limitMs = 3_000): Promise<string> {
    const deadline = Date.now() + limitMs;
    while (!test(this.text)) {
      if (this.closed) throw new Error(`connection closed; got ${this.text.length} chars: ${JSON.stringify(this.text.slice(0, 300))}`);
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.text.length} chars: ${JSON.stringify(this.text.slice(0, 300))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
    return this.text;
  }

  async untilClosed(limitMs = 3_000): Promise<string> {
    const deadline = Date.now() + limitMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`still open; got ${this.text.length} chars: ${JSON.stringify(this.text.slice(0, 300))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.text;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

const count = (text: string, part: string) => text.split(part).length - 1;
const clients: RawClient[] = [];
const client = (port: number) => {
  const made = new RawClient(port);
  clients.push(made);
  return made;
};
after(() => {
  for (const made of clients) made.socket.destroy();
});

describe('Http1Server', () => {
  it('answers a request with a body on the fast path and keeps the connection for the next', async () => {
    const server = await start(echo);
    const c = client(server.port).send('POST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello');
    await c.until((t) => t.endsWith('POST /a?b=1'));
    c.send('GET /second HTTP/1.1\r\nhost: x\r\n\r\n');
    const text = await c.until((t) => t.endsWith('GET /second'));
    assert.equal(count(text, 'HTTP/1.1 200 OK\r\n'), 2);
    assert.match(text, /\r\nconnection: keep-alive\r\nkeep-alive: timeout=5\r\n/i);
    assert.match(text, /\r\ndate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/i);
    assert.deepEqual(server.seen, [{ path: '/a?b=1', fast: true, body: 'hello' }, { path: '/second', fast: true, body: '' }]);
    assert.equal(server.fast.size, 1);
  });

  it('reads a body that arrives in many pieces, with the next request right behind it', async () => {
    const server = await start(echo, { bodyLimit: 1024 * 1024 });
    const body = 'x'.repeat(300 * 1024);
    const c = client(server.port).send(`POST /big HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n`);
    for (let at = 0; at < body.length; at += 16 * 1024) {
      c.send(body.slice(at, at + 16 * 1024) + (at + 16 * 1024 >= body.length ? 'GET /next HTTP/1.1\r\nhost: x\r\n\r\n' : ''));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await c.until((t) => t.endsWith('GET /next'));
    assert.deepEqual(server.seen.map((s) => [s.path, s.fast, s.body.length]), [['/big', true, body.length], ['/next', true, 0]]);
    assert.equal(server.seen[0]!.body, body);
  });

  it('reads a request delivered a byte at a time', async () => {
    const server = await start(echo);
    const c = client(server.port);
    const request = 'POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc';
    for (const byte of request) {
      c.send(byte);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await c.until((t) => t.endsWith('POST /slow'));
    assert.deepEqual(server.seen, [{ path: '/slow', fast: true, body: 'abc' }]);
  });

  it('answers pipelined requests in order, one at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const server = await start(async (req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, req.url === '/1' ? 30 : 1));
      inFlight--;
      echo(req, res);
    });
    const c = client(server.port).send('POST /1 HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\naGET /2 HTTP/1.1\r\nhost: x\r\n\r\nGET /3 HTTP/1.1\r\nhost: x\r\n\r\n');
    const text = await c.until((t) => t.endsWith('GET /3'));
    assert.ok(text.indexOf('POST /1') < text.indexOf('GET /2') && text.indexOf('GET /2') < text.indexOf('GET /3'));
    assert.equal(most, 1);
  });

  it('hands a chunked upload to node with the bytes already read, and the connection stays node\'s', async () => {
    const server = await start(echo);
    const c = client(server.port).send('POST /fast HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok');
    await c.until((t) => t.endsWith('POST /fast'));
    // The chunked head and the start of its body in one write, the rest later.
    c.send('POST /chunked HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    c.send('2\r\nde\r\n0\r\n\r\nGET /after HTTP/1.1\r\nhost: x\r\n\r\n');
    await c.until((t) => t.endsWith('GET /after'));
    assert.deepEqual(server.seen, [
      { path: '/fast', fast: true, body: 'ok' },
      { path: '/chunked', fast: false, body: 'abcde' },
      { path: '/after', fast: false, body: '' },
    ]);
    assert.equal(server.fast.size, 0);
  });

  it('hands node an Expect: 100-continue upload (node sends the 100), HTTP/1.0 and a body over the limit', async () => {
    const server = await start(echo);
    const expect = client(server.port).send('POST /expect HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 3\r\n\r\n');
    await expect.until((t) => t.startsWith('HTTP/1.1 100 Continue\r\n\r\n'));
    expect.send('abc');
    await expect.until((t) => t.endsWith('POST /expect'));
    const old = client(server.port).send('GET /old HTTP/1.0\r\n\r\n');
    assert.match(await old.untilClosed(), /^HTTP\/1\.1 200 OK[\s\S]*GET \/old$/);
    const big = client(server.port).send(`POST /big HTTP/1.1\r\nhost: x\r\ncontent-length: 2000\r\n\r\n${'b'.repeat(2000)}`);
    await big.until((t) => t.endsWith('POST /big'));
    assert.deepEqual(server.seen.map(({ path, fast, body }) => [path, fast, body.length]), [['/expect', false, 3], ['/old', false, 0], ['/big', false, 2000]]);
  });

  it('leaves malformed and oversized heads to node, which answers its error', async () => {
    const server = await start(echo);
    const bad = client(server.port).send('GET / HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n  folded\r\n\r\n');
    assert.match(await bad.untilClosed(), /^HTTP\/1\.1 400 Bad Request/);
    const smuggle = client(server.port).send('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd');
    assert.match(await smuggle.untilClosed(), /^HTTP\/1\.1 400 Bad Request/);
    const huge = client(server.port).send(`GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    assert.match(await huge.untilClosed(), /^HTTP\/1\.1 (400|431)/);
    assert.deepEqual(server.seen, []);
  });

  it('streams with the chunked encoding; flushHeaders sends the head at once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await start(async (_req, res) => {
      res.statusCode = 200;
      res.setHeader('content-type', 'text/event-stream');
      res.flushHeaders();
      await gate;
      res.write('data: one\n\n');
      res.write('');
      res.write(Buffer.from('data: twö\n\n'));
      res.end('data: [DONE]\n\n');
    });
    const c = client(server.port).send('POST /s HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n');
    const head = await c.until((t) => t.includes('\r\n\r\n'));
    assert.match(head, /^HTTP\/1\.1 200 OK\r\ncontent-type: text\/event-stream\r\n[\s\S]*transfer-encoding: chunked\r\n\r\n$/i);
    release();
    const text = await c.until((t) => t.endsWith('0\r\n\r\n'));
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    assert.equal(body, 'b\r\ndata: one\n\n\r\nc\r\ndata: tw\xc3\xb6\n\n\r\ne\r\ndata: [DONE]\n\n\r\n0\r\n\r\n');
  });

  it('end() with the whole body sends Content-Length; HEAD, 204 and 304 send no body', async () => {
    const server = await start((req, res) => {
      if (req.url === '/204') res.statusCode = 204;
      if (req.url === '/304') res.statusCode = 304;
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    const c = client(server.port).send('GET /plain HTTP/1.1\r\nhost: x\r\n\r\n');
    assert.match(await c.until((t) => t.endsWith('{"ok":true}')), /\r\ncontent-length: 11\r\n\r\n\{"ok":true\}$/i);
    c.text = '';
    c.send('HEAD /plain HTTP/1.1\r\nhost: x\r\n\r\n');
    const head = await c.until((t) => t.endsWith('\r\n\r\n'));
    assert.match(head, /\r\ncontent-length: 11\r\n/i);
    c.text = '';
    c.send('GET /204 HTTP/1.1\r\nhost: x\r\n\r\nGET /304 HTTP/1.1\r\nhost: x\r\n\r\nGET /plain HTTP/1.1\r\nhost: x\r\n\r\n');
    const rest = await c.until((t) => t.endsWith('{"ok":true}'));
    assert.match(rest, /^HTTP\/1\.1 204 No Content\r\n(?:(?!content-length|transfer-encoding)[^\r]*\r\n)*\r\nHTTP\/1\.1 304 Not Modified\r\n(?:(?!content-length|transfer-encoding)[^\r]*\r\n)*\r\nHTTP\/1\.1 200 OK/i);
  });

  it('writeHead merges over setHeader (its names win) and headersSent turns true', async () => {
    let sentAfterWriteHead: boolean | undefined;
    let threw: unknown;
    const server = await start((_req, res) => {
      res.setHeader('x-kept', 'a');
      res.setHeader('X-Replaced', 'old');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(201, ['x-replaced', 'new', 'content-length', '2']);
      sentAfterWriteHead = res.headersSent;
      try {
        res.setHeader('x-late', '1');
      } catch (error) {
        threw = error;
      }
      res.end('ok');
    });
    const text = await client(server.port).send('GET / HTTP/1.1\r\nhost: x\r\n\r\n').until((t) => t.endsWith('ok'));
    assert.match(text, /^HTTP\/1\.1 201 Created\r\nx-kept: a\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nx-replaced: new\r\ncontent-length: 2\r\n/);
    assert.doesNotMatch(text, /old/);
    assert.equal(sentAfterWriteHead, true);
    assert.equal((threw as { code?: string }).code, 'ERR_HTTP_HEADERS_SENT');
  });

  it('refuses header names and values that would break the head, as node does; latin1 values go out as latin1', async () => {
    const errors: string[] = [];
    const server = await start((_req, res) => {
      for (const [name, value] of [['x-a', 'one\r\nx-injected: 1'], ['x-b', 'nul\0'], ['bad name', 'v'], ['x-c', 'snow\u2603']] as const) {
        try {
          res.setHeader(name, value);
        } catch (error) {
          errors.push((error as { code: string }).code);
        }
      }
      try {
        res.writeHead(200, ['x-d', 'a\nb']);
      } catch (error) {
        errors.push((error as { code: string }).code);
      }
      res.setHeader('x-name', 'caf\xe9');
      res.end('done ✓');
    });
    const c = client(server.port).send('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    const text = await c.until((t) => t.endsWith('done \xe2\x9c\x93'));
    assert.deepEqual(errors, ['ERR_INVALID_CHAR', 'ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN', 'ERR_INVALID_CHAR', 'ERR_INVALID_CHAR']);
    assert.match(text, /\r\nx-name: caf\xe9\r\n/);
    assert.match(text, /\r\ncontent-length: 8\r\n/i);
    assert.doesNotMatch(text, /injected/);
  });

  it('Connection: close from the client, or from the response, ends the connection after the answer', async () => {
    const server = await start((req, res) => {
      if (req.url === '/bye') res.setHeader('connection', 'close');
      echo(req, res);
    });
    const asked = client(server.port).send('GET /a HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    assert.match(await asked.untilClosed(), /\r\nconnection: close\r\n[\s\S]*GET \/a$/i);
    const told = client(server.port).send('GET /bye HTTP/1.1\r\nhost: x\r\n\r\n');
    assert.match(await told.untilClosed(), /GET \/bye$/);
  });

  it('a client that half-closes after its request is gone, as node has it: the response closes unfinished', { timeout: 10_000 }, async () => {
    const closed = new Promise<{ finished: boolean; destroyed: boolean }>((resolve) => {
      void start((_req, res) => {
        res.once('close', () => resolve({ finished: res.writableFinished, destroyed: res.destroyed }));
      }).then((server) => {
        const c = client(server.port).send('GET /half HTTP/1.1\r\nhost: x\r\n\r\n');
        setTimeout(() => c.socket.end(), 30);
      });
    });
    assert.deepEqual(await closed, { finished: false, destroyed: true });
  });

  it('a client that goes away mid-answer closes the response (destroyed, not finished) and later writes are dropped', { timeout: 10_000 }, async () => {
    let response: GatewayResponse | undefined;
    const closed = new Promise<{ finished: boolean; destroyed: boolean }>((resolve) => {
      void start((_req, res) => {
        response = res;
        res.setHeader('content-type', 'text/event-stream');
        res.write('data: first\n\n');
        res.once('close', () => resolve({ finished: res.writableFinished, destroyed: res.destroyed }));
      }).then((server) => {
        const c = client(server.port).send('GET /stream HTTP/1.1\r\nhost: x\r\n\r\n');
        void c.until((t) => t.includes('data: first')).then(() => c.socket.destroy());
      });
    });
    assert.deepEqual(await closed, { finished: false, destroyed: true });
    assert.equal(response!.write('data: more\n\n'), false);
    response!.end();
  });

  it('408 for a head or body that does not arrive in time; an idle connection is closed quietly', async () => {
    const server = await start(echo, { headersTimeoutMs: 100, requestTimeoutMs: 200, keepAliveTimeoutMs: 150 });
    const slowHead = client(server.port).send('GET / HTTP/1.1\r\nhost: x\r\n');
    assert.match(await slowHead.untilClosed(), /^HTTP\/1\.1 408 /);
    const slowBody = client(server.port).send('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc');
    assert.match(await slowBody.untilClosed(), /^HTTP\/1\.1 408 /);
    const idle = client(server.port).send('GET /once HTTP/1.1\r\nhost: x\r\n\r\n');
    const started = Date.now();
    assert.match(await idle.untilClosed(), /GET \/once$/);
    assert.ok(Date.now() - started >= 100, 'closed after the keep-alive timeout, not before');
    const silent = client(server.port);
    assert.equal(await silent.untilClosed(), '');
    assert.deepEqual(server.seen.map((s) => s.path), ['/once']);
  });

  it('waits for the client to read (writableNeedDrain, then drain) before more is written', async () => {
    const sizes: number[] = [];
    const server = await start(async (_req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      const piece = 'x'.repeat(64 * 1024);
      let waited = 0;
      for (let i = 0; i < 200; i++) {
        if (!res.write(piece)) {
          assert.equal(res.writableNeedDrain, true);
          waited++;
          await once(res as unknown as NodeJS.EventEmitter, 'drain');
        }
      }
      sizes.push(waited);
      res.end();
    });
    const c = client(server.port);
    c.socket.pause();
    c.send('GET /big HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    c.socket.resume();
    await c.until((t) => t.endsWith('0\r\n\r\n'), 10_000);
    assert.ok(sizes[0]! > 0, 'the writer had to wait at least once');
  });

  it('closeIdleConnections closes idle connections now and busy ones after their answer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await start(async (req, res) => {
      if (req.url === '/busy') await gate;
      echo(req, res);
    });
    const idle = client(server.port).send('GET /idle HTTP/1.1\r\nhost: x\r\n\r\n');
    await idle.until((t) => t.endsWith('GET /idle'));
    const busy = client(server.port).send('GET /busy HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    server.fast.closeIdleConnections();
    await idle.untilClosed();
    assert.equal(busy.closed, false);
    release();
    assert.match(await busy.untilClosed(), /\r\nconnection: close\r\n[\s\S]*GET \/busy$/i);
  });

  it('does not run a request the client sends after a Connection: close answer (node drops it too)', async () => {
    const server = await start(echo);
    const c = client(server.port).send('GET /first HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    await c.until((t) => t.endsWith('GET /first'));
    c.send('POST /second HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\nx');
    await c.untilClosed();
    assert.deepEqual(server.seen.map((s) => s.path), ['/first']);
  });

  it('a large answer to a slow reader is not cut by the keep-alive or close deadline while it is still leaving', async () => {
    const size = 16 * 1024 * 1024;
    const server = await start((req, res) => {
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.end(Buffer.alloc(size, 97));
    }, { keepAliveTimeoutMs: 150 });
    for (const path of ['/keep', '/close']) {
      const c = client(server.port);
      c.socket.pause();
      c.send(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      c.socket.resume();
      const text = await c.until((t) => t.length >= size && t.endsWith('a'.repeat(64)), 20_000);
      assert.equal(text.length - text.indexOf('\r\n\r\n') - 4, size, `${path}: the whole body arrived`);
    }
  });

  it('a finished answer emits close with writableFinished true once its bytes have left, as node\'s does', { timeout: 10_000 }, async () => {
    const events = new Promise<{ atEnd: boolean; atClose: boolean }>((resolve) => {
      void start((_req, res) => {
        res.end('done');
        const atEnd = res.writableFinished;
        res.once('close', () => resolve({ atEnd, atClose: res.writableFinished }));
      }).then((server) => client(server.port).send('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    });
    assert.deepEqual(await events, { atEnd: false, atClose: true });
  });

  it('frames a body the handler marked Transfer-Encoding: chunked, and refuses other codings, bad statuses and undefined values', async () => {
    const errors: string[] = [];
    const server = await start((req, res) => {
      if (req.url === '/chunked') {
        res.setHeader('transfer-encoding', 'chunked');
        res.write('abc');
        res.end();
        return;
      }
      for (const attempt of [
        () => res.writeHead(99),
        () => res.writeHead(200, { 'x-a': undefined as unknown as string }),
      ]) {
        try {
          attempt();
        } catch (error) {
          errors.push((error as { code: string }).code);
        }
      }
      res.setHeader('transfer-encoding', 'gzip');
      try {
        res.end('x');
      } catch (error) {
        errors.push((error as { code: string }).code);
      }
    });
    const text = await client(server.port).send('GET /chunked HTTP/1.1\r\nhost: x\r\n\r\n').until((t) => t.endsWith('0\r\n\r\n'));
    assert.match(text, /\r\ntransfer-encoding: chunked\r\n[\s\S]*\r\n\r\n3\r\nabc\r\n0\r\n\r\n$/);
    assert.equal(text.split('ransfer-encoding').length - 1, 1);
    // The answer that cannot be framed drops its connection.
    assert.equal(await client(server.port).send('GET /other HTTP/1.1\r\nhost: x\r\n\r\n').untilClosed(), '');
    assert.deepEqual(errors, ['ERR_HTTP_INVALID_STATUS_CODE', 'ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_HTTP_INVALID_HEADER_VALUE']);
  });

  it('says Keep-Alive: timeout in whole seconds of its own keep-alive timeout', async () => {
    const server = await start(echo, { keepAliveTimeoutMs: 3_500 });
    const text = await client(server.port).send('GET /ka HTTP/1.1\r\nhost: x\r\n\r\n').until((t) => t.endsWith('GET /ka'));
    assert.match(text, /\r\nkeep-alive: timeout=3\r\n/i);
  });

  it('the first request\'s headers clock starts with the connection, not with its first byte', async () => {
    const server = await start(echo, { headersTimeoutMs: 600 });
    const c = client(server.port);
    const opened = Date.now();
    setTimeout(() => c.send('G'), 450);
    assert.match(await c.untilClosed(5_000), /^HTTP\/1\.1 408 /);
    // Counted from the first byte it would have closed at ~1050 ms; from the connection, at ~600.
    assert.ok(Date.now() - opened < 950, `closed after ${Date.now() - opened} ms`);
  });

  it('readJsonBody takes the fast request\'s body: the limit, empty and broken JSON', async () => {
    const outcomes: string[] = [];
    const server = await start(async (req, res) => {
      try {
        outcomes.push(JSON.stringify(await readJsonBody(req, 10)));
      } catch (error) {
        outcomes.push((error as { code: string }).code);
      }
      res.end();
    });
    const c = client(server.port);
    const bodies = ['{"a":1}', '{"a":"toolong"}', '', '{"a":'];
    for (const [i, body] of bodies.entries()) {
      c.send(`POST /json HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      await c.until((t) => count(t, 'HTTP/1.1 200') === i + 1);
    }
    assert.deepEqual(outcomes, ['{"a":1}', 'UNBUNDLE_E_BODY_TOO_LARGE', 'UNBUNDLE_E_INVALID_JSON', 'UNBUNDLE_E_INVALID_JSON']);
  });
});
