import type { GatewayResponse } from './http/gateway-http.ts';
import { drained } from './respond.ts';

/**
 * Writes an event stream so that what one turn of the event loop produced leaves as one chunk.
 * A model's stream often hands over several parts at once (one upstream read holds many SSE
 * events); written one by one, each is its own chunk of the chunked encoding and its own syscall.
 * Chunks queued in a turn are sent when its I/O callbacks are done (setImmediate), so a part that
 * arrives alone still leaves at once; the response headers leave with the first chunk. Waits while
 * the client is not reading (backpressure), and drops everything once the client has gone.
 */
export class StreamWriter {
  private pending = '';
  private scheduled = false;

  constructor(private readonly res: GatewayResponse) {}

  /**
   * Queues a chunk. Returns a promise only when the client is not reading (wait for it before the
   * next write); otherwise undefined, so a stream's parts cost no promise each.
   */
  write(chunk: string): Promise<void> | undefined {
    if (this.closed()) return undefined;
    if (this.res.writableNeedDrain) return drained(this.res).then(() => this.queue(chunk));
    this.queue(chunk);
    return undefined;
  }

  private queue(chunk: string): void {
    // An empty chunk (a format with no opening event) still schedules a turn's end, so the
    // headers leave then rather than with the first text.
    this.pending += chunk;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.onImmediate);
    }
  }

  /** Sends what is queued now, or at least the headers (before an error event: the client gets the 200 and the answer so far first). */
  sendNow(): void {
    this.flush();
  }

  /** Sends what is queued and `last`, and ends the response. */
  end(last = ''): void {
    if (this.closed()) return;
    const rest = this.pending + last;
    this.pending = '';
    if (rest === '') this.res.end();
    else this.res.end(rest);
  }

  private readonly flush = (): void => {
    const chunk = this.pending;
    this.pending = '';
    if (this.closed()) return;
    if (chunk !== '') this.res.write(chunk);
    // Nothing to send yet: the status and headers go now (the ledger reads headersSent).
    else if (!this.res.headersSent) this.res.flushHeaders();
  };

  private readonly onImmediate = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }
}
