import { SlotSet } from '../../util/slot-set.ts';

export interface RequestSignal {
  /** Aborts when the caller's signal does, or when the owner aborts every request. */
  signal: AbortSignal;
  /** Unlinks from the caller's signal; call when the request is over. */
  release(): void;
}

/**
 * One abort signal per request that follows the caller's signal and that the backend can abort
 * all at once on close(). Linked by hand rather than with AbortSignal.any(), which keeps every
 * combined signal alive on a long-lived source signal (nodejs/node#55351) — a slow leak for a
 * gateway that serves millions of requests.
 */
export class RequestSignals {
  /** Not a Set: an entry per request in a long-lived Set gets requests promoted (slot-set.ts). */
  private readonly live = new SlotSet<AbortController>();
  private closedWith: { reason: unknown } | undefined;

  open(caller: AbortSignal): RequestSignal {
    const controller = new AbortController();
    const follow = () => controller.abort(caller.reason);
    if (this.closedWith) controller.abort(this.closedWith.reason);
    else if (caller.aborted) follow();
    else caller.addEventListener('abort', follow, { once: true });
    const slot = this.live.add(controller);
    return {
      signal: controller.signal,
      release: () => {
        caller.removeEventListener('abort', follow);
        this.live.delete(slot, controller);
      },
    };
  }

  /** Whether `abortAll` has run: tells shutdown apart from a client that went away. */
  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  abortAll(reason: unknown): void {
    this.closedWith = { reason };
    for (const controller of this.live) controller.abort(reason);
  }
}

/** Lets a caller stop waiting for a shared promise (a model load) without cancelling it for others. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
