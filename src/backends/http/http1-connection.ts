import type net from 'node:net';
import tls from 'node:tls';
import { Http1Error } from './http1-error.ts';
import { Http1ResponseParser, type ResponseHead, type ResponseSink } from './http1-response-parser.ts';
import type { Http1Pool, RequestHandler } from './http1-pool.ts';

/** One request's way through the pool: queued, then on a connection, until it completes or fails. */
export class Exchange {
  connection: Connection | undefined;
  done = false;
  /** Already sent once more after its reused connection closed unanswered (it is not sent a third time). */
  resent = false;
  /** Resumes reading for this request only: a late call after it ended must not un-pause the next request on the connection. */
  readonly resume = (): void => {
    if (!this.done) this.connection?.resumeFor(this);
  };
  readonly abort = (reason?: Error): void => {
    if (this.done) return;
    const error = reason ?? new Error('the request was aborted');
    if (this.connection !== undefined) this.connection.abortCurrent(this, error);
    else {
      this.pool.unqueue(this);
      this.fail(error);
    }
  };

  constructor(
    private readonly pool: Http1Pool,
    readonly handler: RequestHandler,
    /** Head and body, written in one go. */
    readonly wire: string,
  ) {}

  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.connection = undefined;
    this.handler.onError(error);
  }
}

const enum Phase {
  Connecting,
  Idle,
  /** Written; the answer's final head (after any 1xx) has not arrived yet. */
  Waiting,
  Reading,
  Closed,
}

/**
 * How soon after the request went out a close still counts as the upstream closing an idle
 * connection (the race is one round trip wide); later, the upstream may have been working on the
 * request, and sending it again could run it twice.
 */
export const staleCloseWindowMs = 500;

/** A reused connection that failed this way before one byte of the answer was the upstream closing it while idle. */
function isStaleClose(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'HTTP1_SOCKET_CLOSED' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** One socket: connects, carries one request at a time, parses its answer into the request's handler. */
export class Connection implements ResponseSink {
  private phase = Phase.Connecting;
  private exchange: Exchange | undefined;
  private readonly parser: Http1ResponseParser;
  private deadline = 0;
  private paused = false;
  private keepAlive = true;
  private keepAliveHintMs: number | undefined;
  private completed = false;
  private trailers: string[] = [];
  /** Counted in the pool's waitingOnConnect until it connects, fails or gives its request away. */
  private boundWhileConnecting = false;
  /** Answers completed on this connection (a request on it after the first is on a reused connection). */
  private answered = 0;
  /** Bytes of the current request's answer received (head included) and of its body. */
  private received = 0;
  private bodyBytes = 0;
  /** When the current request was written (pool clock). */
  private sentAt = 0;

  constructor(
    private readonly pool: Http1Pool,
    private readonly socket: net.Socket,
  ) {
    this.parser = new Http1ResponseParser(this, pool.maxHeadBytes);
    socket.setKeepAlive(true, 60_000);
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => this.onConnected());
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('end', () => this.onEnd());
    socket.on('error', (error: Error) => this.onSocketError(error));
    socket.on('close', () => this.onClose());
  }

  connectFor(exchange: Exchange, deadline: number): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.deadline = deadline;
    this.boundWhileConnecting = true;
  }

  /** The request bound to this connection while it connects, released to go on another (else undefined). */
  unbindUnsent(): Exchange | undefined {
    if (this.phase !== Phase.Connecting || this.exchange === undefined) return undefined;
    const exchange = this.exchange;
    this.exchange = undefined;
    exchange.connection = undefined;
    this.settleConnectWait();
    return exchange;
  }

  /** An idle connection past its keep-alive deadline. */
  expired(now: number): boolean {
    return this.phase === Phase.Idle && this.deadline !== 0 && now >= this.deadline;
  }

  resumeFor(exchange: Exchange): void {
    if (this.exchange !== exchange || !this.paused || this.phase === Phase.Closed) return;
    this.paused = false;
    this.deadline = this.pool.now() + this.pool.options.idleTimeoutMs;
    this.socket.resume();
  }

  private settleConnectWait(): void {
    if (!this.boundWhileConnecting) return;
    this.boundWhileConnecting = false;
    this.pool.connectSettled();
  }

  send(exchange: Exchange): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.completed = false;
    this.keepAlive = true;
    this.received = 0;
    this.bodyBytes = 0;
    this.sentAt = this.pool.now();
    this.parser.reset();
    this.phase = Phase.Waiting;
    this.deadline = this.pool.now() + this.pool.options.firstByteTimeoutMs;
    this.socket.write(exchange.wire);
  }

  idleUntil(deadline: number): void {
    this.phase = Phase.Idle;
    this.deadline = deadline;
  }

  /** How long to keep this connection idle: ours, or less when the upstream said it keeps it less. */
  keepAliveFor(ours: number): number {
    const hint = this.keepAliveHintMs;
    if (hint === undefined) return ours;
    // Close a second before the upstream would, so a request never goes out on a socket it is closing.
    return Math.max(0, Math.min(ours, hint > 2_000 ? hint - 1_000 : hint / 2));
  }

  checkDeadline(now: number): void {
    if (this.deadline === 0 || now < this.deadline || this.paused) return;
    switch (this.phase) {
      case Phase.Connecting:
        this.destroy(new Http1Error('HTTP1_CONNECT_TIMEOUT', `no connection to ${this.pool.host}:${this.pool.port} within ${this.pool.options.connectTimeoutMs} ms`));
        break;
      case Phase.Waiting:
        this.destroy(new Http1Error('HTTP1_HEADERS_TIMEOUT', `no answer within ${this.pool.options.firstByteTimeoutMs} ms`));
        break;
      case Phase.Reading:
        this.destroy(new Http1Error('HTTP1_BODY_TIMEOUT', `the answer stalled for ${this.pool.options.idleTimeoutMs} ms`));
        break;
      case Phase.Idle:
        this.destroy();
        break;
    }
  }

  /** The request on this connection is aborted: unsent (still connecting), the connection is kept; sent, it is dropped. */
  abortCurrent(exchange: Exchange, reason: Error): void {
    if (this.exchange !== exchange) {
      exchange.fail(reason);
      return;
    }
    if (this.phase === Phase.Connecting) {
      this.exchange = undefined;
      this.settleConnectWait();
      exchange.fail(reason);
      return;
    }
    this.destroy(reason);
  }

  /** Closes the socket; the request on it, if any, fails with `error` (or a closed-pool error). */
  destroy(error?: Error): void {
    if (this.phase === Phase.Closed) return;
    const unanswered = this.phase === Phase.Waiting && this.received === 0 && this.pool.now() - this.sentAt <= staleCloseWindowMs;
    this.phase = Phase.Closed;
    this.deadline = 0;
    this.settleConnectWait();
    const exchange = this.exchange;
    this.exchange = undefined;
    this.socket.destroy();
    if (exchange !== undefined && error !== undefined && unanswered && this.answered > 0 && !exchange.resent && isStaleClose(error)) {
      // The upstream closed this idle connection as the request went out: send it again (http1-pool.ts).
      // Resent before this connection leaves the pool, so the slot it frees goes to this request
      // (now first in line) and not to the next queued one.
      exchange.resent = true;
      exchange.connection = undefined;
      this.pool.resend(exchange);
      this.pool.forget(this);
      return;
    }
    if (exchange !== undefined) exchange.fail(error ?? new Http1Error('HTTP1_POOL_CLOSED', 'the connection pool is closed'));
    this.pool.forget(this);
  }

  // --- ResponseSink

  onHead(head: ResponseHead): void {
    // The final head (the parser keeps 1xx to itself): from here the idle deadline runs.
    this.phase = Phase.Reading;
    this.deadline = this.pool.now() + this.pool.options.idleTimeoutMs;
    this.keepAlive = head.keepAlive;
    this.keepAliveHintMs = head.keepAliveHintMs;
    if (this.exchange === undefined) return;
    // Only answers we decode are refused: an error page's status still counts (its text is only quoted).
    const coding = head.contentEncoding?.trim().toLowerCase();
    if (coding !== undefined && coding !== '' && coding !== 'identity' && head.status < 300) {
      this.destroy(new Http1Error('HTTP1_UNSUPPORTED_ENCODING', `the answer is compressed (Content-Encoding: ${coding.slice(0, 40)}) although the request asked for Accept-Encoding: identity`));
      return;
    }
    if (head.contentLength !== undefined && head.contentLength > this.pool.maxResponseBytes) {
      this.destroy(tooLarge(this.pool.maxResponseBytes, `announces ${head.contentLength} bytes`));
      return;
    }
    if (!this.exchange.handler.onHeaders(head.status, head.rawHeaders, this.exchange.resume, head.statusText)) this.pause();
  }

  onBody(chunk: Buffer): void {
    if (this.exchange === undefined) return;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.pool.maxResponseBytes) {
      this.destroy(tooLarge(this.pool.maxResponseBytes, 'went on past it'));
      return;
    }
    if (!this.exchange.handler.onData(chunk)) this.pause();
  }

  onComplete(trailers: string[]): void {
    this.completed = true;
    this.trailers = trailers;
  }

  // --- socket events

  private onConnected(): void {
    if (this.phase !== Phase.Connecting) return;
    this.settleConnectWait();
    const exchange = this.exchange;
    this.exchange = undefined;
    if (exchange === undefined || exchange.done) this.pool.release(this);
    else this.send(exchange);
  }

  private onData(data: Buffer): void {
    if (this.phase !== Phase.Waiting && this.phase !== Phase.Reading) {
      // Bytes nobody asked for (on an idle connection): it cannot be trusted with the next request.
      if (this.phase === Phase.Idle) this.destroy();
      return;
    }
    this.received += data.length;
    // Until the final head, the first-byte deadline stands (interim 1xx answers do not extend it).
    if (this.phase === Phase.Reading) this.deadline = this.pool.now() + this.pool.options.idleTimeoutMs;
    let consumed: number;
    try {
      consumed = this.parser.execute(data);
    } catch (error) {
      this.destroy(error as Error);
      return;
    }
    // A handler may have aborted its request (and so closed this connection) from a callback.
    if (this.completed && !this.isClosed()) this.finish(consumed < data.length);
  }

  private onEnd(): void {
    if (this.phase === Phase.Reading || this.phase === Phase.Waiting) {
      try {
        this.parser.end();
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      if (this.completed && !this.isClosed()) this.finish(true);
      return;
    }
    this.destroy(new Http1Error('HTTP1_SOCKET_CLOSED', 'the upstream closed the connection before answering (other side closed)'));
  }

  private onSocketError(error: Error): void {
    this.destroy(error);
  }

  private onClose(): void {
    this.destroy(new Http1Error('HTTP1_SOCKET_CLOSED', 'the upstream closed the connection before its answer was complete (other side closed)'));
  }

  /** The answer is complete: the connection goes back to the pool (or closes), then the handler hears of it. */
  private finish(extraBytes: boolean): void {
    const exchange = this.exchange!;
    this.exchange = undefined;
    exchange.done = true;
    exchange.connection = undefined;
    const trailers = this.trailers;
    this.trailers = [];
    this.deadline = 0;
    this.answered++;
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (this.keepAlive && !extraBytes && this.phase !== Phase.Closed) this.pool.release(this);
    else this.destroy();
    exchange.handler.onComplete(trailers);
  }

  /** A method, not a field read, so TypeScript does not narrow it away after callbacks that may close the connection. */
  private isClosed(): boolean {
    return this.phase === Phase.Closed;
  }

  private pause(): void {
    if (this.paused || this.phase === Phase.Closed) return;
    this.paused = true;
    this.socket.pause();
  }
}

function tooLarge(limit: number, what: string): Http1Error {
  return new Http1Error('HTTP1_RESPONSE_TOO_LARGE', `the answer ${what}, over the limit of ${limit} bytes (maxResponseBytes)`);
}
