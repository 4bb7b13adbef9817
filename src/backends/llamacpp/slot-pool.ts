import { shutdownError, UnbundleError } from '../../errors.ts';

interface Waiter<T> {
  resolve: (slot: T) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export interface SlotPoolOptions {
  /** Requests allowed to wait beyond the free slots; one more is refused at once. */
  queueLimit: number;
  /** For the QUEUE_FULL message and its Retry-After. */
  describe: () => { modelId: string; retryAfterSeconds: number };
}

/**
 * Hands out a fixed set of slots (llama.cpp context sequences) first come, first served. Waiting is
 * bounded: a full queue answers QUEUE_FULL immediately instead of piling requests up, and a caller
 * whose signal aborts while queued leaves the queue at once.
 */
export class SlotPool<T> {
  private readonly free: T[];
  private readonly waiters: Waiter<T>[] = [];
  private closedWith: unknown;
  readonly size: number;

  constructor(slots: readonly T[], private readonly options: SlotPoolOptions) {
    this.free = [...slots];
    this.size = slots.length;
  }

  get active(): number {
    return this.size - this.free.length;
  }

  get queued(): number {
    return this.waiters.length;
  }

  acquire(signal: AbortSignal): Promise<T> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    if (signal.aborted) return Promise.reject(cancelled(signal));
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    if (this.waiters.length >= this.options.queueLimit) {
      const { modelId, retryAfterSeconds } = this.options.describe();
      return Promise.reject(
        new UnbundleError(
          'UNBUNDLE_E_QUEUE_FULL',
          `Model "${modelId}" is busy: all ${this.size} slots are generating and ${this.waiters.length} requests are already waiting (queueLimit). Retry in about ${retryAfterSeconds}s, or raise parallel / queueLimit in the portfolio.`,
          { retryAfterSeconds },
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(cancelled(signal));
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Returns a slot: the oldest waiter gets it directly, so nobody can overtake the queue. */
  release(slot: T): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(slot);
      return;
    }
    this.free.push(slot);
  }

  /** Refuses new work and fails everyone still waiting with `error`. */
  close(error: unknown): void {
    this.closedWith = error;
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.reject(error);
    }
  }
}

export function cancelled(signal: AbortSignal): UnbundleError {
  return shutdownError(signal.reason) ?? new UnbundleError('UNBUNDLE_E_CANCELLED', 'The request was cancelled before it finished.', { cause: signal.reason });
}
