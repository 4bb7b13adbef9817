import type { BreakerSettings } from './resilience-schema.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * One backend's circuit: closed → open after `failures` failures within `windowMs` → after
 * `openMs`, half-open: one probe request goes through; its success closes the circuit, its failure
 * opens it again. While open, `allow()` is false and the executor sheds the request to the next
 * model without touching the upstream. The clock is injected so tests are deterministic.
 */
export class CircuitBreaker {
  private circuit: CircuitState = 'closed';
  /** Failure times inside the window, oldest first (at most `failures` kept). */
  private readonly recent: number[] = [];
  private openedAt = 0;
  /** When the half-open probe was let through; undefined when none is out. */
  private probeSince: number | undefined;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  get state(): CircuitState {
    if (this.circuit === 'open' && this.now() - this.openedAt >= this.settings.openMs) return 'half-open';
    return this.circuit;
  }

  /** May a request go to this backend now? In half-open, true once (the probe) until it reports back. */
  allow(): boolean {
    if (this.circuit === 'closed') return true;
    const now = this.now();
    if (this.circuit === 'open') {
      if (now - this.openedAt < this.settings.openMs) return false;
      this.circuit = 'half-open';
      this.probeSince = undefined;
    }
    // A probe whose caller vanished (cancelled, never reported) must not keep the circuit shut forever.
    if (this.probeSince !== undefined && now - this.probeSince < this.settings.openMs) return false;
    this.probeSince = now;
    return true;
  }

  success(): void {
    if (this.circuit === 'closed') return;
    this.circuit = 'closed';
    this.recent.length = 0;
    this.probeSince = undefined;
  }

  failure(): void {
    const now = this.now();
    if (this.circuit !== 'closed') {
      this.open(now);
      return;
    }
    const { recent, settings } = this;
    while (recent.length > 0 && now - recent[0]! > settings.windowMs) recent.shift();
    recent.push(now);
    if (recent.length >= settings.failures) this.open(now);
  }

  /** An active health check failed: open the circuit now. */
  trip(): void {
    this.open(this.now());
  }

  /** A probe that ended without a verdict (cancelled): let the next request probe. */
  release(): void {
    this.probeSince = undefined;
  }

  /** An active health check passed: an open circuit may probe at once instead of waiting out openMs. */
  healthy(): void {
    if (this.circuit === 'open') {
      this.circuit = 'half-open';
      this.probeSince = undefined;
    }
  }

  /** Milliseconds until an open circuit lets a probe through (0 when it would now). */
  retryInMs(): number {
    if (this.circuit !== 'open') return 0;
    return Math.max(0, this.settings.openMs - (this.now() - this.openedAt));
  }

  private open(now: number): void {
    this.circuit = 'open';
    this.openedAt = now;
    this.probeSince = undefined;
    this.recent.length = 0;
  }
}
