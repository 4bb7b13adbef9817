import type { Http1Request, RequestDispatcher, RequestHandler } from './http1-pool.ts';

/** A whole HTTP answer as text; headers are parsed only when asked for (error pages). */
export interface TextResponse {
  statusCode: number;
  text: string;
  headers(): Record<string, string | string[]>;
}

/** Where a transport error happened: before the status line ('headers') or while reading the body. */
export class DispatchFailure {
  constructor(readonly error: unknown, readonly phase: 'headers' | 'body') {}
}

/**
 * One request whose whole answer is wanted as text (a non-streaming completion, embeddings),
 * through the pool's handler callbacks (http1-pool.ts): no Readable, AsyncResource or async
 * iterator per response. Rejects with a DispatchFailure. Bodies of non-2xx answers are read up to
 * `errorLimit` bytes, then the connection is dropped (enough to quote an error page). Aborting
 * `signal` rejects at once, also while the request still waits for a pooled connection.
 */
export function dispatchText(dispatcher: RequestDispatcher, options: Http1Request, signal: AbortSignal, errorLimit: number): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DispatchFailure(signal.reason, 'headers'));
      return;
    }
    const handler = new TextHandler(signal, errorLimit, resolve, reject);
    signal.addEventListener('abort', handler.onAbort, { once: true });
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      handler.fail(error);
    }
  });
}

/**
 * The request's state and the pool's callbacks in one object (one allocation per request instead of
 * a closure per callback): the handler methods are on the prototype, only onAbort is bound.
 */
class TextHandler implements RequestHandler {
  private abortRequest: ((reason?: Error) => void) | undefined;
  private reason: unknown;
  private settled = false;
  private statusCode = 0;
  private rawHeaders: string[] = [];
  private chunks: Buffer[] | undefined;
  private size = 0;
  private limit = Infinity;
  readonly onAbort = (): void => {
    this.reason = this.signal.reason;
    this.abortRequest?.(this.reason as Error);
    this.fail(this.reason);
  };

  constructor(
    private readonly signal: AbortSignal,
    private readonly errorLimit: number,
    private readonly resolve: (response: TextResponse) => void,
    private readonly reject: (failure: DispatchFailure) => void,
  ) {}

  onConnect(abort: (reason?: Error) => void): void {
    if (this.reason !== undefined) abort(this.reason as Error);
    else this.abortRequest = abort;
  }

  onHeaders(status: number, headers: string[]): boolean {
    if (status < 200) return true;
    this.statusCode = status;
    this.rawHeaders = headers;
    this.chunks = [];
    if (status >= 300) this.limit = this.errorLimit;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    this.chunks!.push(chunk);
    this.size += chunk.length;
    if (this.size > this.limit) {
      // Enough of an error page: answer with what arrived and drop the rest with the connection.
      this.succeed();
      this.abortRequest?.(new Error('error page read up to its limit'));
    }
    return true;
  }

  onComplete(): void {
    this.succeed();
  }

  onError(error: Error): void {
    this.fail(error);
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settle();
    this.reject(new DispatchFailure(error, this.chunks === undefined ? 'headers' : 'body'));
  }

  private settle(): void {
    this.settled = true;
    this.signal.removeEventListener('abort', this.onAbort);
  }

  private succeed(): void {
    if (this.settled) return;
    const chunks = this.chunks!;
    let text: string;
    try {
      text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, this.size).toString('utf8');
    } catch (error) {
      // An answer past what one string can hold (V8's limit, ~512 MiB) fails the request.
      this.fail(error);
      return;
    }
    this.settle();
    const raw = this.rawHeaders;
    this.resolve({ statusCode: this.statusCode, text, headers: () => parseRawHeaders(raw) });
  }
}

/** A raw header list ([name, value, …]) as an object (lower-case names; repeated headers as arrays). */
export function parseRawHeaders(raw: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
  }
  return headers;
}
