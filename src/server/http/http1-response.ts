import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { httpToken } from '../../backends/http/http-header-rules.ts';
import type { GatewayResponse } from './gateway-http.ts';
import { httpDate } from './http-date.ts';

/** What a response needs from its connection (server-connection.ts). */
export interface ResponseChannel {
  readonly socket: Socket;
  /** The server is shutting down: answers say Connection: close and the connection ends after them. */
  readonly closing: boolean;
  /** `Connection: keep-alive` and `Keep-Alive: timeout=N` lines, N from the server's keep-alive timeout. */
  readonly keepAliveLines: string;
  /** The response's last bytes are written; `close`: end the connection after them. */
  responseEnded(close: boolean): void;
}

/** Printable ASCII and HTAB: a header value that is all of these needs no further look. */
// eslint-disable-next-line no-control-regex
const plainValue = /^[\t\x20-\x7e]*$/;
/** What node accepts in a header value: HTAB, printable ASCII and obs-text (latin1 bytes 0x80–0xFF). */
const latin1Value = /^[\t\x20-\x7e\x80-\xff]*$/;

type Field = [name: string, value: string | string[]];

/**
 * A response on the fast server (http1-server.ts) with the ServerResponse behaviour the handlers
 * rely on (GatewayResponse). The head is built once, when the first bytes leave (writeHead only
 * records it): Content-Length when the whole body is given to end() or the handler set one,
 * chunked otherwise; Date and Connection / Keep-Alive as node sends them; no body for HEAD, 1xx,
 * 204 and 304. A head and its body leave in one write. Header names must be HTTP tokens and values
 * one line of latin1 (as node requires), else setHeader / writeHead throw a TypeError.
 */
export class Http1Response extends EventEmitter implements GatewayResponse {
  statusCode = 200;
  /** True from writeHead (or the first write) on, as node's: headers can no longer change. */
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  private fields: Record<string, Field> | undefined;
  private headList: string[] | undefined;
  /** The head has been written to the socket. */
  private committed = false;
  private chunked = false;
  private noBody = false;
  private close = false;
  /** A header value holds latin1 bytes past ASCII: the head must be written as latin1 on its own. */
  private latin1 = false;

  constructor(
    private readonly channel: ResponseChannel,
    private readonly isHead: boolean,
    private readonly keepAlive: boolean,
  ) {
    super();
  }

  get writableNeedDrain(): boolean {
    return this.channel.socket.writableNeedDrain;
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    if (this.headersSent) throw headersSentError('set');
    checkName(name);
    const checked = typeof value === 'number' ? String(value) : typeof value === 'string' ? this.checkValue(name, value) : value.map((item) => this.checkValue(name, item));
    (this.fields ??= Object.create(null) as Record<string, Field>)[name.toLowerCase()] = [name, checked];
    return this;
  }

  getHeader(name: string): string | string[] | undefined {
    return this.fields?.[name.toLowerCase()]?.[1];
  }

  hasHeader(name: string): boolean {
    return this.fields?.[name.toLowerCase()] !== undefined;
  }

  removeHeader(name: string): void {
    if (this.headersSent) throw headersSentError('remove');
    if (this.fields) delete this.fields[name.toLowerCase()];
  }

  writeHead(status: number, headers?: string[] | Record<string, string | number>): this {
    if (this.headersSent) throw headersSentError('write');
    checkStatus(status);
    this.statusCode = status;
    if (headers !== undefined) {
      const list = Array.isArray(headers) ? headers : Object.entries(headers).flatMap(([name, value]) => [name, typeof value === 'number' ? String(value) : value]);
      for (let i = 0; i < list.length; i += 2) {
        checkName(list[i]!);
        this.checkValue(list[i]!, list[i + 1]!);
        // A name given here replaces one set with setHeader, as in node.
        if (this.fields !== undefined) delete this.fields[list[i]!.toLowerCase()];
      }
      this.headList = list;
    }
    this.headersSent = true;
    return this;
  }

  flushHeaders(): void {
    if (this.committed || this.destroyed) return;
    this.send(this.commit(undefined), undefined);
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.writableEnded) throw new Error('write after end');
    if (this.destroyed) return false;
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    const head = this.committed ? '' : this.commit(undefined);
    if (size === 0 || this.noBody) return head === '' ? true : this.send(head, undefined);
    return this.chunked ? this.sendFramed(head, chunk, size) : this.send(head, chunk);
  }

  /**
   * The last bytes. writableFinished turns true, and 'close' is emitted, once they have left for
   * the client (as node's 'finish' then 'close'); a client gone before that closes the response
   * unfinished instead. The connection reads the next request from now on.
   */
  end(chunk?: string | Uint8Array): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    if (this.destroyed) return this;
    const size = chunk === undefined ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    const head = this.committed ? '' : this.commit(size);
    const body = size === 0 || this.noBody ? undefined : chunk;
    if (this.chunked) {
      if (body !== undefined) this.sendFramed(head, body, size, '0\r\n\r\n', this.onSent);
      else this.send(`${head}0\r\n\r\n`, undefined, this.onSent);
    } else this.send(head, body, this.onSent);
    this.channel.responseEnded(this.close);
    return this;
  }

  private readonly onSent = (error?: Error | null): void => {
    if (error) {
      this.destroyByClient();
      return;
    }
    if (this.destroyed) return;
    this.writableFinished = true;
    this.emit('close');
  };

  private checkValue(name: string, value: string): string {
    if (typeof value !== 'string') throw invalidHeader(`Invalid value "${String(value)}" for header "${name}"`, 'ERR_HTTP_INVALID_HEADER_VALUE');
    if (plainValue.test(value)) return value;
    if (!latin1Value.test(value)) throw invalidHeader(`Invalid character in header content ["${name}"]`, 'ERR_INVALID_CHAR');
    this.latin1 = true;
    return value;
  }

  /** Called by the connection when the client has gone before the response finished. */
  destroyByClient(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }

  /**
   * The head, with framing chosen now: `knownSize` is the whole body's size when end() gives it
   * all. A head that cannot be framed (a bad status, a coding other than chunked) throws, and the
   * connection is dropped: the client sees it close rather than wait for an answer that will not come.
   */
  private commit(knownSize: number | undefined): string {
    try {
      return this.buildHead(knownSize);
    } catch (error) {
      this.channel.socket.destroy();
      throw error;
    }
  }

  private buildHead(knownSize: number | undefined): string {
    this.committed = true;
    this.headersSent = true;
    const status = this.statusCode;
    this.noBody = this.isHead || status < 200 || status === 204 || status === 304;
    checkStatus(status);
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
    let date = false;
    let length = false;
    let connection: string | undefined;
    const add = (name: string, value: string) => {
      head += `${name}: ${value}\r\n`;
      const key = name.length === 4 || name.length === 10 || name.length === 14 || name.length === 17 ? name.toLowerCase() : '';
      if (key === 'date') date = true;
      else if (key === 'content-length') length = true;
      else if (key === 'transfer-encoding') {
        // Only chunked is ours to frame; any other coding would leave the body unframed.
        if (!/(?:^|,)\s*chunked\s*$/i.test(value)) throw invalidHeader(`Transfer-Encoding "${value}" is not supported; leave the framing to the server`, 'ERR_HTTP_INVALID_HEADER_VALUE');
        length = true;
        this.chunked = !this.noBody;
      }
      else if (key === 'connection') connection = value.toLowerCase();
    };
    const { fields, headList } = this;
    if (fields !== undefined) {
      for (const key in fields) {
        const [name, value] = fields[key]!;
        if (typeof value === 'string') add(name, value);
        else for (const item of value) add(name, item);
      }
    }
    if (headList !== undefined) for (let i = 0; i < headList.length; i += 2) add(headList[i]!, headList[i + 1]!);
    if (!date) head += `Date: ${httpDate()}\r\n`;
    this.close = !this.keepAlive || this.channel.closing || (connection !== undefined && /(?:^|,)\s*close\s*(?:,|$)/.test(connection));
    if (connection === undefined) head += this.close ? 'Connection: close\r\n' : this.channel.keepAliveLines;
    if (!length) {
      // HEAD says how long the body would be when it knows; 1xx, 204 and 304 say nothing.
      if (this.noBody) {
        if (this.isHead && knownSize) head += `Content-Length: ${knownSize}\r\n`;
      } else if (knownSize !== undefined) head += `Content-Length: ${knownSize}\r\n`;
      else {
        head += 'Transfer-Encoding: chunked\r\n';
        this.chunked = true;
      }
    }
    return `${head}\r\n`;
  }

  /**
   * Writes `head` (latin1) and `body` (UTF-8 when a string) in one go; false when the socket is
   * full. `sent` is called once the bytes have left (with an error when the socket went first).
   */
  private send(head: string, body: string | Uint8Array | undefined, sent?: (error?: Error | null) => void): boolean {
    const { socket } = this.channel;
    if (socket.destroyed) {
      sent?.(socketGone());
      return false;
    }
    if (body === undefined) return socket.write(head, 'latin1', sent);
    if (head === '') return socket.write(body, sent);
    // One string, one write, when the head is ASCII (it nearly always is: latin1 and UTF-8 agree then).
    if (typeof body === 'string' && !this.latin1) return socket.write(head + body, sent);
    socket.cork();
    socket.write(head, 'latin1');
    const ok = socket.write(body, sent);
    socket.uncork();
    return ok;
  }

  /** One chunk of the chunked encoding, after `head` when the head has not left yet. */
  private sendFramed(head: string, chunk: string | Uint8Array, size: number, after = '', sent?: (error?: Error | null) => void): boolean {
    const open = `${head}${size.toString(16)}\r\n`;
    if (typeof chunk === 'string') return this.send(open, `${chunk}\r\n${after}`, sent);
    const { socket } = this.channel;
    if (socket.destroyed) {
      sent?.(socketGone());
      return false;
    }
    socket.cork();
    socket.write(open, 'latin1');
    socket.write(chunk);
    const ok = socket.write(`\r\n${after}`, 'latin1', sent);
    socket.uncork();
    return ok;
  }
}

function socketGone(): Error {
  return Object.assign(new Error('the client closed the connection'), { code: 'ERR_STREAM_DESTROYED' });
}

function checkStatus(status: number): void {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw Object.assign(new RangeError(`Invalid status code: ${status}`), { code: 'ERR_HTTP_INVALID_STATUS_CODE' });
}

function checkName(name: string): void {
  if (!httpToken.test(name)) throw invalidHeader(`Header name must be a valid HTTP token ["${name}"]`, 'ERR_INVALID_HTTP_TOKEN');
}


function invalidHeader(message: string, code: string): TypeError {
  return Object.assign(new TypeError(message), { code });
}

function headersSentError(what: string): Error {
  return Object.assign(new Error(`Cannot ${what} headers after they are sent to the client`), { code: 'ERR_HTTP_HEADERS_SENT' });
}
