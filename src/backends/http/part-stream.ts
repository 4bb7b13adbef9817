import type { Http1Request, RequestDispatcher, RequestHandler } from './http1-pool.ts';
import { UnbundleError } from '../../errors.ts';
import { SseParser } from '../sse.ts';
import { cancelled } from './cancelled-error.ts';
import type { StreamPart } from '../types.ts';

/** Reads one provider's stream events; `finish()` returns the closing parts or throws when cut short. */
export interface StreamReader {
  read(data: string, event: string | undefined): StreamPart[];
  finish(): StreamPart[];
  /**
   * The stream said it is over (OpenAI's `[DONE]`, Anthropic's `message_stop`): the answer is
   * complete whether or not the HTTP body has ended yet. Absent for formats without an end marker.
   */
  readonly done?: boolean;
}

/** How a streamed answer's body becomes parts: its SSE events through a reader, or a whole JSON answer replayed. */
export interface StreamDecoding {
  reader(): StreamReader;
  /** A server that ignores `stream: true` and answers in one JSON piece: that answer as parts. */
  whole(text: string): readonly StreamPart[];
}

/** What a PartStream needs from the client that sent it: error mapping and the in-flight count. */
export interface PartStreamOwner {
  active: number;
  /** A transport failure, or the signal's reason once it aborted, as the error the executor acts on. */
  transportError(error: unknown, phase: 'headers' | 'body', signal: AbortSignal): UnbundleError;
  /** A non-2xx answer (its body read up to the error limit) as the error the executor acts on. */
  statusError(status: number, rawHeaders: readonly string[], text: string): UnbundleError;
  /** The upstream answered (any status). */
  reachable(): void;
  noteError(error: UnbundleError): void;
}

/** After a stream's end marker, how long the body's own end may take before the connection is dropped. */
export const markerGraceMs = 1_000;

/** Parts read ahead of the consumer before the upstream socket is paused (TCP then slows the upstream). */
const highWater = 256;
const done: IteratorResult<StreamPart> = Object.freeze({ done: true, value: undefined });

type Phase = 'idle' | 'headers' | 'sse' | 'json' | 'status' | 'ended' | 'failed' | 'closed';

/**
 * One streamed upstream answer, read through the pool's handler callbacks (http1-pool.ts) and handed
 * out as parts: the object is both the request's handler and the consumer's async iterator. Against `request()` plus
 * `for await` over its body inside an async generator, this skips the Readable, its async iterator,
 * an AsyncResource and a generator step (with its promises) per part, which is most of what a
 * streamed request cost beyond a whole one.
 *
 * The request starts at the first `next()` (like a generator's body). Parts that arrive before the
 * consumer asks are queued; past `highWater` the socket is paused until the queue drains. An error
 * (transport, status, malformed stream) is delivered after the parts that came before it. `return()`
 * (the consumer stops early) and an abort of `signal` drop the upstream request, and with it the
 * connection, at once; an abort also rejects a pending `next()` at once, even while the request still
 * waits for a pooled connection.
 */
export class PartStream implements RequestHandler, AsyncIterableIterator<StreamPart> {
  private phase: Phase = 'idle';
  private abortRequest: ((reason?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private paused = false;
  private queue: StreamPart[] = [];
  private head = 0;
  private error: UnbundleError | undefined;
  private waiting: { resolve: (result: IteratorResult<StreamPart>) => void; reject: (error: unknown) => void } | undefined;
  private statusCode = 0;
  private rawHeaders: string[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  private parser: SseParser | undefined;
  private reader: StreamReader | undefined;
  /** The upstream exchange is over (its body complete, or failed): nothing is left to drop. */
  private exchangeOver = false;
  private readonly onAbort = (): void => {
    const reason = this.signal.reason;
    this.fail(this.owner.transportError(reason, this.phase === 'headers' ? 'headers' : 'body', this.signal), true);
    this.abortRequest?.(reason as Error);
  };

  constructor(
    private readonly owner: PartStreamOwner,
    private readonly dispatcher: RequestDispatcher,
    private readonly options: Http1Request,
    private readonly signal: AbortSignal,
    private readonly decoding: StreamDecoding,
    private readonly errorLimit: number,
  ) {}

  /** Parts read from the upstream that the consumer has not taken yet. */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamPart>> {
    if (this.head < this.queue.length) return Promise.resolve({ done: false, value: this.take() });
    if (this.error !== undefined) {
      const error = this.error;
      this.error = undefined;
      this.phase = 'closed';
      return Promise.reject(error);
    }
    if (this.phase === 'ended' || this.phase === 'failed' || this.phase === 'closed') {
      this.phase = 'closed';
      return Promise.resolve(done);
    }
    if (this.waiting !== undefined) return Promise.reject(new Error('PartStream.next() called while a previous next() is pending'));
    if (this.phase === 'idle') {
      this.start();
      // A dispatcher may answer (or fail) inside dispatch() itself (a closed pool does).
      if (this.head < this.queue.length || this.error !== undefined || (this.phase as Phase) !== 'headers') return this.next();
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The consumer stops: the upstream request (and its connection) is dropped if it is still running. */
  return(): Promise<IteratorResult<StreamPart>> {
    const running = this.phase !== 'ended' && this.phase !== 'failed' && this.phase !== 'closed' && this.phase !== 'idle';
    this.phase = 'closed';
    if (running) {
      this.release();
      this.abortRequest?.(new Error('the stream was closed by its consumer'));
    }
    // A next() still waiting ends too (an async generator would run it before the return).
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(done);
    this.queue = [];
    this.head = 0;
    this.error = undefined;
    return Promise.resolve(done);
  }

  // --- the pool's handler callbacks

  onConnect(abort: (reason?: Error) => void): void {
    if (this.phase === 'failed' || this.phase === 'closed') abort(new Error('the stream was closed before it connected'));
    else this.abortRequest = abort;
  }

  onHeaders(status: number, headers: string[], resume: () => void): boolean {
    if (status < 200) return true;
    if (this.phase !== 'headers') return true;
    this.owner.reachable();
    this.statusCode = status;
    this.rawHeaders = headers;
    this.resumeUpstream = resume;
    if (status >= 300) this.phase = 'status';
    else if (isJson(this.rawHeaders)) this.phase = 'json';
    else {
      this.phase = 'sse';
      this.parser = new SseParser();
      this.reader = this.decoding.reader();
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    switch (this.phase) {
      case 'sse':
        try {
          const events = this.parser!.push(chunk);
          const reader = this.reader!;
          for (let i = 0; i < events.length; i++) {
            this.pushAll(reader.read(events[i]!.data, events[i]!.event));
            if (reader.done === true) {
              this.endAtMarker(reader);
              return true;
            }
          }
        } catch (error) {
          this.fail(this.decodeError(error), false);
          this.abortRequest?.(new Error('the upstream stream was malformed'));
          return true;
        }
        if (this.queue.length - this.head > highWater && this.waiting === undefined) this.paused = true;
        return !this.paused;
      case 'json':
        this.chunks.push(chunk);
        return true;
      case 'status':
        this.chunks.push(chunk);
        this.size += chunk.length;
        if (this.size > this.errorLimit) {
          // Enough of an error page: report what arrived and drop the rest with the connection.
          this.failWithStatus();
          this.abortRequest?.(new Error('error page read up to its limit'));
        }
        return true;
      default:
        return true;
    }
  }

  onComplete(): void {
    this.exchangeOver = true;
    if (this.phase === 'status') this.failWithStatus();
    if (this.phase !== 'sse' && this.phase !== 'json') return;
    try {
      if (this.phase === 'json') this.pushAll(this.decoding.whole(this.takeBody()));
      else {
        // The last events go out before the reader's closing parts (or its error when cut short).
        for (const event of this.parser!.end()) this.pushAll(this.reader!.read(event.data, event.event));
        this.pushAll(this.reader!.finish());
      }
    } catch (error) {
      this.fail(this.decodeError(error), false);
      return;
    }
    this.end();
  }

  onError(error: Error): void {
    this.exchangeOver = true;
    if (this.phase === 'idle' || this.phase === 'ended' || this.phase === 'failed' || this.phase === 'closed') return;
    this.fail(this.owner.transportError(error, this.phase === 'headers' ? 'headers' : 'body', this.signal), this.signal.aborted);
  }

  // --- internals

  /**
   * The stream's end marker arrived: its closing parts go out now, without waiting for the body's
   * end (an upstream that keeps the body open after `[DONE]` must not turn a complete answer into a
   * timeout). What follows the marker is not read.
   */
  private endAtMarker(reader: StreamReader): void {
    this.pushAll(reader.finish());
    this.end();
    // Usually the body's end came with the marker (the rest of this read is parsed before
    // immediates run). If not, it gets a grace period, so an upstream that ends its body in a later
    // write keeps its connection for reuse; only one that leaves it open loses it.
    setImmediate(() => {
      if (this.exchangeOver) return;
      setTimeout(() => {
        if (!this.exchangeOver) this.abortRequest?.(new Error('the stream was complete at its end marker; the rest of the body is not read'));
      }, markerGraceMs).unref();
    });
  }

  private start(): void {
    this.phase = 'headers';
    this.owner.active++;
    if (this.signal.aborted) {
      // Never sent: whatever the reason, a cancellation (and not the model's error).
      this.fail(cancelled(this.signal.reason), true);
      return;
    }
    this.signal.addEventListener('abort', this.onAbort, { once: true });
    try {
      this.dispatcher.dispatch(this.options, this);
    } catch (error) {
      this.fail(this.owner.transportError(error, 'headers', this.signal), true);
    }
  }

  private take(): StreamPart {
    const part = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as StreamPart;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      if (this.paused) {
        this.paused = false;
        this.resumeUpstream?.();
      }
    }
    return part;
  }

  private pushAll(parts: readonly StreamPart[]): void {
    for (let i = 0; i < parts.length; i++) {
      const waiting = this.waiting;
      if (waiting !== undefined && this.head === this.queue.length) {
        this.waiting = undefined;
        waiting.resolve({ done: false, value: parts[i]! });
      } else this.queue.push(parts[i]!);
    }
  }

  private end(): void {
    this.phase = 'ended';
    this.release();
    const waiting = this.waiting;
    if (waiting !== undefined && this.head === this.queue.length) {
      this.waiting = undefined;
      this.phase = 'closed';
      waiting.resolve(done);
    }
  }

  /** The body collected so far as text (a whole JSON answer, an error page). */
  private takeBody(): string {
    const chunks = this.chunks;
    this.chunks = [];
    return Buffer.concat(chunks).toString('utf8');
  }

  private failWithStatus(): void {
    let text = '';
    try {
      text = this.takeBody();
    } catch {
      // An error page past what a string can hold is reported without its body.
    }
    this.fail(this.owner.statusError(this.statusCode, this.rawHeaders, text), false);
  }

  /** A throw that is not an UnbundleError (a reader bug) is reported like a failure while reading the answer, as before. */
  private decodeError(error: unknown): UnbundleError {
    return error instanceof UnbundleError ? error : this.owner.transportError(error, 'body', this.signal);
  }

  /** `now`: the error goes ahead of queued parts (the request was cancelled); otherwise they are delivered first. */
  private fail(error: UnbundleError, now: boolean): void {
    if (this.phase === 'ended' || this.phase === 'failed' || this.phase === 'closed') return;
    this.phase = 'failed';
    this.release();
    if (error.code !== 'UNBUNDLE_E_CANCELLED') this.owner.noteError(error);
    if (now) {
      this.queue = [];
      this.head = 0;
    }
    const waiting = this.waiting;
    if (waiting !== undefined && this.head === this.queue.length) {
      this.waiting = undefined;
      this.phase = 'closed';
      waiting.reject(error);
    } else this.error = error;
  }

  private release(): void {
    this.owner.active--;
    this.signal.removeEventListener('abort', this.onAbort);
    this.parser = undefined;
    this.reader = undefined;
  }
}

/** Whether the raw headers say application/json (a server that answered a stream request whole). */
function isJson(raw: readonly string[]): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 12 && name.toLowerCase() === 'content-type') return raw[i + 1]!.toLowerCase().includes('application/json');
  }
  return false;
}
