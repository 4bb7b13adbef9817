import { Http1Error } from './http1-error.ts';
import { httpToken } from './http-header-rules.ts';

/** A final (non-1xx) response head. `rawHeaders` is [name, value, name, value, …], names as sent. */
export interface ResponseHead {
  status: number;
  statusText: string;
  rawHeaders: string[];
  /** The connection may carry another request once this answer is read. */
  keepAlive: boolean;
  /** The upstream's `Keep-Alive: timeout=N`, in ms (how long it keeps an idle connection). */
  keepAliveHintMs: number | undefined;
  /** The body's length when Content-Length frames it (undefined for chunked and close-delimited bodies). */
  contentLength: number | undefined;
  /** The Content-Encoding header, when the answer has one (repeated headers joined with ", "). */
  contentEncoding: string | undefined;
}

/** Where the parser delivers an answer; called synchronously from `execute()` and `end()`. */
export interface ResponseSink {
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  onComplete(trailers: string[]): void;
}

const enum State {
  Head,
  LengthBody,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  CloseBody,
  Done,
}

const CR = 13;
const LF = 10;
const headEnd = Buffer.from('\r\n\r\n');
const bareLfEnd = Buffer.from('\n\n');
const hex = /^[0-9A-Fa-f]{1,12}$/;
const digits = /^\d{1,15}$/;
const statusDigits = /^\d{3}$/;
/** Longest chunk-size line (with extensions) we read before calling it malformed. */
const maxChunkLine = 4096;

/**
 * An HTTP/1.0 and 1.1 response parser for one connection (RFC 9112), with no I/O: bytes in through
 * `execute()`, the head, body pieces and completion out through a sink. Reads Content-Length,
 * chunked (with extensions and trailers) and close-delimited bodies, skips 1xx interim answers and
 * rejects what it cannot frame safely (a bad status line or header name, obs-fold, conflicting
 * Content-Lengths, a bad chunk size) with an Http1Error('HTTP1_BAD_RESPONSE'). One answer per
 * request: bytes after a complete answer are left unconsumed for the caller (we never pipeline, so
 * they mean the connection cannot be trusted).
 */
export class Http1ResponseParser {
  private state = State.Head;
  /** Unconsumed bytes of a head, chunk-size line or trailer section that spans reads. */
  private pending: Buffer | undefined;
  private remaining = 0;
  private crlfSeen = 0;
  private trailers: string[] = [];

  constructor(
    private readonly sink: ResponseSink,
    private readonly maxHeadBytes: number,
  ) {}

  /** Ready for the next answer on the same connection. */
  reset(): void {
    this.state = State.Head;
    this.pending = undefined;
    this.remaining = 0;
    this.crlfSeen = 0;
    this.trailers = [];
  }

  /** Whether the answer is read until the connection closes (no length, not chunked). */
  get closeDelimited(): boolean {
    return this.state === State.CloseBody;
  }

  /** Feeds bytes; returns how many were consumed: all of them, unless the answer completed first. */
  execute(data: Buffer): number {
    let at = 0;
    while (at < data.length) {
      switch (this.state) {
        case State.Head:
          at = this.readHead(data, at);
          break;
        case State.LengthBody:
          at = this.deliver(data, at);
          if (this.remaining === 0) this.finish();
          break;
        case State.ChunkSize:
          at = this.readChunkSize(data, at);
          break;
        case State.ChunkData:
          at = this.deliver(data, at);
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          break;
        case State.ChunkDataEnd:
          // The CRLF after a chunk's data (it may arrive split across reads).
          if (data[at] !== (this.crlfSeen === 0 ? CR : LF)) throw bad('a chunk is not followed by CRLF');
          at++;
          if (++this.crlfSeen === 2) {
            this.crlfSeen = 0;
            this.state = State.ChunkSize;
          }
          break;
        case State.Trailers:
          at = this.readTrailers(data, at);
          break;
        case State.CloseBody:
          this.sink.onBody(at === 0 ? data : data.subarray(at));
          at = data.length;
          break;
        case State.Done:
          return at;
      }
    }
    return at;
  }

  /** The connection ended: completes a close-delimited answer; throws when an answer was cut short. */
  end(): void {
    if (this.state === State.CloseBody) {
      this.finish();
      return;
    }
    if (this.state === State.Done) return;
    if (this.state === State.LengthBody) throw new Http1Error('HTTP1_LENGTH_MISMATCH', `the upstream closed the connection ${this.remaining} bytes short of the Content-Length it announced`);
    throw new Http1Error('HTTP1_SOCKET_CLOSED', this.state === State.Head ? 'the upstream closed the connection before its answer was complete (other side closed)' : 'the upstream closed the connection in the middle of a chunked answer (other side closed)');
  }

  /** Hands the sink up to `remaining` body bytes from `at` (the whole read when it is all body); returns where reading stopped. */
  private deliver(data: Buffer, at: number): number {
    const take = Math.min(this.remaining, data.length - at);
    this.remaining -= take;
    this.sink.onBody(take === data.length ? data : data.subarray(at, at + take));
    return at + take;
  }

  private finish(): void {
    this.state = State.Done;
    const trailers = this.trailers;
    this.trailers = [];
    this.sink.onComplete(trailers);
  }

  /** Takes bytes up to the end of a head (CRLFCRLF); returns where reading stopped. */
  private readHead(data: Buffer, at: number): number {
    let buffer = data;
    let from = at;
    let searchFrom = at;
    if (this.pending !== undefined) {
      searchFrom = Math.max(0, this.pending.length - 3);
      buffer = Buffer.concat([this.pending, data.subarray(at)]);
      from = 0;
    }
    const end = buffer.indexOf(headEnd, searchFrom);
    if (end < 0) {
      if (buffer.length - from > this.maxHeadBytes) throw bad(`the response head is larger than ${this.maxHeadBytes} bytes`);
      // A head ended by bare LFs would otherwise wait for a CRLFCRLF that never comes.
      if (buffer.indexOf(bareLfEnd, Math.max(from, searchFrom - 1)) >= 0) throw bad('the response head ends its lines with LF alone, not CRLF');
      this.pending = from === 0 && buffer !== data ? buffer : Buffer.from(buffer.subarray(from));
      return data.length;
    }
    if (end - from > this.maxHeadBytes) throw bad(`the response head is larger than ${this.maxHeadBytes} bytes`);
    const consumedOfData = buffer === data ? end + 4 : end + 4 - (this.pending!.length) + at;
    this.pending = undefined;
    this.onHeadText(buffer.toString('latin1', from, end));
    return consumedOfData;
  }

  private onHeadText(text: string): void {
    const firstEnd = text.indexOf('\r\n');
    const statusLine = firstEnd < 0 ? text : text.slice(0, firstEnd);
    if (statusLine.length < 12 || !statusLine.startsWith('HTTP/1.') || statusLine.charCodeAt(8) !== 32 || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 32)) {
      throw bad(`the status line ${JSON.stringify(statusLine.slice(0, 80))} is not "HTTP/1.x NNN reason"`);
    }
    const minor = statusLine.charCodeAt(7) - 48;
    const statusText = statusLine.slice(9, 12);
    const status = Number(statusText);
    if ((minor !== 0 && minor !== 1) || !statusDigits.test(statusText) || status < 100) {
      throw bad(`the status line ${JSON.stringify(statusLine.slice(0, 80))} is not "HTTP/1.x NNN reason"`);
    }
    const rawHeaders: string[] = [];
    let contentLength: number | undefined;
    let chunked = false;
    let transferEncoded = false;
    let connectionClose = false;
    let connectionKeepAlive = false;
    let keepAliveHintMs: number | undefined;
    let contentEncoding: string | undefined;
    // Header lines one by one, without an array of them (the common answer has a handful).
    for (let start = firstEnd < 0 ? text.length : firstEnd + 2; start < text.length; ) {
      let end = text.indexOf('\r\n', start);
      if (end < 0) end = text.length;
      const line = text.slice(start, end);
      start = end + 2;
      const colon = line.indexOf(':');
      if (colon <= 0) {
        throw bad(line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9 ? 'a header is folded over two lines (obs-fold)' : `the header line ${JSON.stringify(line.slice(0, 80))} has no name`);
      }
      const name = line.slice(0, colon);
      if (!httpToken.test(name)) throw bad(`the header name ${JSON.stringify(name.slice(0, 80))} is not a token`);
      const value = trimOws(line, colon + 1);
      rawHeaders.push(name, value);
      switch (name.length) {
        case 10: {
          const lower = name.toLowerCase();
          if (lower === 'connection') {
            const tokens = value === 'keep-alive' ? value : value.toLowerCase();
            if (tokens.includes('close')) connectionClose = true;
            if (tokens.includes('keep-alive')) connectionKeepAlive = true;
          } else if (lower === 'keep-alive') {
            keepAliveHintMs = keepAliveHint(value);
          }
          break;
        }
        case 14:
          if (name.toLowerCase() === 'content-length') {
            if (digits.test(value)) {
              const length = Number(value);
              if (contentLength !== undefined && contentLength !== length) throw bad('the answer has two different Content-Lengths');
              contentLength = length;
              break;
            }
            // A list of identical values is one length (RFC 9110 §8.6); anything else cannot be framed.
            for (const part of value.split(',')) {
              const trimmed = trimOws(part, 0);
              if (!digits.test(trimmed)) throw bad(`Content-Length ${JSON.stringify(value.slice(0, 40))} is not a number`);
              const length = Number(trimmed);
              if (contentLength !== undefined && contentLength !== length) throw bad('the answer has two different Content-Lengths');
              contentLength = length;
            }
          }
          break;
        case 16:
          if (name.toLowerCase() === 'content-encoding') contentEncoding = contentEncoding === undefined ? value : `${contentEncoding}, ${value}`;
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') {
            transferEncoded = true;
            if (value === 'chunked') chunked = true;
            else {
              const codings = value.toLowerCase().split(',');
              chunked = trimOws(codings[codings.length - 1]!, 0) === 'chunked';
            }
          }
          break;
      }
    }
    if (status < 200) {
      // An interim answer (100 Continue, 103 Early Hints): the real one follows.
      if (status === 101) throw bad('the upstream switched protocols (101) though we did not ask it to');
      return;
    }
    const keepAlive = minor === 1 ? !connectionClose : connectionKeepAlive && !connectionClose;
    const head: ResponseHead = { status, statusText: statusLine.slice(13), rawHeaders, keepAlive, keepAliveHintMs, contentLength: undefined, contentEncoding };
    if (status === 204 || status === 304) {
      this.sink.onHead(head);
      this.finish();
      return;
    }
    if (transferEncoded) {
      // Transfer-Encoding wins over Content-Length, and such a connection is not reused; nor is an
      // HTTP/1.0 one that sent Transfer-Encoding (RFC 9112 §6.1, §6.3).
      if (contentLength !== undefined || minor === 0) head.keepAlive = false;
      this.state = chunked ? State.ChunkSize : State.CloseBody;
      if (!chunked) head.keepAlive = false;
    } else if (contentLength !== undefined) {
      this.state = State.LengthBody;
      this.remaining = contentLength;
      head.contentLength = contentLength;
    } else {
      this.state = State.CloseBody;
      head.keepAlive = false;
    }
    this.sink.onHead(head);
    if (this.state === State.LengthBody && this.remaining === 0) this.finish();
  }

  private readChunkSize(data: Buffer, at: number): number {
    const lineEnd = data.indexOf(LF, at);
    if (lineEnd < 0) {
      this.pending = this.pending === undefined ? Buffer.from(data.subarray(at)) : Buffer.concat([this.pending, data.subarray(at)]);
      if (this.pending.length > maxChunkLine) throw bad('a chunk-size line is too long');
      return data.length;
    }
    let line = data.toString('latin1', at, lineEnd);
    if (this.pending !== undefined) {
      line = this.pending.toString('latin1', 0, this.pending.length) + line;
      this.pending = undefined;
    }
    if (line.length > maxChunkLine) throw bad('a chunk-size line is too long');
    if (line.charCodeAt(line.length - 1) !== CR) throw bad('a chunk-size line does not end with CRLF');
    const semicolon = line.indexOf(';');
    const sizeText = (semicolon < 0 ? line.slice(0, -1) : line.slice(0, semicolon)).trimEnd();
    if (!hex.test(sizeText)) throw bad(`the chunk size ${JSON.stringify(sizeText.slice(0, 20))} is not a hexadecimal number`);
    const size = parseInt(sizeText, 16);
    if (size === 0) this.state = State.Trailers;
    else {
      this.remaining = size;
      this.state = State.ChunkData;
    }
    return lineEnd + 1;
  }

  /** Trailer fields after the last chunk, up to an empty line. */
  private readTrailers(data: Buffer, at: number): number {
    let position = at;
    while (position < data.length) {
      const lineEnd = data.indexOf(LF, position);
      if (lineEnd < 0) {
        this.pending = this.pending === undefined ? Buffer.from(data.subarray(position)) : Buffer.concat([this.pending, data.subarray(position)]);
        if (this.pending.length > this.maxHeadBytes) throw bad(`the trailers are larger than ${this.maxHeadBytes} bytes`);
        return data.length;
      }
      let line = data.toString('latin1', position, lineEnd);
      if (this.pending !== undefined) {
        line = this.pending.toString('latin1', 0, this.pending.length) + line;
        this.pending = undefined;
      }
      position = lineEnd + 1;
      if (line.charCodeAt(line.length - 1) !== CR) throw bad('a trailer line does not end with CRLF');
      if (line.length === 1) {
        this.finish();
        return position;
      }
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!httpToken.test(name)) throw bad(`the trailer line ${JSON.stringify(line.slice(0, 80))} has no valid name`);
      this.trailers.push(name, trimOws(line.slice(0, -1), colon + 1));
    }
    return position;
  }
}

let lastKeepAlive = '';
let lastKeepAliveHint: number | undefined;

/** `Keep-Alive: timeout=N` in ms (an upstream sends the same value every time, so the last one is kept). */
function keepAliveHint(value: string): number | undefined {
  if (value !== lastKeepAlive) {
    const match = /(?:^|[\s,])timeout\s*=\s*(\d+)/i.exec(value);
    lastKeepAlive = value;
    lastKeepAliveHint = match ? Number(match[1]) * 1000 : undefined;
  }
  return lastKeepAliveHint;
}

/** `text` from `start` without the spaces and tabs around it (HTTP's OWS; not String.trim's wider set). */
function trimOws(text: string, start: number): string {
  let from = start;
  let to = text.length;
  while (from < to && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
  while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--;
  return from === 0 && to === text.length ? text : text.slice(from, to);
}

function bad(what: string): Http1Error {
  return new Http1Error('HTTP1_BAD_RESPONSE', `the upstream sent an invalid HTTP answer: ${what}`);
}
