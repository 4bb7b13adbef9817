/**
 * An AbortController for the per-request hot path, without Node's EventTarget.
 *
 * Why: on Node 20, every AbortSignal that a request creates (`controller.signal`) was promoted to
 * the old generation together with everything the request held — measured on the proxy bench:
 * ~5 KB per request promoted with Node's AbortController, ~2 KB without it, and a plain node:http
 * server that waits the same way promotes ~3 bytes. The collector then spent its time copying
 * dead requests and sweeping them again (docs/architecture.md, "The proxy hot path").
 *
 * The signal implements what callers of an AbortSignal use: `aborted`, `reason`, `onabort`,
 * `throwIfAborted()` and `addEventListener`/`removeEventListener` for 'abort' (undici, `fetch`, our
 * backends and the executor link to it that way). It is not an EventTarget: `AbortSignal.any()`
 * accepts it without complaint and returns a signal that never aborts, so where a real signal is
 * needed link a real AbortController to it by hand (as the llamacpp backend does). A test keeps
 * `AbortSignal.any` out of the request path (test/util/light-abort-controller.test.ts).
 */
export type AbortHandle = Pick<AbortController, 'signal' | 'abort'>;

type AbortListener = EventListenerOrEventListenerObject;

export class LightAbortSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((this: AbortSignal, event: Event) => unknown) | null = null;
  private listeners: Array<AbortListener | undefined> | undefined;
  /** Listeners added with a `signal` option: how to stop watching that signal once they are gone. */
  private unwatch: Map<AbortListener, () => void> | undefined;
  private dispatching = false;

  addEventListener(type: string, listener: AbortListener | null, options?: boolean | AddEventListenerOptions): void {
    // An AbortSignal fires 'abort' once; after that, new listeners would never run.
    if (type !== 'abort' || listener === null || this.aborted) return;
    const remover = typeof options === 'object' ? options.signal : undefined;
    if (remover?.aborted) return;
    const list = (this.listeners ??= []);
    if (list.includes(listener)) return;
    list.push(listener);
    if (remover) {
      const remove = () => this.removeEventListener('abort', listener);
      remover.addEventListener('abort', remove, { once: true });
      (this.unwatch ??= new Map()).set(listener, () => remover.removeEventListener('abort', remove));
    }
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    const list = this.listeners;
    if (type !== 'abort' || list === undefined || listener === null) return;
    const index = list.indexOf(listener);
    if (index === -1) return;
    // While listeners run, a removed one must not run any more: blank it rather than shift the list.
    if (this.dispatching) list[index] = undefined;
    else list.splice(index, 1);
    this.stopWatching(listener);
  }

  private stopWatching(listener: AbortListener): void {
    const unwatch = this.unwatch?.get(listener);
    if (unwatch === undefined) return;
    this.unwatch!.delete(listener);
    unwatch();
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Marks the signal aborted and runs its listeners once, in the order they were added. */
  fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const list = this.listeners;
    if (this.onabort === null && list === undefined) return;
    const event = new Event('abort');
    const self = this as unknown as AbortSignal;
    this.dispatching = true;
    try {
      if (this.onabort !== null) callListener(() => this.onabort!.call(self, event));
      if (list !== undefined) {
        for (let i = 0; i < list.length; i++) {
          const listener = list[i];
          if (listener === undefined) continue;
          callListener(() => (typeof listener === 'function' ? listener.call(self, event) : listener.handleEvent(event)));
        }
      }
    } finally {
      this.dispatching = false;
      this.listeners = undefined;
      const unwatch = this.unwatch;
      this.unwatch = undefined;
      if (unwatch !== undefined) for (const stop of unwatch.values()) stop();
    }
  }
}

/** Like EventTarget: a throwing listener does not stop the others; its error is reported, not thrown. */
function callListener(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

export class LightAbortController implements AbortHandle {
  private readonly light = new LightAbortSignal();

  get signal(): AbortSignal {
    return this.light as unknown as AbortSignal;
  }

  abort(reason?: unknown): void {
    this.light.fire(reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason);
  }
}
