/**
 * The shared counters behind budgets. Memory today (one gateway process); a Redis version with the
 * same contract (each call one atomic script) lets many replicas share a budget.
 */

export interface ReserveOutcome {
  admitted: boolean;
  /** What was actually reserved (the request's estimate, or all headroom for `'rest'`). */
  reserved: number;
  /** Totals after the call. */
  used: number;
  inFlight: number;
}

export interface BudgetCounters {
  /**
   * Atomically: when `used + inFlight < limit` reserve `amount` (or, for `'rest'`, all remaining
   * headroom) and admit; otherwise change nothing and refuse.
   */
  tryReserve(key: string, amount: number | 'rest', limit: number, expiresAt: number): Promise<ReserveOutcome>;
  /** Atomically replaces a reservation by what the request really spent. */
  settle(key: string, reserved: number, spent: number): Promise<void>;
  /** Sets what was spent before this process started (read back from the ledger). */
  seed(key: string, used: number, expiresAt: number): Promise<void>;
}

interface Counter {
  used: number;
  inFlight: number;
  expiresAt: number;
}

export class MemoryBudgetCounters implements BudgetCounters {
  private readonly counters = new Map<string, Counter>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private counter(key: string, expiresAt: number): Counter {
    const now = this.now();
    if (now - this.lastSweep > 60_000) {
      this.lastSweep = now;
      for (const [name, counter] of this.counters) if (counter.expiresAt <= now && counter.inFlight === 0) this.counters.delete(name);
    }
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { used: 0, inFlight: 0, expiresAt };
      this.counters.set(key, counter);
    }
    return counter;
  }

  async tryReserve(key: string, amount: number | 'rest', limit: number, expiresAt: number): Promise<ReserveOutcome> {
    const counter = this.counter(key, expiresAt);
    const headroom = limit - counter.used - counter.inFlight;
    if (headroom <= 0) return { admitted: false, reserved: 0, used: counter.used, inFlight: counter.inFlight };
    const reserved = amount === 'rest' ? headroom : amount;
    counter.inFlight += reserved;
    return { admitted: true, reserved, used: counter.used, inFlight: counter.inFlight };
  }

  async settle(key: string, reserved: number, spent: number): Promise<void> {
    const counter = this.counters.get(key);
    if (!counter) return;
    counter.inFlight = Math.max(0, counter.inFlight - reserved);
    counter.used += spent;
  }

  async seed(key: string, used: number, expiresAt: number): Promise<void> {
    this.counter(key, expiresAt).used = used;
  }
}
