import type { Socket } from 'node:net';
import { Http1Request } from './http1-request.ts';
import { Http1Response, type ResponseChannel } from './http1-response.ts';
import { incomplete, parseRequestHead, type RequestHead } from './parse-request-head.ts';

/** What a connection needs from its server (http1-server.ts). */
export interface ConnectionHost {
  readonly closing: boolean;
  readonly keepAliveLines: string;
  readonly limits: ConnectionLimits;
  dispatch(request: Http1Request, response: Http1Response): void;
  /** Gives the socket, with the bytes read but not answered put back, to node's server. */
  handOff(connection: ServerConnection, socket: Socket): void;
  forget(connection: ServerConnection): void;
  /** The head or body did not arrive in time: answer 408 and close. */
  timedOut(socket: Socket): void;
}

export interface ConnectionLimits {
  maxHeadBytes: number;
  /** A declared body over this goes to node's server (whose handler answers 413). */
  bodyLimit: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** What the connection's deadline, when set, cuts short. */
const enum Waiting {
  Nothing,
  /** Between requests (or before the first): closed quietly. */
  Idle,
  /** A request's head or body: answered 408. */
  Request,
  /** Our side has ended; the client has not closed. */
  Close,
}

/** Unread bytes past this, while a response is in flight (a pipelining client), pause reading. */
const maxBuffered = 1024 * 1024;

/**
 * One client connection on the fast server: reads a request head and its whole body, hands the
 * request to the server, and reads the next request only once the response has ended (pipelined
 * requests wait their turn in the buffer). A head it does not take (parse-request-head.ts) or a
 * body over the limit sends the connection, from that request on, to node's server. Deadlines are
 * numbers the server's sweep checks; nothing here sets a timer.
 */
export class ServerConnection implements ResponseChannel {
  private pending: Buffer | undefined;
  /** Body bytes that came after `pending`, joined once the body is whole (not a copy per read). */
  private later: Buffer[] = [];
  private laterBytes = 0;
  private head: RequestHead | undefined;
  private response: Http1Response | undefined;
  private paused = false;
  private waiting: Waiting;
  /** performance.now() past which `waiting` is cut short; 0 while nothing is awaited. */
  deadline: number;
  /** When the request being read began; the first request's clock starts with the connection, as node's does. */
  private requestStart: number;
  /** socket.writableLength when the sweep last looked: a response still leaving keeps its connection. */
  private unsent = -1;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.requestStart = performance.now();
    this.waiting = Waiting.Request;
    this.deadline = this.requestStart + host.limits.headersTimeoutMs;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('drain', this.onDrain);
  }

  get closing(): boolean {
    return this.host.closing;
  }

  get keepAliveLines(): string {
    return this.host.keepAliveLines;
  }

  /** No request is being read or answered: a keep-alive connection waiting for the next. */
  get idle(): boolean {
    return this.response === undefined && this.pending === undefined;
  }

  /** The sweep found the deadline passed. */
  expire(): void {
    const { socket } = this;
    // An answer still leaving for a slow reader is not cut (node starts these clocks once a
    // response has gone out) unless none of it has moved for a whole request timeout.
    const unsent = socket.writableLength;
    if (this.waiting !== Waiting.Request && unsent > 0 && unsent !== this.unsent) {
      this.unsent = unsent;
      this.deadline = performance.now() + this.host.limits.requestTimeoutMs;
      return;
    }
    if (this.waiting === Waiting.Request && this.pending !== undefined) {
      // A request that did not arrive in time: 408 (with nothing of its own read yet, a new or
      // kept-alive connection just closes, as node's does). A client that does not close is cut.
      this.stopReading();
      this.host.timedOut(socket);
      this.wait(Waiting.Close, 1_000);
    } else socket.destroy();
  }

  responseEnded(close: boolean): void {
    this.response = undefined;
    if (this.socket.destroyed) return;
    this.unsent = -1;
    if (close || this.host.closing) {
      // Nothing more is read: a request sent after Connection: close is not run (node's parser drops it too).
      this.stopReading();
      this.socket.end();
      this.wait(Waiting.Close, 1_000);
      return;
    }
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (this.pending === undefined) this.wait(Waiting.Idle, this.host.limits.keepAliveTimeoutMs);
    // A pipelined request: read it on the next turn, not inside this response's end().
    else setImmediate(this.readNext);
  }

  private readonly onData = (chunk: Buffer): void => {
    const { head } = this;
    if (this.pending === undefined) this.pending = chunk;
    else if (head !== undefined) {
      // The rest of a body: a large one arrives in many reads, and joining at each would copy it over and over.
      this.later.push(chunk);
      this.laterBytes += chunk.length;
      if (this.pending.length + this.laterBytes < head.headLength + head.contentLength) return;
      this.pending = Buffer.concat([this.pending, ...this.later]);
      this.later = [];
      this.laterBytes = 0;
    } else this.pending = Buffer.concat([this.pending, chunk]);
    if (this.response !== undefined) {
      if (this.pending.length > maxBuffered && !this.paused) {
        this.paused = true;
        this.socket.pause();
      }
      return;
    }
    this.read();
  };

  private readonly readNext = (): void => {
    if (this.response === undefined && !this.socket.destroyed) this.read();
  };

  private read(): void {
    const bytes = this.pending;
    if (bytes === undefined) return;
    if (this.head === undefined) {
      if (this.waiting !== Waiting.Request) {
        this.requestStart = performance.now();
        this.wait(Waiting.Request, this.host.limits.headersTimeoutMs);
      }
      const parsed = parseRequestHead(bytes, this.host.limits.maxHeadBytes);
      if (parsed === incomplete) return;
      if ('handOff' in parsed || parsed.contentLength > this.host.limits.bodyLimit) {
        this.handOff();
        return;
      }
      this.head = parsed;
      this.deadline = this.requestStart + this.host.limits.requestTimeoutMs;
    }
    const head = this.head;
    const size = head.headLength + head.contentLength;
    if (bytes.length < size) return;
    this.head = undefined;
    this.pending = bytes.length > size ? bytes.subarray(size) : undefined;
    this.wait(Waiting.Nothing, 0);
    const response = new Http1Response(this, head.method === 'HEAD', head.keepAlive);
    this.response = response;
    this.host.dispatch(new Http1Request(head, bytes.subarray(head.headLength, size)), response);
  }

  private stopReading(): void {
    this.socket.off('data', this.onData);
    this.pending = undefined;
    this.later = [];
    this.head = undefined;
  }

  private wait(what: Waiting, ms: number): void {
    this.waiting = what;
    this.deadline = what === Waiting.Nothing ? 0 : performance.now() + ms;
  }

  private handOff(): void {
    const { socket } = this;
    this.detach();
    this.deadline = 0;
    const rest = this.pending;
    this.pending = undefined;
    socket.pause();
    if (rest !== undefined) socket.unshift(rest);
    this.host.handOff(this, socket);
    socket.resume();
  }

  private detach(): void {
    const { socket } = this;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onClose);
    socket.off('error', this.onError);
    socket.off('drain', this.onDrain);
    this.host.forget(this);
  }

  /**
   * The client half-closed. As node's server does (its httpAllowHalfOpen is off), that counts as
   * the client going: a response in flight is closed (its request cancelled) and our side ends.
   */
  private readonly onEnd = (): void => {
    const { response } = this;
    this.response = undefined;
    this.pending = undefined;
    this.later = [];
    this.head = undefined;
    this.deadline = 0;
    this.socket.end();
    response?.destroyByClient();
  };

  private readonly onClose = (): void => {
    this.detach();
    const { response } = this;
    this.response = undefined;
    this.pending = undefined;
    this.later = [];
    if (response !== undefined && !response.writableFinished) response.destroyByClient();
  };

  private readonly onError = (): void => {
    // A reset or broken pipe: 'close' follows and does the clean-up.
  };

  private readonly onDrain = (): void => {
    this.response?.emit('drain');
  };
}
