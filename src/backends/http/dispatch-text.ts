import type { Dispatcher } from 'undici';

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
 * through undici's handler interface rather than `request()`: no Readable, AsyncResource or async
 * iterator per response, which measured ~10 µs of CPU per proxied request on the bench path.
 * Rejects with a DispatchFailure. Bodies of non-2xx answers are read up to `errorLimit` bytes, then
 * the connection is dropped (enough to quote an error page). Aborting `signal` rejects at once, also
 * while the request still waits for a pooled connection (undici itself notices only once it has one).
 */
export function dispatchText(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal, errorLimit: number): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DispatchFailure(signal.reason, 'headers'));
      return;
    }
    let abortRequest: ((reason?: Error) => void) | undefined;
    let reason: unknown;
    let settled = false;
    let statusCode = 0;
    let rawHeaders: Buffer[] = [];
    let chunks: Buffer[] | undefined;
    let size = 0;
    let limit = Infinity;

    const onAbort = () => {
      reason = signal.reason;
      abortRequest?.(reason as Error);
      fail(reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settle();
      reject(new DispatchFailure(error, chunks === undefined ? 'headers' : 'body'));
    };
    const succeed = () => {
      if (settled) return;
      let text: string;
      try {
        text = chunks!.length === 1 ? chunks![0]!.toString('utf8') : Buffer.concat(chunks!, size).toString('utf8');
      } catch (error) {
        // An answer past what one string can hold (V8's limit, ~512 MiB) fails the request.
        fail(error);
        return;
      }
      settle();
      const raw = rawHeaders;
      resolve({ statusCode, text, headers: () => parseRawHeaders(raw) });
    };

    const handler: Dispatcher.DispatchHandler = {
      onConnect(abort) {
        if (reason !== undefined) abort(reason as Error);
        else abortRequest = abort;
      },
      onHeaders(status, headers) {
        if (status < 200) return true;
        statusCode = status;
        rawHeaders = headers as Buffer[];
        chunks = [];
        if (status >= 300) limit = errorLimit;
        return true;
      },
      onData(chunk) {
        if (settled) return true;
        chunks!.push(chunk);
        size += chunk.length;
        if (size > limit) {
          // Enough of an error page: answer with what arrived and drop the rest with the connection.
          succeed();
          abortRequest?.(new Error('error page read up to its limit'));
        }
        return true;
      },
      onComplete() {
        succeed();
      },
      onError(error) {
        fail(error);
      },
    };
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      fail(error);
    }
  });
}

function parseRawHeaders(raw: readonly Buffer[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
  }
  return headers;
}
